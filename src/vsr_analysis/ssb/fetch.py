"""``vsr register fetch``: download the register's raw inputs from Statistics Norway's open APIs.

For users who are online. It asks

* KLASS (``https://data.ssb.no/api/klass/v1``) for classification 131 (municipalities): the codes valid on
  1 Jan 2020 (``codesAt.json``) and the code changes 2013-2020 (``changes.json``);
* PxWebApi v0 (``https://data.ssb.no/api/v0/en/table``) for table 07459 (population 1 Jan 2020 and 2021 of the
  2020 municipalities, sex and age eliminated, i.e. summed by SSB) and table 09280 (area 2020, every area type:
  land and freshwater are summed unless the table offers a total), both as JSON-stat 2.0.

Every request has a timeout (``--timeout``). Without a network the command stops with a clear message and exit
code 1, and writes nothing: the files are written to a temporary folder inside ``--out`` and moved into place
only when every download and parse succeeded. The raw responses are kept verbatim beside tidy CSV versions in
the layouts :mod:`vsr_analysis.ssb.register_build` reads (StatBank-style population, KLASS code list, change lists).

The base URLs can be overridden with the environment variables ``VSR_SSB_PXWEB_URL`` and ``VSR_SSB_KLASS_URL``
(e.g. for a mirror). The parsing functions are pure and tested on hand-written responses in the documented
formats; no test makes a live call.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import math
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vsr_analysis import __version__
from vsr_analysis.ssb.raw_exports import sniff_delimiter
from vsr_analysis.ssb.register_build import write_files

PXWEB_BASE = "https://data.ssb.no/api/v0/en/table"
KLASS_BASE = "https://data.ssb.no/api/klass/v1"
ENV_PXWEB = "VSR_SSB_PXWEB_URL"
ENV_KLASS = "VSR_SSB_KLASS_URL"

KLASS_MUNICIPALITIES = 131
CODES_DATE = "2020-01-01"
CHANGES_FROM, CHANGES_TO = "2013-01-01", "2020-01-02"  # ``to`` is exclusive: include the 1 Jan 2020 changes
POPULATION_TABLE, POPULATION_YEARS = "07459", ("2020", "2021")
AREA_TABLE, AREA_YEAR = "09280", "2020"

_TOTAL_LABELS = {"total", "totalt", "i alt", "sum", "all", "alle"}


class FetchError(Exception):
    """A download or parse failed (no network, HTTP error, unexpected response). Exit code 1."""


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
    """A JSON-stat 2.0 dataset: dimension ids (in value order), category codes and labels, values."""

    label: str
    ids: list[str]
    categories: dict[str, list[str]]
    labels: dict[str, dict[str, str]]
    values: list[float | None]

    def records(self) -> Iterator[tuple[dict[str, str], float | None]]:
        """Each cell as ({dimension id: category code}, value); row-major order, last dimension fastest."""
        sizes = [len(self.categories[d]) for d in self.ids]
        for pos, value in enumerate(self.values):
            coords, rest = {}, pos
            for dim, size in zip(reversed(self.ids), reversed(sizes)):
                coords[dim] = self.categories[dim][rest % size]
                rest //= size
            yield coords, value


def _load_json(payload: bytes | str | Mapping, source: str) -> Mapping:
    if isinstance(payload, Mapping):
        return payload
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8-sig")
    try:
        obj = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise FetchParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    if not isinstance(obj, Mapping):
        raise FetchParseError(source, "top level", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def parse_jsonstat2(payload: bytes | str | Mapping, source: str = "JSON-stat response") -> JsonStatDataset:
    """Parse a JSON-stat 2.0 dataset (``class: dataset``, ``id``, ``size``, ``dimension``, ``value``).

    ``category.index`` may be a list of codes or an object code -> position; ``value`` may be a dense list or
    a sparse object position -> value. Raises :class:`FetchParseError` naming the place of any problem.
    """
    obj = _load_json(payload, source)
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
    categories, labels = {}, {}
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
    return JsonStatDataset(str(obj.get("label", "")), list(ids), categories, labels, values)


def _find_dim(ds: JsonStatDataset, source: str, *names: str) -> str:
    for name in names:
        for dim in ds.ids:
            if dim.casefold() == name.casefold():
                return dim
    raise FetchParseError(source, "id", f"no dimension {names[0]!r} (dimensions: {ds.ids})")


def population_from_jsonstat(payload: bytes | str | Mapping, source: str = "07459 response") -> pd.DataFrame:
    """Table 07459 as ``knr, name, year, population``: summed over every dimension except region and time
    (sex, age if not eliminated). Only 4-digit region codes (municipalities) are kept. A missing value is an
    error naming region and year."""
    ds = parse_jsonstat2(payload, source)
    region, time = _find_dim(ds, source, "Region"), _find_dim(ds, source, "Tid", "Time")
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for coords, value in ds.records():
        code, year = coords[region], coords[time]
        if not (len(code) == 4 and code.isdigit()):
            continue
        if value is None:
            raise FetchParseError(source, f"Region={code}, Tid={year}", "missing value (SSB symbol)")
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
    region, time = _find_dim(ds, source, "Region"), _find_dim(ds, source, "Tid", "Time")
    keep: dict[str, set[str]] = {}
    for dim in ds.ids:
        if dim in (region, time):
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
    for coords, value in ds.records():
        if any(coords[d] not in allowed for d, allowed in keep.items()):
            continue
        code, year = coords[region], coords[time]
        if not (len(code) == 4 and code.isdigit()):
            continue
        if value is None:
            raise FetchParseError(source, f"Region={code}, Tid={year}", "missing value (SSB symbol)")
        sums[(code, year)] += float(value)
    if not sums:
        raise FetchParseError(source, f"dimension.{region}", "no 4-digit municipality codes")
    rows = [(c, ds.labels[region][c], int(y), round(v, 2)) for (c, y), v in sorted(sums.items())]
    return pd.DataFrame(rows, columns=["knr", "name", "year", "area_km2"])


# ---------------------------------------------------------------------------------------------------------
# KLASS JSON and CSV
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
    "changeOccurred"}]}``) as a frame with those columns."""
    obj = _load_json(payload, source)
    rows = _klass_rows(obj.get("codeChanges"), source, "codeChanges", ("oldCode", "newCode", "changeOccurred"))
    return pd.DataFrame(
        [{f: r.get(f, "") for f in KLASS_CHANGE_FIELDS} for r in rows], columns=list(KLASS_CHANGE_FIELDS)
    )


