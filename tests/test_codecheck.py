"""codecheck.yml: generated from the run spec, valid under CODECHECK's MUST rules, and the reviewer's report.

The rules below are the ``severity: error`` (MUST) rules of ``rules-2.0.yml`` in the codecheckers register
repository (github.com/codecheckers/register, rules-2.0.yml, spec_version "2.0", spec_date 2026-09-11), which
lists the checks for the CODECHECK configuration file specification 2.0
(https://codecheck.org.uk/spec/config/2.0/). Each check names its rule identifier. The specification splits
the file between two people: the author provides the manifest and the paper metadata ("Every field in this
template is mandatory ...: the manifest, the paper title, the authors with their ORCIDs, and a reference to the
article"), and the codechecker extends it during the check with codechecker, report, summary and certificate
("The codecheck.yml started by the author is extended with this information by the codechecker"). So the
author rules apply to the committed file now; the codechecker rules apply once those nodes are filled in.
Not checked here: CC-BUN-004 (the repository is reachable: needs the network) and the CC-REG-* rules (entries of
the register itself, not of a repository's file). CC-BUN-001 (every manifest file exists) is checked after a
build, in the slow tests.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_project
from vsr_analysis.build import codecheck

PLACEHOLDER = re.compile(r"FIXME|TODO|XXXXX", re.I)


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an ORCID iD (CC-MET-001: "syntactically valid including its checksum")."""
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", orcid):
        return False
    digits = orcid.replace("-", "")
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def validate(path: Path, *, stage: str = "author") -> list[Finding]:
    """The MUST rules of rules-2.0.yml; ``stage="completed"`` adds the nodes the codechecker must fill in."""
    out: list[Finding] = []

    def fail(rule, message):
        out.append(Finding(rule, message))

    raw = path.read_bytes()
    try:  # CC-CFG-001 yaml-parses: "well-formed YAML 1.1 or later and UTF-8 encoded"
        text = raw.decode("utf-8")
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return [Finding("CC-CFG-001", str(exc))]
    # CC-CFG-002 explicit-document: "starts with the explicit document marker ---" (directives such as
    # %YAML 1.1, which the specification recommends, and comments may precede it).
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("#", "%"))]
    if not lines or lines[0].strip() != "---":
        fail("CC-CFG-002", "the document does not start with ---")
    # CC-CFG-003 file-name-and-location: "named codecheck.yml and sits at the root of the bundle"
    if path.name != "codecheck.yml":
        fail("CC-CFG-003", f"named {path.name}")
    if not isinstance(data, dict):
        return out + [Finding("CC-CFG-004", "not a mapping")]
    manifest = data.get("manifest")
    # CC-CFG-004 manifest-present: "A root-level manifest list is present"
    if not isinstance(manifest, list) or not manifest:
        fail("CC-CFG-004", "no root-level manifest list")
        manifest = []
    for i, item in enumerate(manifest):
        # CC-CFG-005 manifest-item-file: "Every manifest item has a file node"
        if not isinstance(item, dict) or not isinstance(item.get("file"), str) or not item["file"]:
            fail("CC-CFG-005", f"manifest item {i} has no file")
            continue
        # CC-CFG-006 manifest-path-relative: "Manifest file paths are relative to the codecheck.yml"
        f = item["file"]
        if f.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]|^[a-z]+://", f) or ".." in Path(f).parts:
            fail("CC-CFG-006", f"{f} is not a relative path inside the bundle")
    paper = data.get("paper")
    # CC-CFG-016 paper-present
    if not isinstance(paper, dict):
        fail("CC-CFG-016", "no root-level paper node")
        paper = {}
    # CC-CFG-017 paper-title
    if not isinstance(paper.get("title"), str) or not paper.get("title", "").strip():
        fail("CC-CFG-017", "paper.title missing")
    authors = paper.get("authors")
    # CC-CFG-018 paper-authors: "a sequence with at least one entry"
    if not isinstance(authors, list) or not authors:
        fail("CC-CFG-018", "paper.authors is not a non-empty sequence")
        authors = []
    for i, author in enumerate(authors):
        author = author if isinstance(author, dict) else {}
        # CC-CFG-019 paper-author-name
        if not str(author.get("name", "")).strip():
            fail("CC-CFG-019", f"author {i} has no name")
        # CC-CFG-020 paper-author-orcid: "given as the plain identifier without URL prefix"
        orcid = author.get("ORCID")
        if not orcid:
            fail("CC-CFG-020", f"author {author.get('name', i)!r} has no ORCID")
        elif "orcid.org" in str(orcid) or "://" in str(orcid):
            fail("CC-CFG-020", f"ORCID {orcid} has a URL prefix")
    # CC-CFG-021 paper-reference: "A reference to the article is provided in paper.reference"
    if not str(paper.get("reference", "") or "").strip():
        fail("CC-CFG-021", "paper.reference missing")
    # CC-CFG-029 reference-other-is-list
    if "reference-other" in paper and not isinstance(paper["reference-other"], list):
        fail("CC-CFG-029", "paper.reference-other is not a sequence")

    def strings(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)
        elif node is not None:
            yield str(node)

    # CC-CFG-023 no-placeholder-values: "No field still holds a FIXME/TODO/XXXXX placeholder value"
    for value in strings(data):
        if PLACEHOLDER.search(value):
            fail("CC-CFG-023", f"placeholder value {value[:60]!r}")
    people = list(authors) + list(data.get("codechecker") or [] if isinstance(data.get("codechecker"), list) else [])
    # CC-MET-001 orcid-format: "Every ORCID is syntactically valid including its checksum digit"
    for person in people:
        orcid = person.get("ORCID") if isinstance(person, dict) else None
        if orcid and not orcid_checksum_ok(str(orcid)):
            fail("CC-MET-001", f"ORCID {orcid} is not valid")
    if stage == "completed":
        checkers = data.get("codechecker")
        # CC-CFG-008 codechecker-present: "A root-level codechecker list with at least one entry"
        if not isinstance(checkers, list) or not checkers:
            fail("CC-CFG-008", "no codechecker list")
            checkers = []
        for i, checker in enumerate(checkers):
            # CC-CFG-009 codechecker-name
            if not isinstance(checker, dict) or not str(checker.get("name", "")).strip():
                fail("CC-CFG-009", f"codechecker {i} has no name")
        report = str(data.get("report", "") or "")
        # CC-CFG-011 report-present
        if not report.strip():
            fail("CC-CFG-011", "no report node")
        # CC-CFG-013 report-doi-not-placeholder: "not a placeholder such as zenodo.FIXME"
        elif PLACEHOLDER.search(report) or re.search(r"zenodo\.?(FIXME|0+)$", report, re.I):
            fail("CC-CFG-013", f"report {report} is a placeholder")
        # CC-CFG-024 summary-present
        if not str(data.get("summary", "") or "").strip():
            fail("CC-CFG-024", "no summary")
        certificate = data.get("certificate")
        # CC-CFG-025 certificate-present
        if not certificate:
            fail("CC-CFG-025", "no certificate")
        # CC-CFG-026 certificate-id-format: "matches the YYYY-NNN pattern"
        elif not re.fullmatch(r"\d{4}-\d{3}", str(certificate)):
            fail("CC-CFG-026", f"certificate {certificate} is not YYYY-NNN")
    return out


