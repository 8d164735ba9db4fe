"""``vsr register fetch``: download the register's raw inputs from Statistics Norway's open APIs.

For users who are online. API versions spoken (see README, "Refreshing the register from SSB's APIs"):

* **PxWebApi 2.0** (``https://data.ssb.no/api/pxwebapi/v2``, the default, ``--api v2``) for table 07459
  (population 1 Jan 2020 and 2021 of the 2020 municipalities, sex and age eliminated, i.e. summed by SSB) and
  table 09280 (area 2020, every area type). For each table it first reads ``/tables/{id}/metadata`` (JSON-stat
  2.0) and stops with a clear message if SSB marks the table discontinued, a variable is missing, a value code
  we ask for has vanished, or a variable we leave out cannot be eliminated. Data come from
  ``POST /tables/{id}/data?lang=en&outputFormat=json-stat2`` with a ``{"selection": [{"variableCode",
  "valueCodes"}]}`` body (356 region codes come close to the GET URL limit). Queries are split by region so
  that none asks for more cells than ``/config`` allows (``maxDataCells``).
* the old statistics-bank API **PxWebApi v1** (``https://data.ssb.no/api/v0/en/table``) only with
  ``--api v1``, for networks that still need it (SSB's PxWebApi 2.0 page, https://ssb.no/en/api/pxwebapi/pxwebapi-2.0-beta,
  says v1 lives on in parallel "for several years"); it has no metadata check.
* **KLASS v1** (``https://data.ssb.no/api/klass/v1``) for classification 131 (municipalities): the codes valid on
  1 Jan 2020 (``codesAt``) and the code changes 2013-2020 (``changes``), JSON asked for with the ``Accept``
  header only (the KLASS API guide, https://data.ssb.no/api/klass/v1/api-guide.html, offers a ``.json`` path
  suffix as a shortcut; issue 18 reports it deprecated). A change row may lack its old or its new code (issue
  18 reports that the KLASS documentation allows either to be absent; the parts of the guide read for this
  change did not show it, so the parser simply accepts it): such rows are kept in the verbatim response and
  reported, but cannot enter the build's change lists. Rows whose code did not change (a new name) are kept.

At most 30 requests are sent per 60 seconds (SSB's stated limit). HTTP 429 (too many requests) and 503
(unavailable) are retried with back-off, honouring ``Retry-After``, and a message says how long we wait. Every request has a timeout (``--timeout``). Without a network the command
stops with a clear message and exit code 1 and writes nothing: files are written to a temporary folder inside
``--out`` and moved into place only when every download and parse succeeded.

Output (``--out DIR``): the raw inputs the build reads, under the names of :data:`RAW_FILES`
(:data:`API_RAW_KEYS`), the area table (``ssb09280_area_2020.csv``, a cross-check: the build reads area from
the covidnorge compilation), every response verbatim in ``responses/`` and ``SOURCES.json`` (URL, method, query
body and sha256 of every response, the licence). The other raw inputs (:data:`NON_API_RAW_KEYS`: crosswalks,
centrality index, 2024 files, the covidnorge compilation) are not offered by SSB's APIs; ``--rest-from DIR``
copies them verbatim from a raw folder so that ``vsr register build --raw DIR`` can run on the result.

Base URLs can be overridden with ``VSR_SSB_PXWEB_URL`` (v2), ``VSR_SSB_PXWEB_V1_URL`` and ``VSR_SSB_KLASS_URL``
(e.g. for a mirror, or the tests' local fake server). No test makes a live call.
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import http.client
import io
import json
import math
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vsr_analysis import __version__
from vsr_analysis.ssb.raw_exports import CHANGE_LISTS, RAW_FILES
from vsr_analysis.ssb.register_build import write_files

PXWEB_V2_BASE = "https://data.ssb.no/api/pxwebapi/v2"
PXWEB_V1_BASE = "https://data.ssb.no/api/v0/en/table"
KLASS_BASE = "https://data.ssb.no/api/klass/v1"
ENV_PXWEB = "VSR_SSB_PXWEB_URL"
ENV_PXWEB_V1 = "VSR_SSB_PXWEB_V1_URL"
ENV_KLASS = "VSR_SSB_KLASS_URL"
API_VERSIONS = ("v2", "v1")

KLASS_MUNICIPALITIES = 131
CODES_DATE = "2020-01-01"
CHANGES_FROM, CHANGES_TO = "2013-01-01", "2020-01-02"  # ``to`` is exclusive: include the 1 Jan 2020 changes
POPULATION_TABLE, POPULATION_YEARS, POPULATION_CONTENTS = "07459", ("2020", "2021"), "Personer1"
AREA_TABLE, AREA_YEAR = "09280", "2020"
#: SSB's documented limit per extract when ``/config`` does not say (user guide: 800,000 data cells).
DEFAULT_MAX_CELLS = 800_000

#: The licence of data taken from SSB's APIs, as SSB's API user guides state it.
LICENCE = (
    "CC BY 4.0: SSB's API user guide states 'The APIs use the Creative Commons license CC BY 4.0' "
    "(https://www.ssb.no/en/api/statbank-pxwebapi-user-guide). Attribution: Statistics Norway "
    "(Kilde: Statistisk sentralbyr\u00e5)."
)

#: Raw inputs of the build that this command writes from API responses, and those it cannot provide.
API_RAW_KEYS = ("population_2020", "population_2021", "klass_2020", *CHANGE_LISTS)
NON_API_RAW_KEYS = tuple(k for k in RAW_FILES if k not in API_RAW_KEYS)
AREA_FILE = "ssb09280_area_2020.csv"
RESPONSES_DIR = "responses"

_TOTAL_LABELS = {"total", "totalt", "i alt", "sum", "all", "alle", "total area", "areal i alt"}
_SSB_SYMBOLS = {
    ".": "not applicable",
    "..": "not available",
    "...": "not yet published",
    ":": "confidential",
    "-": "nil",
}


class FetchError(Exception):
    """A download or parse failed (no network, HTTP error, unexpected response). Exit code 1."""


class FetchHttpError(FetchError):
    """The server answered with an HTTP error status (``status``)."""

    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


class FetchParseError(FetchError):
    """A response is not in the documented format. ``source`` names the response, ``where`` the place in it."""

    def __init__(self, source: str, where: str, message: str):
        self.source, self.where, self.message = source, where, message
        super().__init__(f"{source}, {where}: {message}")


# ---------------------------------------------------------------------------------------------------------
# JSON-stat 2.0
# ---------------------------------------------------------------------------------------------------------


@dataclass
class JsonStatDataset:
    """A JSON-stat 2.0 dataset: dimension ids (in value order), category codes and labels, values, status
    symbols by position (SSB puts e.g. ``..`` where a value is missing), dimension and dataset extensions."""

    label: str
    ids: list[str]
    categories: dict[str, list[str]]
    labels: dict[str, dict[str, str]]
    values: list[float | None]
    status: dict[int, str] = field(default_factory=dict)
    dim_extensions: dict[str, Mapping] = field(default_factory=dict)
    extension: Mapping = field(default_factory=dict)

    def records(self) -> Iterator[tuple[dict[str, str], float | None, str | None]]:
        """Each cell as ({dimension id: category code}, value, status symbol or None); row-major order."""
        sizes = [len(self.categories[d]) for d in self.ids]
        for pos, value in enumerate(self.values):
            coords, rest = {}, pos
            for dim, size in zip(reversed(self.ids), reversed(sizes)):
                coords[dim] = self.categories[dim][rest % size]
                rest //= size
            yield coords, value, self.status.get(pos)


def _load_json(payload: bytes | str | Mapping, source: str) -> Mapping:
    if isinstance(payload, Mapping):
        return payload
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8-sig")
    payload = payload.lstrip("\ufeff")
    try:
        obj = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise FetchParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    if not isinstance(obj, Mapping):
        raise FetchParseError(source, "top level", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _parse_dimensions(obj: Mapping, source: str) -> tuple[list[str], list[int], dict, dict, dict]:
    if obj.get("class", "dataset") != "dataset":
        raise FetchParseError(source, "class", f"expected 'dataset', got {obj.get('class')!r}")
    version = str(obj.get("version", ""))
    if not version.startswith("2"):
        raise FetchParseError(source, "version", f"expected JSON-stat 2.x, got {version!r}")
    ids, sizes, dims = obj.get("id"), obj.get("size"), obj.get("dimension")
    if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise FetchParseError(source, "id", "expected a list of dimension ids")
    if not (isinstance(sizes, list) and len(sizes) == len(ids) and all(isinstance(s, int) and s >= 0 for s in sizes)):
        raise FetchParseError(source, "size", f"expected {len(ids)} non-negative integers, got {sizes!r}")
    if not isinstance(dims, Mapping):
        raise FetchParseError(source, "dimension", "missing or not an object")
    categories, labels, extensions = {}, {}, {}
    for dim, size in zip(ids, sizes):
        d = dims.get(dim)
        if not isinstance(d, Mapping) or not isinstance(d.get("category"), Mapping):
            raise FetchParseError(source, f"dimension.{dim}", "missing or without 'category'")
        cat = d["category"]
        index, label = cat.get("index"), cat.get("label") or {}
        if isinstance(index, list):
            codes = [str(c) for c in index]
        elif isinstance(index, Mapping):
            codes = [None] * len(index)
            for code, pos in index.items():
                if not (isinstance(pos, int) and 0 <= pos < len(index)) or codes[pos] is not None:
                    raise FetchParseError(source, f"dimension.{dim}.category.index.{code}", f"bad position {pos!r}")
                codes[pos] = str(code)
        elif index is None and isinstance(label, Mapping) and len(label) == 1:
            codes = [str(next(iter(label)))]
        else:
            raise FetchParseError(source, f"dimension.{dim}.category.index", "expected a list or an object")
        if len(codes) != size:
            raise FetchParseError(source, f"dimension.{dim}", f"{len(codes)} categories but size says {size}")
        categories[dim] = codes
        labels[dim] = {c: str(label.get(c, c)) for c in codes} if isinstance(label, Mapping) else {c: c for c in codes}
        extensions[dim] = d.get("extension") if isinstance(d.get("extension"), Mapping) else {}
    return list(ids), list(sizes), categories, labels, extensions


def _parse_status(raw: object, n: int, source: str) -> dict[int, str]:
    """JSON-stat ``status``: one string for every cell, a list (one per cell) or an object position -> string."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return dict.fromkeys(range(n), raw)
    if isinstance(raw, list):
        return {i: str(s) for i, s in enumerate(raw) if s not in (None, "")}
    if isinstance(raw, Mapping):
        out = {}
        for key, s in raw.items():
            if not (str(key).isdigit() and int(key) < n):
                raise FetchParseError(source, f"status.{key}", f"position outside 0..{n - 1}")
            out[int(key)] = str(s)
        return out
    raise FetchParseError(source, "status", "expected a string, a list or an object")


