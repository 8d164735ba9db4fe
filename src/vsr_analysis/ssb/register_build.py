"""The Statistics Norway (SSB) register: derive the tables from the parsed raw exports, check, write.

``vsr register build --raw DIR [--out DIR]`` reads the raw files listed in :data:`RAW_FILES` (SSB's own
export formats as they come: StatBank table 07459 in latin-1 with tab or ``;`` separators and ``K-0301 Oslo``
region labels, KLASS classification 131 code and change lists, the centrality index, table 09280 area via the
covidnorge compilation) and writes the derived tables of ``data/register/``:

* ``municipalities_2020.csv`` - one row per 2020 municipality (356), columns :data:`REGISTER_COLUMNS`;
* ``municipalities_2024.csv`` - the 2024 structure (357), columns :data:`REGISTER_2024_COLUMNS`;
* ``knr_2020_2024.csv`` - the 2020 -> 2024 code map (one row per pair);
* ``knr_history_2013_2020.csv`` - every code valid 2013-2019 that is not a 2020 code, with its successor(s);
* ``networks.csv`` - membership of the KS sustainability network and the U4SSC cities (:data:`NETWORKS`);
* ``README.md`` (provenance, generated with the check figures) and ``MANIFEST.sha256``.

Every check in :func:`run_checks` must pass before anything is written; the files are written to a temporary
folder inside the output folder and moved into place with :func:`os.replace`. Output is deterministic (fixed
float formatting, ``\\n`` line endings, UTF-8), so a rebuild from the same raw files is byte-identical.

Errors: :class:`RegisterParseError` (names file, row = line number in the file, and column) for a raw file
that cannot be read, :class:`RegisterCheckError` for a failed check. The CLI reports both and exits 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vsr_analysis import paths
from vsr_analysis.data.register import (
    CODE_MAP_COLUMNS,
    CODE_MAP_FILE,
    HISTORY_COLUMNS,
    HISTORY_FILE,
    MANIFEST_FILE,
    NETWORKS_COLUMNS,
    NETWORKS_FILE,
    README_FILE,
    REGISTER_2024_COLUMNS,
    REGISTER_2024_FILE,
    REGISTER_COLUMNS,
    REGISTER_FILE,
    REGISTER_OPTIONAL_COLUMNS,
)
from vsr_analysis.ssb.raw_exports import (
    CHANGE_LISTS,
    RAW_FILES,
    ChangeList,
    RegisterCheckError,
    RegisterParseError,
    parse_bord4_municipalities,
    parse_centrality_2024,
    parse_change_list,
    parse_code_map_json,
    parse_covidnorge,
    parse_crosswalk_long,
    parse_crosswalk_wide,
    parse_klass_codes,
    parse_population_07459,
    parse_population_2024,
)

#: Expected figures. Totals are SSB's national population on 1 January (07459); 356 and 357 are the numbers
#: of municipalities in KLASS 131 in 2020 and 2024; 47 merged municipalities formed from 119 pre-reform ones
#: is the count of the 2017-2020 reform from the KLASS change lists.
EXPECTED_N_2020 = 356
EXPECTED_N_2024 = 357
EXPECTED_TOTALS = {2020: 5_367_580, 2021: 5_391_369}
EXPECTED_MERGED = 47
EXPECTED_PRE_REFORM_IN_MERGED = 119

#: SSB's centrality classes as published intervals of the index (class, lowest score, highest score), as
#: printed in the ``Intervall`` column of SSB's centrality file (the build checks that they agree). The 2020
#: register's ``centrality_class`` is *derived* from the 2020-version score with these intervals.
CENTRALITY_CLASS_INTERVALS: tuple[tuple[int, int, int], ...] = (
    (1, 925, 1000),
    (2, 870, 924),
    (3, 775, 869),
    (4, 670, 774),
    (5, 565, 669),
    (6, 0, 564),
)

#: Population size bands on ``population_2021`` (KOSTRA-like; not SSB's official KOSTRA groups, which also
#: use income). (label, lowest population, highest population or None).
SIZE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("<2,000", 0, 1_999),
    ("2,000\u20134,999", 2_000, 4_999),
    ("5,000\u20139,999", 5_000, 9_999),
    ("10,000\u201319,999", 10_000, 19_999),
    ("20,000\u201349,999", 20_000, 49_999),
    ("\u226550,000", 50_000, None),
)

#: Public network lists (register facts, see ../shared/reference/published_facts.md). Names are resolved to
#: 2020 codes in :func:`resolve_network_members`; every name must match exactly one 2020 municipality.
NETWORKS: dict[str, dict[str, object]] = {
    "ks": {
        "column": "network_ks",
        "label": "KS sustainability network (Bærekraftsnettverket), constituted 26 May 2020",
        "source": "asker.kommune.no; naturpress.no 26 May 2020",
        "members": (
            "Asker",
            "B\u00e6rum",
            "Trondheim",
            "Rana",
            "\u00c5lesund",
            "Bod\u00f8",
            "Haugesund",
            "Karm\u00f8y",
            "Kristiansand",
            "Kristiansund",
            "Molde",
            "Stavanger",
        ),
    },
    "u4ssc": {
        "column": "network_u4ssc",
        "label": "UNECE/ITU U4SSC city assessments (Molde: U4SSC verification report, Sept 2020)",
        "source": "unece.org Norwegian U4SSC project",
        "members": ("\u00c5lesund", "Asker", "B\u00e6rum", "Rana", "Trondheim", "Molde"),
    },
}

#: KLASS 131 names that the 2020 code-list export stored with ``?`` for characters outside latin-1 (the file
#: is latin-1; ``\u0161`` and ``\u014b`` were lost). The repair is applied only when the raw name matches it
#: with ``?`` standing for exactly one character. 5437 agrees with the 2019->2020 change list (Windows-1252).
NAME_REPAIRS: dict[str, str] = {
    "5436": "Porsanger - Pors\u00e1\u014bgu - Porsanki",
    "5437": "K\u00e1r\u00e1\u0161johka - Karasjok",
}

# ---------------------------------------------------------------------------------------------------------
# Derivations
# ---------------------------------------------------------------------------------------------------------


def centrality_class(score: int) -> int:
    """SSB centrality class (1 most central ... 6) of an index score, from :data:`CENTRALITY_CLASS_INTERVALS`."""
    for cls, low, _high in CENTRALITY_CLASS_INTERVALS:
        if score >= low:
            return cls
    raise ValueError(f"centrality score {score} is below every interval")


def size_band(population: int) -> str:
    """The :data:`SIZE_BANDS` label of a population."""
    for label, low, high in SIZE_BANDS:
        if population >= low and (high is None or population <= high):
            return label
    raise ValueError(f"population {population} is outside every size band")


def repair_names(codes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Replace names holding ``?`` (lost characters) with :data:`NAME_REPAIRS`. Returns (codes, notes).

    A ``?`` name without a matching repair is a :class:`RegisterCheckError`.
    """
    out, notes, problems = codes.copy(), [], []
    for i, (code, name) in enumerate(zip(codes["code"], codes["name"])):
        if "?" not in name:
            continue
        repair = NAME_REPAIRS.get(code)
        pattern = "^" + ".".join(re.escape(part) for part in name.split("?")) + "$"
        if repair is None or not re.match(pattern, repair):
            problems.append(
                f"KLASS name of {code} {name!r} has '?' (characters lost in the export) and no "
                f"matching repair in NAME_REPAIRS"
            )
            continue
        out.loc[i, "name"] = repair
        notes.append(f"{code}: {name!r} -> {repair!r}")
    if problems:
        raise RegisterCheckError(problems)
    return out, notes


