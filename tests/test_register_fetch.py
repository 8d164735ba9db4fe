"""``vsr register fetch``: parsing of hand-written responses in the documented formats, a local fake API, and a
clean failure when offline. No test makes a live call to Statistics Norway."""

from __future__ import annotations

import argparse
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vsr_analysis.ssb import fetch as rf
from vsr_analysis.ssb import register_build as register
from vsr_analysis.ssb.fetch import FetchError, FetchParseError

# --- hand-written responses ------------------------------------------------------------------------------

# JSON-stat 2.0 as PxWebApi v0 returns it: id order = value order, last dimension varies fastest.
POP_JSONSTAT = {
    "version": "2.0",
    "class": "dataset",
    "label": "07459: Population, by region, contents and year",
    "source": "Statistics Norway",
    "id": ["Region", "ContentsCode", "Tid"],
    "size": [3, 1, 2],
    "dimension": {
        "Region": {
            "label": "region",
            "category": {
                "index": {"0301": 0, "5041": 1, "21": 2},
                "label": {"0301": "Oslo", "5041": "Snåase - Snåsa", "21": "Svalbard"},
            },
        },
        "ContentsCode": {
            "label": "contents",
            "category": {"index": {"Personer1": 0}, "label": {"Personer1": "Persons"}},
        },
        "Tid": {
            "label": "year",
            "category": {"index": {"2020": 0, "2021": 1}, "label": {"2020": "2020", "2021": "2021"}},
        },
    },
    "value": [693494, 697010, 2067, 2063, 0, 0],
}

AREA_JSONSTAT = {
    "version": "2.0",
    "class": "dataset",
    "label": "09280: Area (km²)",
    "id": ["Region", "Arealtype", "ContentsCode", "Tid"],
    "size": [2, 2, 1, 1],
    "dimension": {
        "Region": {"category": {"index": ["0301", "1101"], "label": {"0301": "Oslo", "1101": "Eigersund"}}},
        "Arealtype": {"category": {"index": ["0001", "0002"], "label": {"0001": "Land area", "0002": "Freshwater"}}},
        "ContentsCode": {"category": {"index": ["Areal"], "label": {"Areal": "Area (km²)"}}},
        "Tid": {"category": {"index": ["2020"]}},
    },
    "value": [426.3, 27.82, 377.52, 54.96],
}

KLASS_CODES = {
    "codes": [
        {
            "code": "0301",
            "parentCode": None,
            "level": "1",
            "name": "Oslo",
            "shortName": "",
            "presentationName": "",
            "validFrom": "2020-01-01",
            "validTo": None,
            "notes": "",
        },
        {
            "code": "5437",
            "parentCode": None,
            "level": "1",
            "name": "Kárášjohka - Karasjok",
            "shortName": "",
            "presentationName": "",
            "validFrom": "2020-01-01",
            "validTo": None,
            "notes": "",
        },
        {
            "code": "9999",
            "parentCode": None,
            "level": "1",
            "name": "Uoppgitt",
            "shortName": "",
            "presentationName": "",
            "validFrom": "2020-01-01",
            "validTo": None,
            "notes": "",
        },
    ]
}

KLASS_CHANGES = {
    "codeChanges": [
        {
            "oldCode": "0706",
            "oldName": "Sandefjord",
            "oldShortName": None,
            "newCode": "0710",
            "newName": "Sandefjord",
            "newShortName": None,
            "changeOccurred": "2017-01-01",
        },
        {
            "oldCode": "0719",
            "oldName": "Andebu",
            "oldShortName": None,
            "newCode": "0710",
            "newName": "Sandefjord",
            "newShortName": None,
            "changeOccurred": "2017-01-01",
        },
        {
            "oldCode": "1850",
            "oldName": "Tysfjord - Divtasvuodna",
            "oldShortName": None,
            "newCode": "1806",
            "newName": "Narvik",
            "newShortName": None,
            "changeOccurred": "2020-01-01",
        },
        {
            "oldCode": "1850",
            "oldName": "Tysfjord - Divtasvuodna",
            "oldShortName": None,
            "newCode": "1875",
            "newName": "Hábmer - Hamarøy",
            "newShortName": None,
            "changeOccurred": "2020-01-01",
        },
    ]
}


# --- JSON-stat ------------------------------------------------------------------------------------------


def test_population_from_jsonstat_keeps_municipalities_and_sums():
    pop = rf.population_from_jsonstat(json.dumps(POP_JSONSTAT).encode("utf-8"))
    assert pop.to_dict("records") == [
        {"knr": "0301", "name": "Oslo", "year": 2020, "population": 693494},
        {"knr": "0301", "name": "Oslo", "year": 2021, "population": 697010},
        {"knr": "5041", "name": "Snåase - Snåsa", "year": 2020, "population": 2067},
        {"knr": "5041", "name": "Snåase - Snåsa", "year": 2021, "population": 2063},
    ]


