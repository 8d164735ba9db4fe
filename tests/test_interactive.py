"""Templates run by hand (JupyterLab) show their figures and notes inline and never write to results/.

`vsr run` injects `results_dir`; run by hand it is None and the chapter helpers switch to interactive mode:
files go to scratch/<param_set>/, MyST markup becomes plain Markdown, figures are displayed as SVG images.
"""

from __future__ import annotations

import hashlib
import os
import re

import nbformat
import pytest

from conftest import ROOT, copy_project
from vsr_analysis.chapter import interactive_markdown, output_folder

TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: MyST that JupyterLab would show as raw text.
RAW_MYST = re.compile(r":::\{|\{(download|cite|doc|ref|term|figure)\}`")


def test_admonitions_become_block_quotes_with_a_title():
    text = ":::{admonition} Decision for F4: supported\n:class: tip verdict-box\nThe reason.\n\nA note.\n:::"
    assert interactive_markdown(text) == "> **Decision for F4: supported**\n>\n> The reason.\n>\n> A note."
    assert interactive_markdown(":::{note}\nSmall print.\n:::").startswith("> **Note**\n>\n> Small print.")


def test_download_links_to_published_results_point_at_the_scratch_folder():
    text = "{download}`Download this table (CSV) <../../results/size-not-a-prerequisite/nca.csv>`"
    assert interactive_markdown(text, "../scratch") == (
        "[Download this table (CSV)](../scratch/size-not-a-prerequisite/nca.csv)"
    )


def test_figures_become_images_and_roles_keep_their_words():
    text = ":::{figure} ../../results/x/a.png\n:alt: A scatter plot\n:width: 100%\n\nThe caption.\n:::"
    assert interactive_markdown(text, "scratch") == "![A scatter plot](scratch/x/a.png)\n\n*The caption.*"
    text = "see {doc}`who-came-furthest`, {ref}`the ledger <claims-at-a-glance>` and {cite}`dul2016,dul2020`."
    assert interactive_markdown(text) == "see who-came-furthest, the ledger and [dul2016; dul2020]."


def test_plain_markdown_is_unchanged():
    text = "**Bold** and a [link](https://example.org) and `code`.\n\n- a list"
    assert interactive_markdown(text) == text


def test_output_folder_is_scratch_by_hand_and_results_dir_under_vsr_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(tmp_path))
    folder = output_folder("size-not-a-prerequisite", None)
    assert folder == tmp_path / "scratch" / "size-not-a-prerequisite" and folder.is_dir()
    staged = output_folder("size-not-a-prerequisite", str(tmp_path / "stage"))
    assert staged == tmp_path / "stage"
    assert not (tmp_path / "results").exists()


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project copy with a published-looking results/ that an interactive run must leave alone."""
    root = copy_project(tmp_path_factory.mktemp("interactive") / "project")
    from vsr_analysis.inputs.runspec import load_runspec

    os.environ["VSR_PROJECT_ROOT"] = str(root)
    try:
        names = load_runspec(root / "runspec.yml").names()
    finally:
        del os.environ["VSR_PROJECT_ROOT"]
    for name in names:
        (root / "results" / name).mkdir(parents=True)
        (root / "results" / name / "published.csv").write_text("a\n1\n", encoding="utf-8")
    (root / "results" / "claims.json").write_text("[]\n", encoding="utf-8")
    return root


def _outputs(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            yield cell, output


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_runs_by_hand_with_figures_inline_and_results_untouched(project, template, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("VSR_PROJECT_ROOT", str(project))  # the kernel inherits it: the copy, not the checkout
    monkeypatch.delenv("MPLBACKEND", raising=False)  # as in JupyterLab: the inline backend
    before = _snapshot(project / "results")
    notebooks = project / "notebooks"
    nb = nbformat.read(notebooks / template.name, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()

    assert _snapshot(project / "results") == before, "an interactive run changed results/"
    param_set = re.search(r'^param_set = "([^"]+)"', template.with_suffix(".py").read_text(), re.M).group(1)
    scratch = project / "scratch" / param_set
    assert any(scratch.iterdir()), f"nothing written to {scratch}"

    outputs = list(_outputs(nb))
    first = outputs[0][1]
    first_text = "".join(first.get("data", {}).get("text/markdown", "")) or "".join(first.get("text", ""))
    assert "Interactive run" in first_text and f"scratch/{param_set}/" in first_text

    images = [o for _, o in outputs if "image/svg+xml" in o.get("data", {})]
    n_figures = len(list(scratch.glob("*.svg")))
    assert n_figures >= 1 and len(images) >= n_figures, f"{n_figures} figure file(s), {len(images)} shown"
    for _, output in outputs:
        markdown = "".join(output.get("data", {}).get("text/markdown", ""))
        assert not RAW_MYST.search(markdown), f"raw MyST shown in JupyterLab: {markdown[:200]!r}"
        for link in re.findall(r"\]\(([^)]+)\)", markdown):
            if "://" not in link:
                assert (notebooks / link).resolve().is_file(), f"broken link {link} from notebooks/"
