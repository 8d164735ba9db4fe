"""The run spec: notebook templates x named parameter sets x place in the book.

``runspec.yml`` at the project root is the single declaration of what ``vsr run`` executes.  Every parameter
set is validated *before* any notebook starts, so a wrong parameter is one clear error naming the run spec,
the parameter set and the key, not a failure deep inside a kernel.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from vsr_analysis import paths
from vsr_analysis.data.yaml_text import read_yaml

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Parameters the runner injects into every notebook; a run spec may not set them.
RUNNER_PARAMETERS = ("survey", "param_set", "results_dir")
#: What a parameter set may declare it reads besides its own claims, its survey's scenario and the register
#: (``reads:`` in runspec.yml, on a template or a parameter set): every claim of claims.yml, every scenario file,
#: or a stored run (a path relative to the project root: a folder, a file or a glob).
READS_ALL_CLAIMS = "all_claims"
READS_ALL_SCENARIOS = "all_scenarios"


class RunSpecError(ValueError):
    """The run spec or one of its parameter sets is invalid (a usage error)."""


@dataclass(frozen=True)
class ParameterSet:
    name: str
    template: Path
    title: str
    section: str
    parameters: dict = field(default_factory=dict)
    #: what it reads beyond its own claims and scenario (``reads:``): all_claims, all_scenarios, stored runs
    reads: tuple[str, ...] = ()

    @property
    def reads_all_claims(self) -> bool:
        return READS_ALL_CLAIMS in self.reads

    @property
    def reads_all_scenarios(self) -> bool:
        return READS_ALL_SCENARIOS in self.reads

    @property
    def stored_runs(self) -> tuple[str, ...]:
        """The stored runs it reads (paths or globs relative to the project root)."""
        return tuple(r for r in self.reads if r not in (READS_ALL_CLAIMS, READS_ALL_SCENARIOS))

    @property
    def output_name(self) -> str:
        return f"{self.name}.ipynb"


@dataclass(frozen=True)
class RunSpec:
    path: Path
    scenario: str
    seed: int
    timeout_seconds: int
    parameter_sets: tuple[ParameterSet, ...]

    def names(self) -> list[str]:
        return [p.name for p in self.parameter_sets]

    def get(self, name: str) -> ParameterSet:
        for pset in self.parameter_sets:
            if pset.name == name:
                return pset
        raise RunSpecError(f"{self.path.name}: no parameter set named {name!r}; known: {', '.join(self.names())}")


def template_parameters(template: Path) -> dict[str, object]:
    """Names and default values assigned in the template's cell tagged ``parameters``.

    Only literal defaults are allowed there (papermill does not recompute derived values from injected ones),
    so they are read with ``ast.literal_eval`` and never executed.
    """
    try:
        notebook = nbformat.read(template, as_version=4)
    except Exception as exc:  # nbformat raises several types for broken JSON
        raise RunSpecError(f"{template}: not a readable notebook ({exc})") from None
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise RunSpecError(f"{template}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        raise RunSpecError(f"{template}: kernelspec must be 'python3' (found {kernel!r})")
    defaults: dict[str, object] = {}
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise RunSpecError(f"{template}: parameters cell line {exc.lineno}: {exc.msg}") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                defaults[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise RunSpecError(
                    f"{template}: parameter {node.targets[0].id!r} (line {node.lineno}) must have a literal default"
                ) from None
    return defaults


def template_schema(template: Path) -> dict[str, dict]:
    """Allowed values a template declares for its parameters, in ``metadata.vsr.parameters``.

    Each entry may give ``choices`` (a list) and/or ``min`` / ``max`` (numbers), e.g.
    ``{"top_stage": {"min": 1, "max": 5}, "condition": {"choices": ["population_2021", "centrality_score"]}}``.
    """
    notebook = nbformat.read(template, as_version=4)
    return dict(notebook.metadata.get("vsr", {}).get("parameters", {}) or {})


def check_allowed(name: str, value: object, rule: dict) -> str | None:
    """Why ``value`` is not allowed for parameter ``name`` under ``rule``, or None when it is."""
    choices = rule.get("choices")
    if choices is not None and value not in choices:
        return f"parameter {name!r} = {value!r} is not one of {choices}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in rule and value < rule["min"]:
            return f"parameter {name!r} = {value!r} is below the minimum {rule['min']}"
        if "max" in rule and value > rule["max"]:
            return f"parameter {name!r} = {value!r} is above the maximum {rule['max']}"
    if isinstance(value, list) and ("min" in rule or "max" in rule):
        for item in value:
            problem = check_allowed(name, item, {k: v for k, v in rule.items() if k in ("min", "max")})
            if problem:
                return problem
    return None


def _claim_entries() -> list[dict]:
    from vsr_analysis.claims.ledger import load_claims_spec

    return list(load_claims_spec()["claims"])


def _is_part(entry: dict) -> bool:
    """A component or part of another claim's evidence (decided in its chapter, never its chapter's own claim)."""
    analysis = entry.get("analysis") or {}
    return bool(entry.get("evidence_part")) or bool(isinstance(analysis, dict) and analysis.get("part_of"))


def claim_of_parameter_set(name: str, entries: list[dict]) -> str | None:
    """The claim a parameter set decides when its ``claim`` parameter is not given: the one claim of claims.yml
    (not a part of another's evidence) whose ``parameter_set`` names it, or else whose ``secondary_parameter_sets``
    does; None when there is no such claim or more than one."""
    for key in ("parameter_set", "secondary_parameter_sets"):
        found = [
            e["id"]
            for e in entries
            if not _is_part(e) and (e.get(key) == name if key == "parameter_set" else name in (e.get(key) or ()))
        ]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def claims_read(pset: ParameterSet, entries: list[dict]) -> list[str]:
    """The ids of the claims.yml entries a parameter set reads: its ``claim`` parameter, the claims whose
    ``parameter_set`` or ``secondary_parameter_sets`` name it (a conjunction's components, a chapter's several
    claims) and the claims those are part of or decided as (``analysis.part_of``, ``multiplicity.as``)."""
    ids = {pset.parameters["claim"]} if pset.parameters.get("claim") else set()
    ids |= {
        e["id"]
        for e in entries
        if e.get("parameter_set") == pset.name or pset.name in (e.get("secondary_parameter_sets") or ())
    }
    for e in entries:
        if e["id"] in ids:
            analysis, multiplicity = e.get("analysis") or {}, e.get("multiplicity")
            if isinstance(analysis, dict) and analysis.get("part_of"):
                ids.add(analysis["part_of"])
            if isinstance(multiplicity, dict) and multiplicity.get("as"):
                ids.add(multiplicity["as"])
    return [e["id"] for e in entries if e["id"] in ids]


def _reads(where: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RunSpecError(f"{where}: 'reads' must be a list of {READS_ALL_CLAIMS}, {READS_ALL_SCENARIOS} or paths")
    for item in value:
        if item in (READS_ALL_CLAIMS, READS_ALL_SCENARIOS):
            continue
        if Path(item).is_absolute() or ".." in Path(item).parts:
            raise RunSpecError(f"{where}: 'reads' entry {item!r} must be a path inside the project")
    return tuple(value)


def _unknown_claim(value: object, claim_ids: tuple[str, ...]) -> str | None:
    if value not in claim_ids:
        return f"parameter 'claim' = {value!r} is not a claim of claims.yml ({', '.join(claim_ids)})"
    return None


def _compatible(default: object, value: object) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)) and isinstance(value, (int, float)):
        return isinstance(default, float) or isinstance(value, int)
    return type(default) is type(value)


def load_runspec(path: Path | str | None = None) -> RunSpec:
    """Read and validate the run spec; raise RunSpecError naming the file, parameter set and key."""
    path = Path(path) if path else paths.runspec_path()
    if not path.is_file():
        raise RunSpecError(f"run spec not found: {path}")
    try:
        raw = read_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RunSpecError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("notebooks"), list):
        raise RunSpecError(f"{path}: expected a mapping with a 'notebooks' list")
    defaults = raw.get("defaults") or {}
    unknown = set(defaults) - {"scenario", "seed", "timeout_seconds"}
    if unknown:
        raise RunSpecError(f"{path}: defaults: unknown key(s) {sorted(unknown)}")
    scenario = defaults.get("scenario", "vsr-narrative")
    seed = defaults.get("seed", 2021)
    timeout = defaults.get("timeout_seconds", 900)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise RunSpecError(f"{path}: defaults.seed must be a non-negative integer, got {seed!r}")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        raise RunSpecError(f"{path}: defaults.timeout_seconds must be a positive integer, got {timeout!r}")

    root = paths.project_root()
    sets: list[ParameterSet] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["notebooks"], start=1):
        where = f"{path.name}: notebooks[{i}]"
        if not isinstance(entry, dict) or "template" not in entry:
            raise RunSpecError(f"{where}: needs a 'template'")
        template = (root / entry["template"]).resolve()
        if not template.is_file():
            raise RunSpecError(f"{where}: template {entry['template']} does not exist")
        from vsr_analysis.inputs.pairing import pair_problem

        unsynced = pair_problem(template)
        if unsynced:
            raise RunSpecError(f"{where}: {unsynced}")
        declared = template_parameters(template)
        schema = template_schema(template)
        for reserved in RUNNER_PARAMETERS:
            if reserved not in declared:
                raise RunSpecError(f"{entry['template']}: parameters cell must define {reserved!r}")
        psets = entry.get("parameter_sets")
        entries = _claim_entries() if "claim" in declared else []
        claim_ids = tuple(e["id"] for e in entries)
        template_reads = _reads(where, entry.get("reads"))
        if not isinstance(psets, list) or not psets:
            raise RunSpecError(f"{where}: needs a non-empty 'parameter_sets' list")
        for j, pset in enumerate(psets, start=1):
            pwhere = f"{where}.parameter_sets[{j}]"
            if not isinstance(pset, dict) or not isinstance(pset.get("name"), str):
                raise RunSpecError(f"{pwhere}: needs a 'name'")
            name = pset["name"]
            if not NAME_PATTERN.match(name):
                raise RunSpecError(f"{pwhere}: name {name!r} must be lower-case letters, digits and '-'")
            if name in seen:
                raise RunSpecError(f"{pwhere}: duplicate parameter set name {name!r}")
            seen.add(name)
            params = pset.get("parameters") or {}
            if not isinstance(params, dict):
                raise RunSpecError(f"{pwhere} ({name}): 'parameters' must be a mapping")
            for key, value in params.items():
                if key in RUNNER_PARAMETERS:
                    raise RunSpecError(f"{pwhere} ({name}): {key!r} is set by the runner, not the run spec")
                if key not in declared:
                    raise RunSpecError(
                        f"{pwhere} ({name}): unknown parameter {key!r}; {entry['template']} declares "
                        f"{', '.join(sorted(k for k in declared if k not in RUNNER_PARAMETERS))}"
                    )
                if not _compatible(declared[key], value):
                    raise RunSpecError(
                        f"{pwhere} ({name}): parameter {key!r} = {value!r} has type {type(value).__name__}, "
                        f"the template's default is {type(declared[key]).__name__} ({declared[key]!r})"
                    )
                if key in schema:
                    problem = check_allowed(key, value, schema[key])
                    if problem:
                        raise RunSpecError(f"{pwhere} ({name}): {problem}")
            if "claim" in declared:  # the claim a chapter decides must be one claims.yml declares
                if params.get("claim", declared["claim"]) is None:  # the claim that names this parameter set
                    resolved = claim_of_parameter_set(name, entries)
                    if resolved is None:
                        raise RunSpecError(
                            f"{pwhere} ({name}): no single claim of claims.yml names this parameter set "
                            "(parameter_set); give it a 'claim' parameter"
                        )
                    params = {**params, "claim": resolved}
                problem = _unknown_claim(params.get("claim", declared["claim"]), claim_ids)
                if problem:
                    raise RunSpecError(f"{pwhere} ({name}): {problem}")
            try:
                json.dumps(params)
            except TypeError:
                raise RunSpecError(f"{pwhere} ({name}): parameters must be plain YAML values") from None
            sets.append(
                ParameterSet(
                    name=name,
                    template=template,
                    title=str(pset.get("title", name)),
                    section=str(entry.get("section", "findings")),
                    parameters=dict(params),
                    reads=tuple(dict.fromkeys(template_reads + _reads(pwhere, pset.get("reads")))),
                )
            )
    _check_prose_files(seen)
    return RunSpec(path=path, scenario=str(scenario), seed=seed, timeout_seconds=timeout, parameter_sets=tuple(sets))


def _check_prose_files(parameter_sets: set[str]) -> None:
    """Every prose file named by a claim of these parameter sets exists (checked before anything runs, so a
    missing one stops ``vsr run`` at once instead of failing its chapter)."""
    claims_file = paths.claims_spec_path()
    if not claims_file.is_file():
        return
    for e in _claim_entries():
        prose = e.get("prose")
        if e.get("parameter_set") in parameter_sets and isinstance(prose, str):
            if not (claims_file.parent / prose).is_file():
                raise RunSpecError(
                    f"{claims_file.name}: claim {e['id']}, prose: no file {prose} in {claims_file.parent}"
                )