def _name_parts(name: str) -> set[str]:
    """A KLASS name and its parallel-language parts: 'Fauske - Fuossko' -> {'fauske - fuossko', 'fauske', ...}."""
    parts = {name.strip().casefold()}
    parts.update(p.strip().casefold() for p in re.split(r"\s+[-\u2013]\s+", name))
    return parts


def resolve_names(names: Iterable[str], codes: pd.DataFrame) -> dict[str, str]:
    """Map each municipality name to the unique code in ``codes`` (``code, name``) whose name or one of its
    parallel-language parts equals it (case-insensitive). Raises :class:`RegisterCheckError` otherwise."""
    problems, out = [], {}
    for target in names:
        hits = [c for c, n in zip(codes["code"], codes["name"]) if target.strip().casefold() in _name_parts(n)]
        if len(hits) != 1:
            problems.append(f"name {target!r} matches {len(hits)} municipalities {hits} (expected exactly 1)")
        else:
            out[target] = hits[0]
    if problems:
        raise RegisterCheckError(problems)
    return out


def resolve_network_members(codes_2020: pd.DataFrame) -> pd.DataFrame:
    """The ``networks.csv`` table: one row per (municipality, network), names resolved to 2020 codes."""
    rows = []
    names = dict(zip(codes_2020["code"], codes_2020["name"]))
    for network, spec in NETWORKS.items():
        members = spec["members"]
        if len(set(members)) != len(members):
            raise RegisterCheckError(f"network {network!r} lists a member twice: {members}")
        for _target, knr in resolve_names(members, codes_2020).items():
            rows.append({"knr": knr, "name": names[knr], "network": network, "source": spec["source"]})
    return pd.DataFrame(rows, columns=list(NETWORKS_COLUMNS)).sort_values(["network", "knr"], ignore_index=True)


@dataclass
class CodeHistory:
    """Municipality codes 2013-2020 from the KLASS 131 change lists."""

    codes_by_year: dict[int, set[str]]
    successors: dict[tuple[int, str], list[str]]  # (year, code) -> 2020 codes
    names: dict[str, str]  # last name under which each code was valid
    merged_from: dict[str, list[str]]  # 2020 code -> pre-reform (2013) codes
    history: pd.DataFrame  # knr_history_2013_2020 table