def parse_jsonstat2(payload: bytes | str | Mapping, source: str = "JSON-stat response") -> JsonStatDataset:
    """Parse a JSON-stat 2.0 dataset (``class: dataset``, ``id``, ``size``, ``dimension``, ``value``).

    ``category.index`` may be a list of codes or an object code -> position; ``value`` may be a dense list or
    a sparse object position -> value; ``status`` (SSB's symbols for missing values) is kept; keys we do not
    use (``extension``, ``role``, ``link``, ``note``, ``updated``, ...) are ignored. A UTF-8 byte-order mark is
    accepted. Raises :class:`FetchParseError` naming the place of any problem.
    """
    obj = _load_json(payload, source)
    ids, sizes, categories, labels, extensions = _parse_dimensions(obj, source)
    n = math.prod(sizes)
    raw = obj.get("value")
    if isinstance(raw, list):
        if len(raw) != n:
            raise FetchParseError(source, "value", f"{len(raw)} values but the sizes give {n}")
        values = list(raw)
    elif isinstance(raw, Mapping):
        values = [None] * n
        for key, v in raw.items():
            if not (str(key).isdigit() and int(key) < n):
                raise FetchParseError(source, f"value.{key}", f"position outside 0..{n - 1}")
            values[int(key)] = v
    else:
        raise FetchParseError(source, "value", "missing (expected a list or an object)")
    for i, v in enumerate(values):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise FetchParseError(source, f"value[{i}]", f"expected a number or null, got {v!r}")
    status = _parse_status(obj.get("status"), n, source)
    ext = obj.get("extension") if isinstance(obj.get("extension"), Mapping) else {}
    return JsonStatDataset(str(obj.get("label", "")), ids, categories, labels, values, status, extensions, ext)