def klass_from_csv(payload: bytes | str, source: str = "KLASS CSV response") -> pd.DataFrame:
    """A KLASS CSV response or export (codes or changes; ``;`` or ``,``; UTF-8 or latin-1) as a frame of
    strings. Short rows (empty trailing fields dropped) are padded; the header must contain ``code`` or
    ``oldCode``."""
    if isinstance(payload, bytes):
        from vsr_analysis.ssb.raw_exports import decode_bytes

        payload, _ = decode_bytes(payload)
    lines = payload.splitlines()
    delim = sniff_delimiter(lines, ";,\t") or ";"
    reader = csv.reader(lines, delimiter=delim)
    header = [h.strip() for h in next(reader, [])]
    if "code" not in header and "oldCode" not in header:
        raise FetchParseError(source, "row 1", f"expected a 'code' or 'oldCode' column, got {header}")
    rows = []
    for lineno, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(header):
            raise FetchParseError(source, f"row {lineno}", f"{len(fields)} fields but the header has {len(header)}")
        rows.append(fields + [""] * (len(header) - len(fields)))
    return pd.DataFrame(rows, columns=header)


# ---------------------------------------------------------------------------------------------------------
# Writers in the layouts that vsr_analysis.ssb.register_build reads
# ---------------------------------------------------------------------------------------------------------


