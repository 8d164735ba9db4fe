"""``vsr_analysis.api``, the templates' one door into the package: every exported name resolves, lazily, to what
its entry says; an unknown name is refused with the names there are."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from vsr_analysis import api


@pytest.mark.parametrize("name", sorted(api.EXPORTS))
def test_every_export_is_the_object_its_entry_names(name):
    module_name, _, attribute = api.EXPORTS[name].partition(":")
    module = importlib.import_module(module_name)
    assert getattr(api, name) is (getattr(module, attribute) if attribute else module)


def test_an_unknown_name_is_refused_with_the_names_there_are():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'.*'start'"):
        api.not_a_name  # noqa: B018 - the attribute access is the test
    with pytest.raises(ImportError):
        exec("from vsr_analysis.api import not_a_name", {})


def test_dir_lists_the_exports():
    assert set(api.EXPORTS) <= set(dir(api))


def test_a_name_imports_only_its_own_module():
    """Lazy: importing one name from the api loads that name's module (and what it imports), not every module
    the api exports, so a chapter's kernel starts as fast as with direct imports."""
    code = (
        "import sys, json\n"
        "from vsr_analysis.api import set_style\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('vsr_analysis'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert "vsr_analysis.stats.figure_style" in loaded
    assert not loaded & {
        "vsr_analysis.claims.share_chapter",
        "vsr_analysis.simulate.power_page",
        "vsr_analysis.chapter",
    }
