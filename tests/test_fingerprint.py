"""Fingerprints follow the layers: a notebook's code fingerprint covers exactly the package modules it imports,
directly or through other modules, so editing the CLI, the book pages or the SSB fetch re-executes nothing while
editing anything a notebook imports does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vsr_analysis import paths
from vsr_analysis.inputs import fingerprint as fp
from vsr_analysis.inputs.runspec import load_runspec

PACKAGE = Path(fp.__file__).resolve().parent.parent
TEMPLATES = sorted({pset.template for pset in load_runspec(paths.project_root() / "runspec.yml").parameter_sets})
NOT_IMPORTED_BY_NOTEBOOKS = [
    "cli/__init__.py",
    "cli/run.py",
    "build/generated_pages.py",
    "build/book.py",
    "ssb/fetch.py",
]


@pytest.fixture
def package_copy(tmp_path):
    dest = tmp_path / "vsr_analysis"
    shutil.copytree(PACKAGE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _hashes(package_dir: Path) -> dict[str, str]:
    return {t.name: fp.notebook_code_hash(t, package_dir) for t in TEMPLATES}


def _touch(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")


def test_every_template_is_parsed():
    for template in TEMPLATES:
        modules = fp.template_imports(template)
        assert modules is not None and "vsr_analysis.chapter" in modules, template.name


@pytest.mark.parametrize("module", NOT_IMPORTED_BY_NOTEBOOKS)
def test_editing_code_no_notebook_imports_keeps_every_fingerprint(package_copy, module):
    before = _hashes(package_copy)
    _touch(package_copy / module)
    assert _hashes(package_copy) == before


def test_editing_an_indirect_import_changes_the_fingerprints_of_its_notebooks(package_copy):
    # the cumulative-logit engine is imported only through stats.ordinal_model
    users = {t.name for t in TEMPLATES if package_copy / "stats/cumulative_logit.py" in _closure(t, package_copy)}
    assert "ordinal_effect.ipynb" in users and "power_design.ipynb" in users
    before = _hashes(package_copy)
    _touch(package_copy / "stats/cumulative_logit.py")
    after = _hashes(package_copy)
    assert {name for name in before if before[name] != after[name]} == users


def test_editing_what_every_chapter_imports_changes_every_fingerprint(package_copy):
    before = _hashes(package_copy)
    _touch(package_copy / "chapter/context.py")
    after = _hashes(package_copy)
    assert all(before[name] != after[name] for name in before)


def test_function_level_and_relative_imports_are_followed(tmp_path):
    pkg = tmp_path / "vsr_analysis"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "a.py").write_text("def f():\n    from . import b\n    return b\n", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("from vsr_analysis import c\n", encoding="utf-8")
    (pkg / "c.py").write_text("import json\n", encoding="utf-8")
    (pkg / "unused.py").write_text("", encoding="utf-8")
    closure = {p.relative_to(pkg).as_posix() for p in fp.import_closure({"vsr_analysis.sub.a"}, pkg)}
    assert closure == {"__init__.py", "sub/__init__.py", "sub/a.py", "sub/b.py", "c.py"}


def _notebook(path: Path, code: str) -> Path:
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": code}]}), encoding="utf-8")
    return path


def test_names_imported_through_the_api_are_followed_to_their_modules(tmp_path, package_copy):
    """Templates import the package through ``vsr_analysis.api``, which resolves names at run time: the
    fingerprint follows each name to its module, so a chapter reruns for the modules it uses and no others."""
    template = _notebook(tmp_path / "t.ipynb", "from vsr_analysis.api import nca, set_style as style\n")
    closure = {p.relative_to(package_copy).as_posix() for p in _closure(template, package_copy)}
    assert {"api.py", "stats/nca.py", "stats/figure_style.py", "stats/__init__.py"} <= closure
    assert "claims/share_chapter.py" not in closure and "chapter/__init__.py" not in closure
    before = fp.notebook_code_hash(template, package_copy)
    _touch(package_copy / "claims/share_chapter.py")
    assert fp.notebook_code_hash(template, package_copy) == before
    _touch(package_copy / "stats/nca.py")
    assert fp.notebook_code_hash(template, package_copy) != before


@pytest.mark.parametrize(
    "code", ["from vsr_analysis.api import *\n", "from vsr_analysis import api\n", "import vsr_analysis.api\n"]
)
def test_the_api_imported_whole_stands_for_every_module_it_exports(tmp_path, package_copy, code):
    closure = {
        p.relative_to(package_copy).as_posix() for p in _closure(_notebook(tmp_path / "t.ipynb", code), package_copy)
    }
    assert {"claims/share_chapter.py", "chapter/__init__.py", "stats/nca.py", "simulate/power_page.py"} <= closure


def test_unparsable_template_falls_back_to_the_whole_package(tmp_path, package_copy):
    nb = {"cells": [{"cell_type": "code", "source": "from vsr_analysis.chapter import start\nif:\n"}]}
    template = tmp_path / "broken.ipynb"
    template.write_text(json.dumps(nb), encoding="utf-8")
    before = fp.notebook_code_hash(template, package_copy)
    _touch(package_copy / "cli/__init__.py")
    assert fp.notebook_code_hash(template, package_copy) != before


def _closure(template: Path, package_dir: Path) -> list[Path]:
    return fp.import_closure(fp.template_imports(template) | {"vsr_analysis"}, package_dir)