def _csv(rows: Sequence[Sequence[object]], delimiter: str, quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=quoting)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def population_statbank_csv(pop: pd.DataFrame) -> bytes:
    """07459 in StatBank's layout: ``"region";"Persons 2020";"Persons 2021"`` with ``K-0301 Oslo`` labels."""
    wide = pop.pivot_table(index=["knr", "name"], columns="year", values="population", aggfunc="sum")
    years = sorted(wide.columns)
    rows = [["region"] + [f"Persons {y}" for y in years]]
    for (knr, name), values in wide.iterrows():
        rows.append([f"K-{knr} {name}"] + [int(values[y]) for y in years])
    return _csv(rows, ";", csv.QUOTE_NONNUMERIC)


def klass_codes_csv(codes: pd.DataFrame) -> bytes:
    """KLASS code list in SSB's export layout (``code;parentCode;level;name;...``), ``;``, UTF-8."""
    return _csv([list(KLASS_CODE_FIELDS)] + codes[list(KLASS_CODE_FIELDS)].values.tolist(), ";")


def klass_change_lists(changes: pd.DataFrame) -> dict[str, bytes]:
    """One change list per change date, in the layout ``kommuner_YYYY;kommuner_YYYY;splittes`` with cells
    ``code - name``; ``splittes`` = 1 when the old code has several new codes on that date."""
    out = {}
    for date, group in changes.groupby("changeOccurred", sort=True):
        year = int(str(date)[:4])
        n_new = group.groupby("oldCode")["newCode"].nunique()
        rows = [[f"kommuner_{year - 1}", f"kommuner_{year}", "splittes"]]
        for r in group.sort_values(["oldCode", "newCode"]).itertuples(index=False):
            rows.append([f"{r.oldCode} - {r.oldName}", f"{r.newCode} - {r.newName}", int(n_new[r.oldCode] > 1)])
        out[f"klass131_changes_{str(date)[:10]}.csv"] = _csv(rows, ";")
    return out


# ---------------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------------


def base_urls() -> tuple[str, str]:
    """(PxWebApi base, KLASS base), from the environment when set."""
    return (os.environ.get(ENV_PXWEB, PXWEB_BASE).rstrip("/"), os.environ.get(ENV_KLASS, KLASS_BASE).rstrip("/"))


