"""The survey instrument: items, their codes and labels (English and Norwegian bokmål), and the maturity ladder.

``load_codebook()`` reads ``data/codebook.yml`` and checks its structure, so that a broken codebook is one
clear :class:`CodebookError` instead of a failure somewhere in the loader or a notebook.

    >>> cb = load_codebook()
    >>> cb.item("maturity_stage").valid_codes
    frozenset({0, 1, 2, 3, 4, 5})
    >>> cb.maturity_labels("nb")[3]
    'i planene'
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vsr_analysis import paths
from vsr_analysis.data.yaml_text import parse_yaml

LANGUAGES = ("en", "nb")
ITEM_TYPES = ("id", "category", "ordinal", "binary", "likert", "text")

__all__ = [
    "LANGUAGES",
    "ITEM_TYPES",
    "Code",
    "Item",
    "Stage",
    "Codebook",
    "CodebookError",
    "load_codebook",
    "ladder_components",
]


class CodebookError(ValueError):
    """The codebook file is missing or does not have the expected structure."""


@dataclass(frozen=True)
class Code:
    """One valid (or declared missing) code of an item, with its labels."""

    code: int | str
    en: str
    nb: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        _check_lang(lang)
        return self.en if lang == "en" else self.nb


@dataclass(frozen=True)
class Item:
    """One column of a survey file."""

    name: str
    type: str
    group: str
    required: bool
    label: Mapping[str, str]
    question: Mapping[str, str]
    codes: tuple[Code, ...] = ()
    missing_codes: tuple[Code, ...] = ()
    default: str | int | None = None
    implied_from_stage: int | None = None  # component items: the lowest ladder stage that implies the item

    @property
    def is_integer(self) -> bool:
        """True when the item's codes are whole numbers (loaded as nullable ``Int64``)."""
        return bool(self.codes) and all(isinstance(c.code, int) for c in self.codes)

    @property
    def valid_codes(self) -> frozenset:
        return frozenset(c.code for c in self.codes)

    @property
    def missing_code_values(self) -> frozenset:
        return frozenset(c.code for c in self.missing_codes)

    def code_labels(self, lang: str = "en") -> dict:
        """Code -> label in ``lang`` ("en" or "nb")."""
        _check_lang(lang)
        return {c.code: c.label(lang) for c in self.codes}

    def describe_codes(self) -> str:
        """A short human description of the valid codes, used in error messages."""
        if self.is_integer:
            values = sorted(int(c.code) for c in self.codes)
            if values == list(range(values[0], values[-1] + 1)):
                text = f"{values[0]}/{values[-1]}" if len(values) == 2 else f"{values[0]}-{values[-1]}"
            else:
                text = ", ".join(map(str, values))
        else:
            text = ", ".join(str(c.code) for c in self.codes)
        if self.missing_codes:
            text += " (or " + ", ".join(f"{c.code} = {c.en}" for c in self.missing_codes) + ")"
        return text


@dataclass(frozen=True)
class Stage:
    """One step of the maturity ladder."""

    code: int
    en: str
    nb: str
    description: Mapping[str, str]

    def label(self, lang: str = "en") -> str:
        _check_lang(lang)
        return self.en if lang == "en" else self.nb


@dataclass(frozen=True)
class Codebook:
    version: str
    source: str
    items: tuple[Item, ...]
    ladder: tuple[Stage, ...]
    path: Path | None = None
    _index: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {item.name: item for item in self.items})

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def item(self, name: str) -> Item:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no item {name!r} in the codebook") from None

    def item_names(self) -> list[str]:
        """All item names, in codebook order."""
        return [item.name for item in self.items]

    def required_items(self) -> list[str]:
        """Names of the columns every survey file must have."""
        return [item.name for item in self.items if item.required]

    def answer_items(self) -> list[str]:
        """The items that hold survey answers (integer codes): everything except knr, unit_type and text."""
        return [item.name for item in self.items if item.is_integer]

    def items_in_group(self, group: str) -> list[str]:
        return [item.name for item in self.items if item.group == group]

    def ladder_components(self) -> dict[str, int]:
        """The component items of the maturity ladder -> the lowest stage that implies each (codebook order)."""
        return {item.name: item.implied_from_stage for item in self.items if item.implied_from_stage is not None}

    def maturity_labels(self, lang: str = "en") -> dict[int, str]:
        """Maturity stage code -> short label in ``lang`` ("en" or "nb")."""
        _check_lang(lang)
        return {stage.code: stage.label(lang) for stage in self.ladder}

    def maturity_descriptions(self, lang: str = "en") -> dict[int, str]:
        _check_lang(lang)
        return {stage.code: stage.description[lang] for stage in self.ladder}


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")


# --------------------------------------------------------------------------------------------------------------
# Reading and checking the YAML
# --------------------------------------------------------------------------------------------------------------


def _labels(obj: Any, where: str) -> dict[str, str]:
    if not isinstance(obj, Mapping):
        raise CodebookError(f"{where}: expected a mapping with keys {', '.join(LANGUAGES)}")
    out = {}
    for lang in LANGUAGES:
        text = obj.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise CodebookError(f"{where}: missing or empty {lang!r} text")
        out[lang] = text.strip()
    return out


def _code(obj: Any, where: str) -> Code:
    if not isinstance(obj, Mapping) or "code" not in obj:
        raise CodebookError(f"{where}: expected a mapping with 'code', 'en' and 'nb'")
    value = obj["code"]
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CodebookError(f"{where}: code must be a whole number or a word, got {value!r}")
    labels = _labels(obj, where)
    aliases = obj.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CodebookError(f"{where}: aliases must be a list of words")
    return Code(code=value, en=labels["en"], nb=labels["nb"], aliases=tuple(aliases))


