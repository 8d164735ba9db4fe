"""What a notebook's output depends on, reduced to one hash, and the record of the last good run.

A parameter set is re-executed only when its fingerprint changes.  The fingerprint covers the template's
bytes, the parameter values, the survey specification, the checksums of the input data it reads
(:func:`inputs_read`: the register and codebook, the survey, the scenario the survey was drawn from and the
stored runs it declares), the entries of ``claims.yml`` its parameter set reads (:func:`claims_hash`; ``reads:``
in runspec.yml widens these to every claim or every scenario for the pages that summarise them), and the
package's version and the source of exactly the package modules the template imports, directly or through
other modules (:func:`import_closure`, found statically with ``ast``: module-level and function-level imports
alike), so that a change to any of them reruns exactly the notebooks that depend on it.  Editing code no
notebook imports (the CLI, the book pages, the SSB fetch) re-executes nothing.  ``vsr run --force`` ignores the
record.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vsr_analysis import __version__, paths
from vsr_analysis.data.checksums import sha256_file
from vsr_analysis.data.yaml_text import parse_yaml
from vsr_analysis.inputs.runspec import ParameterSet, claims_read
from vsr_analysis.paths import atomic_write

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the whole vsr_analysis package
_PACKAGE = "vsr_analysis"


def _module_file(module: str, package_dir: Path) -> Path | None:
    """The source file of ``vsr_analysis[.a.b]`` under ``package_dir``, or None if it is not a package module."""
    parts = module.split(".")
    if parts[0] != _PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(tree: ast.AST, current: str | None = None, is_package: bool = False) -> set[str]:
    """Every module name an ``import`` or ``from ... import`` anywhere in ``tree`` may load, including
    ``package.name`` for ``from package import name`` (it may be a submodule) and every parent package."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                if current is None:
                    continue
                base = current.split(".") if is_package else current.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    with_parents = set()
    for name in found:
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in with_parents if m.split(".")[0] == _PACKAGE}


@functools.lru_cache(maxsize=512)
def _module_imports(module: str, is_package: bool, source: bytes) -> frozenset[str]:
    return frozenset(_imported_modules(ast.parse(source), module, is_package))


