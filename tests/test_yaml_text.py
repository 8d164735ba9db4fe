"""``data.yaml_text``: every YAML file the project reads is parsed by libyaml's C loader where PyYAML has it, into
exactly what PyYAML's pure-Python safe loader makes, and bad YAML fails the same way (a YAMLError with its line)."""

from __future__ import annotations

import pytest
import yaml

from vsr_analysis import paths
from vsr_analysis.data.yaml_text import SAFE_LOADER, parse_yaml, read_yaml

PROJECT_YAML = sorted(
    [paths.claims_spec_path(), paths.runspec_path(), paths.codebook_path(), paths.project_root() / "_toc.yml"]
    + list(paths.scenarios_dir().glob("*.yml"))
)


def test_the_c_loader_is_used_where_pyyaml_has_it():
    assert SAFE_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


@pytest.mark.parametrize("path", PROJECT_YAML, ids=lambda p: p.name)
def test_every_project_yaml_file_parses_to_what_the_pure_python_loader_makes(path):
    text = path.read_text(encoding="utf-8")
    assert read_yaml(path) == yaml.load(text, Loader=yaml.SafeLoader)


def test_only_safe_types_and_yaml_errors_with_their_line():
    with pytest.raises(yaml.YAMLError):
        parse_yaml("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(yaml.MarkedYAMLError) as err:
        parse_yaml("a: 1\nb: [unclosed\n")
    assert err.value.problem_mark.line >= 1
    assert parse_yaml("x: 2021-01-01\ny: 0.05\nz: ~\n") == yaml.safe_load("x: 2021-01-01\ny: 0.05\nz: ~\n")