def _code_list(obj: Any, where: str, lists: Mapping[str, tuple[Code, ...]]) -> tuple[Code, ...]:
    if obj is None:
        return ()
    if isinstance(obj, str):
        if obj not in lists:
            raise CodebookError(f"{where}: unknown code list {obj!r} (known: {', '.join(sorted(lists))})")
        return lists[obj]
    if not isinstance(obj, list):
        raise CodebookError(f"{where}: expected a list of codes or the name of a code list")
    codes = tuple(_code(c, f"{where}[{i}]") for i, c in enumerate(obj))
    seen = [c.code for c in codes]
    if len(set(seen)) != len(seen):
        raise CodebookError(f"{where}: duplicate codes")
    return codes


def _parse(raw: Any, path: Path | None) -> Codebook:
    if not isinstance(raw, Mapping):
        raise CodebookError("the codebook must be a YAML mapping")
    for key in ("version", "source", "items", "ladder"):
        if key not in raw:
            raise CodebookError(f"the codebook has no {key!r}")

    ladder_raw = raw["ladder"]
    if not isinstance(ladder_raw, list) or not ladder_raw:
        raise CodebookError("'ladder' must be a non-empty list")
    ladder = []
    for i, st in enumerate(ladder_raw):
        where = f"ladder[{i}]"
        if not isinstance(st, Mapping):
            raise CodebookError(f"{where}: expected a mapping")
        code = _code(st, where)
        if not isinstance(code.code, int):
            raise CodebookError(f"{where}: a maturity stage code must be a whole number")
        ladder.append(
            Stage(
                code=code.code,
                en=code.en,
                nb=code.nb,
                description=_labels(st.get("description"), f"{where}.description"),
            )
        )
    if [s.code for s in ladder] != list(range(len(ladder))):
        raise CodebookError("ladder codes must run 0, 1, 2, ... in order")

    lists: dict[str, tuple[Code, ...]] = {
        "ladder": tuple(Code(code=s.code, en=s.en, nb=s.nb) for s in ladder),
    }
    for name, codes in (raw.get("code_lists") or {}).items():
        lists[str(name)] = _code_list(codes, f"code_lists.{name}", {})

    items_raw = raw["items"]
    if not isinstance(items_raw, list) or not items_raw:
        raise CodebookError("'items' must be a non-empty list")
    items: list[Item] = []
    for i, it in enumerate(items_raw):
        if not isinstance(it, Mapping) or not isinstance(it.get("name"), str):
            raise CodebookError(f"items[{i}]: expected a mapping with a 'name'")
        name = it["name"]
        where = f"item {name!r}"
        typ = it.get("type")
        if typ not in ITEM_TYPES:
            raise CodebookError(f"{where}: type must be one of {', '.join(ITEM_TYPES)}, got {typ!r}")
        required = it.get("required")
        if not isinstance(required, bool):
            raise CodebookError(f"{where}: 'required' must be true or false")
        codes = _code_list(it.get("codes"), f"{where}.codes", lists)
        missing = _code_list(it.get("missing_codes"), f"{where}.missing_codes", lists)
        if set(c.code for c in codes) & set(c.code for c in missing):
            raise CodebookError(f"{where}: a missing code is also a valid code")
        if typ in ("ordinal", "binary", "likert") and not (codes and all(isinstance(c.code, int) for c in codes)):
            raise CodebookError(f"{where}: a {typ} item needs whole-number codes")
        if typ == "category" and not codes:
            raise CodebookError(f"{where}: a category item needs codes")
        if any(not isinstance(c.code, int) for c in missing):
            raise CodebookError(f"{where}: missing codes must be whole numbers")
        implied = it.get("implied_from_stage")
        if implied is not None and (
            isinstance(implied, bool) or not isinstance(implied, int) or not 0 <= implied < len(ladder)
        ):
            raise CodebookError(f"{where}: implied_from_stage must be a maturity stage 0-{len(ladder) - 1}")
        items.append(
            Item(
                name=name,
                type=typ,
                group=str(it.get("group", "")),
                required=required,
                label=_labels(it.get("label"), f"{where}.label"),
                question=_labels(it.get("question"), f"{where}.question"),
                codes=codes,
                missing_codes=missing,
                default=it.get("default"),
                implied_from_stage=implied,
            )
        )
    names = [item.name for item in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CodebookError(f"duplicate item names: {', '.join(dupes)}")
    for needed in ("knr", "maturity_stage"):
        if needed not in names:
            raise CodebookError(f"the codebook has no {needed!r} item")
    return Codebook(
        version=str(raw["version"]),
        source=str(raw["source"]).strip(),
        items=tuple(items),
        ladder=tuple(ladder),
        path=path,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and check the codebook (default ``data/codebook.yml`` of the project)."""
    p = Path(path) if path is not None else paths.codebook_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CodebookError(f"cannot read the codebook {p}: {exc.strerror or exc}") from None
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"the codebook {p} is not valid YAML: {exc}") from None
    return _parse(raw, p)


@functools.cache
def _project_components() -> tuple[tuple[str, int], ...]:
    components = load_codebook().ladder_components()
    if not components:
        raise CodebookError("the codebook marks no component item with 'implied_from_stage'")
    return tuple(components.items())


def ladder_components() -> dict[str, int]:
    """The project codebook's five component items -> the lowest maturity stage that implies each.

    Read once from ``data/codebook.yml`` (``implied_from_stage``); every module that needs the component items
    (descriptives, the existence evidence, the synthetic replica) takes them from here.  A new dict on each call.
    """
    return dict(_project_components())
