"""Provenance stamps: commit, checksums, versions."""

import hashlib

from vsr_analysis import paths
from vsr_analysis.inputs import provenance


def test_sha256_file(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc" * 1000)
    assert provenance.sha256_file(f) == hashlib.sha256(b"abc" * 1000).hexdigest()


def test_stamp_lists_commit_inputs_versions_and_parameters():
    st = provenance.stamp({"threshold": 5000})
    assert st.parameters == {"threshold": 5000}
    assert "data/register/municipalities_2020.csv" in st.data
    assert "data/codebook.yml" in st.data and "claims.yml" in st.data
    assert st.data["data/register/municipalities_2020.csv"] == provenance.sha256_file(
        paths.register_dir() / "municipalities_2020.csv"
    )
    assert set(provenance.KEY_PACKAGES) <= set(st.packages)
    assert st.packages["pandas"] != "not installed"
    if st.commit is not None:
        assert len(st.commit) == 40
        assert st.commit in st.commit_label()


def test_git_state_outside_a_checkout(tmp_path):
    assert provenance.git_state(tmp_path)["commit"] is None


def test_dirty_flag(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f.txt").write_text("a")
    subprocess.run(["git", "-C", str(tmp_path), "add", "f.txt"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"], check=True
    )
    assert provenance.git_state(tmp_path)["dirty"] is False
    (tmp_path / "f.txt").write_text("b")
    assert provenance.git_state(tmp_path)["dirty"] is True
