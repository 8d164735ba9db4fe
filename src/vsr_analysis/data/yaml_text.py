"""YAML read safely, with libyaml's C parser when PyYAML was built with it.

Every YAML file the project reads (``claims.yml``, ``runspec.yml``, the codebook, the scenarios, ``_toc.yml``)
goes through :func:`parse_yaml`. PyYAML's pure-Python parser took about a CPU second of every ``vsr`` command
and a third of a second of every chapter's kernel (issue 24); the C parser builds the same objects through the
same safe constructor, several times faster. Without libyaml it falls back to the pure-Python safe loader.
"""

from __future__ import annotations

from pathlib import Path

import yaml

#: The safe loader: libyaml's (``CSafeLoader``) when available, else PyYAML's own.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str | bytes):
    """``yaml.safe_load(text)``, with the C parser when there is one. Raises ``yaml.YAMLError`` as it does."""
    return yaml.load(text, Loader=SAFE_LOADER)


def read_yaml(path: Path):
    """The YAML document in the UTF-8 file ``path``."""
    return parse_yaml(Path(path).read_text(encoding="utf-8"))