def derive_code_history(
    klass_2020: pd.DataFrame,
    change_lists: Sequence[ChangeList],
    crosswalk_wide: pd.DataFrame,
    crosswalk_long: pd.DataFrame,
) -> CodeHistory:
    """Chain the change lists from the 2013 code set to 2020 and cross-check with the crosswalk files.

    The 2013 code set (pre-reform: valid 2013-2016; no code changed between 2013 and 2016) is the ``2013``
    column of gardenberg's wide crosswalk; the change lists then carry each code forward (a code not listed is
    unchanged). Checks: each year's set from the chain equals the crosswalk's column for that year, the 2020
    set equals KLASS 131 (2020), the 2013->2020 pairs equal the crosswalk's, and the long crosswalk lists the
    same (historic code -> 2020 code) pairs.
    """
    problems = []
    lists = sorted(change_lists, key=lambda c: c.from_year)
    for a, b in zip(lists, lists[1:]):
        if a.to_year != b.from_year:
            problems.append(
                f"change lists do not chain: {a.path.name} ends {a.to_year}, {b.path.name} starts {b.from_year}"
            )
    if lists[-1].to_year != 2020:
        problems.append(f"the last change list ends in {lists[-1].to_year}, not 2020")
    start = lists[0].from_year
    if f"knr_{start}" not in crosswalk_wide:
        raise RegisterCheckError(f"the wide crosswalk has no {start} column")
    codes_by_year = {start: set(crosswalk_wide[f"knr_{start}"])}
    for cl in lists:
        codes_by_year[cl.to_year] = {s for c in codes_by_year[cl.from_year] for s in cl.successors(c)}
        unknown = sorted({r.old_code for r in cl.records} - codes_by_year[cl.from_year])
        if unknown:
            problems.append(f"{cl.path.name}: old codes {unknown} were not valid in {cl.from_year}")
    klass_set = set(klass_2020["code"])
    if codes_by_year[2020] != klass_set:
        problems.append(
            f"2020 codes from the change lists differ from KLASS 131 2020: only chain "
            f"{sorted(codes_by_year[2020] - klass_set)}, only KLASS {sorted(klass_set - codes_by_year[2020])}"
        )
    for year, codes in codes_by_year.items():
        col = f"knr_{year}"
        if col in crosswalk_wide and set(crosswalk_wide[col]) != codes:
            problems.append(
                f"{year} codes from the change lists differ from the wide crosswalk: "
                f"{sorted(set(crosswalk_wide[col]) ^ codes)}"
            )

    successors: dict[tuple[int, str], list[str]] = {}
    for year in sorted(codes_by_year):
        for code in codes_by_year[year]:
            current = {code}
            for cl in lists:
                if cl.from_year >= year:
                    current = {s for c in current for s in cl.successors(c)}
            successors[(year, code)] = sorted(current)

    ours = {(c, s) for c in codes_by_year[start] for s in successors[(start, c)]}
    theirs = set(zip(crosswalk_wide[f"knr_{start}"], crosswalk_wide["knr_2020"]))
    if ours != theirs:
        problems.append(f"{start}->2020 pairs differ from the wide crosswalk: {sorted(ours ^ theirs)}")
    all_pairs = {(c, s) for (y, c), ss in successors.items() if y < 2020 for s in ss}
    long_pairs = set(zip(crosswalk_long["historic_knr"], crosswalk_long["knr_2020"]))
    if all_pairs != long_pairs:
        problems.append(f"historic->2020 pairs differ from the long crosswalk: {sorted(all_pairs ^ long_pairs)}")
    # Split flags in the change lists must agree with the derived successors.
    for cl in lists:
        for r in cl.records:
            if r.split is not None and bool(r.split) != (len(cl.successors(r.old_code)) > 1):
                problems.append(
                    f"{cl.path.name} row {r.row}: splittes={r.split} but {r.old_code} has "
                    f"successors {cl.successors(r.old_code)}"
                )
    if problems:
        raise RegisterCheckError(problems)

    names: dict[str, str] = dict(zip(klass_2020["code"], klass_2020["name"]))
    history_names: dict[str, str] = {}
    for cl in lists:  # later lists override: the last name under which the code was valid
        for r in cl.records:
            history_names[r.old_code] = r.old_name
            if r.new_code not in klass_set:
                history_names[r.new_code] = r.new_name
    merged_from: dict[str, list[str]] = defaultdict(list)
    for c in sorted(codes_by_year[start]):
        for s in successors[(start, c)]:
            merged_from[s].append(c)

    rows = []
    historic = sorted(set().union(*(codes_by_year[y] for y in codes_by_year if y < 2020)) - klass_set)
    for old in historic:
        last_year = max(y for y in codes_by_year if y < 2020 and old in codes_by_year[y])
        succ = successors[(last_year, old)]
        if old not in history_names:
            raise RegisterCheckError(f"no name for historic code {old}")
        for new in succ:
            rows.append(
                {
                    "old_knr": old,
                    "old_name": history_names[old],
                    "new_knr": new,
                    "new_name": names[new],
                    "split": int(len(succ) > 1),
                }
            )
    history = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    all_names = {**history_names, **names}
    return CodeHistory(codes_by_year, successors, all_names, dict(merged_from), history)


def derive_code_map_2020_2024(
    codes_2020: pd.DataFrame, codes_2024: pd.DataFrame, json_pairs: Sequence[tuple[str, str]]
) -> tuple[pd.DataFrame, list[str]]:
    """2020 -> 2024 code pairs: bord4's 2021->2025 map (no code changed on 1 Jan 2021, and the 2025 codes are
    the 2024 codes), the code itself when it is still a 2024 code, else the 2024 code with the same name.

    Returns (pairs, notes) where notes names every pair filled by name (e.g. 3026 -> 3226 Aurskog-Høland,
    missing from bord4's map).
    """
    set_2020, set_2024 = set(codes_2020["code"]), set(codes_2024["code"])
    problems, notes = [], []
    mapped: dict[str, set[str]] = defaultdict(set)
    for old, new in json_pairs:
        if old not in set_2020:
            problems.append(f"code map: old code {old} is not a 2020 code")
        if new not in set_2024:
            problems.append(f"code map: new code {new} is not a 2024 code")
        mapped[old].add(new)
    names_2024 = dict(zip(codes_2024["code"], codes_2024["name"]))
    for code, name in zip(codes_2020["code"], codes_2020["name"]):
        if code in mapped:
            continue
        if code in set_2024:
            mapped[code].add(code)
            continue
        hits = [c for c, n in names_2024.items() if n.strip().casefold() == name.strip().casefold()]
        if len(hits) == 1:
            mapped[code].add(hits[0])
            notes.append(f"{code} {name} -> {hits[0]} (not in the bord4 map; filled by exact name match)")
        else:
            problems.append(f"code map: 2020 code {code} {name} has no 2024 successor ({len(hits)} name matches)")
    covered = set().union(*mapped.values()) if mapped else set()
    if covered != set_2024:
        problems.append(f"code map: 2024 codes without a 2020 predecessor: {sorted(set_2024 - covered)}")
    if problems:
        raise RegisterCheckError(problems)
    pairs = sorted((o, n) for o, ns in mapped.items() for n in ns)
    return pd.DataFrame(pairs, columns=list(CODE_MAP_COLUMNS)), notes


