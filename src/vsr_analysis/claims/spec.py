"""``claims.yml`` as typed objects: what each claim means, declared once.

Every entry of ``claims.yml`` declares, besides its words (``finding``, ``hypothesis``, ``primary_test``) and its
decision (``rule``, ``rule_parameters``, ``multiplicity``, ``confirmatory``):

* ``outcome`` - what is measured on each unit: an ``item`` of the instrument, optionally ``min_stage`` (the outcome
  is ``item >= min_stage``), ``any_of`` (the outcome is 1 when any of these 0/1 items is 1), ``domain`` (the
  share is taken among the units with this 0/1 item = 1), ``ranked`` (a ranking: the 0/1 items whose shares are
  compared with each other) and ``label`` (the outcome in words);
* ``population`` - the units the claim is about: ``units`` is ``municipalities`` or ``county_authorities``, and an
  optional ``subgroup`` (a 0/1 column of the analysis frame) narrows them (``analysis.against`` of a
  ``share_noninferiority`` claim names the units it is compared with);
* ``analysis`` - the ``kind`` of primary analysis (one of :data:`ANALYSIS_KINDS`) and its parameters;
* ``prose`` (optional) - a Markdown file (a path under the project root, e.g. ``book/prose/x.md``) with what the
  chapter says about this claim alone, beside the template's words shared by every claim of its kind.

:func:`load_claims` validates the file into :class:`ClaimsSpec` (frozen dataclasses) and raises
:class:`ClaimSpecError` naming the entry and the field for anything it cannot read.  The simulation's registry
(``simulate.registry``), the truth of a scenario (``simulate.truth``) and the share chapters
(``claims.share_evidence``) read a claim's meaning from here rather than from its id.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vsr_analysis import paths
from vsr_analysis.claims.ledger import RULES, LedgerError
from vsr_analysis.data.yaml_text import read_yaml

#: The units a claim can be about.
POPULATIONS = ("municipalities", "county_authorities")

#: Each analysis kind and the parameters its ``analysis`` entry must (required) and may (optional) name.
ANALYSIS_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    # a share of units with the outcome against the rule's level
    # (``variance``: the interval the claim is decided on, one of :data:`SHARE_VARIANCES`; required on the
    # municipalities, where the raked share has a choice of variance; the county authorities' exact test has none)
    "share_vs_threshold": {"required": (), "optional": ("spread_over", "variance")},
    # the coefficient of one term in the weighted proportional-odds model of the outcome, with controls
    "ordinal_coefficient": {"required": ("term",), "optional": ()},
    # a group comparison: the coefficient of one characteristic alone (a component of a conjunction)
    "group_comparison": {"required": ("term",), "optional": ("part_of",)},
    # all components must hold (intersection-union); ``components`` is the kind of each part
    "conjunction": {"required": ("components", "terms"), "optional": ()},
    # a count of validated cases (existence), with the condition that defines the cases
    "existence_count": {"required": ("condition",), "optional": ()},
    # the share of the claim's units with the outcome at least that of the units named in ``against``, less the
    # rule's margin (non-inferiority; the county authorities against the raked municipal share)
    "share_noninferiority": {"required": ("against",), "optional": ()},
    # a ranking: every item of ``top`` has a larger share than every other item of the outcome's ``ranked``
    "share_ranking": {"required": ("top",), "optional": ()},
}

#: Kinds whose outcome is a 0/1 share (``min_stage``, ``any_of`` and ``domain`` apply).
SHARE_KINDS = ("share_vs_threshold",)
#: Kinds whose estimate is on the share scale without being a share against a level (a difference of shares):
#: published like a share on a confidential file (whole percent points).
SHARE_SCALE_KINDS = SHARE_KINDS + ("share_noninferiority",)

#: The intervals a share claim on the municipalities can be decided on (``analysis.variance`` in claims.yml) ->
#: the linearisation variance of ``stats.calibration_variance`` it uses.  ``assumption_light``: the raked share's
#: linearisation without a finite-population factor (valid whether or not the estimated response probabilities
#: are right); ``missing_at_random``: response as Poisson sampling, each unit's term times 1 - π̂ᵢ (valid only when
#: response is missing at random given the register).  The one not declared is reported beside the verdict.
SHARE_VARIANCES: dict[str, str] = {"assumption_light": "with_replacement", "missing_at_random": "poisson"}
#: The interval every share claim on the municipalities reports beside its verdict: the one under missing at random.
MAR_VARIANCE = "missing_at_random"

_OUTCOME_FIELDS = ("item", "min_stage", "any_of", "domain", "label", "ranked")
_POPULATION_FIELDS = ("units", "subgroup")


class FrozenMap(Mapping):
    """A read-only mapping that pickles (a simulation sends claims to its worker processes)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None):
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self):
        return (FrozenMap, (self._data,))