def parse_table_metadata(payload: bytes | str | Mapping, source: str = "metadata response") -> JsonStatDataset:
    """PxWebApi 2.0 ``/tables/{id}/metadata`` (JSON-stat 2.0 without values): dimensions, codes, extensions."""
    obj = _load_json(payload, source)
    ids, _sizes, categories, labels, extensions = _parse_dimensions(obj, source)
    ext = obj.get("extension") if isinstance(obj.get("extension"), Mapping) else {}
    return JsonStatDataset(str(obj.get("label", "")), ids, categories, labels, [], {}, extensions, ext)


def _find_dim(ds: JsonStatDataset, source: str, *names: str) -> str:
    for name in names:
        for dim in ds.ids:
            if dim.casefold() == name.casefold():
                return dim
    raise FetchParseError(source, "id", f"no dimension {names[0]!r} (dimensions: {ds.ids})")


def _missing(source: str, where: str, status: str | None) -> FetchParseError:
    symbol = f" (SSB symbol {status!r}: {_SSB_SYMBOLS.get(status, 'unknown symbol')})" if status else ""
    return FetchParseError(source, where, f"missing value{symbol}")


def population_from_jsonstat(payload: bytes | str | Mapping, source: str = "07459 response") -> pd.DataFrame:
    """Table 07459 as ``knr, name, year, population``: summed over every dimension except region and time
    (sex, age if not eliminated). Only 4-digit region codes (municipalities) are kept. A missing value is an
    error naming region, year and SSB's status symbol."""
    ds = parse_jsonstat2(payload, source)
    region, time_ = _find_dim(ds, source, "Region"), _find_dim(ds, source, "Tid", "Time")
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for coords, value, status in ds.records():
        code, year = coords[region], coords[time_]
        if not (len(code) == 4 and code.isdigit()):
            continue
        if value is None:
            raise _missing(source, f"Region={code}, Tid={year}", status)
        if float(value) != int(value):
            raise FetchParseError(source, f"Region={code}, Tid={year}", f"population {value} is not a whole number")
        totals[(code, year)] += int(value)
    if not totals:
        raise FetchParseError(source, f"dimension.{region}", "no 4-digit municipality codes")
    rows = [(c, ds.labels[region][c], int(y), v) for (c, y), v in sorted(totals.items())]
    return pd.DataFrame(rows, columns=["knr", "name", "year", "population"])