def _cff_has_orcids() -> bool:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    return all(person.get("orcid") for person in cff.get("authors", []))


# the validator itself ---------------------------------------------------------------------------------------
#: The specification's own minimal example (spec/config/2.0, "Minimal example"), with ORCID's documented test
#: identifiers; every MUST rule holds for it.
COMPLETE = """\
---
version: https://codecheck.org.uk/spec/config/2.0/
manifest:
  - file: fig1.pdf
paper:
  title: "A good paper"
  authors:
    - name: Josiah Carberry
      ORCID: 0000-0002-1825-0097
  reference: https://doi.org/preprint.1
codechecker:
  - name: S. Eglen
    ORCID: 0000-0001-8607-8025
report: https://doi.org/abcde.12345
summary: |
  All material was provided and the figures could be reproduced.
certificate: 2026-001
"""


def _write(tmp_path, text, name="codecheck.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_specifications_minimal_example_meets_every_must_rule(tmp_path):
    assert validate(_write(tmp_path, COMPLETE), stage="completed") == []


@pytest.mark.parametrize(
    "old, new, rule",
    [
        ("---\n", "", "CC-CFG-002"),
        ("manifest:\n  - file: fig1.pdf\n", "", "CC-CFG-004"),
        ("- file: fig1.pdf", "- comment: no file", "CC-CFG-005"),
        ("fig1.pdf", "/home/me/fig1.pdf", "CC-CFG-006"),
        ("fig1.pdf", "../fig1.pdf", "CC-CFG-006"),
        ('  title: "A good paper"\n', "", "CC-CFG-017"),
        ("      ORCID: 0000-0002-1825-0097\n", "", "CC-CFG-020"),
        ("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097", "CC-CFG-020"),
        ("0000-0002-1825-0097", "0000-0002-1825-0098", "CC-MET-001"),
        ("  reference: https://doi.org/preprint.1\n", "", "CC-CFG-021"),
        ("  reference: https://doi.org/preprint.1\n", "  reference: x\n  reference-other: a\n", "CC-CFG-029"),
        ('title: "A good paper"', 'title: "TODO"', "CC-CFG-023"),
        ("codechecker:\n  - name: S. Eglen\n    ORCID: 0000-0001-8607-8025\n", "", "CC-CFG-008"),
        ("report: https://doi.org/abcde.12345", "report: https://doi.org/10.5281/zenodo.FIXME", "CC-CFG-013"),
        ("summary: |\n  All material was provided and the figures could be reproduced.\n", "", "CC-CFG-024"),
        ("certificate: 2026-001", "certificate: 26-1", "CC-CFG-026"),
    ],
)
def test_each_broken_rule_is_reported(tmp_path, old, new, rule):
    assert old in COMPLETE
    found = {f.rule for f in validate(_write(tmp_path, COMPLETE.replace(old, new, 1)), stage="completed")}
    assert rule in found, found


def test_a_wrong_file_name_and_bad_yaml_are_reported(tmp_path):
    assert {f.rule for f in validate(_write(tmp_path, COMPLETE, "codecheck.yaml"))} == {"CC-CFG-003"}
    assert [f.rule for f in validate(_write(tmp_path, "---\nmanifest: [a\n"))] == ["CC-CFG-001"]


# the committed file -----------------------------------------------------------------------------------------
def test_committed_codecheck_yml_meets_the_authors_must_rules():
    """Every author-side MUST rule holds, except an ORCID for each author while CITATION.cff names none.

    The ORCID is a fact about a person that the project cannot invent; once CITATION.cff gives one for each
    author (``orcid: https://orcid.org/...``) and ``make codecheck`` is rerun, this test demands that rule too.
    """
    findings = validate(ROOT / "codecheck.yml")
    allowed = set() if _cff_has_orcids() else {"CC-CFG-020"}
    assert {f.rule for f in findings} <= allowed, findings
    data = yaml.safe_load((ROOT / "codecheck.yml").read_text(encoding="utf-8"))
    if any(key in data for key in ("codechecker", "report", "summary", "certificate")):
        assert [f for f in validate(ROOT / "codecheck.yml", stage="completed") if f.rule not in allowed] == []


def test_manifest_covers_the_ledger_and_every_parameter_set_with_a_comment_each():
    from vsr_analysis.inputs.runspec import load_runspec

    data = yaml.safe_load((ROOT / "codecheck.yml").read_text(encoding="utf-8"))
    files = [item["file"] for item in data["manifest"]]
    assert files[0] == "results/claims.json" and len(files) == len(set(files))
    names = load_runspec(ROOT / "runspec.yml").names()
    listed = [f.split("/")[1] for f in files[1:]]
    assert sorted(set(listed), key=listed.index) == names, "regenerate with `make codecheck`"
    for item in data["manifest"]:
        assert len(item.get("comment", "")) > 20, item
        assert Path(item["file"]).suffix in (".json", ".csv", ".svg")
    for name in names:
        assert any(f.startswith(f"results/{name}/") and f.endswith(".svg") for f in files), f"{name}: no figure"


def _fake_published_project(tmp_path, survey="synthetic:vsr-narrative:2021"):
    """A project copy with a minimal published run: one table per parameter set (no kernels needed)."""
    import os

    from vsr_analysis.inputs.runspec import load_runspec

    root = copy_project(tmp_path / "project")
    for name in ("CITATION.cff", "codecheck.yml"):
        shutil.copy(ROOT / name, root / name)
    os.environ["VSR_PROJECT_ROOT"] = str(root)
    try:
        names = load_runspec(root / "runspec.yml").names()
    finally:
        del os.environ["VSR_PROJECT_ROOT"]
    (root / "results").mkdir()
    (root / "results" / "claims.json").write_text("[]\n")
    (root / "results" / "run.json").write_text(f'{{"survey": "{survey}"}}\n')
    for name in names:
        (root / "results" / name).mkdir()
        (root / "results" / name / "table.csv").write_text("a\n1\n")
    return root


def test_regeneration_keeps_the_codecheckers_nodes_and_meets_the_rules(tmp_path, monkeypatch):
    root = _fake_published_project(tmp_path)
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    added = COMPLETE.split("codechecker:", 1)[1]
    target = root / "codecheck.yml"
    target.write_text(target.read_text() + "\ncodechecker:" + added + "check_time: '2026-12-01 10:00:00'\n")
    codecheck.write(root)
    data = yaml.safe_load(target.read_text())
    assert data["certificate"] == "2026-001" and data["codechecker"][0]["name"] == "S. Eglen"
    assert data["check_time"] == "2026-12-01 10:00:00"
    assert [item["file"] for item in data["manifest"]][1].endswith("/table.csv")
    allowed = set() if _cff_has_orcids() else {"CC-CFG-020"}
    assert {f.rule for f in validate(target, stage="completed")} <= allowed
    assert codecheck.check(root) == []
    target.write_text(target.read_text().replace("table.csv", "renamed.csv", 1))
    assert codecheck.check(root), "a hand-edited manifest must be reported as out of date"


def test_a_manifest_is_only_generated_from_a_default_run(tmp_path, monkeypatch):
    root = _fake_published_project(tmp_path, survey="synthetic:null:7")
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    with pytest.raises(codecheck.CodecheckError, match="default build"):
        codecheck.render(root)
    shutil.rmtree(root / "results")
    with pytest.raises(codecheck.CodecheckError, match="run `vsr run`"):
        codecheck.render(root)


def test_report_rows_compare_checksums(tmp_path):
    published, fresh = tmp_path / "a", tmp_path / "b"
    for root, text in ((published, "1"), (fresh, "2")):
        (root / "results").mkdir(parents=True)
        (root / "results" / "same.csv").write_text("x\n")
        (root / "results" / "changed.csv").write_text(text)
    (published / "results" / "gone.csv").write_text("x\n")
    items = [codecheck.ManifestItem(f"results/{n}.csv", n) for n in ("same", "changed", "gone")]
    rows = {r["file"]: r for r in codecheck.report_rows(published, fresh, items)}
    assert rows["results/same.csv"]["reproduced"] == "yes"
    assert rows["results/same.csv"]["published"] == rows["results/same.csv"]["fresh"]
    assert rows["results/changed.csv"]["reproduced"] == "no: bytes differ"
    assert rows["results/gone.csv"]["reproduced"] == "no: missing in the re-execution"


# after a build ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_committed_file_equals_a_fresh_generation_and_every_file_exists(built_book):
    """The committed manifest cannot drift from the run spec and what the default run makes (CC-BUN-001)."""
    committed = (ROOT / "codecheck.yml").read_text(encoding="utf-8")
    if not (built_book / "CITATION.cff").is_file():
        shutil.copy(ROOT / "CITATION.cff", built_book / "CITATION.cff")
    fresh = codecheck.render(built_book, committed)
    assert fresh == committed, "codecheck.yml is out of date: run `make codecheck` after `make book`"
    for item in yaml.safe_load(committed)["manifest"]:
        assert (built_book / item["file"]).is_file(), f"CC-BUN-001: {item['file']} was not made by the build"


@pytest.mark.slow
def test_verify_writes_a_reviewers_report(verified):
    proc, report = verified
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    manifest = yaml.safe_load((ROOT / "codecheck.yml").read_text(encoding="utf-8"))["manifest"]
    rows = re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \| `([0-9a-f]{64})` \| (.+) \|$", text, re.M)
    assert [r[0] for r in rows] == [item["file"] for item in manifest]
    for file, old, new, verdict in rows:
        assert (verdict == "yes") == (old == new), file
        if not file.endswith(".svg"):  # tables, evidence and the ledger must reproduce (vsr verify exits 0)
            assert verdict == "yes", file
    assert re.search(rf"\*\*\d+ of {len(manifest)}\*\* manifest files reproduced", text)
