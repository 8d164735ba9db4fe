"""Reading Statistics Norway's raw exports as they come: encodings, separators, headers, one parser per format.

Errors name the file, the row (line number in the file) and the column: :class:`RegisterParseError` for a
raw file that cannot be read, :class:`RegisterCheckError` (its parent) for a failed check of the build.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Raw inputs, relative to the ``--raw`` folder (the layout of ``../shared/data/ssb``; see its PROVENANCE.md).
RAW_FILES: dict[str, str] = {
    "population_2020": "ssb07459_population_by_age_2020_fhidata.csv",
    "population_2021": "ssb07459_population_by_age_2021_fhidata.csv",
    "klass_2020": "gardenberg_kommunekoder/ssb_kommunekoder_2020.csv",
    "changes_2013_2017": "gardenberg_kommunekoder/kommuner_med_endringer_fra2013_til2017.csv",
    "changes_2017_2018": "gardenberg_kommunekoder/kommuner_med_endringer_fra2017_til2018.csv",
    "changes_2018_2019": "gardenberg_kommunekoder/kommuner_med_endringer_fra2018_til2019.csv",
    "changes_2019_2020": "gardenberg_kommunekoder/kommuner_med_endringer_fra2019_til2020.csv",
    "crosswalk_wide": "gardenberg_kommunekoder/alle_kommunenummer_fra2013_til2020_wide.csv",
    "crosswalk_long": "gardenberg_kommunekoder/kommunenummer_fra2013_til2020_long.csv",
    "covidnorge": "covidnorge_2020_uit_dataverseno.csv",
    "centrality_2024": "ssb_sentralitetsindeks_2023_kommuner2024_valgdata.csv",
    "population_2024": "befolkning_2024_kommuner2024_valg_analyser.csv",
    "municipalities_2026": "bord4_norwegian_municipalities_2026.csv",
    "codes_2021_2025": "bord4_kommuner_2021_2025.json",
}
CHANGE_LISTS = ("changes_2013_2017", "changes_2017_2018", "changes_2018_2019", "changes_2019_2020")

_SSB_SYMBOLS = {
    ".": "not applicable",
    "..": "not available",
    "...": "not yet published",
    ":": "confidential",
    "-": "nil",
}

# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


class RegisterError(Exception):
    """Base class of register errors (all are data problems: exit code 1)."""


class RegisterCheckError(RegisterError):
    """A register check failed. ``problems`` lists every failing check."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            text = f"{len(self.problems)} register checks failed:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class RegisterParseError(RegisterCheckError):
    """A raw file could not be parsed. ``row`` is the 1-based line number in the file."""

    def __init__(self, file: str | os.PathLike, row: int | None, column: str | None, message: str):
        self.file, self.row, self.column, self.message = str(file), row, column, message
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(", ".join(where) + f": {message}")


# ---------------------------------------------------------------------------------------------------------
# Generic reading: encoding, separator, header
# ---------------------------------------------------------------------------------------------------------