def area_from_jsonstat(payload: bytes | str | Mapping, source: str = "09280 response") -> pd.DataFrame:
    """Table 09280 as ``knr, name, year, area_km2`` (total area): a category labelled as a total of an
    area-type dimension is used when present, else the area types (land, freshwater) are summed. Rounded to
    2 decimals as SSB publishes it."""
    ds = parse_jsonstat2(payload, source)
    region, time_ = _find_dim(ds, source, "Region"), _find_dim(ds, source, "Tid", "Time")
    keep: dict[str, set[str]] = {}
    for dim in ds.ids:
        if dim in (region, time_):
            continue
        cats = ds.categories[dim]
        if dim.casefold() == "contentscode":
            if len(cats) > 1:
                picked = [c for c in cats if c.casefold() == "areal" or "km" in ds.labels[dim][c].casefold()]
                if len(picked) != 1:
                    raise FetchParseError(source, f"dimension.{dim}", f"cannot tell the area measure among {cats}")
                keep[dim] = set(picked)
            continue
        totals = [c for c in cats if ds.labels[dim][c].strip().casefold() in _TOTAL_LABELS]
        keep[dim] = {totals[0]} if len(totals) == 1 else set(cats)
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for coords, value, status in ds.records():
        if any(coords[d] not in allowed for d, allowed in keep.items()):
            continue
        code, year = coords[region], coords[time_]
        if not (len(code) == 4 and code.isdigit()):
            continue
        if value is None:
            raise _missing(source, f"Region={code}, Tid={year}", status)
        sums[(code, year)] += float(value)
    if not sums:
        raise FetchParseError(source, f"dimension.{region}", "no 4-digit municipality codes")
    rows = [(c, ds.labels[region][c], int(y), round(v, 2)) for (c, y), v in sorted(sums.items())]
    return pd.DataFrame(rows, columns=["knr", "name", "year", "area_km2"])


# ---------------------------------------------------------------------------------------------------------
# KLASS JSON
# ---------------------------------------------------------------------------------------------------------

KLASS_CODE_FIELDS = ("code", "parentCode", "level", "name", "shortName", "notes", "validFrom", "validTo")
KLASS_CHANGE_FIELDS = ("oldCode", "oldName", "newCode", "newName", "changeOccurred")


def _klass_rows(items: object, source: str, key: str, required: Sequence[str]) -> list[dict[str, str]]:
    if not isinstance(items, list):
        raise FetchParseError(source, key, "missing or not a list")
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise FetchParseError(source, f"{key}[{i}]", "expected an object")
        for f in required:
            if item.get(f) in (None, ""):
                raise FetchParseError(source, f"{key}[{i}].{f}", "missing or empty")
        rows.append({k: "" if v is None else str(v) for k, v in item.items()})
    return rows


def klass_codes_from_json(payload: bytes | str | Mapping, source: str = "KLASS codes response") -> pd.DataFrame:
    """KLASS ``codes``/``codesAt`` JSON (``{"codes": [{"code", "name", ...}]}``) as a frame with the columns of
    SSB's CSV export (:data:`KLASS_CODE_FIELDS`), in the response's order."""
    obj = _load_json(payload, source)
    rows = _klass_rows(obj.get("codes"), source, "codes", ("code", "name"))
    return pd.DataFrame([{f: r.get(f, "") for f in KLASS_CODE_FIELDS} for r in rows], columns=list(KLASS_CODE_FIELDS))


def klass_changes_from_json(payload: bytes | str | Mapping, source: str = "KLASS changes response") -> pd.DataFrame:
    """KLASS ``changes`` JSON (``{"codeChanges": [{"oldCode", "oldName", "newCode", "newName",
    "changeOccurred"}]}``) as a frame with those columns. ``oldCode`` or ``newCode`` may be absent or null
    (they become ""), and a row may keep its code (a change of name); only ``changeOccurred`` and at least
    one of the two codes are required."""
    obj = _load_json(payload, source)
    rows = _klass_rows(obj.get("codeChanges"), source, "codeChanges", ("changeOccurred",))
    for i, r in enumerate(rows):
        if not (r.get("oldCode") or r.get("newCode")):
            raise FetchParseError(source, f"codeChanges[{i}]", "neither oldCode nor newCode")
    return pd.DataFrame(
        [{f: r.get(f, "") for f in KLASS_CHANGE_FIELDS} for r in rows], columns=list(KLASS_CHANGE_FIELDS)
    )


# ---------------------------------------------------------------------------------------------------------
# Writers in the layouts that vsr_analysis.ssb.raw_exports reads
# ---------------------------------------------------------------------------------------------------------


def _csv(rows: Sequence[Sequence[object]], delimiter: str, quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=quoting)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def population_statbank_csv(pop: pd.DataFrame, years: Sequence[int] | None = None) -> bytes:
    """07459 in StatBank's layout: ``"region";"Persons 2020";...`` with ``K-0301 Oslo`` labels (``years``:
    the year columns to write, default all)."""
    wide = pop.pivot_table(index=["knr", "name"], columns="year", values="population", aggfunc="sum")
    years = sorted(wide.columns) if years is None else list(years)
    rows = [["region"] + [f"Persons {y}" for y in years]]
    for (knr, name), values in wide.iterrows():
        rows.append([f"K-{knr} {name}"] + [int(values[y]) for y in years])
    return _csv(rows, ";", csv.QUOTE_NONNUMERIC)