# ---------------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RegisterBuild:
    """Everything the build derived, before writing."""

    register: pd.DataFrame
    register_2024: pd.DataFrame
    code_map: pd.DataFrame
    history: pd.DataFrame
    networks: pd.DataFrame
    figures: dict[str, object]
    notes: list[str]


def raw_path(raw_dir: str | os.PathLike, key: str) -> Path:
    return Path(raw_dir) / RAW_FILES[key]


def assemble(raw_dir: str | os.PathLike) -> RegisterBuild:
    """Parse every raw file in ``raw_dir``, derive the tables and run :func:`run_checks`. Writes nothing."""
    raw_dir = Path(raw_dir)
    missing = [str(raw_path(raw_dir, k)) for k in RAW_FILES if not raw_path(raw_dir, k).is_file()]
    if missing:
        raise RegisterCheckError([f"raw input file not found: {m}" for m in missing])

    klass, name_notes = repair_names(parse_klass_codes(raw_path(raw_dir, "klass_2020")))
    pop = {}
    for key in ("population_2020", "population_2021"):
        parsed = parse_population_07459(raw_path(raw_dir, key))
        year = int(key[-4:])
        if year not in parsed.counts:
            raise RegisterParseError(
                parsed.path, None, None, f"expected a column for {year}, found years {sorted(parsed.counts)}"
            )
        pop[year] = parsed
    covid = parse_covidnorge(raw_path(raw_dir, "covidnorge"))
    history = derive_code_history(
        klass,
        [parse_change_list(raw_path(raw_dir, k)) for k in CHANGE_LISTS],
        parse_crosswalk_wide(raw_path(raw_dir, "crosswalk_wide")),
        parse_crosswalk_long(raw_path(raw_dir, "crosswalk_long")),
    )
    cent24 = parse_centrality_2024(raw_path(raw_dir, "centrality_2024"))
    pop24 = parse_population_2024(raw_path(raw_dir, "population_2024"))
    mun26 = parse_bord4_municipalities(raw_path(raw_dir, "municipalities_2026"))
    _y0, _y1, json_pairs = parse_code_map_json(raw_path(raw_dir, "codes_2021_2025"))

    problems: list[str] = []
    # --- 2020 frame -----------------------------------------------------------------------------------
    reg = klass.rename(columns={"code": "knr"})
    covid_idx = covid.set_index("knr")
    for key, frame in (("covidnorge", covid),):
        if frame["knr"].duplicated().any():
            problems.append(f"{key}: duplicated codes {sorted(frame.loc[frame['knr'].duplicated(), 'knr'])}")
    if set(covid["knr"]) != set(reg["knr"]):
        problems.append(f"covidnorge codes differ from KLASS 131 2020: {sorted(set(covid['knr']) ^ set(reg['knr']))}")
    for year, parsed in pop.items():
        got = set(parsed.counts[year])
        if got != set(reg["knr"]):
            problems.append(
                f"07459 {year} ({parsed.path.name}): municipality codes differ from KLASS 131 2020: "
                f"only 07459 {sorted(got - set(reg['knr']))}, only KLASS {sorted(set(reg['knr']) - got)}"
            )
    if problems:
        raise RegisterCheckError(problems)

    reg["county_code"] = reg["knr"].str[:2]
    reg["county"] = reg["knr"].map(covid_idx["county"])
    wrong_county = reg.loc[reg["knr"].map(covid_idx["county_code"]) != reg["county_code"], "knr"]
    if len(wrong_county):
        problems.append(f"covidnorge fylkesnummer differs from the code's first two digits for {list(wrong_county)}")
    reg["population_2020"] = reg["knr"].map(pop[2020].counts[2020]).astype("int64")
    reg["population_2021"] = reg["knr"].map(pop[2021].counts[2021]).astype("int64")
    bad_pop = reg.loc[reg["knr"].map(covid_idx["population_2020"]) != reg["population_2020"], "knr"]
    if len(bad_pop):
        problems.append(f"07459 2020 sum over ages differs from covidnorge folketall for {list(bad_pop)}")
    reg["centrality_score"] = reg["knr"].map(covid_idx["centrality_score"]).astype("int64")
    reg["centrality_class"] = reg["centrality_score"].map(centrality_class).astype("int64")
    mf = history.merged_from
    reg["n_pre_reform"] = reg["knr"].map(lambda k: len(mf.get(k, []))).astype("int64")
    reg["merged_2017_2020"] = (reg["n_pre_reform"] >= 2).astype("int64")
    reg["merged_from"] = reg["knr"].map(lambda k: ";".join(mf[k]) if len(mf.get(k, [])) >= 2 else "")
    reg["area_km2"] = reg["knr"].map(covid_idx["area_km2"]).astype("float64")
    reg["population_density"] = (reg["population_2021"] / reg["area_km2"]).round(3)
    reg["size_band"] = reg["population_2021"].map(size_band)
    networks = resolve_network_members(klass)
    for network, spec in NETWORKS.items():
        members = set(networks.loc[networks["network"] == network, "knr"])
        reg[spec["column"]] = reg["knr"].isin(members).astype("int64")

    # Problems so far do not stop the derivation; they are reported together with run_checks' findings.
    n_soft = len(problems)

    # --- 2024 structure ---------------------------------------------------------------------------------
    for label, frame in (("centrality 2024", cent24), ("population 2024", pop24), ("bord4 2026", mun26)):
        if frame["knr"].duplicated().any():
            problems.append(f"{label}: duplicated codes {sorted(frame.loc[frame['knr'].duplicated(), 'knr'])}")
    sets24 = {
        "centrality 2024": set(cent24["knr"]),
        "population 2024": set(pop24["knr"]),
        "bord4 2026": set(mun26["knr"]),
    }
    if len({frozenset(s) for s in sets24.values()}) != 1:
        problems.append(
            "2024 code sets differ between files: " + "; ".join(f"{k}: {len(v)} codes" for k, v in sets24.items())
        )
    outside = cent24[(cent24["score"] < cent24["interval_low"]) | (cent24["score"] > cent24["interval_high"])]
    if len(outside):
        problems.append(f"centrality 2024: index outside its interval for {list(outside['knr'])}")
    published = {
        (int(c), int(lo), int(hi))
        for c, lo, hi in cent24[["class", "interval_low", "interval_high"]].drop_duplicates().itertuples(index=False)
    }
    if published != set(CENTRALITY_CLASS_INTERVALS):
        problems.append(
            f"SSB's published class intervals {sorted(published)} differ from "
            f"CENTRALITY_CLASS_INTERVALS {list(CENTRALITY_CLASS_INTERVALS)}"
        )
    if len(problems) > n_soft:
        raise RegisterCheckError(problems)
    reg24 = cent24[["knr", "name"]].copy()
    m26 = mun26.set_index("knr")
    reg24["county_code"] = reg24["knr"].map(m26["county_code"])
    reg24["county"] = reg24["knr"].map(m26["county"])
    reg24["population_2024"] = reg24["knr"].map(pop24.set_index("knr")["population_2024"]).astype("int64")
    c24 = cent24.set_index("knr")
    reg24["centrality_score_2024version"] = reg24["knr"].map(c24["score"]).astype("int64")
    reg24["centrality_class_2024version"] = reg24["knr"].map(c24["class"]).astype("int64")
    reg24 = reg24.sort_values("knr", ignore_index=True)[list(REGISTER_2024_COLUMNS)]

    code_map, map_notes = derive_code_map_2020_2024(klass, reg24.rename(columns={"knr": "code"}), json_pairs)
    joined = code_map.groupby("knr_2020")["knr_2024"].agg(lambda s: ";".join(sorted(s)))
    reg["knr_2024"] = reg["knr"].map(joined)

    reg = reg.sort_values("knr", ignore_index=True)[list(REGISTER_COLUMNS)]
    figures = {
        "n_2020": len(reg),
        "n_2024": len(reg24),
        "total_2020": int(reg["population_2020"].sum()),
        "total_2021": int(reg["population_2021"].sum()),
        "total_2024": int(reg24["population_2024"].sum()),
        "non_municipal_2020": pop[2020].skipped_regions,
        "non_municipal_2021": pop[2021].skipped_regions,
        "merged": int(reg["merged_2017_2020"].sum()),
        "pre_reform_in_merged": len({c for m in reg["merged_from"] if m for c in m.split(";")}),
        "n_codes_2013": len(history.codes_by_year[min(history.codes_by_year)]),
        "class_counts": {int(k): int(v) for k, v in reg["centrality_class"].value_counts().sort_index().items()},
        "class_counts_2024": {
            int(k): int(v) for k, v in reg24["centrality_class_2024version"].value_counts().sort_index().items()
        },
        "size_band_counts": {label: int((reg["size_band"] == label).sum()) for label, _, _ in SIZE_BANDS},
        "score_min": int(reg["centrality_score"].min()),
        "score_max": int(reg["centrality_score"].max()),
        "area_total": float(reg["area_km2"].sum()),
        "history_codes": int(history.history["old_knr"].nunique()),
        "history_rows": len(history.history),
        "history_split_codes": sorted(history.history.loc[history.history["split"] == 1, "old_knr"].unique()),
        "split_2024": sorted(k for k, v in reg.set_index("knr")["knr_2024"].items() if ";" in v),
        "network_counts": {n: int(reg[s["column"]].sum()) for n, s in NETWORKS.items()},
    }
    figures["name_repairs"] = name_notes
    build = RegisterBuild(reg, reg24, code_map, history.history, networks, figures, map_notes)
    run_checks(build, problems)
    return build