class ClaimSpecError(LedgerError):
    """``claims.yml`` cannot be read into typed claims (the message names the file, the entry and the field)."""


@dataclass(frozen=True)
class Outcome:
    """What is measured on each unit."""

    item: str | None = None
    min_stage: int | None = None
    any_of: tuple[str, ...] = ()
    domain: str | None = None
    label: str | None = None  # the outcome in words (the power page's label of a share claim)
    ranked: tuple[str, ...] = ()  # a ranking claim: the 0/1 items whose shares are compared

    @property
    def items(self) -> tuple[str, ...]:
        """Every item the outcome reads (the domain's included)."""
        out = list(self.any_of or self.ranked) or ([self.item] if self.item else [])
        return tuple(out + ([self.domain] if self.domain else []))


@dataclass(frozen=True)
class Population:
    """The units a claim is about."""

    units: str = "municipalities"
    subgroup: str | None = None


@dataclass(frozen=True)
class Analysis:
    """The primary analysis: its kind and parameters (read-only)."""

    kind: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: FrozenMap())

    def get(self, name: str, default: Any = None) -> Any:
        return self.parameters.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.parameters[name]


@dataclass(frozen=True)
class Claim:
    """One entry of ``claims.yml``.  ``entry`` is the entry as a plain dict (what ``claims.ledger.decide`` reads)."""

    id: str
    rule: str
    rule_parameters: Mapping[str, Any]
    parameter_set: str
    outcome: Outcome
    population: Population
    analysis: Analysis
    confirmatory: bool = True
    evidence_part: str | None = None
    multiplicity: Any = "holm"
    prose: str | None = None
    entry: Mapping[str, Any] = field(default_factory=lambda: FrozenMap(), repr=False, compare=False)

    @property
    def threshold(self) -> float | None:
        """The rule's level for a share claim (None when the rule has none)."""
        value = self.rule_parameters.get("threshold")
        return None if value is None else float(value)

    @property
    def share_variance(self) -> str | None:
        """The linearisation variance (``stats.calibration_variance``) of the interval a share claim on the
        municipalities is decided on, from ``analysis.variance`` (None: not such a claim)."""
        return share_variance(self.entry)

    @property
    def is_share(self) -> bool:
        return self.analysis.kind in SHARE_KINDS

    @property
    def on_share_scale(self) -> bool:
        """Its estimate is a share or a difference of shares (published in whole percent points when confidential)."""
        return self.analysis.kind in SHARE_SCALE_KINDS

    def as_dict(self) -> dict:
        """The entry as a mutable plain dict (a copy)."""
        return _thaw(self.entry)


@dataclass(frozen=True)
class ClaimsSpec:
    alpha: float
    claims: tuple[Claim, ...]

    def __getitem__(self, claim_id: str) -> Claim:
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise KeyError(claim_id)

    def __contains__(self, claim_id: object) -> bool:
        return any(c.id == claim_id for c in self.claims)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.claims)

    def of_kind(self, *kinds: str, units: str | None = None) -> tuple[Claim, ...]:
        """The claims whose analysis is one of ``kinds`` (and, if given, about ``units``), in file order."""
        return tuple(
            c for c in self.claims if c.analysis.kind in kinds and (units is None or c.population.units == units)
        )


def share_variance(entry: Mapping) -> str | None:
    """The decision interval's linearisation variance of a share claim on the municipalities, from its
    ``claims.yml`` entry (a plain dict or a :class:`Claim`'s entry): :data:`SHARE_VARIANCES` of its
    ``analysis.variance``.  None for any other claim (the county authorities' exact test has no such choice)."""
    analysis = entry.get("analysis") or {}
    units = (entry.get("population") or {}).get("units", "municipalities")
    if analysis.get("kind") not in SHARE_KINDS or units != "municipalities":
        return None
    declared = analysis.get("variance")
    if declared not in SHARE_VARIANCES:
        raise ClaimSpecError(
            f"claim {entry.get('id')}, analysis: 'variance' is {declared!r}; known: {', '.join(SHARE_VARIANCES)}"
        )
    return SHARE_VARIANCES[declared]