def klass_codes_csv(codes: pd.DataFrame) -> bytes:
    """KLASS code list in SSB's export layout (``code;parentCode;level;name;...``), ``;``, UTF-8."""
    return _csv([list(KLASS_CODE_FIELDS)] + codes[list(KLASS_CODE_FIELDS)].values.tolist(), ";")


def change_windows() -> dict[str, tuple[int, int]]:
    """The build's change lists as (from year, to year), from the keys of :data:`CHANGE_LISTS`
    (``changes_2013_2017`` -> (2013, 2017))."""
    return {k: (int(k.split("_")[1]), int(k.split("_")[2])) for k in CHANGE_LISTS}


def paired_changes(changes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with both an old and a new code, rows lacking one of them)."""
    both = (changes["oldCode"] != "") & (changes["newCode"] != "")
    return changes[both].reset_index(drop=True), changes[~both].reset_index(drop=True)


def klass_change_lists(changes: pd.DataFrame) -> dict[str, bytes]:
    """The build's change lists (:data:`CHANGE_LISTS`, file names of :data:`RAW_FILES`) in the layout
    ``kommuner_YYYY;kommuner_YYYY;splittes`` with cells ``code - name``; a change dated in year Y goes into the
    window (from, to] that holds Y; ``splittes`` = 1 when the old code has several new codes in the window.
    Only rows with both codes can be written (see :func:`paired_changes`). A change outside every window, or a
    code that changes twice within one window, is a :class:`FetchError` (the lists could not chain)."""
    paired, _ = paired_changes(changes)
    windows = change_windows()
    groups: dict[str, list] = {k: [] for k in windows}
    for r in paired.itertuples(index=False):
        year = int(str(r.changeOccurred)[:4])
        key = next((k for k, (a, b) in windows.items() if a < year <= b), None)
        if key is None:
            raise FetchError(f"KLASS change {r.oldCode} -> {r.newCode} on {r.changeOccurred} is outside {windows}")
        groups[key].append(r)
    out = {}
    for key, rows in groups.items():
        a, b = windows[key]
        dates = defaultdict(set)
        for r in rows:
            dates[r.oldCode].add(str(r.changeOccurred)[:10])
        twice = sorted(c for c, d in dates.items() if len(d) > 1)
        if twice:
            raise FetchError(f"KLASS codes {twice} change on several dates within {a}-{b}; the lists cannot chain")
        n_new = defaultdict(set)
        for r in rows:
            n_new[r.oldCode].add(r.newCode)
        lines = [[f"kommuner_{a}", f"kommuner_{b}", "splittes"]]
        for r in sorted(rows, key=lambda r: (r.oldCode, r.newCode)):
            lines.append([f"{r.oldCode} - {r.oldName}", f"{r.newCode} - {r.newName}", int(len(n_new[r.oldCode]) > 1)])
        out[RAW_FILES[key]] = _csv(lines, ";")
    return out


def area_csv(area: pd.DataFrame) -> bytes:
    """09280 as ``knr,name,area_km2`` (2 decimals)."""
    rows = [["knr", "name", "area_km2"]]
    rows += [[r.knr, r.name, f"{r.area_km2:.2f}"] for r in area.itertuples(index=False)]
    return _csv(rows, ",")


# ---------------------------------------------------------------------------------------------------------
# HTTP: timeouts, clear errors, retry with back-off on 429/503
# ---------------------------------------------------------------------------------------------------------


def base_urls(api: str = "v2") -> tuple[str, str]:
    """(PxWebApi base for ``api``, KLASS base), from the environment when set."""
    px = os.environ.get(ENV_PXWEB, PXWEB_V2_BASE) if api == "v2" else os.environ.get(ENV_PXWEB_V1, PXWEB_V1_BASE)
    return px.rstrip("/"), os.environ.get(ENV_KLASS, KLASS_BASE).rstrip("/")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class Http:
    """A small HTTP client: timeout per request, clear errors, and ``retries`` retries on HTTP 429 and 503
    with back-off (``Retry-After`` when the server sends it, else ``backoff`` * 2**attempt seconds, at most
    ``max_wait``), and at most ``rate_calls`` requests per ``rate_window`` seconds. ``sleep``, ``clock`` and
    ``say`` are injectable (tests pass a no-op sleep)."""

    timeout: float = 30
    retries: int = 4
    backoff: float = 2.0
    max_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    say: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr, flush=True))
    rate_calls: int = 30
    rate_window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    calls: int = 0
    _recent: list[float] = field(default_factory=list, repr=False)

    def _pace(self) -> None:
        """Wait, saying so, if ``rate_calls`` requests were sent within the last ``rate_window`` seconds
        (SSB's user guide: 30 queries per 60 seconds per IP address)."""
        now = self.clock()
        self._recent = [t for t in self._recent if now - t < self.rate_window]
        if len(self._recent) >= self.rate_calls:
            wait = self.rate_window - (now - self._recent[0])
            self.say(
                f"pausing {wait:.0f} s to stay within SSB's limit of {self.rate_calls} requests per "
                f"{self.rate_window:g} s"
            )
            self.sleep(wait)
            self._recent = self._recent[1:]
        self._recent.append(self.clock())

    def get(self, url: str, accept: str = "application/json") -> bytes:
        return self.request("GET", url, None, accept)

    def post_json(self, url: str, body: Mapping) -> bytes:
        return self.request("POST", url, body, "application/json")

    def request(self, method: str, url: str, body: Mapping | None, accept: str) -> bytes:
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                return self._once(method, url, body, accept)
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode("utf-8", "replace").strip()
                if exc.code in (429, 503) and attempt < self.retries:
                    wait = _retry_after(exc.headers.get("Retry-After"))
                    wait = min(self.max_wait, self.backoff * 2**attempt if wait is None else wait)
                    reason = "too many requests" if exc.code == 429 else "service unavailable"
                    self.say(
                        f"SSB answered HTTP {exc.code} ({reason}) for {url}; waiting {wait:g} s before "
                        f"retry {attempt + 1} of {self.retries}"
                    )
                    self.sleep(wait)
                    continue
                message = f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
                raise FetchHttpError(message, exc.code) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, url: str, body: Mapping | None, accept: str) -> bytes:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"User-Agent": f"vsr-analysis/{__version__} (register fetch)", "Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        host = urllib.parse.urlsplit(url).netloc or url
        self.calls += 1
        try:
            # A fresh opener per request reads the proxy settings of the environment at call time.
            with urllib.request.build_opener().open(req, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError:
            raise
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise FetchError(
                    f"no answer from {host} within {self.timeout:g} s ({url}); try a larger --timeout"
                ) from None
            raise FetchError(
                f"cannot reach {host} ({exc.reason}); are you online? Statistics Norway's APIs need "
                f"an internet connection ({url})"
            ) from None
        except TimeoutError:
            raise FetchError(
                f"no answer from {host} within {self.timeout:g} s ({url}); try a larger --timeout"
            ) from None
        except (http.client.HTTPException, OSError) as exc:
            raise FetchError(f"connection to {host} failed ({exc}); are you online? ({url})") from None


def http_request(url: str, timeout: float, body: Mapping | None = None) -> bytes:
    """GET (or POST ``body`` as JSON) ``url`` with :class:`Http`'s defaults. Raises :class:`FetchError`."""
    client = Http(timeout=timeout)
    return client.get(url) if body is None else client.post_json(url, body)


# ---------------------------------------------------------------------------------------------------------
# PxWebApi 2.0
# ---------------------------------------------------------------------------------------------------------


@dataclass
class TableQuery:
    """What we ask of one StatBank table: ``selection`` maps variable codes to value codes (``["*"]`` = all);
    variables of the table not named must be eliminable. ``split_on`` is split into chunks when a query
    would exceed the API's cell limit."""

    table: str
    selection: dict[str, list[str]]
    split_on: str = "Region"


def population_v2_query(codes: Sequence[str], years: Sequence[str] = POPULATION_YEARS) -> TableQuery:
    """07459: the given regions and years, persons; sex and age eliminated (summed by SSB)."""
    return TableQuery(
        POPULATION_TABLE, {"Region": list(codes), "ContentsCode": [POPULATION_CONTENTS], "Tid": list(years)}
    )


def area_v2_query(codes: Sequence[str], year: str = AREA_YEAR) -> TableQuery:
    """09280: the given regions, every area type and measure, one year."""
    return TableQuery(AREA_TABLE, {"Region": list(codes), "Arealtype": ["*"], "ContentsCode": ["*"], "Tid": [year]})


def v2_body(selection: Mapping[str, Sequence[str]]) -> dict:
    """The PxWebApi 2.0 POST body: ``{"selection": [{"variableCode": ..., "valueCodes": [...]}, ...]}``."""
    return {"selection": [{"variableCode": v, "valueCodes": list(codes)} for v, codes in selection.items()]}


def v2_data_url(base: str, table: str) -> str:
    return f"{base}/tables/{table}/data?" + urllib.parse.urlencode({"lang": "en", "outputFormat": "json-stat2"})


def v2_metadata_url(base: str, table: str) -> str:
    return f"{base}/tables/{table}/metadata?" + urllib.parse.urlencode({"lang": "en", "outputFormat": "json-stat2"})


def max_cells_from_config(payload: bytes | str | Mapping, source: str = "PxWebApi config") -> int:
    """``maxDataCells`` of PxWebApi 2.0 ``/config`` (:data:`DEFAULT_MAX_CELLS` if the key is absent)."""
    obj = _load_json(payload, source)
    value = obj.get("maxDataCells", DEFAULT_MAX_CELLS)
    if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise FetchParseError(source, "maxDataCells", f"expected a positive integer, got {value!r}")
    return value


def check_metadata(meta: JsonStatDataset, query: TableQuery, source: str) -> dict[str, int]:
    """Check that the table is active and offers what ``query`` asks for. Returns the number of values
    selected per variable (for the cell count). Raises :class:`FetchError` with what changed at SSB."""
    t = query.table
    discontinued = meta.extension.get("discontinued")
    if discontinued:
        raise FetchError(
            f"SSB marks table {t} as discontinued (extension.discontinued={discontinued!r} in {source}). "
            f"Find its successor at https://www.ssb.no/statbank and update TableQuery in vsr_analysis/ssb/fetch.py"
        )
    problems, counts = [], {}
    for var, codes in query.selection.items():
        if var not in meta.ids:
            problems.append(f"variable {var!r} is gone (the table now has {meta.ids})")
            continue
        if codes == ["*"]:
            counts[var] = len(meta.categories[var])
            continue
        gone = [c for c in codes if c not in set(meta.categories[var])]
        if gone:
            problems.append(
                f"variable {var!r} no longer has the value code(s) {gone[:10]}" + (" ..." * (len(gone) > 10))
            )
        counts[var] = len(codes)
    for var in meta.ids:
        if var not in query.selection and not meta.dim_extensions.get(var, {}).get("elimination", False):
            problems.append(f"variable {var!r} is new or can no longer be eliminated (summed); say what to select")
    if problems:
        raise FetchError(f"table {t} changed at SSB ({source}):\n" + "\n".join(f"  - {p}" for p in problems))
    return counts


def split_selection(query: TableQuery, counts: Mapping[str, int], max_cells: int) -> list[dict[str, list[str]]]:
    """``query.selection`` cut along ``split_on`` so that no query asks for more than ``max_cells`` cells."""
    other = math.prod(n for v, n in counts.items() if v != query.split_on)
    per_query = max_cells // other
    if per_query < 1:
        raise FetchError(f"table {query.table}: one {query.split_on} value needs {other} cells, above {max_cells}")
    codes = query.selection[query.split_on]
    return [{**query.selection, query.split_on: codes[i : i + per_query]} for i in range(0, len(codes), per_query)]


@dataclass
class Response:
    """One response kept verbatim: file name under ``responses/``, method, URL, body sent, bytes."""

    name: str
    method: str
    url: str
    body: Mapping | None
    raw: bytes


def fetch_table_v2(http: Http, base: str, query: TableQuery, max_cells: int) -> list[Response]:
    """Metadata check, then the data in as many POST queries as the cell limit needs."""
    url = v2_metadata_url(base, query.table)
    try:
        raw = http.get(url)
    except FetchHttpError as exc:
        if exc.status != 404:
            raise
        raise FetchError(
            f"table {query.table} not found at SSB ({exc}). SSB may have discontinued or renumbered it: find its "
            f"successor at https://www.ssb.no/statbank and update the queries in vsr_analysis/ssb/fetch.py"
        ) from None
    meta = parse_table_metadata(raw, url)
    out = [Response(f"ssb{query.table}_metadata.json", "GET", url, None, raw)]
    counts = check_metadata(meta, query, url)
    url = v2_data_url(base, query.table)
    for i, selection in enumerate(split_selection(query, counts, max_cells), start=1):
        body = v2_body(selection)
        out.append(Response(f"ssb{query.table}_data_{i}.json", "POST", url, body, http.post_json(url, body)))
    return out


# ---------------------------------------------------------------------------------------------------------
# PxWebApi v1 (path api/v0; only with --api v1)
# ---------------------------------------------------------------------------------------------------------


def population_query(codes: Sequence[str], years: Sequence[str] = POPULATION_YEARS) -> dict:
    """PxWebApi v1 query for 07459: the given regions and years, persons; sex and age eliminated (summed)."""
    return {
        "query": [
            {"code": "Region", "selection": {"filter": "item", "values": list(codes)}},
            {"code": "ContentsCode", "selection": {"filter": "item", "values": [POPULATION_CONTENTS]}},
            {"code": "Tid", "selection": {"filter": "item", "values": list(years)}},
        ],
        "response": {"format": "json-stat2"},
    }


def area_query(codes: Sequence[str], year: str = AREA_YEAR) -> dict:
    """PxWebApi v1 query for 09280: the given regions, every area type and measure, one year."""
    return {
        "query": [
            {"code": "Region", "selection": {"filter": "item", "values": list(codes)}},
            {"code": "Arealtype", "selection": {"filter": "all", "values": ["*"]}},
            {"code": "ContentsCode", "selection": {"filter": "all", "values": ["*"]}},
            {"code": "Tid", "selection": {"filter": "item", "values": [year]}},
        ],
        "response": {"format": "json-stat2"},
    }


# ---------------------------------------------------------------------------------------------------------
# Fetch
# ---------------------------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    files: list[Path]
    n_codes: int
    population_totals: dict[int, int]
    area_total: float
    n_changes: int
    unpaired_changes: list[dict[str, str]]
    n_requests: int
    copied: list[str]


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True).sort_values(["knr", "year"], ignore_index=True)