def run_checks(build: RegisterBuild, earlier_problems: Sequence[str] = ()) -> None:
    """The register checks. Raises :class:`RegisterCheckError` listing every failure (with ``earlier_problems``
    found while deriving the tables)."""
    reg, reg24, f = build.register, build.register_2024, build.figures
    problems = list(earlier_problems)
    if list(reg.columns) != list(REGISTER_COLUMNS):
        problems.append(f"register columns {list(reg.columns)} differ from the contract {list(REGISTER_COLUMNS)}")
    if len(reg) != EXPECTED_N_2020 or reg["knr"].nunique() != EXPECTED_N_2020:
        problems.append(
            f"expected {EXPECTED_N_2020} unique 2020 municipality codes, got {reg['knr'].nunique()} "
            f"unique in {len(reg)} rows"
        )
    for year, expected in EXPECTED_TOTALS.items():
        got = int(reg[f"population_{year}"].sum())
        if got != expected:
            problems.append(
                f"population total 1 Jan {year} is {got:,}, expected {expected:,} (difference {got - expected:+,})"
            )
    missing_classes = sorted({c for c, _, _ in CENTRALITY_CLASS_INTERVALS} - set(reg["centrality_class"]))
    if missing_classes:
        problems.append(f"centrality classes missing from the register: {missing_classes}")
    for col in REGISTER_COLUMNS:
        if col in REGISTER_OPTIONAL_COLUMNS:
            continue
        bad = reg[col].isna() | (reg[col].astype(str).str.strip() == "")
        if bad.any():
            problems.append(f"missing values in required column {col!r} for {list(reg.loc[bad, 'knr'])[:10]}")
    if f["merged"] != EXPECTED_MERGED or f["pre_reform_in_merged"] != EXPECTED_PRE_REFORM_IN_MERGED:
        problems.append(
            f"expected {EXPECTED_MERGED} merged municipalities from {EXPECTED_PRE_REFORM_IN_MERGED} "
            f"pre-reform ones, got {f['merged']} from {f['pre_reform_in_merged']}"
        )
    if len(reg24) != EXPECTED_N_2024 or reg24["knr"].nunique() != EXPECTED_N_2024:
        problems.append(f"expected {EXPECTED_N_2024} unique 2024 municipality codes, got {reg24['knr'].nunique()}")
    if reg24.isna().any().any():
        problems.append("missing values in the 2024 table")
    for network, spec in NETWORKS.items():
        if f["network_counts"][network] != len(spec["members"]):
            problems.append(
                f"network {network}: {f['network_counts'][network]} members flagged, expected {len(spec['members'])}"
            )
    if problems:
        raise RegisterCheckError(problems)


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------


