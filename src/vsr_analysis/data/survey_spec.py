"""The survey spec: the structured name of a survey source, and the string that carries it in parameters.

``SurveySpec`` holds the parts (kind, scenario and seed, or file name and sha256); ``str(spec)`` is the text
written into notebook parameters and the ledger: ``synthetic:<scenario>:<seed>`` or ``file:<name>:<sha256>``.
The file name is display-only and may contain any character but a line break (``kommune:2021.csv`` is a valid
name): the sha256 is always the last 64 hexadecimal digits, so the text parses back without ambiguity.  The path
of a real file never appears in it.  Kept apart from ``survey_source`` (which may generate the synthetic replica)
so that the replica generator can parse specs without importing its own caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPEC_PATTERN = re.compile(
    r"^(synthetic:(?P<scenario>[A-Za-z0-9_-]+):(?P<seed>\d+)|file:(?P<name>[^\r\n]+):(?P<sha>[0-9a-f]{64}))$"
)


class SourceError(ValueError):
    """The survey source cannot be used (unknown scenario, missing or invalid file)."""


@dataclass(frozen=True)
class SurveySpec:
    """A survey source as data: ``kind`` is ``"synthetic"`` (scenario, seed) or ``"file"`` (name, sha256)."""

    kind: str
    scenario: str = ""
    seed: int = 0
    name: str = ""
    sha256: str = ""

    @classmethod
    def synthetic(cls, scenario: str, seed: int) -> SurveySpec:
        return cls("synthetic", scenario=scenario, seed=int(seed))

    @classmethod
    def file(cls, name: str, sha256: str) -> SurveySpec:
        # line breaks are the one thing a spec cannot carry; a file name with one is shown with a space
        return cls("file", name=re.sub(r"[\r\n]+", " ", name), sha256=sha256)

    @classmethod
    def parse(cls, text: str) -> SurveySpec:
        match = SPEC_PATTERN.match(text or "") if isinstance(text, str) else None
        if not match:
            raise SourceError(f"survey spec {text!r} must be 'synthetic:<scenario>:<seed>' or 'file:<name>:<sha256>'")
        if match["scenario"] is not None:
            return cls.synthetic(match["scenario"], int(match["seed"]))
        return cls.file(match["name"], match["sha"])

    def __str__(self) -> str:
        if self.kind == "synthetic":
            return f"synthetic:{self.scenario}:{self.seed}"
        return f"file:{self.name}:{self.sha256}"


def parse_spec(spec: str) -> dict[str, str]:
    """The parts of a spec string as a dict (``kind`` and ``scenario``/``seed`` or ``name``/``sha256``)."""
    parsed = SurveySpec.parse(spec)
    if parsed.kind == "synthetic":
        return {"kind": "synthetic", "scenario": parsed.scenario, "seed": str(parsed.seed)}
    return {"kind": "file", "name": parsed.name, "sha256": parsed.sha256}
