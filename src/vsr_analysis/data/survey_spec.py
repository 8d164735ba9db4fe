"""The survey spec: the string that names a survey source in parameters and the ledger.

``synthetic:<scenario>:<seed>`` or ``file:<name>:<sha256>``; the path of a real file never appears in it.
Kept apart from ``survey_source`` (which may generate the synthetic replica) so that the replica generator
can parse specs without importing its own caller.
"""

from __future__ import annotations

import re

SPEC_PATTERN = re.compile(
    r"^(synthetic:(?P<scenario>[A-Za-z0-9_-]+):(?P<seed>\d+)|file:(?P<name>[^:]+):(?P<sha>[0-9a-f]{64}))$"
)


class SourceError(ValueError):
    """The survey source cannot be used (unknown scenario, missing or invalid file)."""


def parse_spec(spec: str) -> dict[str, str]:
    match = SPEC_PATTERN.match(spec or "")
    if not match:
        raise SourceError(f"survey spec {spec!r} must be 'synthetic:<scenario>:<seed>' or 'file:<name>:<sha256>'")
    if spec.startswith("synthetic:"):
        return {"kind": "synthetic", "scenario": match["scenario"], "seed": match["seed"]}
    return {"kind": "file", "name": match["name"], "sha256": match["sha"]}