def http_request(url: str, timeout: float, body: Mapping | None = None) -> bytes:
    """GET (or POST ``body`` as JSON) ``url`` with a timeout. Raises :class:`FetchError` with a clear message."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"User-Agent": f"vsr-analysis/{__version__} (register fetch)", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method="GET" if data is None else "POST")
    host = urllib.parse.urlsplit(url).netloc or url
    try:
        # A fresh opener per request reads the proxy settings of the environment at call time.
        with urllib.request.build_opener().open(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"no answer from {host} within {timeout:g} s ({url}); try a larger --timeout") from None
        raise FetchError(
            f"cannot reach {host} ({reason}); are you online? Statistics Norway's APIs need "
            f"an internet connection ({url})"
        ) from None
    except TimeoutError:
        raise FetchError(f"no answer from {host} within {timeout:g} s ({url}); try a larger --timeout") from None
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"connection to {host} failed ({exc}); are you online? ({url})") from None


def population_query(codes: Sequence[str], years: Sequence[str] = POPULATION_YEARS) -> dict:
    """PxWebApi v0 query for 07459: the given regions and years, persons; sex and age eliminated (summed)."""
    return {
        "query": [
            {"code": "Region", "selection": {"filter": "item", "values": list(codes)}},
            {"code": "ContentsCode", "selection": {"filter": "item", "values": ["Personer1"]}},
            {"code": "Tid", "selection": {"filter": "item", "values": list(years)}},
        ],
        "response": {"format": "json-stat2"},
    }


def area_query(codes: Sequence[str], year: str = AREA_YEAR) -> dict:
    """PxWebApi v0 query for 09280: the given regions, every area type and measure, one year."""
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


def fetch(out_dir: str | os.PathLike, timeout: float = 30) -> FetchResult:
    """Download, parse and write the raw inputs into ``out_dir`` (nothing is written if anything fails)."""
    pxweb, klass = base_urls()
    q = urllib.parse.urlencode
    k = f"{klass}/classifications/{KLASS_MUNICIPALITIES}"
    requests = {}
    url_codes = f"{k}/codesAt.json?{q({'date': CODES_DATE, 'language': 'nb'})}"
    raw_codes = http_request(url_codes, timeout)
    codes = klass_codes_from_json(raw_codes, url_codes)
    requests["klass131_codes_2020.json"] = (url_codes, None, raw_codes)
    municipal = [c for c in codes["code"] if c != "9999"]
    url_changes = f"{k}/changes.json?{q({'from': CHANGES_FROM, 'to': CHANGES_TO, 'language': 'nb'})}"
    raw_changes = http_request(url_changes, timeout)
    changes = klass_changes_from_json(raw_changes, url_changes)
    requests["klass131_changes_2013_2020.json"] = (url_changes, None, raw_changes)
    url_pop, body_pop = f"{pxweb}/{POPULATION_TABLE}", population_query(municipal)
    raw_pop = http_request(url_pop, timeout, body_pop)
    pop = population_from_jsonstat(raw_pop, url_pop)
    requests["ssb07459_population_2020_2021.json"] = (url_pop, body_pop, raw_pop)
    url_area, body_area = f"{pxweb}/{AREA_TABLE}", area_query(municipal)
    raw_area = http_request(url_area, timeout, body_area)
    area = area_from_jsonstat(raw_area, url_area)
    requests["ssb09280_area_2020.json"] = (url_area, body_area, raw_area)

    files: dict[str, bytes] = {name: raw for name, (_u, _b, raw) in requests.items()}
    files["klass131_codes_2020.csv"] = klass_codes_csv(codes)
    files.update(klass_change_lists(changes))
    files["ssb07459_population_2020_2021.csv"] = population_statbank_csv(pop)
    files["ssb09280_area_2020.csv"] = _csv(
        [["knr", "name", "area_km2"]] + [[r.knr, r.name, f"{r.area_km2:.2f}"] for r in area.itertuples(index=False)],
        ",",
    )
    sources = {
        name: {"url": url, "query": body, "sha256": hashlib.sha256(raw).hexdigest()}
        for name, (url, body, raw) in requests.items()
    }
    files["SOURCES.json"] = (
        json.dumps(
            {"licence": "NLOD; Kilde: Statistisk sentralbyr\u00e5", "responses": sources}, indent=2, ensure_ascii=False
        )
        + "\n"
    ).encode("utf-8")

    written = write_files(files, out_dir)  # all into a temporary folder first, then moved into place
    totals = {int(y): int(v) for y, v in pop.groupby("year")["population"].sum().items()}
    return FetchResult(written, len(municipal), totals, float(area["area_km2"].sum()), len(changes))


def cli_fetch(args) -> int:
    """``vsr register fetch --out DIR [--timeout S]``: 0 ok, 1 download or parse failed (nothing written)."""
    try:
        result = fetch(Path(args.out), timeout=getattr(args, "timeout", 30) or 30)
    except FetchError as exc:
        print(f"vsr register fetch: error: {exc}\nNothing was written.", file=sys.stderr)
        return 1
    print(f"wrote {len(result.files)} files to {args.out}")
    print(f"  KLASS 131 (2020): {result.n_codes} codes; {result.n_changes} code changes 2013-2020")
    print("  07459 population: " + ", ".join(f"{y}: {v:,}" for y, v in sorted(result.population_totals.items())))
    print(f"  09280 area 2020: {result.area_total:,.2f} km2")
    return 0