def fetch(
    out_dir: str | os.PathLike,
    timeout: float = 30,
    api: str = "v2",
    rest_from: str | os.PathLike | None = None,
    http: Http | None = None,
) -> FetchResult:
    """Download, parse and write the raw inputs into ``out_dir`` (nothing is written if anything fails).

    ``rest_from``: a raw folder to copy the inputs the APIs cannot provide from (:data:`NON_API_RAW_KEYS`),
    so that ``out_dir`` is a complete ``--raw`` folder for ``vsr register build``.
    """
    if api not in API_VERSIONS:
        raise FetchError(f"unknown API version {api!r}; use one of {API_VERSIONS}")
    copies: dict[str, bytes] = {}
    if rest_from is not None:
        missing = [
            str(Path(rest_from) / RAW_FILES[k])
            for k in NON_API_RAW_KEYS
            if not (Path(rest_from) / RAW_FILES[k]).is_file()
        ]
        if missing:
            raise FetchError("--rest-from: raw input file(s) not found: " + ", ".join(missing))
        copies = {RAW_FILES[k]: (Path(rest_from) / RAW_FILES[k]).read_bytes() for k in NON_API_RAW_KEYS}
    http = http or Http(timeout=timeout)
    pxweb, klass = base_urls(api)
    responses: list[Response] = []

    k = f"{klass}/classifications/{KLASS_MUNICIPALITIES}"
    q = urllib.parse.urlencode
    url = f"{k}/codesAt?{q({'date': CODES_DATE, 'language': 'nb'})}"
    responses.append(Response("klass131_codes_2020.json", "GET", url, None, http.get(url)))
    codes = klass_codes_from_json(responses[-1].raw, url)
    municipal = [c for c in codes["code"] if c != "9999"]
    url = f"{k}/changes?{q({'from': CHANGES_FROM, 'to': CHANGES_TO, 'language': 'nb'})}"
    responses.append(Response("klass131_changes_2013_2020.json", "GET", url, None, http.get(url)))
    changes = klass_changes_from_json(responses[-1].raw, url)

    if api == "v2":
        url = f"{pxweb}/config"
        responses.append(Response("pxwebapi_config.json", "GET", url, None, http.get(url)))
        max_cells = max_cells_from_config(responses[-1].raw, url)
        pop_responses = fetch_table_v2(http, pxweb, population_v2_query(municipal), max_cells)
        area_responses = fetch_table_v2(http, pxweb, area_v2_query(municipal), max_cells)
    else:
        url, body = f"{pxweb}/{POPULATION_TABLE}", population_query(municipal)
        pop_responses = [Response(f"ssb{POPULATION_TABLE}_data_1.json", "POST", url, body, http.post_json(url, body))]
        url, body = f"{pxweb}/{AREA_TABLE}", area_query(municipal)
        area_responses = [Response(f"ssb{AREA_TABLE}_data_1.json", "POST", url, body, http.post_json(url, body))]
    responses += pop_responses + area_responses
    pop = _concat([population_from_jsonstat(r.raw, r.url) for r in pop_responses if "_data_" in r.name])
    area = _concat([area_from_jsonstat(r.raw, r.url) for r in area_responses if "_data_" in r.name])
    for table, frame in ((POPULATION_TABLE, pop), (AREA_TABLE, area)):
        got = set(frame["knr"])
        if got != set(municipal):
            raise FetchError(
                f"{table} answered for other regions than asked: missing {sorted(set(municipal) - got)[:10]}, "
                f"extra {sorted(got - set(municipal))[:10]}"
            )

    files: dict[str, bytes] = {f"{RESPONSES_DIR}/{r.name}": r.raw for r in responses}
    files[RAW_FILES["klass_2020"]] = klass_codes_csv(codes)
    files.update(klass_change_lists(changes))
    for year in POPULATION_YEARS:
        files[RAW_FILES[f"population_{year}"]] = population_statbank_csv(pop, [int(year)])
    files[AREA_FILE] = area_csv(area)
    files.update(copies)
    _, unpaired = paired_changes(changes)
    files["SOURCES.json"] = sources_json(api, responses, unpaired, sorted(copies), rest_from)

    written = write_files(files, out_dir)  # all into a temporary folder first, then moved into place
    totals = {int(y): int(v) for y, v in pop.groupby("year")["population"].sum().items()}
    return FetchResult(
        written,
        len(municipal),
        totals,
        float(area["area_km2"].sum()),
        len(changes),
        unpaired.to_dict("records"),
        http.calls,
        sorted(copies),
    )