def test_jsonstat_list_index_and_sparse_values_and_summing_over_extra_dimension():
    obj = {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "Kjonn", "Tid"],
        "size": [1, 2, 1],
        "dimension": {
            "Region": {"category": {"index": ["3001"], "label": {"3001": "Halden"}}},
            "Kjonn": {"category": {"index": ["1", "2"]}},
            "Tid": {"category": {"index": ["2020"]}},
        },
        "value": {"0": 15500, "1": 15944},
    }
    pop = rf.population_from_jsonstat(obj)
    assert pop.to_dict("records") == [{"knr": "3001", "name": "Halden", "year": 2020, "population": 31444}]


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda o: o.update(value=o["value"][:-1]), "value"),
        (lambda o: o.update(size=[3, 1]), "size"),
        (lambda o: o["dimension"].pop("Tid"), "dimension.Tid"),
        (lambda o: o.update(version="1.0"), "version"),
        (lambda o: o["value"].__setitem__(1, "many"), "value[1]"),
    ],
)
def test_jsonstat_format_errors_name_the_place(mutate, where):
    obj = json.loads(json.dumps(POP_JSONSTAT))
    mutate(obj)
    with pytest.raises(FetchParseError) as err:
        rf.parse_jsonstat2(obj, "07459 test")
    assert err.value.where == where and "07459 test" in str(err.value)


def test_missing_population_value_names_region_and_year():
    obj = json.loads(json.dumps(POP_JSONSTAT))
    obj["value"][3] = None
    with pytest.raises(FetchParseError, match=r"Region=5041, Tid=2021: missing value"):
        rf.population_from_jsonstat(obj)


def test_invalid_json_is_a_parse_error():
    with pytest.raises(FetchParseError, match="invalid JSON"):
        rf.parse_jsonstat2(b"<html>Service unavailable</html>", "07459")


def test_area_sums_land_and_freshwater_or_uses_a_total():
    area = rf.area_from_jsonstat(AREA_JSONSTAT)
    assert area[["knr", "area_km2"]].to_dict("records") == [
        {"knr": "0301", "area_km2": 454.12},
        {"knr": "1101", "area_km2": 432.48},
    ]
    obj = json.loads(json.dumps(AREA_JSONSTAT))
    obj["size"] = [2, 3, 1, 1]
    obj["dimension"]["Arealtype"]["category"] = {
        "index": ["0000", "0001", "0002"],
        "label": {"0000": "Total", "0001": "Land area", "0002": "Freshwater"},
    }
    obj["value"] = [454.12, 426.3, 27.82, 432.48, 377.52, 54.96]
    assert list(rf.area_from_jsonstat(obj)["area_km2"]) == [454.12, 432.48]


# --- KLASS -------------------------------------------------------------------------------------------


def test_klass_codes_json_round_trips_through_the_register_parser(tmp_path):
    codes = rf.klass_codes_from_json(json.dumps(KLASS_CODES))
    assert list(codes["code"]) == ["0301", "5437", "9999"] and codes.loc[0, "parentCode"] == ""
    path = tmp_path / "codes.csv"
    path.write_bytes(rf.klass_codes_csv(codes))
    parsed = register.parse_klass_codes(path)
    assert parsed.to_dict("list") == {"code": ["0301", "5437"], "name": ["Oslo", "Kárášjohka - Karasjok"]}


def test_klass_changes_json_to_change_lists(tmp_path):
    changes = rf.klass_changes_from_json(KLASS_CHANGES)
    lists = rf.klass_change_lists(changes)
    assert sorted(lists) == ["klass131_changes_2017-01-01.csv", "klass131_changes_2020-01-01.csv"]
    path = tmp_path / "c2020.csv"
    path.write_bytes(lists["klass131_changes_2020-01-01.csv"])
    cl = register.parse_change_list(path)
    assert (cl.from_year, cl.to_year) == (2019, 2020)
    assert cl.successors("1850") == ["1806", "1875"] and {r.split for r in cl.records} == {1}
    path.write_bytes(lists["klass131_changes_2017-01-01.csv"])
    cl = register.parse_change_list(path)
    assert cl.successors("0719") == ["0710"] and {r.split for r in cl.records} == {0}


def test_klass_json_missing_field_is_named():
    bad = {"codeChanges": [{"oldCode": "0706", "newCode": "", "changeOccurred": "2017-01-01"}]}
    with pytest.raises(FetchParseError, match=r"codeChanges\[0\]\.newCode: missing or empty"):
        rf.klass_changes_from_json(bad)
    with pytest.raises(FetchParseError, match="codes: missing or not a list"):
        rf.klass_codes_from_json({"error": "not found"})