_ENCODINGS = ("utf-8", "cp1252", "latin-1")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` trying UTF-8 (BOM stripped), then Windows-1252, then latin-1. Returns (text, encoding).

    Windows-1252 is tried before latin-1 because it is latin-1 plus printable characters in 0x80-0x9F; SSB
    exports saved on Windows use it (e.g. ``K\u00e1r\u00e1\u0161johka`` in the 2019->2020 change list).
    latin-1 decodes any byte sequence, so it is the last resort.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for enc in _ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, quotechar='"', skipinitialspace=False), [])


def sniff_delimiter(lines: Sequence[str], candidates: str = ";\t,") -> str | None:
    """Pick the separator that splits the last (up to 50) non-empty lines into the same number (>1) of fields.

    The data lines at the end decide, so a title line above the header (StatBank's ``07459: Population, by
    region, ...``) cannot mislead. Ties go to the separator giving more fields, then to the order ``; TAB ,``.
    """
    sample = [ln for ln in lines if ln.strip()][-50:]
    if not sample:
        return None
    best: tuple[float, int, int] | None = None
    best_delim = None
    for rank, delim in enumerate(candidates):
        counts = Counter(len(_split(ln, delim)) for ln in sample)
        width, freq = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (freq / len(sample), width, -rank)
        if best is None or score > best:
            best, best_delim = score, delim
    return best_delim


@dataclass
class RawTable:
    """A delimited raw file: header and rows, each row with its 1-based line number in the file."""

    path: Path
    encoding: str
    delimiter: str
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def col(self, *names: str, required: bool = True) -> int | None:
        """Index of the first header column whose name equals one of ``names`` (case-insensitive)."""
        lowered = [h.strip().casefold() for h in self.header]
        for name in names:
            if name.casefold() in lowered:
                return lowered.index(name.casefold())
        if required:
            raise RegisterParseError(
                self.path, self.header_row, names[0], f"required column missing; the header has {self.header}"
            )
        return None

    def error(self, row: int, column_index: int | None, message: str) -> RegisterParseError:
        column = self.header[column_index] if column_index is not None and column_index < len(self.header) else None
        return RegisterParseError(self.path, row, column, message)


def read_table(path: str | os.PathLike, delimiter: str | None = None) -> RawTable:
    """Read a delimited text file in any of SSB's export variants.

    Encoding: UTF-8, Windows-1252 or latin-1 (:func:`decode_bytes`). Separator: sniffed among ``;``, tab and
    ``,`` unless given. Header: the first non-empty line with at least two fields, so title lines above it are
    skipped. Rows shorter than the header (KLASS exports drop empty trailing fields) are padded with ``""``;
    longer rows are an error.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterParseError(path, None, None, "raw input file not found") from None
    text, encoding = decode_bytes(data)
    lines = text.splitlines()
    delim = delimiter or sniff_delimiter(lines)
    if delim is None:
        raise RegisterParseError(path, None, None, "no separator found (tried ';', tab and ',')")
    header_idx = None
    for i, line in enumerate(lines):
        if line.strip() and len(_split(line, delim)) >= 2:
            header_idx = i
            break
    if header_idx is None:
        raise RegisterParseError(path, None, None, f"no header line with separator {delim!r}")
    header = [h.strip() for h in _split(lines[header_idx], delim)]
    table = RawTable(path, encoding, delim, header_idx + 1, header)
    reader = csv.reader(lines[header_idx + 1 :], delimiter=delim, quotechar='"')
    for i, fields in enumerate(reader, start=header_idx + 1):  # one line per record: no quoted newlines
        if not any(fields):
            continue
        if len(fields) > len(header):
            raise RegisterParseError(path, i + 1, None, f"{len(fields)} fields but the header has {len(header)}")
        fields = fields + [""] * (len(header) - len(fields))
        table.rows.append((i + 1, fields))
    if not table.rows:
        raise RegisterParseError(path, None, None, "no data rows")
    return table


def _code4(table: RawTable, row: int, ci: int, value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"\d{4}", value):
        raise table.error(row, ci, f"expected a 4-digit municipality code, got {value!r}")
    return value


def _int(table: RawTable, row: int, ci: int, value: str) -> int:
    if value.isdigit():
        return int(value)
    value = value.strip()
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in _SSB_SYMBOLS:
        raise table.error(row, ci, f"expected a whole number, got SSB symbol {value!r} ({_SSB_SYMBOLS[value]})")
    raise table.error(row, ci, f"expected a whole number, got {value!r}")


def _float(table: RawTable, row: int, ci: int, value: str) -> float:
    value = value.strip()
    if re.fullmatch(r"-?\d+(?:[.,]\d+)?", value):
        return float(value.replace(",", "."))
    raise table.error(row, ci, f"expected a number, got {value!r}")


# ---------------------------------------------------------------------------------------------------------
# Parsers for each raw format
# ---------------------------------------------------------------------------------------------------------

_REGION_RE = re.compile(r"^(?:K-)?(\d{4})\s+(.+?)\s*$")


@dataclass
class Population07459:
    """StatBank 07459 export summed over ages: ``counts[year][knr]``; ``names[knr]`` from the region label."""

    path: Path
    counts: dict[int, dict[str, int]]
    names: dict[str, str]
    skipped_regions: dict[str, int]  # non-municipality regions (Svalbard, continental shelf, rest): total


def parse_population_07459(path: str | os.PathLike) -> Population07459:
    """Parse a StatBank 07459 export (region x age x one column per year, e.g. ``"Persons 2020"``).

    Region labels are ``K-3001 Halden`` (or ``3001 Halden``). Rows of other regions (``K-21-22 Svalbard and
    Jan Mayen``, ``K-23 Continental shelf``, ``K-Rest ...``) are not municipalities; they are skipped and their
    totals kept in ``skipped_regions``. Populations are summed over the age rows; a repeated region x age row
    is an error.
    """
    table = read_table(path)
    ri = table.col("region")
    ai = table.col("age", "alder", required=False)
    year_cols = {}
    for i, name in enumerate(table.header):
        m = re.search(r"(\d{4})\s*$", name)
        if m and i not in (ri, ai):
            year_cols[i] = int(m.group(1))
    if not year_cols:
        raise RegisterParseError(
            table.path,
            table.header_row,
            None,
            f"no year column (a header like 'Persons 2020'); the header has {table.header}",
        )
    counts: dict[int, dict[str, int]] = {y: defaultdict(int) for y in year_cols.values()}
    targets = [(ci, counts[y]) for ci, y in year_cols.items()]
    names: dict[str, str] = {}
    skipped: dict[str, int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    regions: dict[str, tuple[str, str] | None] = {}  # label -> (knr, name), None for a non-municipal region
    for row, fields in table.rows:
        label = fields[ri].strip()
        key = (label, fields[ai].strip() if ai is not None else "")
        if key in seen:
            raise table.error(row, ri, f"region {label!r} age {key[1]!r} appears twice")
        seen.add(key)
        if label not in regions:
            m = _REGION_RE.match(label)
            if m is None and not label.startswith("K-"):
                raise table.error(row, ri, f"unrecognised region label {label!r} (expected e.g. 'K-0301 Oslo')")
            regions[label] = None if m is None else (m.group(1), m.group(2))
            if m is not None and names.setdefault(m.group(1), m.group(2)) != m.group(2):
                raise table.error(row, ri, f"code {m.group(1)} has two names: {names[m.group(1)]!r} and {m.group(2)!r}")
        region = regions[label]
        for ci, target in targets:
            value = _int(table, row, ci, fields[ci])
            if region is None:
                skipped[label] += value
            else:
                target[region[0]] += value
    return Population07459(table.path, {y: dict(c) for y, c in counts.items()}, names, dict(skipped))


def parse_klass_codes(path: str | os.PathLike, drop: Iterable[str] = ("9999",)) -> pd.DataFrame:
    """Parse a KLASS code list export (``code;parentCode;level;name;shortName;notes;validFrom;validTo``).

    Returns ``code, name`` sorted by code, without the codes in ``drop`` (``9999 Uoppgitt`` = unknown).
    """
    table = read_table(path)
    ci, ni = table.col("code"), table.col("name")
    drop = set(drop)
    records, seen = [], {}
    for row, fields in table.rows:
        code = fields[ci].strip()
        if code in drop:
            continue
        code = _code4(table, row, ci, code)
        name = fields[ni].strip()
        if not name:
            raise table.error(row, ni, f"empty name for code {code}")
        if code in seen:
            raise table.error(row, ci, f"code {code} repeated (first at row {seen[code]})")
        seen[code] = row
        records.append((code, name))
    return pd.DataFrame(sorted(records), columns=["code", "name"])


@dataclass
class ChangeRecord:
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    split: int | None
    row: int


@dataclass
class ChangeList:
    path: Path
    from_year: int
    to_year: int
    records: list[ChangeRecord]

    def successors(self, code: str) -> list[str]:
        """2nd-year code(s) of a 1st-year code: those listed, else the code itself (unchanged)."""
        index = self.__dict__.get("_index")
        if index is None:
            grouped: dict[str, set[str]] = defaultdict(set)
            for r in self.records:
                grouped[r.old_code].add(r.new_code)
            index = self.__dict__["_index"] = {k: sorted(v) for k, v in grouped.items()}
        return list(index.get(code, [code]))


_CODE_NAME_RE = re.compile(r"^\s*(\d{4})\s*-\s*(.*?)\s*$")  # "0706 - Sandefjord" (the dash has NBSPs round it)


def parse_change_list(path: str | os.PathLike) -> ChangeList:
    """Parse a KLASS 131 change list as reformatted by gardenberg: ``kommuner_2013;kommuner_2017[;splittes]``.

    Each cell is ``code - name`` (SSB's export puts no-break spaces round the dash). The optional third column
    flags codes whose area was split between several new codes (0/1).
    """
    table = read_table(path)
    if len(table.header) < 2:
        raise RegisterParseError(table.path, table.header_row, None, "expected two columns 'kommuner_YYYY'")
    years = []
    for i in (0, 1):
        m = re.search(r"(\d{4})", table.header[i])
        if not m:
            raise RegisterParseError(table.path, table.header_row, table.header[i], "no year in the column name")
        years.append(int(m.group(1)))
    si = table.col("splittes", "split", required=False)
    records = []
    for row, fields in table.rows:
        parsed = []
        for i in (0, 1):
            m = _CODE_NAME_RE.match(fields[i])
            if not m:
                raise table.error(row, i, f"expected 'code - name', got {fields[i]!r}")
            parsed.append((m.group(1), m.group(2)))
        split = None
        if si is not None:
            split = _int(table, row, si, fields[si])
            if split not in (0, 1):
                raise table.error(row, si, f"expected 0 or 1, got {split}")
        records.append(ChangeRecord(parsed[0][0], parsed[0][1], parsed[1][0], parsed[1][1], split, row))
    if years[1] <= years[0]:
        raise RegisterParseError(table.path, table.header_row, None, f"years {years} are not increasing")
    return ChangeList(table.path, years[0], years[1], records)


def parse_crosswalk_wide(path: str | os.PathLike) -> pd.DataFrame:
    """Parse gardenberg's wide 2013->2020 crosswalk: ``kommunenummer_YYYY``/``kommunenavn_YYYY`` per year.

    Returns one column ``knr_YYYY`` per year (strings), one row per line of the file (a split code has a line
    per successor). ``9999`` (unknown) lines are dropped.
    """
    table = read_table(path)
    years = sorted(int(m.group(1)) for h in table.header if (m := re.fullmatch(r"kommunenummer_(\d{4})", h)))
    if not years:
        raise RegisterParseError(table.path, table.header_row, None, "no 'kommunenummer_YYYY' columns")
    idx = {y: table.col(f"kommunenummer_{y}") for y in years}
    out = []
    for row, fields in table.rows:
        if any(fields[i].strip() == "9999" for i in idx.values()):
            continue
        out.append({f"knr_{y}": _code4(table, row, i, fields[i]) for y, i in idx.items()})
    return pd.DataFrame(out)


def parse_crosswalk_long(path: str | os.PathLike) -> pd.DataFrame:
    """Parse gardenberg's long crosswalk ``kommunenummer_2020;kommunenavn_2020;historisk_nummer``."""
    table = read_table(path)
    ni, hi = table.col("kommunenummer_2020"), table.col("historisk_nummer")
    out = []
    for row, fields in table.rows:
        if "9999" in (fields[ni].strip(), fields[hi].strip()):
            continue
        out.append((_code4(table, row, ni, fields[ni]), _code4(table, row, hi, fields[hi])))
    return pd.DataFrame(out, columns=["knr_2020", "historic_knr"])


def parse_covidnorge(path: str | os.PathLike) -> pd.DataFrame:
    """Parse the covidnorge compilation (UiT, DataverseNO doi:10.18710/NMKI2B): the columns this register uses.

    Returns ``knr, name, county_code, county, area_km2, population_2020, centrality_score`` with ``area_km2`` as
    in the source (table 09280, land + freshwater, km^2), ``population_2020`` (``folketall``, 07459) and the
    2020-version centrality index (``sentralitetsindeks``).
    """
    table = read_table(path)
    cols = {
        key: table.col(name)
        for key, name in (
            ("knr", "kommunenummer"),
            ("name", "kommunenavn"),
            ("county_code", "fylkesnummer"),
            ("county", "fylkesnavn"),
            ("area_km2", "areal"),
            ("population_2020", "folketall"),
            ("centrality_score", "sentralitetsindeks"),
        )
    }
    out = []
    for row, f in table.rows:
        cc = f[cols["county_code"]].strip()
        if not re.fullmatch(r"\d{2}", cc):
            raise table.error(row, cols["county_code"], f"expected a 2-digit county code, got {cc!r}")
        out.append(
            {
                "knr": _code4(table, row, cols["knr"], f[cols["knr"]]),
                "name": f[cols["name"]].strip(),
                "county_code": cc,
                "county": f[cols["county"]].strip(),
                "area_km2": _float(table, row, cols["area_km2"], f[cols["area_km2"]]),
                "population_2020": _int(table, row, cols["population_2020"], f[cols["population_2020"]]),
                "centrality_score": _int(table, row, cols["centrality_score"], f[cols["centrality_score"]]),
            }
        )
    return pd.DataFrame(out)


def parse_centrality_2024(path: str | os.PathLike) -> pd.DataFrame:
    """Parse SSB's centrality file for the 2024 municipalities (``knr 2024, Kommune 2024, Indeks 2023,
    Klasse 2023, Intervall``). Returns ``knr, name, score, class, interval_low, interval_high``."""
    table = read_table(path)
    ki, ni = table.col("knr 2024"), table.col("Kommune 2024")
    si, cl, ii = table.col("Indeks 2023"), table.col("Klasse 2023"), table.col("Intervall")
    out = []
    for row, f in table.rows:
        m = re.fullmatch(r"\s*(\d+)\s*[-\u2013]\s*(\d+)\s*", f[ii])
        if not m:
            raise table.error(row, ii, f"expected an interval like '870-924', got {f[ii]!r}")
        out.append(
            {
                "knr": _code4(table, row, ki, f[ki]),
                "name": f[ni].strip(),
                "score": _int(table, row, si, f[si]),
                "class": _int(table, row, cl, f[cl]),
                "interval_low": int(m.group(1)),
                "interval_high": int(m.group(2)),
            }
        )
    return pd.DataFrame(out)


def parse_population_2024(path: str | os.PathLike, year: int = 2024) -> pd.DataFrame:
    """Parse the processed 07459 extract on 2024 borders (``kom2024,navn,aar,befolkning``); keep ``year``."""
    table = read_table(path)
    ki, ni, yi, vi = table.col("kom2024"), table.col("navn"), table.col("aar"), table.col("befolkning")
    out, seen = [], {}
    for row, f in table.rows:
        if _int(table, row, yi, f[yi]) != year:
            continue
        knr = _code4(table, row, ki, f[ki])
        if knr in seen:
            raise table.error(row, ki, f"code {knr} repeated for {year} (first at row {seen[knr]})")
        seen[knr] = row
        out.append((knr, f[ni].strip(), _int(table, row, vi, f[vi])))
    if not out:
        raise RegisterParseError(table.path, None, "aar", f"no rows for year {year}")
    return pd.DataFrame(out, columns=["knr", "name", f"population_{year}"])


def parse_bord4_municipalities(path: str | os.PathLike) -> pd.DataFrame:
    """Parse bord4's municipality list (``kommunenummer,kommunenavn,fylkesnummer,fylkesnavn,...``)."""
    table = read_table(path)
    ki, ni = table.col("kommunenummer"), table.col("kommunenavn")
    fi, fn = table.col("fylkesnummer"), table.col("fylkesnavn")
    out = []
    for row, f in table.rows:
        cc = f[fi].strip()
        if not re.fullmatch(r"\d{2}", cc):
            raise table.error(row, fi, f"expected a 2-digit county code, got {cc!r}")
        out.append((_code4(table, row, ki, f[ki]), f[ni].strip(), cc, f[fn].strip()))
    return pd.DataFrame(out, columns=["knr", "name", "county_code", "county"])


def parse_code_map_json(path: str | os.PathLike) -> tuple[int, int, list[tuple[str, str]]]:
    """Parse bord4's ``["2021", "2025", {...}]`` code map. Returns (from_year, to_year, [(old, new), ...]).

    An entry ``"3001": "3101"`` maps old -> new; an entry whose value is a list, ``"1508": ["1507"]``, lists
    the old code(s) of a new code (a split).
    """
    path = Path(path)
    text, _ = decode_bytes(path.read_bytes())
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterParseError(path, exc.lineno, None, f"invalid JSON: {exc.msg}") from None
    if not (isinstance(obj, list) and len(obj) == 3 and isinstance(obj[2], dict)):
        raise RegisterParseError(path, 1, None, "expected [from_year, to_year, {code: code or [codes]}]")
    pairs = []
    for key, value in obj[2].items():
        if not re.fullmatch(r"\d{4}", key):
            raise RegisterParseError(path, None, key, "expected a 4-digit code as key")
        if isinstance(value, list):
            for old in value:
                if not (isinstance(old, str) and re.fullmatch(r"\d{4}", old)):
                    raise RegisterParseError(path, None, key, f"expected 4-digit codes, got {value!r}")
                pairs.append((old, key))
        elif isinstance(value, str) and re.fullmatch(r"\d{4}", value):
            pairs.append((key, value))
        else:
            raise RegisterParseError(path, None, key, f"expected a code or a list of codes, got {value!r}")
    return int(obj[0]), int(obj[1]), sorted(set(pairs))