def import_closure(roots: Iterable[str], package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The package source files loaded, directly or indirectly, by importing the modules ``roots``."""
    seen: dict[str, Path] = {}
    todo = [m for m in roots if _module_file(m, package_dir) is not None]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = _module_file(module, package_dir)
        if path is None:
            continue
        seen[module] = path
        todo.extend(_module_imports(module, path.name == "__init__.py", path.read_bytes()) - seen.keys())
    return sorted(set(seen.values()))


def _code_cells(template: Path) -> list[str]:
    nb = json.loads(template.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            # IPython magics and shell escapes are not Python: blank them out (lines keep their numbers)
            cells.append("\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines()))
    return cells


#: The module templates import the package's names through (``vsr_analysis/api.py``, resolved lazily).
API_MODULE = f"{_PACKAGE}.api"


@functools.lru_cache(maxsize=4)
def _api_exports(source: bytes) -> dict[str, str]:
    """``EXPORTS`` of ``api.py`` (name -> "module" or "module:attribute"), read from its source, not imported."""
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "EXPORTS" and node.value is not None:
            return ast.literal_eval(node.value)
    return {}


def _through_api(tree: ast.AST, package_dir: Path) -> set[str]:
    """The modules behind the names ``tree`` imports from ``vsr_analysis.api``, with their parent packages: the
    api module resolves names at run time, so its own source imports nothing a static closure could follow.
    A star import, an unknown name or the api module imported whole stands for every module it exports."""
    api_file = package_dir / "api.py"
    exports = _api_exports(api_file.read_bytes()) if api_file.is_file() else {}
    every = {target.partition(":")[0] for target in exports.values()}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == API_MODULE:
            for alias in node.names:
                target = exports.get(alias.name)
                found |= every if target is None else {target.partition(":")[0]}
        elif isinstance(node, ast.ImportFrom) and node.module == _PACKAGE and any(a.name == "api" for a in node.names):
            found |= every
        elif isinstance(node, ast.Import) and any(a.name == API_MODULE for a in node.names):
            found |= every
    parts = [name.split(".") for name in found]
    return {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}


def template_imports(template: Path, package_dir: Path = PACKAGE_DIR) -> set[str] | None:
    """The package modules a notebook template imports (None when a code cell cannot be parsed), names imported
    from ``vsr_analysis.api`` followed to the modules they come from."""
    modules: set[str] = set()
    for src in _code_cells(template):
        try:
            tree = ast.parse(src)
        except SyntaxError:
            return None
        modules |= _imported_modules(tree) | _through_api(tree, package_dir)
    return modules


def notebook_code_hash(template: Path, package_dir: Path = PACKAGE_DIR) -> str:
    """sha256 over the package version and the names and bytes of the modules in the template's import closure.

    A template whose code cannot be parsed is conservatively hashed against every module of the package.
    """
    roots = template_imports(template, package_dir)
    files = sorted(package_dir.rglob("*.py")) if roots is None else import_closure(roots | {_PACKAGE}, package_dir)
    digest = hashlib.sha256(__version__.encode())
    for path in files:
        digest.update(str(path.relative_to(package_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _h(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@functools.lru_cache(maxsize=4)
def _claims_document(raw: bytes):
    """claims.yml parsed (once per content: every parameter set's fingerprint reads it); never modified."""
    return parse_yaml(raw)


def _prose_hash(path: Path) -> str:
    """sha256 of a claim's prose file (its chapter says what it says); an absent file hashes as such."""
    return _h(path.read_bytes()) if path.is_file() else "absent"


def claims_hash(pset: ParameterSet, claims_file: Path | None = None) -> str:
    """sha256 of what ``pset`` reads of ``claims.yml``: everything but the ``claims`` list (alpha, ...), the
    entries of the claims it reads and the prose files they name; the whole file's bytes when it reads every claim or the file is not a
    readable claims document (then nothing narrower can be trusted)."""
    claims_file = claims_file or paths.claims_spec_path()
    raw = claims_file.read_bytes() if claims_file.is_file() else b""
    if pset.reads_all_claims:
        return _h(raw)
    try:
        doc = _claims_document(raw)
        entries = doc["claims"]
        ids = claims_read(pset, entries)
        claims = [e for e in entries if e["id"] in ids]
        read = {
            "rest": {k: v for k, v in doc.items() if k != "claims"},
            "claims": claims,
            "prose": {e["prose"]: _prose_hash(claims_file.parent / e["prose"]) for e in claims if e.get("prose")},
        }
        return _h(json.dumps(read, sort_keys=True, default=str))
    except (yaml.YAMLError, TypeError, KeyError, AttributeError):
        return _h(raw)


def _stored_run_checksums(pattern: str, root: Path) -> dict[str, str]:
    """sha256 of every file of a stored run (``pattern``: a folder, a file or a glob under ``root``), without
    hidden files and ``vsr simulate``'s checkpoints (resumable work beside the run, not the run itself)."""
    base = root / pattern
    files = base.rglob("*") if base.is_dir() else root.glob(pattern)

    def kept(rel: tuple[str, ...]) -> bool:
        return not any(part.startswith(".") or part == paths.SIMULATION_CHECKPOINTS for part in rel)

    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(files)
        if p.is_file() and kept(p.relative_to(root).parts)
    }


def inputs_read(pset: ParameterSet, survey_spec: str, data_checksums: dict[str, str]) -> dict[str, str]:
    """The checksums of the inputs ``pset`` reads, from ``data_checksums`` (``SurveySource.checksums()``).

    Kept: every input that is neither a scenario, the claims ledger nor a stored run (the register, the codebook,
    the survey file); the scenario of a synthetic survey (all scenarios with ``reads: [all_scenarios]``); the
    stored runs it declares in ``reads``, hashed from the files themselves.  What it reads of ``claims.yml`` is
    the fingerprint's own part (:func:`claims_hash`).
    """
    root = paths.project_root()

    def rel(folder: Path) -> str:
        return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.name

    scenarios, claims_key = rel(paths.scenarios_dir()) + "/", rel(paths.claims_spec_path())
    stored = tuple(rel(d) + "/" for d in (paths.stored_simulation_dir(), paths.benchmark_output_dir()))
    scenario = survey_spec.split(":")[1] if survey_spec.startswith("synthetic:") else None
    kept: dict[str, str] = {}
    for key, value in data_checksums.items():
        if key.startswith(stored) or key == claims_key:
            continue
        if key.startswith(scenarios) and not (pset.reads_all_scenarios or key == f"{scenarios}{scenario}.yml"):
            continue
        kept[key] = value
    for pattern in pset.stored_runs:
        kept.update(_stored_run_checksums(pattern, root))
    return kept


def fingerprint_parts(pset: ParameterSet, survey_spec: str, data_checksums: dict[str, str]) -> dict[str, str]:
    return {
        "template": _h(pset.template.read_bytes()),
        "parameters": _h(json.dumps(pset.parameters, sort_keys=True)),
        "survey": _h(survey_spec),
        "data": _h(json.dumps(inputs_read(pset, survey_spec, data_checksums), sort_keys=True)),
        "claims": claims_hash(pset),
        "code": notebook_code_hash(pset.template),
    }


def fingerprint(pset: ParameterSet, survey_spec: str, data_checksums: dict[str, str]) -> str:
    return json.dumps(fingerprint_parts(pset, survey_spec, data_checksums), sort_keys=True)


_LABELS = {
    "template": "template changed",
    "parameters": "parameters changed",
    "survey": "survey changed",
    "data": "input data changed",
    "claims": "the claims.yml entries it reads changed",
    "code": "package code it imports changed",
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
        atomic_write(
            path, json.dumps({"fingerprints": self.fingerprints, "durations": self.durations}, indent=1, sort_keys=True)
        )

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