def _fmt(value: object, column: str) -> str:
    if column == "area_km2":
        return f"{float(value):.2f}"
    if column == "population_density":
        return f"{float(value):.3f}"
    return str(value)


def to_csv_text(frame: pd.DataFrame) -> str:
    """Deterministic CSV: UTF-8 text, comma, minimal quoting, ``\\n`` line ends, fixed float formats."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(frame.columns)
    cols = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_fmt(v, c) for v, c in zip(row, cols)])
    return buf.getvalue()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_files(build: RegisterBuild) -> dict[str, bytes]:
    """Every derived file's bytes, by file name (including README.md and MANIFEST.sha256)."""
    files = {
        REGISTER_FILE: to_csv_text(build.register),
        REGISTER_2024_FILE: to_csv_text(build.register_2024),
        CODE_MAP_FILE: to_csv_text(build.code_map),
        HISTORY_FILE: to_csv_text(build.history),
        NETWORKS_FILE: to_csv_text(build.networks),
    }
    files[README_FILE] = render_readme(build)
    out = {name: text.encode("utf-8") for name, text in files.items()}
    out[MANIFEST_FILE] = "".join(f"{sha256_bytes(out[n])}  {n}\n" for n in sorted(out)).encode("utf-8")
    return out


def write_files(files: Mapping[str, bytes], out_dir: str | os.PathLike) -> list[Path]:
    """Write ``files`` into ``out_dir`` (names may contain sub-folders): all into a temporary folder inside it
    first, then ``os.replace`` each into place. A failure while writing leaves ``out_dir``'s existing files untouched."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".register-build-", dir=out_dir))
    try:
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)  # a name may hold a sub-folder
            (tmp / name).write_bytes(data)
        written = []
        for name in files:
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, out_dir / name)
            written.append(out_dir / name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build(raw_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> RegisterBuild:
    """Parse, derive, check and (only if every check passed) write the register tables into ``out_dir``."""
    result = assemble(raw_dir)
    write_files(render_files(result), paths.register_dir() if out_dir is None else out_dir)
    return result


def verify_manifest(directory: str | os.PathLike | None = None) -> list[str]:
    """Compare the files in ``directory`` with its MANIFEST.sha256. Returns the problems (empty if all match)."""
    directory = paths.register_dir() if directory is None else Path(directory)
    problems = []
    for line in (directory / MANIFEST_FILE).read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: listed in the manifest but missing")
        elif sha256_bytes(path.read_bytes()) != digest:
            problems.append(f"{name}: checksum differs from the manifest")
    return problems


# ---------------------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------------------


def counts_text(d: Mapping[object, int]) -> str:
    """``{key: count}`` as ``key: count, key: count`` (the README's and ``vsr register build``'s figures)."""
    return ", ".join(f"{k}: {v}" for k, v in d.items())


def render_readme(build: RegisterBuild) -> str:
    """data/register/README.md, generated with the build's figures so that it always matches the tables."""
    f = build.figures
    intervals = ", ".join(
        f"{c} \u2265{lo}" if c == 1 else (f"{c} \u2264{hi}" if c == 6 else f"{c} {lo}\u2013{hi}")
        for c, lo, hi in CENTRALITY_CLASS_INTERVALS
    )
    bands = ", ".join(f"`{label}`" for label, _, _ in SIZE_BANDS)
    ks = ", ".join(NETWORKS["ks"]["members"])
    u4 = ", ".join(NETWORKS["u4ssc"]["members"])
    notes = "\n".join(f"  - {n}" for n in build.notes) or "  - none"
    repairs = "\n".join(f"  - {n}" for n in f["name_repairs"]) or "  - none"
    return f"""# Register data: Statistics Norway (SSB) municipality covariates

Derived tables built from SSB's raw exports by `vsr register build` (code: `src/vsr_analysis/ssb/`, parsers in `raw_exports.py`, derivations in `register_build.py`).
Do not edit these files by hand: rebuild them. This README is generated by the build too.

**Build command** (from the project root, with the raw files beside the project):

```
vsr register build --raw ../shared/data/ssb
```

The raw files and their carriers are documented in `../shared/data/ssb/PROVENANCE.md`. A rebuild is byte-identical;
`tests/test_register.py` rebuilds into a temporary folder and compares every file and `MANIFEST.sha256`
(the test is skipped where `../shared/data/ssb` is absent). `vsr register fetch --out DIR` downloads the inputs
SSB's APIs offer (07459 and 09280 by PxWebApi 2.0, KLASS 131) for an independent check; with `--rest-from DIR` it
copies the others, so that `vsr register build --raw DIR` can run on the result (see the project README).

## Licence and attribution
SSB's licence page (https://www.ssb.no/informasjon/copyright) places the content of ssb.no under the **Norwegian
Licence for Open Government Data (NLOD)**, and its StatBank terms
(https://www.ssb.no/informasjon/om-statistikkbanken/generelle-vilkar-for-bruk-av-statistikkbanken) let anyone store,
copy and pass on StatBank material if the source is named. SSB's API user guide
(https://www.ssb.no/en/api/statbank-pxwebapi-user-guide) states that its APIs use **Creative Commons CC BY 4.0**.
The raw files of this build are StatBank and KLASS exports (NLOD); files downloaded by `vsr register fetch` come from
the APIs (CC BY 4.0). Both licences ask for attribution: **"Kilde: Statistisk sentralbyr\u00e5"** (Source: Statistics
Norway), without suggesting that SSB endorses the use. The files reached us through
public GitHub repositories whose own licences are: folkehelseinstituttet/fhidata (package GPL-3; its documentation
states the population data are NLOD 2.0), gardenberg/kommunekoder (MIT while the data files were committed),
BergensTidende/bord4-data (MIT), thomastallaksen/valgdata and oystess/valg_analyser (no licence file found),
oysteinsolvang/covidnorge / DataverseNO doi:10.18710/NMKI2B (no licence file; DataverseNO terms **unconfirmed**).
The network lists are public facts with the sources named in `networks.csv`.

## Files
| file | rows | content |
|---|---|---|
| `{REGISTER_FILE}` | {f["n_2020"]} | one row per 2020 municipality, sorted by `knr` (columns below) |
| `{REGISTER_2024_FILE}` | {f["n_2024"]} | the 2024 structure: `{",".join(REGISTER_2024_COLUMNS)}` |
| `{CODE_MAP_FILE}` | {len(build.code_map)} | 2020 -> 2024 code map, one row per pair (`{",".join(CODE_MAP_COLUMNS)}`) |
| `{HISTORY_FILE}` | {f["history_rows"]} | every code valid 2013-2019 that is not a 2020 code ({f["history_codes"]} codes), with its 2020 successor(s): `{",".join(HISTORY_COLUMNS)}` |
| `{NETWORKS_FILE}` | {len(build.networks)} | network membership: `{",".join(NETWORKS_COLUMNS)}` |
| `{MANIFEST_FILE}` | | `sha256sum -c` format checksums of every file above and this README |

All files are UTF-8, comma-separated, `\\n` line endings. Load them with `vsr_analysis.data.register.load_register()`,
`load_register_2024()`, `load_code_map_2020_2024()`, `load_knr_history()`, `load_networks()` (codes as strings).

## Columns of `{REGISTER_FILE}`
| column | source | reference date |
|---|---|---|
| `knr`, `name` | KLASS classification 131 (municipalities), version valid in 2020, SSB export (`9999 Uoppgitt` dropped) | 1 Jan 2020 |
| `county_code` | first two digits of `knr` (checked against covidnorge `fylkesnummer`) | 1 Jan 2020 |
| `county` | 2020 county name, covidnorge `fylkesnavn` | 2020 |
| `population_2020` | StatBank table 07459, sum over 1-year ages (fhidata export `Personer2020.csv`, tab, latin-1) | 1 Jan 2020 |
| `population_2021` | StatBank table 07459, sum over ages (fhidata `Personer2021.csv`, `;`, latin-1, 2 title lines) | 1 Jan 2021 |
| `centrality_score` | SSB centrality index, **2020 version** for the 2020 municipalities (SSB Notater 2020/4), via covidnorge `sentralitetsindeks` | 2020 version |
| `centrality_class` | **derived, not read from a file**: SSB's published class intervals applied to `centrality_score`: {intervals} | 2020 version |
| `merged_2017_2020` | 1 if the municipality combines >=2 pre-reform (2013-2016) municipalities, from the KLASS 131 change lists 2013->2017, 2017->2018, 2018->2019, 2019->2020 (a part of a split municipality counts) | 1 Jan 2017 - 1 Jan 2020 |
| `n_pre_reform` | number of pre-reform municipalities (2013 codes) whose area is (partly) in it | as above |
| `merged_from` | those 2013 codes, `;`-joined; empty if not merged | as above |
| `area_km2` | StatBank table 09280, **total area = land + freshwater**, km^2, as in the source (2 decimals), via covidnorge `areal` | 1 Jan 2020 |
| `population_density` | `population_2021 / area_km2`, rounded to 3 decimals (inhabitants per km^2 of total area) | - |
| `size_band` | band of `population_2021`: {bands}. KOSTRA-like population bands defined by this project, **not** SSB's official KOSTRA groups | 1 Jan 2021 |
| `network_ks` | 1 for the 12 municipalities of the KS sustainability network (Bærekraftsnettverket) constituted 26 May 2020: {ks} (asker.kommune.no; naturpress.no 26 May 2020) | 26 May 2020 |
| `network_u4ssc` | 1 for the U4SSC cities: {u4} (unece.org Norwegian U4SSC project; Molde: verification report Sept 2020) | 2020 |
| `knr_2024` | the 2024 code(s), `;`-joined (`1507` Ålesund split into `1508;1580`) | 1 Jan 2024 |

Network names are resolved to 2020 codes in code (`NETWORKS` in `ssb/register_build.py`); each must match exactly one
2020 municipality.

## The 2024 structure
`{REGISTER_2024_FILE}`: `knr`, `name`, `centrality_score_2024version`, `centrality_class_2024version` from SSB's centrality
file for the 2024 municipalities (index 2023, class as published by SSB, not derived); `population_2024` from 07459 on
2024 borders (code list "Kommuner 2024", processed extract of oystess/valg_analyser); `county_code`, `county` from
bord4's KLASS-based list (2026 names; the same 357 codes and 15 counties as 2024). `{CODE_MAP_FILE}` comes from bord4's
2021->2025 map (no code changed on 1 Jan 2021; the 2025 codes are the 2024 codes), the code itself where it
survived, and exact name matches where bord4's map has a gap:
{notes}

## Checks (the build fails, writes nothing and exits 1 if any fails)
- KLASS 131 (2020) has {f["n_2020"]} unique codes; 07459 2020 and 2021 and covidnorge have the same code set.
- Population totals: **{f["total_2020"]:,}** (1 Jan 2020) and **{f["total_2021"]:,}** (1 Jan 2021), SSB's national totals.
  The non-municipal regions of the 07459 exports (Svalbard and Jan Mayen, continental shelf, unallocated) are all 0.
- Every municipality's 2020 sum over ages equals covidnorge `folketall`; covidnorge `fylkesnummer` equals `knr[:2]`.
- Every centrality class 1-6 is present. 2020-version scores run from {f["score_min"]} to {f["score_max"]}; derived class
  distribution {counts_text(f["class_counts"])}.
- SSB's published intervals (the `Intervall` column of the 2024 file) equal the intervals used to derive the class, and
  every 2024 index lies inside its interval. 2024 class distribution: {counts_text(f["class_counts_2024"])}.
- No missing value in any column (except `merged_from`, empty when not merged).
- Code history: the 2013 code set ({f["n_codes_2013"]} codes) carried through the four change lists gives exactly the
  KLASS 2020 codes, and every year's code set and every historic -> 2020 pair agree with gardenberg's wide and long
  crosswalks; the change lists' split flags agree with the derived successors (split codes:
  {", ".join(f["history_split_codes"])}).
- Mergers: **{f["merged"]} merged municipalities formed from {f["pre_reform_in_merged"]} pre-reform municipalities**.
- 2024: {f["n_2024"]} unique codes, the same in the centrality, population and county files; the 2020 -> 2024 map
  covers all {f["n_2020"]} and all {f["n_2024"]} codes. 2024 population total {f["total_2024"]:,} (not checked
  against an SSB source).
- Networks: {f["network_counts"]["ks"]} KS members and {f["network_counts"]["u4ssc"]} U4SSC cities resolved.

Other figures: total area {f["area_total"]:,.2f} km^2 (mainland Norway); size bands {counts_text(f["size_band_counts"])}.

## Caveats
- `centrality_class` is derived from the 2020-version score with SSB's published intervals; no verbatim SSB file of
  the 2020-version index was found, and the score comes from a secondary compilation (covidnorge).
- `area_km2` is total area (land + freshwater), not land area; population density is per km^2 of total area.
- The covidnorge compilation's licence is unconfirmed (no licence file; DataverseNO terms not seen).
- The 2024 population is a processed extract, not a verbatim SSB export.
- `merged_2017_2020` counts a municipality that received part of a split municipality (Tysfjord 1850 ->
  Narvik, Hamarøy; Snillfjord 5012 -> Heim, Hitra, Orkland) as merged; Inderøy (merged 2012) is not flagged.
- Names differ between sources (Sami/Kven parallel names, dashes): join on `knr`, never on name.
- The KLASS 2020 export is latin-1 and stored `?` for letters outside it; these names were repaired to SSB's
  spelling (`NAME_REPAIRS` in `ssb/register_build.py`, applied only where the raw name matches with `?` as one letter):
{repairs}
"""
