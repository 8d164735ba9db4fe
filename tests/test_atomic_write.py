"""paths.atomic_write: the package's one atomic write (evidence, tables, checkpoints, replicas, caches)."""

from __future__ import annotations

import pytest

from vsr_analysis import paths


def test_writes_text_as_utf8_and_bytes_as_given(tmp_path):
    path = tmp_path / "sub" / "a.csv"
    assert paths.atomic_write(path, "ø,1\n") == path
    assert path.read_bytes() == "ø,1\n".encode()
    paths.atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in path.parent.iterdir()] == ["a.csv"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "evidence.json"
    paths.atomic_write(path, "old")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(paths.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        paths.atomic_write(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["evidence.json"]