def test_klass_csv_latin1_semicolon_and_comma():
    semi = '"code";"parentCode";"level";"name";"shortName";"notes";"validFrom";"validTo"\n"3014";"";"1";"Indre Østfold";;""\n'
    df = rf.klass_from_csv(semi.encode("latin-1"))
    assert df.loc[0, "name"] == "Indre Østfold" and df.loc[0, "validTo"] == ""
    comma = "oldCode,oldName,newCode,newName,changeOccurred\n0706,Sandefjord,0710,Sandefjord,2017-01-01\n"
    assert rf.klass_from_csv(comma).loc[0, "newCode"] == "0710"
    with pytest.raises(FetchParseError, match="expected a 'code' or 'oldCode' column"):
        rf.klass_from_csv("a;b\n1;2\n")


def test_population_statbank_csv_is_readable_by_the_register_parser(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes(rf.population_statbank_csv(rf.population_from_jsonstat(POP_JSONSTAT)))
    parsed = register.parse_population_07459(path)
    assert parsed.counts == {2020: {"0301": 693494, "5041": 2067}, 2021: {"0301": 697010, "5041": 2063}}


def test_queries_follow_pxwebapi_v0():
    q = rf.population_query(["0301", "1101"])
    assert q["response"] == {"format": "json-stat2"}
    assert [v["code"] for v in q["query"]] == ["Region", "ContentsCode", "Tid"]
    assert q["query"][0]["selection"] == {"filter": "item", "values": ["0301", "1101"]}


# --- HTTP: offline, timeout, a local fake API ---------------------------------------------------------


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_is_a_clean_error_and_writes_nothing(tmp_path, monkeypatch, capsys, no_proxy):
    port = _closed_port()
    monkeypatch.setenv(rf.ENV_PXWEB, f"http://127.0.0.1:{port}/api/v0/en/table")
    monkeypatch.setenv(rf.ENV_KLASS, f"http://127.0.0.1:{port}/api/klass/v1")
    out = tmp_path / "raw"
    assert rf.cli_fetch(argparse.Namespace(out=str(out), timeout=2)) == 1
    err = capsys.readouterr().err
    assert f"cannot reach 127.0.0.1:{port}" in err and "are you online?" in err and "Nothing was written" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_timeout_is_a_clean_error(no_proxy):
    with socket.socket() as server:  # accepts the connection, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/x"
        with pytest.raises(FetchError, match=r"no answer from 127\.0\.0\.1:\d+ within 0\.3 s"):
            rf.http_request(url, timeout=0.3)


class _FakeSSB(BaseHTTPRequestHandler):
    """Answers like the SSB APIs with the hand-written responses above."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, obj, status=200):
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/klass/classifications/131/codesAt.json?date=2020-01-01"):
            self._send(KLASS_CODES)
        elif self.path.startswith("/klass/classifications/131/changes.json?from=2013-01-01&to=2020-01-02"):
            self._send(KLASS_CHANGES)
        else:
            self._send({"error": self.path}, 404)

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        regions = query["query"][0]["selection"]["values"]
        if self.path == "/px/07459" and regions == ["0301", "5437"]:
            self._send(POP_JSONSTAT)
        elif self.path == "/px/09280" and query["response"]["format"] == "json-stat2":
            self._send(AREA_JSONSTAT)
        else:
            self._send({"error": "bad query"}, 400)


@pytest.fixture
def fake_ssb(monkeypatch, no_proxy):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeSSB)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(rf.ENV_PXWEB, f"{base}/px")
    monkeypatch.setenv(rf.ENV_KLASS, f"{base}/klass")
    yield base
    server.shutdown()
    server.server_close()


def test_fetch_against_a_local_fake_api(tmp_path, capsys, fake_ssb):
    out = tmp_path / "raw"
    assert rf.cli_fetch(argparse.Namespace(out=str(out), timeout=5)) == 0
    printed = capsys.readouterr().out
    assert "2 codes" in printed and "2020: 695,561" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "SOURCES.json",
            "klass131_changes_2013_2020.json",
            "klass131_changes_2017-01-01.csv",
            "klass131_changes_2020-01-01.csv",
            "klass131_codes_2020.csv",
            "klass131_codes_2020.json",
            "ssb07459_population_2020_2021.csv",
            "ssb07459_population_2020_2021.json",
            "ssb09280_area_2020.csv",
            "ssb09280_area_2020.json",
        ]
    )
    assert json.loads((out / "klass131_codes_2020.json").read_text(encoding="utf-8")) == KLASS_CODES  # verbatim
    assert register.parse_klass_codes(out / "klass131_codes_2020.csv")["code"].tolist() == ["0301", "5437"]
    assert register.parse_population_07459(out / "ssb07459_population_2020_2021.csv").counts[2021]["0301"] == 697010
    sources = json.loads((out / "SOURCES.json").read_text(encoding="utf-8"))
    assert sources["responses"]["ssb07459_population_2020_2021.json"]["url"].endswith("/px/07459")


def test_http_error_is_reported_and_nothing_written(tmp_path, monkeypatch, capsys, fake_ssb):
    monkeypatch.setenv(rf.ENV_KLASS, f"{fake_ssb}/wrong")
    out = tmp_path / "raw"
    assert rf.cli_fetch(argparse.Namespace(out=str(out), timeout=5)) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err and not out.exists()
