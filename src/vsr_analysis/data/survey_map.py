"""A column map: how a survey tool's export names the codebook's items (``vsr validate/run --map FILE``).

A map is a small YAML file::

    # survey_map.yml
    columns:            # the file's column -> the codebook item it holds
      Kommunenummer: knr
      "Q1 Modenhet": maturity_stage
    ignore:             # the tool's own columns (exact names, or patterns with * and ?)
      - Respondent ID
      - Status
      - "*date*"
    recode:             # per codebook item: a code or answer text in the file -> a codebook code (null = missing)
      maturity_stage: {6: 99, "Ikke relevant": null}

Columns the map does not name keep their own name (so a file that already uses the codebook's names for most
items needs only the others).  The map is checked before the file: an unknown codebook item, a code the
codebook does not have or a column left unmapped (``null``, as ``vsr map --init`` marks what it could not
match) is a :class:`MapError` naming the map file and the entry.  Its sha256 goes into the run's survey source
and the ledger beside the file's.

:func:`draft_map` writes a first map from a file's header by matching each column's name against the codebook's
item names and labels (English and Norwegian) and the usual metadata columns of survey tools.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vsr_analysis.data.codebook import Codebook, load_codebook
from vsr_analysis.data.survey_labels import normalise
from vsr_analysis.data.yaml_text import parse_yaml

__all__ = ["MapError", "SurveyMap", "load_map", "draft_map", "TOOL_COLUMNS"]

#: Metadata columns survey tools (Questback, SurveyXact, Qualtrics, Nettskjema, LimeSurvey) add to an export,
#: compared after :func:`normalise`; ``vsr map --init`` puts them under ``ignore``.
TOOL_COLUMNS = frozenset(
    normalise(n)
    for n in (
        "Respondent ID",
        "RespondentID",
        "Response ID",
        "ResponseId",
        "ResponseID",
        "id",
        "Status",
        "Start date",
        "StartDate",
        "End date",
        "EndDate",
        "Recorded date",
        "RecordedDate",
        "Submitted",
        "submitdate",
        "startdate",
        "datestamp",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "IP address",
        "IPAddress",
        "Progress",
        "Duration",
        "Duration (in seconds)",
        "Finished",
        "Language",
        "UserLanguage",
        "DistributionChannel",
        "Distribution channel",
        "Created",
        "Modified",
        "Completed",
        "Innsendt",
        "Skjema-ID",
        "Svar-ID",
        "Respondent",
        "E-post",
        "Email",
        "Location Latitude",
        "Location Longitude",
        "LocationLatitude",
        "LocationLongitude",
        "ExternalReference",
        "RecipientEmail",
        "RecipientFirstName",
        "RecipientLastName",
    )
)

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]0+)?")


class MapError(ValueError):
    """The map file cannot be used (a usage error, exit 2): names the map file and the entry."""


@dataclass(frozen=True)
class SurveyMap:
    path: Path
    sha256: str
    columns: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    recode: dict[str, dict[str, int | None]] = field(default_factory=dict)  # item -> key (see _key) -> code

    @property
    def name(self) -> str:
        return self.path.name

    def ignores(self, column: str) -> bool:
        return any(
            column == p or (any(ch in p for ch in "*?[") and fnmatch.fnmatchcase(column, p)) for p in self.ignore
        )

    def recoded(self, item: str, text: str) -> tuple[bool, int | None]:
        """(True, code-or-None) when the map recodes ``text`` of ``item``, else (False, None)."""
        table = self.recode.get(item)
        if not table:
            return False, None
        key = _key(text)
        if key in table:
            return True, table[key]
        return False, None


def _key(value: object) -> str:
    """Compare form of a recode key: a whole number as digits (``6``, ``6.0`` and ``"6"`` agree), else a label."""
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return str(int(float(text.replace(",", "."))))
    return "label:" + normalise(text)


def load_map(path: str | Path, codebook: Codebook | None = None) -> SurveyMap:
    """Read and check a map; raises :class:`MapError` (naming the file and the entry) or ``OSError``."""
    p = Path(path)
    if p.is_dir():
        raise MapError(f"{path} is a folder, not a map file")
    if not p.is_file():
        raise MapError(f"map file not found: {path}")
    raw = p.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        doc = parse_yaml(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MapError(f"{path}: not a readable YAML map ({' '.join(str(exc).split())})") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise MapError(f"{path}: a map is a YAML mapping with 'columns', 'ignore' and 'recode'")
    unknown = sorted(set(map(str, doc)) - {"columns", "ignore", "recode"})
    if unknown:
        raise MapError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; a map has columns, ignore, recode")
    cb = codebook if codebook is not None else load_codebook()
    names = cb.item_names()

    columns_raw = doc.get("columns") or {}
    if not isinstance(columns_raw, dict):
        raise MapError(f"{path}: 'columns' must map the file's column names to codebook items")
    columns: dict[str, str] = {}
    for col, item in columns_raw.items():
        col = str(col).strip()
        if item is None:
            raise MapError(
                f"{path}: columns: {col!r} is not mapped (null): give the codebook item it holds, or list it "
                "under ignore"
            )
        if not isinstance(item, str) or item not in cb:
            close = difflib.get_close_matches(str(item), names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise MapError(f"{path}: columns: {col!r} -> {item!r} is not an item of the codebook{hint}")
        columns[col] = item

    ignore_raw = doc.get("ignore") or []
    if isinstance(ignore_raw, str) or not isinstance(ignore_raw, list):
        raise MapError(f"{path}: 'ignore' must be a list of column names or patterns")
    ignore = tuple(str(x).strip() for x in ignore_raw)
    both = sorted(c for c in columns if any(c == p for p in ignore))
    if both:
        raise MapError(f"{path}: {', '.join(map(repr, both))} is both mapped under columns and listed under ignore")

    recode_raw = doc.get("recode") or {}
    if not isinstance(recode_raw, dict):
        raise MapError(f"{path}: 'recode' must map codebook items to {{code or text in the file: codebook code}}")
    recode: dict[str, dict[str, int | None]] = {}
    for item_name, table in recode_raw.items():
        item_name = str(item_name)
        if item_name not in cb or not cb.item(item_name).is_integer:
            raise MapError(f"{path}: recode: {item_name!r} is not an answer item of the codebook")
        item = cb.item(item_name)
        if not isinstance(table, dict):
            raise MapError(f"{path}: recode: {item_name}: expected a mapping {{code or text in the file: code}}")
        out: dict[str, int | None] = {}
        for src, dst in table.items():
            if dst is not None and (
                isinstance(dst, bool)
                or not isinstance(dst, int)
                or (dst not in item.valid_codes and dst not in item.missing_code_values)
            ):
                raise MapError(
                    f"{path}: recode: {item_name}: {src!r} -> {dst!r} is not a code of {item_name} "
                    f"(expected {item.describe_codes()}, or null for missing)"
                )
            out[_key(src)] = dst
        recode[item_name] = out
    return SurveyMap(path=p, sha256=digest, columns=columns, ignore=ignore, recode=recode)


# --------------------------------------------------------------------------------------------------------------
# A draft map from a file's header
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Match:
    column: str
    item: str | None
    how: str


def _match_column(column: str, label: str | None, cb: Codebook) -> _Match:
    key = normalise(column)
    if column in cb:
        return _Match(column, column, "same name")
    names = {normalise(n): n for n in cb.item_names()}
    if key in names:
        return _Match(column, names[key], "name, case aside")
    texts: dict[str, str] = {}
    for item in cb:
        for lang in ("en", "nb"):
            texts.setdefault(normalise(item.label[lang]), item.name)
            texts.setdefault(normalise(item.question[lang]), item.name)
    for candidate in (key, normalise(label) if label else None):
        if candidate and candidate in texts:
            return _Match(column, texts[candidate], "codebook label")
    if key in TOOL_COLUMNS:
        return _Match(column, None, "tool column")
    pool = {**{k: v for k, v in names.items()}, **texts}
    for candidate in (key, normalise(label) if label else None):
        if not candidate:
            continue
        close = difflib.get_close_matches(candidate, list(pool), n=1, cutoff=0.85)
        if close:
            return _Match(column, pool[close[0]], f"guessed from {close[0]!r}: check")
    return _Match(column, None, "not matched")


def draft_map(header: list[str], cb: Codebook, source: str, labels: dict[int, str] | None = None) -> tuple[str, dict]:
    """YAML text of a draft map for ``header`` and a summary (matched, ignored, unmatched, missing items)."""
    labels = labels or {}
    matches = [_match_column(h, labels.get(j), cb) for j, h in enumerate(header) if h.strip()]
    lines = [
        f"# Draft column map written by `vsr map --init` from the header of {source}.",
        "# Check every line: columns -> codebook items; ignore -> the survey tool's own columns; recode -> codes or",
        "# answer texts of the file that the codebook spells otherwise (null = missing). Entries marked NOT MATCHED",
        "# must be given a codebook item or moved under ignore before `vsr validate --map` accepts the map.",
        "columns:",
    ]
    used: dict[str, str] = {}
    for m in matches:
        if m.how == "tool column":
            continue
        key = json.dumps(m.column, ensure_ascii=False)
        if m.item is None:
            lines.append(f"  {key}: null  # NOT MATCHED: no codebook item or label resembles this column")
        elif m.item in used:
            lines.append(f"  {key}: null  # NOT MATCHED: looks like {m.item!r}, which {used[m.item]!r} already holds")
        else:
            used[m.item] = m.column
            note = "" if m.how == "same name" else f"  # {m.how}"
            lines.append(f"  {key}: {m.item}{note}")
    ignored = [m.column for m in matches if m.how == "tool column"]
    lines.append("ignore:" + ("" if ignored else " []"))
    lines.extend(f"  - {json.dumps(c, ensure_ascii=False)}  # a survey tool's own column" for c in ignored)
    lines.append('recode: {}  # e.g. maturity_stage: {6: 99, "Ikke relevant": null}')
    missing = [n for n in cb.required_items() if n not in used]
    if missing:
        lines.append(f"# Required codebook items no column was matched to: {', '.join(missing)}")
    summary = {
        "matched": sum(1 for m in matches if m.item is not None and used.get(m.item) == m.column),
        "ignored": len(ignored),
        "unmatched": [
            m.column for m in matches if m.how != "tool column" and (m.item is None or used.get(m.item) != m.column)
        ],
        "missing_required": missing,
    }
    return "\n".join(lines) + "\n", summary
