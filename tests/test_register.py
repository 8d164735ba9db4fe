"""The SSB register: parsers on the real raw files, byte-identical rebuild, loud checks, loaders and contracts."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsr_analysis import paths
from vsr_analysis.cli.register import cli_build
from vsr_analysis.data import register as register_tables
from vsr_analysis.ssb import raw_exports
from vsr_analysis.ssb import register_build as register
from vsr_analysis.ssb.raw_exports import RegisterCheckError, RegisterParseError

FIXTURES = Path(__file__).parent / "fixtures" / "register"
RAW = paths.shared_raw_ssb_dir()
needs_raw = pytest.mark.skipif(
    not RAW.is_dir(),
    reason=f"raw SSB exports not available at {RAW} (../shared/data/ssb beside the project); "
    "the committed register is still checked against its manifest",
)


def _raw(key: str) -> Path:
    return RAW / register.RAW_FILES[key]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """The register rebuilt from the raw files through the CLI function, and what it printed."""
    if not RAW.is_dir():
        pytest.skip(f"raw SSB exports not available at {RAW}")
    out = tmp_path_factory.mktemp("register")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli_build(argparse.Namespace(raw=str(RAW), out=str(out)))
    assert rc == 0
    return out, buf.getvalue()


def _doctored_raw(tmp_path: Path, key: str, transform) -> Path:
    """A copy of the raw folder made of symlinks, with the file ``key`` replaced by ``transform(bytes)``."""
    raw = tmp_path / "raw"
    for k, rel in register.RAW_FILES.items():
        dest = raw / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if k == key:
            dest.write_bytes(transform((RAW / rel).read_bytes()))
        else:
            os.symlink(RAW / rel, dest)
    return raw


# --- generic reading on small fixtures -------------------------------------------------------------------


def test_decode_tries_utf8_then_cp1252_then_latin1():
    assert raw_exports.decode_bytes("Bærum".encode()) == ("Bærum", "utf-8")
    assert raw_exports.decode_bytes(b"\xef\xbb\xbfOslo") == ("Oslo", "utf-8-sig")
    assert raw_exports.decode_bytes("Kárášjohka".encode("cp1252")) == ("Kárášjohka", "cp1252")
    # 0x81 is undefined in Windows-1252, so only latin-1 can decode it
    assert raw_exports.decode_bytes(b"\x81\xe6")[1] == "latin-1"


@pytest.mark.parametrize(
    "lines, expected",
    [
        (['"a";"b"', '"1";"2"'], ";"),
        (['"a"\t"b"', '"x, y"\t"2"'], "\t"),
        (["a,b,c", "1,2,3"], ","),
        (['"07459: Population, by region, age"', "", '"region";"age";"n"', '"K-0301 Oslo";"0 years";5'], ";"),
    ],
)
def test_sniff_delimiter(lines, expected):
    assert raw_exports.sniff_delimiter(lines) == expected


def test_population_tab_semicolon_and_comma_variants_parse_alike():
    tab = register.parse_population_07459(FIXTURES / "pop_tab_latin1.csv")
    semi = register.parse_population_07459(FIXTURES / "pop_semicolon_latin1.csv")
    comma = register.parse_population_07459(FIXTURES / "pop_comma_utf8bom.csv")
    expected = {"3014": 810, "5041": 31}
    for parsed in (tab, semi, comma):
        assert parsed.counts == {2020: expected}
        assert parsed.names == {"3014": "Indre Østfold", "5041": "Snåase - Snåsa"}
        assert parsed.skipped_regions == {
            "K-21-22 Svalbard and Jan Mayen": 0,
            "K-Rest Divided municalities and unknown": 0,
        }
    assert raw_exports.read_table(FIXTURES / "pop_tab_latin1.csv").delimiter == "\t"
    semi_table = raw_exports.read_table(FIXTURES / "pop_semicolon_latin1.csv")
    assert (semi_table.delimiter, semi_table.header_row) == (";", 3)
    assert semi_table.encoding == "cp1252"  # latin-1 text decodes identically as Windows-1252


def test_parse_error_names_file_row_and_column():
    with pytest.raises(RegisterParseError) as err:
        register.parse_population_07459(FIXTURES / "pop_bad_value_latin1.csv")
    exc = err.value
    assert exc.file.endswith("pop_bad_value_latin1.csv")
    assert exc.row == 3 and exc.column == "Persons 2020"
    assert "'..'" in str(exc) and "row 3" in str(exc) and "Persons 2020" in str(exc)


def test_change_list_with_nbsp_dash_and_cp1252():
    cl = register.parse_change_list(FIXTURES / "changes_2019_2020_cp1252.csv")
    assert (cl.from_year, cl.to_year) == (2019, 2020)
    first = cl.records[0]
    assert (first.old_code, first.old_name, first.new_code, first.split) == ("2021", "Kárášjohka - Karasjok", "5437", 0)
    assert cl.successors("1850") == ["1806", "1875"]
    assert cl.successors("1805") == ["1806"]
    assert cl.successors("0301") == ["0301"]  # not listed: unchanged


def test_klass_codes_ragged_rows_and_9999_dropped():
    codes = register.parse_klass_codes(FIXTURES / "klass_codes_ragged_latin1.csv")
    assert codes.to_dict("list") == {"code": ["0301", "3014"], "name": ["Oslo", "Indre Østfold"]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                '"K-0301 Oslo"',
                '"0 years"',
                "12",
                "..",
                "",
                ";",
                "\t",
                ",",
                '"',
                "\n",
                "x",
                "Persons 2020",
                "region",
                "æ",
                "\r\n",
            ]
        ),
        max_size=40,
    )
)
def test_population_parser_never_crashes_on_garbage(tmp_path, tokens):
    path = tmp_path / "garbage.csv"
    path.write_bytes("".join(tokens).encode("latin-1"))
    try:
        parsed = register.parse_population_07459(path)
    except RegisterParseError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert all(isinstance(v, int) for c in parsed.counts.values() for v in c.values())


def test_missing_file_is_a_parse_error(tmp_path):
    with pytest.raises(RegisterParseError, match="not found"):
        raw_exports.read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "score, cls",
    [
        (1000, 1),
        (925, 1),
        (924, 2),
        (870, 2),
        (869, 3),
        (775, 3),
        (774, 4),
        (670, 4),
        (669, 5),
        (565, 5),
        (564, 6),
        (0, 6),
    ],
)
def test_centrality_class_intervals(score, cls):
    assert register.centrality_class(score) == cls


@pytest.mark.parametrize(
    "pop, band",
    [
        (0, "<2,000"),
        (1999, "<2,000"),
        (2000, "2,000–4,999"),
        (4999, "2,000–4,999"),
        (5000, "5,000–9,999"),
        (19999, "10,000–19,999"),
        (20000, "20,000–49,999"),
        (49999, "20,000–49,999"),
        (50000, "≥50,000"),
        (700000, "≥50,000"),
    ],
)
def test_size_bands(pop, band):
    assert register.size_band(pop) == band


def test_name_repair_only_when_pattern_matches():
    codes = pd.DataFrame({"code": ["5437", "0301"], "name": ["Kárá?johka - Karasjok", "Oslo"]})
    fixed, notes = register.repair_names(codes)
    assert list(fixed["name"]) == ["Kárášjohka - Karasjok", "Oslo"] and len(notes) == 1
    with pytest.raises(RegisterCheckError, match="no matching repair"):
        register.repair_names(pd.DataFrame({"code": ["5437"], "name": ["Kárá?jXhka - Karasjok"]}))


def test_resolve_names_requires_exactly_one_match():
    codes = pd.DataFrame({"code": ["1515", "1818", "1841"], "name": ["Herøy", "Herøy", "Fauske - Fuossko"]})
    assert register.resolve_names(["Fauske"], codes) == {"Fauske": "1841"}
    with pytest.raises(RegisterCheckError, match="matches 2 municipalities"):
        register.resolve_names(["Herøy"], codes)


# --- the committed tables (no raw files needed) -----------------------------------------------------------


def test_committed_files_match_manifest():
    assert register.verify_manifest() == []
    listed = {
        line.split("  ", 1)[1]
        for line in (paths.register_dir() / register.MANIFEST_FILE).read_text(encoding="utf-8").splitlines()
    }
    assert listed == {
        register.REGISTER_FILE,
        register.REGISTER_2024_FILE,
        register.CODE_MAP_FILE,
        register.HISTORY_FILE,
        register.NETWORKS_FILE,
        register.README_FILE,
    }


def test_register_contract():
    reg = register_tables.load_register()
    assert list(reg.columns) == list(register.REGISTER_COLUMNS)
    assert len(reg) == 356 and reg["knr"].is_unique and reg["knr"].is_monotonic_increasing
    assert reg["knr"].str.fullmatch(r"\d{4}").all() and reg["county_code"].str.fullmatch(r"\d{2}").all()
    assert (reg["county_code"] == reg["knr"].str[:2]).all()
    for col in register_tables.REGISTER_INT_COLUMNS:
        assert reg[col].dtype == "int64", col
    for col in ("merged_2017_2020", "network_ks", "network_u4ssc"):
        assert set(reg[col]) <= {0, 1}
    assert reg["population_2020"].sum() == 5_367_580 and reg["population_2021"].sum() == 5_391_369
    assert sorted(reg["centrality_class"].unique()) == [1, 2, 3, 4, 5, 6]
    assert reg["merged_2017_2020"].sum() == 47
    merged = reg[reg["merged_2017_2020"] == 1]
    assert (merged["merged_from"].str.split(";").str.len() == merged["n_pre_reform"]).all()
    assert len({c for m in merged["merged_from"] for c in m.split(";")}) == 119
    assert (reg.loc[reg["merged_2017_2020"] == 0, "merged_from"] == "").all()
    assert (reg.loc[reg["merged_2017_2020"] == 0, "n_pre_reform"] == 1).all()
    dens = (reg["population_2021"] / reg["area_km2"]).round(3)
    assert (abs(dens - reg["population_density"]) < 1e-9).all()
    row = reg.set_index("knr").loc["1507"]
    assert row["knr_2024"] == "1508;1580" and row["network_ks"] == 1 and row["network_u4ssc"] == 1
    assert reg.set_index("knr").loc["5056", "merged_from"] == "1613;1617"  # Hitra got part of Snillfjord
    assert reg.set_index("knr").loc["5053", "merged_2017_2020"] == 0  # Inderøy merged in 2012
    assert not reg.drop(columns=["merged_from"]).isna().any().any()


def test_county_names_2020():
    names = register_tables.county_names_2020()
    assert list(names) == ["03", "11", "15", "18", "30", "34", "38", "42", "46", "50", "54"]
    assert names["46"] == "Vestland" and names["30"] == "Viken"


def test_history_contract():
    hist = register_tables.load_knr_history()
    assert list(hist.columns) == list(register.HISTORY_COLUMNS)
    reg_codes = set(register_tables.load_register()["knr"])
    assert not set(hist["old_knr"]) & reg_codes
    assert set(hist["new_knr"]) <= reg_codes
    split = hist[hist["split"] == 1].groupby("old_knr")["new_knr"].apply(list).to_dict()
    assert split == {"1613": ["5055", "5056", "5059"], "1850": ["1806", "1875"], "5012": ["5055", "5056", "5059"]}
    by_old = hist.set_index("old_knr")
    assert by_old.loc["0101", "new_knr"] == "3001" and by_old.loc["0101", "split"] == 0  # renumbered
    assert by_old.loc["1567", "new_knr"] == "5061"  # Rindal moved county in 2019
    assert by_old.loc["1601", "new_knr"] == "5001"
    assert (hist.groupby("old_knr")["new_knr"].count().gt(1) == hist.groupby("old_knr")["split"].max().eq(1)).all()


def test_2024_structure_and_code_map():
    reg24 = register_tables.load_register_2024()
    assert list(reg24.columns) == list(register.REGISTER_2024_COLUMNS)
    assert len(reg24) == 357 and reg24["knr"].is_unique
    assert set(reg24["centrality_class_2024version"]) == {1, 2, 3, 4, 5, 6}
    cmap = register_tables.load_code_map_2020_2024()
    assert cmap["knr_2020"].nunique() == 356 and set(cmap["knr_2024"]) == set(reg24["knr"])
    assert cmap.loc[cmap["knr_2020"] == "3026", "knr_2024"].tolist() == ["3226"]
    assert cmap.loc[cmap["knr_2020"] == "1507", "knr_2024"].tolist() == ["1508", "1580"]


def test_networks_contract():
    nets = register_tables.load_networks()
    reg = register_tables.load_register().set_index("knr")
    assert list(nets.columns) == list(register.NETWORKS_COLUMNS)
    assert nets.groupby("network").size().to_dict() == {"ks": 12, "u4ssc": 6}
    for network, spec in register.NETWORKS.items():
        members = set(nets.loc[nets["network"] == network, "knr"])
        assert members == set(reg.index[reg[spec["column"]] == 1])
    assert set(nets.loc[nets["network"] == "u4ssc", "knr"]) <= set(nets.loc[nets["network"] == "ks", "knr"])


def test_readme_documents_sources_and_command():
    text = (paths.register_dir() / register.README_FILE).read_text(encoding="utf-8")
    for needle in (
        "vsr register build --raw ../shared/data/ssb",
        "Kilde: Statistisk sentralbyrå",
        "NLOD",
        "derived, not read from a file",
        "land + freshwater",
        "unconfirmed",
        "07459",
        "09280",
        "KLASS classification 131",
    ):
        assert needle in text, needle
    for col in register.REGISTER_COLUMNS:
        assert f"`{col}`" in text, col


# --- real raw files ------------------------------------------------------------------------------------


@needs_raw
def test_parse_real_population_files():
    p20 = register.parse_population_07459(_raw("population_2020"))
    p21 = register.parse_population_07459(_raw("population_2021"))
    assert sum(p20.counts[2020].values()) == 5_367_580 and len(p20.counts[2020]) == 356
    assert sum(p21.counts[2021].values()) == 5_391_369 and set(p21.counts[2021]) == set(p20.counts[2020])
    assert p20.counts[2020]["0301"] == 693_494
    assert set(p20.skipped_regions.values()) == {0}  # Svalbard, continental shelf, unallocated
    assert p21.names["5041"] == "Snåase - Snåsa"  # latin-1 decoded


@needs_raw
def test_parse_real_klass_and_change_lists():
    codes = register.parse_klass_codes(_raw("klass_2020"))
    assert len(codes) == 356 and "9999" not in set(codes["code"])
    years = [(c.from_year, c.to_year) for c in (register.parse_change_list(_raw(k)) for k in register.CHANGE_LISTS)]
    assert years == [(2013, 2017), (2017, 2018), (2018, 2019), (2019, 2020)]
    cl = register.parse_change_list(_raw("changes_2019_2020"))
    assert {r.old_code for r in cl.records if r.split == 1} == {"1850", "5012"}
    assert any(r.old_name == "Kárášjohka - Karasjok" for r in cl.records)


@needs_raw
def test_parse_real_centrality_and_2024_files():
    cov = register.parse_covidnorge(_raw("covidnorge"))
    assert len(cov) == 356 and cov["centrality_score"].between(295, 1000).all()
    c24 = register.parse_centrality_2024(_raw("centrality_2024"))
    assert len(c24) == 357 and ((c24["score"] >= c24["interval_low"]) & (c24["score"] <= c24["interval_high"])).all()
    p24 = register.parse_population_2024(_raw("population_2024"))
    assert len(p24) == 357 and p24["population_2024"].sum() == 5_550_203
    _a, _b, pairs = register.parse_code_map_json(_raw("codes_2021_2025"))
    assert ("1507", "1508") in pairs and ("1507", "1580") in pairs and ("3001", "3101") in pairs


@needs_raw
def test_rebuild_is_byte_identical_to_committed(rebuilt):
    out, _ = rebuilt
    committed = paths.register_dir()
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            register.REGISTER_FILE,
            register.REGISTER_2024_FILE,
            register.CODE_MAP_FILE,
            register.HISTORY_FILE,
            register.NETWORKS_FILE,
            register.README_FILE,
            register.MANIFEST_FILE,
        ]
    )
    for name in names:
        assert (out / name).read_bytes() == (committed / name).read_bytes(), f"{name} differs from the committed file"
    assert register.verify_manifest(out) == []


@needs_raw
def test_rebuild_matches_shared_cross_check_table(rebuilt):
    """Independent cross-check against the table built earlier with pandas (../shared/data/ssb)."""
    out, printed = rebuilt
    assert "5,367,580" in printed and "47 merged from 119" in printed
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left behind
    ours = register_tables.load_register(out / register.REGISTER_FILE).set_index("knr")
    theirs = pd.read_csv(RAW / "municipalities_2020.csv", dtype={"knr": str}).set_index("knr")
    assert (ours["population_2020"] == theirs["pop_2020"]).all()
    assert (ours["population_2021"] == theirs["pop_2021"]).all()
    assert (ours["centrality_class"] == theirs["centrality_class"]).all()
    assert (ours["merged_2017_2020"].astype(bool) == theirs["merged_2017_2020"]).all()
    assert (ours["knr_2024"] == theirs["knr_2024"]).all()
    assert (abs(ours["area_km2"] - theirs["area_km2"]) < 1e-9).all()


@needs_raw
def test_doctored_population_fails_loudly_and_writes_nothing(tmp_path, capsys):
    def drop_one_row(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join(lines[:1] + lines[2:])  # one age row of Halden gone

    raw = _doctored_raw(tmp_path, "population_2020", drop_one_row)
    out = tmp_path / "out"
    with pytest.raises(RegisterCheckError, match=r"population total 1 Jan 2020 is 5,367,324, expected 5,367,580"):
        register.build(raw, out)
    assert not out.exists()
    # through the CLI: exit 1, a report without traceback, an existing output folder left untouched
    out.mkdir()
    (out / register.REGISTER_FILE).write_text("previous\n")
    assert cli_build(argparse.Namespace(raw=str(raw), out=str(out))) == 1
    err = capsys.readouterr().err
    assert "nothing written" in err and "population total 1 Jan 2020" in err and "Traceback" not in err
    assert "differs from covidnorge folketall for ['3001']" in err  # every failing check is listed
    assert [p.name for p in out.iterdir()] == [register.REGISTER_FILE]
    assert (out / register.REGISTER_FILE).read_text() == "previous\n"


@needs_raw
def test_doctored_values_name_file_row_column(tmp_path, capsys):
    def corrupt(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[4] = re.sub(rb"\d+$", b"..", lines[4])
        return b"\n".join(lines)

    raw = _doctored_raw(tmp_path, "population_2021", corrupt)
    assert cli_build(argparse.Namespace(raw=str(raw), out=str(tmp_path / "out"))) == 1
    err = capsys.readouterr().err
    assert "ssb07459_population_by_age_2021_fhidata.csv, row 5, column 'Persons 2021'" in err
    assert not (tmp_path / "out").exists()


@needs_raw
def test_missing_class_and_missing_file_are_reported(tmp_path):
    def squash(data: bytes) -> bytes:  # every score >= 925: only class 1 remains
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        ci = rows[0].index("sentralitetsindeks")
        for row in rows[1:]:
            row[ci] = "950"
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().encode("utf-8")

    raw = _doctored_raw(tmp_path, "covidnorge", squash)
    with pytest.raises(RegisterCheckError, match=r"centrality classes missing from the register: \[2, 3, 4, 5, 6\]"):
        register.assemble(raw)
    (raw / register.RAW_FILES["centrality_2024"]).unlink()
    with pytest.raises(RegisterCheckError, match="raw input file not found"):
        register.assemble(raw)


def test_cli_build_usage_error_for_missing_raw_dir(tmp_path, capsys):
    assert cli_build(argparse.Namespace(raw=str(tmp_path / "absent"), out=str(tmp_path / "o"))) == 2
    assert "not a folder" in capsys.readouterr().err