def mar_variance() -> str:
    """The linearisation variance of the interval under missing at random (reported beside every share verdict)."""
    return SHARE_VARIANCES[MAR_VARIANCE]


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return FrozenMap({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _names(where: str, value: Any, field_name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ClaimSpecError(f"{where}: '{field_name}' must be a non-empty list of item names")
    return tuple(value)


def _mapping(where: str, entry: dict, name: str) -> dict:
    value = entry.get(name)
    if value is None:
        raise ClaimSpecError(f"{where}: missing '{name}'")
    if not isinstance(value, dict):
        raise ClaimSpecError(f"{where}: '{name}' must be a mapping")
    return value


def _outcome(where: str, entry: dict, kind: str) -> Outcome:
    raw = _mapping(where, entry, "outcome")
    where = f"{where}, outcome"
    unknown = sorted(set(raw) - set(_OUTCOME_FIELDS))
    if unknown:
        raise ClaimSpecError(f"{where}: unknown field(s) {unknown}; known: {', '.join(_OUTCOME_FIELDS)}")
    item, any_of, ranked = raw.get("item"), raw.get("any_of"), raw.get("ranked")
    if sum(x is not None for x in (item, any_of, ranked)) != 1:
        raise ClaimSpecError(f"{where}: name exactly one of 'item', 'any_of' and 'ranked'")
    if (ranked is not None) != (kind == "share_ranking"):
        raise ClaimSpecError(f"{where}: 'ranked' is the outcome of a share_ranking analysis, which needs it")
    if item is not None and (not isinstance(item, str) or not item):
        raise ClaimSpecError(f"{where}: 'item' must be an item name")
    min_stage = raw.get("min_stage")
    if min_stage is not None and (isinstance(min_stage, bool) or not isinstance(min_stage, int) or min_stage < 0):
        raise ClaimSpecError(f"{where}: 'min_stage' must be a whole number >= 0")
    domain = raw.get("domain")
    if domain is not None and (not isinstance(domain, str) or not domain):
        raise ClaimSpecError(f"{where}: 'domain' must be an item name")
    label = raw.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise ClaimSpecError(f"{where}: 'label' must be words")
    if kind not in SHARE_KINDS and (any_of is not None or domain is not None):
        raise ClaimSpecError(f"{where}: 'any_of' and 'domain' apply to a share analysis only (kind is {kind})")
    return Outcome(
        item=item,
        min_stage=min_stage,
        any_of=_names(where, any_of, "any_of") if any_of is not None else (),
        ranked=_names(where, ranked, "ranked") if ranked is not None else (),
        domain=domain,
        label=label,
    )


def _population(where: str, entry: dict) -> Population:
    raw = _mapping(where, entry, "population")
    where = f"{where}, population"
    unknown = sorted(set(raw) - set(_POPULATION_FIELDS))
    if unknown:
        raise ClaimSpecError(f"{where}: unknown field(s) {unknown}; known: {', '.join(_POPULATION_FIELDS)}")
    units = raw.get("units")
    if units not in POPULATIONS:
        raise ClaimSpecError(f"{where}: 'units' is {units!r}; known: {', '.join(POPULATIONS)}")
    subgroup = raw.get("subgroup")
    if subgroup is not None and (not isinstance(subgroup, str) or not subgroup):
        raise ClaimSpecError(f"{where}: 'subgroup' must be the name of a 0/1 column")
    return Population(units=units, subgroup=subgroup)


def _analysis(where: str, entry: dict) -> Analysis:
    raw = dict(_mapping(where, entry, "analysis"))
    where = f"{where}, analysis"
    kind = raw.pop("kind", None)
    if kind not in ANALYSIS_KINDS:
        raise ClaimSpecError(f"{where}: 'kind' is {kind!r}; known: {', '.join(ANALYSIS_KINDS)}")
    allowed = ANALYSIS_KINDS[kind]
    missing = [p for p in allowed["required"] if p not in raw]
    if missing:
        raise ClaimSpecError(f"{where}: kind {kind} needs {missing}")
    unknown = sorted(set(raw) - set(allowed["required"]) - set(allowed["optional"]))
    if unknown:
        raise ClaimSpecError(f"{where}: kind {kind} takes no {unknown}")
    if kind == "share_noninferiority" and (raw["against"] not in POPULATIONS):
        raise ClaimSpecError(f"{where}: 'against' must be one of {', '.join(POPULATIONS)}")
    population = entry.get("population")
    units = population.get("units") if isinstance(population, dict) else None
    if kind in SHARE_KINDS and units in POPULATIONS:  # a wrong or missing population is named by its own check
        if units == "municipalities" and "variance" not in raw:
            raise ClaimSpecError(
                f"{where}: 'variance' must name the interval a share claim on the municipalities is decided on; "
                f"known: {', '.join(SHARE_VARIANCES)}"
            )
        if "variance" in raw and units != "municipalities":
            raise ClaimSpecError(f"{where}: 'variance' applies to a share of the municipalities only (units: {units})")
        if "variance" in raw and raw["variance"] not in SHARE_VARIANCES:
            raise ClaimSpecError(f"{where}: 'variance' is {raw['variance']!r}; known: {', '.join(SHARE_VARIANCES)}")
    if kind == "conjunction":
        if raw["components"] not in ("group_comparison", "ordinal_coefficient"):
            raise ClaimSpecError(f"{where}: 'components' must be group_comparison or ordinal_coefficient")
        raw["terms"] = list(_names(where, raw["terms"], "terms"))
    if kind == "share_ranking":
        raw["top"] = list(_names(where, raw["top"], "top"))
        ranked = (entry.get("outcome") or {}).get("ranked") or []
        if not set(raw["top"]) <= set(ranked) or not set(ranked) - set(raw["top"]):
            raise ClaimSpecError(f"{where}: 'top' must be some, not all, of the outcome's 'ranked' items")
    return Analysis(kind=kind, parameters=_freeze(raw))


def _project_markdown(value: Any) -> bool:
    """A relative POSIX path of a Markdown file that stays under the folder it is relative to."""
    if not isinstance(value, str) or not value.endswith(".md") or "\\" in value:
        return False
    parts = value.split("/")
    return not value.startswith("/") and ".." not in parts and "" not in parts


def parse_claim(entry: Any, *, where: str = "claims.yml", rules: Any = None) -> Claim:
    """One entry of ``claims.yml`` as a :class:`Claim` (``rules``: the known rule names, if they are checked)."""
    if not isinstance(entry, dict):
        raise ClaimSpecError(f"{where}: every claim must be a mapping")
    cid = entry.get("id")
    if not isinstance(cid, str) or not cid:
        raise ClaimSpecError(f"{where}: a claim without an 'id'")
    where = f"{where}: claim {cid}"
    rule = entry.get("rule")
    if not isinstance(rule, str) or (rules is not None and rule not in rules):
        known = f"; known: {', '.join(sorted(rules))}" if rules is not None else ""
        raise ClaimSpecError(f"{where}, rule: unknown rule {rule!r}{known}")
    rule_parameters = entry.get("rule_parameters") or {}
    if not isinstance(rule_parameters, dict):
        raise ClaimSpecError(f"{where}, rule_parameters: must be a mapping")
    pset = entry.get("parameter_set")
    if not isinstance(pset, str) or not pset:
        raise ClaimSpecError(f"{where}, parameter_set: must name a parameter set of runspec.yml")
    analysis = _analysis(where, entry)
    outcome = _outcome(where, entry, analysis.kind)
    if analysis.kind in SHARE_KINDS and rule_parameters.get("threshold") is None:
        raise ClaimSpecError(f"{where}, rule_parameters: a share analysis needs a 'threshold'")
    if analysis.kind == "share_noninferiority":
        margin = rule_parameters.get("margin")
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin < 1:
            raise ClaimSpecError(f"{where}, rule_parameters: a non-inferiority analysis needs a 'margin' in (0, 1)")
    confirmatory = entry.get("confirmatory", True)
    if not isinstance(confirmatory, bool):
        raise ClaimSpecError(f"{where}, confirmatory: must be true or false")
    prose = entry.get("prose")
    if prose is not None and not _project_markdown(prose):
        raise ClaimSpecError(f"{where}, prose: must be the path of a .md file under the project root, got {prose!r}")
    return Claim(
        id=cid,
        rule=rule,
        rule_parameters=_freeze(rule_parameters),
        parameter_set=pset,
        outcome=outcome,
        population=_population(where, entry),
        analysis=analysis,
        confirmatory=confirmatory,
        evidence_part=entry.get("evidence_part"),
        multiplicity=_freeze(entry.get("multiplicity", "holm")),
        prose=prose,
        entry=_freeze(entry),
    )


def claims_from_document(doc: Any, where: str = "claims.yml", rules: Any = None) -> ClaimsSpec:
    """A parsed ``claims.yml`` document as :class:`ClaimsSpec` (checks that the components' parents exist)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise ClaimSpecError(f"{where}: expected a mapping with a 'claims' list")
    claims = tuple(parse_claim(e, where=where, rules=rules) for e in doc["claims"])
    ids = [c.id for c in claims]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ClaimSpecError(f"{where}: duplicate claim ids {dupes}")
    for c in claims:
        parent = c.analysis.get("part_of")
        if parent is not None and parent not in ids:
            raise ClaimSpecError(f"{where}: claim {c.id}, analysis: part_of names {parent!r}, which is not a claim")
    return ClaimsSpec(alpha=float(doc.get("alpha", 0.05)), claims=claims)


def load_claims(path: Path | None = None) -> ClaimsSpec:
    """``claims.yml`` (default: the project's) as validated, typed claims."""
    path = Path(path) if path is not None else paths.claims_spec_path()
    doc = read_yaml(path)
    return claims_from_document(doc, where=path.name, rules=RULES)


def cached_claims() -> ClaimsSpec:
    """:func:`load_claims` of the project's ``claims.yml``, read once per version of the file (a simulation asks
    for it for every simulated survey)."""
    path = paths.claims_spec_path()
    return _cached(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> ClaimsSpec:
    return load_claims(Path(path))