def sources_json(
    api: str,
    responses: Sequence[Response],
    unpaired: pd.DataFrame,
    copied: Sequence[str],
    rest_from: str | os.PathLike | None,
) -> bytes:
    """``SOURCES.json``: the licence, the API versions, every response (URL, method, body, sha256), the KLASS
    change rows that lack a code, and which raw inputs were copied rather than fetched."""
    doc = {
        "licence": LICENCE,
        "licence_applies_to": (
            "the responses and the files written from them; copied files keep the licences stated where they "
            "came from (PROVENANCE.md of the --rest-from folder)"
        ),
        "apis": {
            "pxwebapi": "2.0" if api == "v2" else "v1 (path api/v0)",
            "klass": "v1 (JSON by Accept header)",
        },
        "responses": {
            f"{RESPONSES_DIR}/{r.name}": {
                "method": r.method,
                "url": r.url,
                "body": r.body,
                "sha256": hashlib.sha256(r.raw).hexdigest(),
            }
            for r in responses
        },
        "klass_changes_without_a_code": unpaired.to_dict("records"),
        "written_from_api": {k: RAW_FILES[k] for k in API_RAW_KEYS},
        "not_offered_by_the_apis": {k: RAW_FILES[k] for k in NON_API_RAW_KEYS},
        "copied_verbatim_from": None if rest_from is None else str(rest_from),
        "copied": list(copied),
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
