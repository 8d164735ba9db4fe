"""What a notebook's output depends on, reduced to one hash, and the record of the last good run.

A parameter set is re-executed only when its fingerprint changes.  The fingerprint covers the template's
bytes, the parameter values, the survey specification and the checksums of every input data file, and the
package's own source code and version, so that a change to any of them reruns exactly the notebooks that
depend on it.  ``vsr run --force`` ignores the record.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from vsr_analysis import __version__
from vsr_analysis.build.runspec import ParameterSet

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the whole vsr_analysis package


def package_code_hash() -> str:
    """sha256 over the package's own .py files (names and bytes) and its version."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint_parts(pset: ParameterSet, survey_spec: str, data_checksums: dict[str, str]) -> dict[str, str]:
    def h(text: str | bytes) -> str:
        return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()

    return {
        "template": h(pset.template.read_bytes()),
        "parameters": h(json.dumps(pset.parameters, sort_keys=True)),
        "survey": h(survey_spec),
        "data": h(json.dumps(data_checksums, sort_keys=True)),
        "code": package_code_hash(),
    }


def fingerprint(pset: ParameterSet, survey_spec: str, data_checksums: dict[str, str]) -> str:
    return json.dumps(fingerprint_parts(pset, survey_spec, data_checksums), sort_keys=True)


_LABELS = {
    "template": "template changed",
    "parameters": "parameters changed",
    "survey": "survey changed",
    "data": "input data changed",
    "code": "package code changed",
}


@dataclass
class RunState:
    """Fingerprints of the outputs currently published, stored in ``results/.runstate.json``."""

    fingerprints: dict[str, str] = field(default_factory=dict)
    #: seconds each parameter set took when last executed (used to start the longest first)
    durations: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> RunState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(dict(data.get("fingerprints", {})), dict(data.get("durations", {})))
        except (OSError, ValueError, AttributeError):
            return cls()

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"fingerprints": self.fingerprints, "durations": self.durations}, indent=1, sort_keys=True),
            encoding="utf-8",
        )
        os.replace(tmp, path)

    def reason_to_run(self, name: str, fp: str, have_output: bool) -> str | None:
        """Why ``name`` must be executed, or None when its published output is still valid."""
        old = self.fingerprints.get(name)
        if old is None or not have_output:
            return "never executed" if old is None else "output missing"
        if old == fp:
            return None
        old_parts, new_parts = json.loads(old), json.loads(fp)
        changed = [_LABELS[k] for k in sorted(new_parts) if old_parts.get(k) != new_parts[k]]
        return ", ".join(changed) or "fingerprint changed"

    def record(self, name: str, fp: str) -> None:
        self.fingerprints[name] = fp

    def forget(self, names: set[str], keep_only: bool = False) -> None:
        if keep_only:
            self.fingerprints = {k: v for k, v in self.fingerprints.items() if k in names}
            self.durations = {k: v for k, v in self.durations.items() if k in names}
        else:
            for name in names:
                self.fingerprints.pop(name, None)
