"""The table of contents places every parameter set of the run spec, and only existing pages."""

import yaml

from conftest import toc_files
from vsr_analysis import paths
from vsr_analysis.inputs.runspec import load_runspec


def _toc_files():
    return toc_files(paths.project_root())


def test_every_parameter_set_is_in_the_toc_and_vice_versa():
    files = _toc_files()
    executed = {f.split("/")[-1] for f in files if f.startswith("book/executed/")}
    assert executed == set(load_runspec().names())


def test_static_pages_exist():
    root = paths.project_root()
    for f in _toc_files():
        if f.startswith(("book/executed/", "book/generated/")):
            continue
        assert (root / f"{f}.md").is_file() or (root / f"{f}.ipynb").is_file(), f


def test_generated_pages_are_the_ones_the_runner_writes():
    generated = {f.split("/")[-1] for f in _toc_files() if f.startswith("book/generated/")}
    assert generated == {"claims", "recommendations", "colophon", "codebook"} or generated <= {
        "claims",
        "recommendations",
        "colophon",
        "codebook",
    }
    assert "claims" in generated and "colophon" in generated and "recommendations" in generated


def test_book_config_is_offline_and_strict():
    config = yaml.safe_load((paths.project_root() / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    assert config["sphinx"]["config"]["intersphinx_mapping"] == {}


def _bib_entries():
    import re

    text = (paths.project_root() / "book" / "references.bib").read_text(encoding="utf-8")
    for chunk in re.split(r"(?m)^(?=@)", text):
        head = re.match(r"@(\w+)\{([\w-]+),", chunk)
        if head:
            fields = dict(re.findall(r"(?m)^\s*(\w+)\s*=\s*(.+?),?\s*$", chunk))
            yield head.group(1).lower(), head.group(2), fields


def test_every_article_and_report_names_a_doi_or_url_and_titles_keep_their_case():
    entries = list(_bib_entries())
    assert len(entries) >= 10
    for kind, key, fields in entries:
        if kind in {"article", "techreport"}:
            assert "doi" in fields or "url" in fields, f"{key}: an article or report needs a DOI or URL"
        # double braces: the citation style must not lower-case "NCA", "Norway" or "Necessary Condition Analysis"
        assert fields["title"].startswith("{{") and fields["title"].endswith("}}"), f"{key}: title not protected"
        if "doi" in fields:
            assert fields["doi"].strip("{}").startswith("10."), f"{key}: a DOI starts with 10."
