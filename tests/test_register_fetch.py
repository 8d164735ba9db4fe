"""``vsr register fetch``: parsing of responses in the documented formats, a local fake server that speaks
PxWebApi 2.0 and KLASS v1 as documented (and checks the shape of every request), retries on 429/503, and a
fetch followed by ``vsr register build`` that reproduces the committed register. No test makes a live call to
Statistics Norway; the example responses are described in ``tests/fixtures/ssb_api/README.md``."""

from __future__ import annotations

import argparse
import json
import math
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vsr_analysis import cli, paths
from vsr_analysis.cli.register import cli_build, cli_fetch
from vsr_analysis.ssb import fetch as rf
from vsr_analysis.ssb import raw_exports as raw
from vsr_analysis.ssb.fetch import FetchError, FetchParseError

FIXTURES = Path(__file__).parent / "fixtures" / "ssb_api"
RAW = paths.shared_raw_ssb_dir()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


POP_DATA = fixture("pxwebapi2_07459_data.json")
POP_META = fixture("pxwebapi2_07459_metadata.json")
KLASS_CODES = fixture("klass131_codesAt.json")
KLASS_CHANGES = fixture("klass131_changes.json")

# Totals are covidnorge's areal (09280) for Oslo and Eigersund; the split into land and freshwater is illustrative.
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


def copy(obj):
    return json.loads(json.dumps(obj))


# --- JSON-stat 2.0 --------------------------------------------------------------------------------------


def test_population_from_a_pxwebapi2_response_with_extra_keys():
    pop = rf.population_from_jsonstat(json.dumps(POP_DATA, ensure_ascii=False).encode("utf-8"))
    assert pop.to_dict("records") == [
        {"knr": "0301", "name": "Oslo", "year": 2020, "population": 693494},
        {"knr": "0301", "name": "Oslo", "year": 2021, "population": 697010},
        {"knr": "5041", "name": "Snåase - Snåsa", "year": 2020, "population": 2063},
        {"knr": "5041", "name": "Snåase - Snåsa", "year": 2021, "population": 2054},
    ]


def test_a_byte_order_mark_is_accepted():
    payload = b"\xef\xbb\xbf" + json.dumps(POP_DATA).encode("utf-8")
    assert rf.population_from_jsonstat(payload)["population"].sum() == 693494 + 697010 + 2063 + 2054
    assert rf.parse_table_metadata("\ufeff" + json.dumps(POP_META)).ids[:3] == ["Region", "Kjonn", "Alder"]


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
        (lambda o: o.update(status={"9": ".."}), "status.9"),
    ],
)
def test_jsonstat_format_errors_name_the_place(mutate, where):
    obj = copy(POP_DATA)
    mutate(obj)
    with pytest.raises(FetchParseError) as err:
        rf.parse_jsonstat2(obj, "07459 test")
    assert err.value.where == where and "07459 test" in str(err.value)


@pytest.mark.parametrize("status", [{"3": ".."}, [None, None, None, "..", None, None], ".."])
def test_missing_value_names_region_year_and_ssb_symbol(status):
    obj = copy(POP_DATA)
    obj["value"][3] = None
    obj["status"] = status
    with pytest.raises(
        FetchParseError, match=r"Region=5041, Tid=2021: missing value \(SSB symbol '\.\.': not available\)"
    ):
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
    obj = copy(AREA_JSONSTAT)
    obj["size"] = [2, 3, 1, 1]
    obj["dimension"]["Arealtype"]["category"] = {
        "index": ["0000", "0001", "0002"],
        "label": {"0000": "Total", "0001": "Land area", "0002": "Freshwater"},
    }
    obj["value"] = [454.12, 426.3, 27.82, 432.48, 377.52, 54.96]
    assert list(rf.area_from_jsonstat(obj)["area_km2"]) == [454.12, 432.48]


# --- PxWebApi 2.0 queries and metadata checks ------------------------------------------------------------


def test_v2_body_and_urls_follow_the_documented_shape():
    q = rf.population_v2_query(["0301", "5041"])
    assert rf.v2_body(q.selection) == {
        "selection": [
            {"variableCode": "Region", "valueCodes": ["0301", "5041"]},
            {"variableCode": "ContentsCode", "valueCodes": ["Personer1"]},
            {"variableCode": "Tid", "valueCodes": ["2020", "2021"]},
        ]
    }
    assert rf.v2_data_url("B", "07459") == "B/tables/07459/data?lang=en&outputFormat=json-stat2"
    assert rf.v2_metadata_url("B", "07459") == "B/tables/07459/metadata?lang=en&outputFormat=json-stat2"


def test_metadata_check_passes_and_counts_cells():
    meta = rf.parse_table_metadata(POP_META)
    counts = rf.check_metadata(meta, rf.population_v2_query(["0301", "5041"]), "m")
    assert counts == {"Region": 2, "ContentsCode": 1, "Tid": 2}


def test_discontinued_table_is_a_clear_error():
    obj = copy(POP_META)
    obj["extension"]["discontinued"] = True
    with pytest.raises(FetchError, match=r"SSB marks table 07459 as discontinued"):
        rf.check_metadata(rf.parse_table_metadata(obj), rf.population_v2_query(["0301"]), "m")


def test_vanished_code_variable_and_uneliminable_variable_are_named():
    obj = copy(POP_META)
    obj["dimension"]["Alder"]["extension"]["elimination"] = False
    meta = rf.parse_table_metadata(obj)
    query = rf.population_v2_query(["0301", "1850"], years=["2020", "2030"])
    with pytest.raises(FetchError) as err:
        rf.check_metadata(meta, query, "m")
    text = str(err.value)
    assert "variable 'Region' no longer has the value code(s) ['1850']" in text
    assert "variable 'Tid' no longer has the value code(s) ['2030']" in text
    assert "variable 'Alder' is new or can no longer be eliminated" in text
    query.selection["Statistikkvariabel"] = ["x"]
    with pytest.raises(FetchError, match="variable 'Statistikkvariabel' is gone"):
        rf.check_metadata(meta, query, "m")


def test_queries_are_split_to_respect_the_cell_limit():
    query = rf.population_v2_query([f"{i:04d}" for i in range(1, 357)])
    counts = {"Region": 356, "ContentsCode": 1, "Tid": 2}
    parts = rf.split_selection(query, counts, 300)
    assert [len(p["Region"]) for p in parts] == [150, 150, 56]
    assert sum((p["Region"] for p in parts), []) == query.selection["Region"]
    assert len(rf.split_selection(query, counts, 800_000)) == 1
    with pytest.raises(FetchError, match="needs 2 cells"):
        rf.split_selection(query, counts, 1)


def test_config_max_cells():
    assert rf.max_cells_from_config(fixture("pxwebapi2_config.json")) == 800_000
    assert rf.max_cells_from_config({"apiVersion": "2.0"}) == rf.DEFAULT_MAX_CELLS
    with pytest.raises(FetchParseError, match="maxDataCells"):
        rf.max_cells_from_config({"maxDataCells": "many"})


def test_v1_queries_stay_available():
    q = rf.population_query(["0301", "1101"])
    assert q["response"] == {"format": "json-stat2"}
    assert q["query"][0]["selection"] == {"filter": "item", "values": ["0301", "1101"]}


# --- KLASS ---------------------------------------------------------------------------------------------


def test_klass_codes_json_round_trips_through_the_register_parser(tmp_path):
    codes = rf.klass_codes_from_json(json.dumps(KLASS_CODES))
    assert list(codes["code"]) == ["0301", "5437", "9999"] and codes.loc[0, "parentCode"] == ""
    path = tmp_path / "codes.csv"
    path.write_bytes(rf.klass_codes_csv(codes))
    parsed = raw.parse_klass_codes(path)
    assert parsed.to_dict("list") == {"code": ["0301", "5437"], "name": ["Oslo", "Kárášjohka - Karasjok"]}


def test_klass_changes_accept_rows_without_a_code_and_unchanged_codes(tmp_path):
    changes = rf.klass_changes_from_json(KLASS_CHANGES)
    assert len(changes) == 6
    paired, unpaired = rf.paired_changes(changes)
    assert list(unpaired["newCode"]) == ["9998", ""] and list(unpaired["oldCode"]) == ["", "9997"]
    lists = rf.klass_change_lists(changes)
    assert sorted(lists) == sorted(raw.RAW_FILES[k] for k in raw.CHANGE_LISTS)
    for name, data in lists.items():
        (tmp_path / name.split("/")[-1]).write_bytes(data)
    cl = raw.parse_change_list(tmp_path / raw.RAW_FILES["changes_2019_2020"].split("/")[-1])
    assert (cl.from_year, cl.to_year) == (2019, 2020)
    assert cl.successors("1850") == ["1806", "1875"] and {r.split for r in cl.records} == {1}
    cl = raw.parse_change_list(tmp_path / raw.RAW_FILES["changes_2013_2017"].split("/")[-1])
    assert (cl.from_year, cl.to_year) == (2013, 2017)
    assert cl.successors("0706") == ["0710"] and cl.successors("1841") == ["1841"]
    assert [r.new_name for r in cl.records if r.old_code == "1841"] == ["Fauske - Fuossko"]
    assert lists[raw.RAW_FILES["changes_2017_2018"]] == b"kommuner_2017;kommuner_2018;splittes\n"  # no change


def test_klass_changes_that_cannot_chain_are_an_error():
    rows = copy(KLASS_CHANGES)
    rows["codeChanges"].append({**rows["codeChanges"][0], "changeOccurred": "2015-06-01", "newCode": "0799"})
    with pytest.raises(FetchError, match=r"\['0706'\] change on several dates within 2013-2017"):
        rf.klass_change_lists(rf.klass_changes_from_json(rows))
    rows = {"codeChanges": [{**KLASS_CHANGES["codeChanges"][0], "changeOccurred": "2021-01-01"}]}
    with pytest.raises(FetchError, match="outside"):
        rf.klass_change_lists(rf.klass_changes_from_json(rows))


def test_klass_json_missing_field_is_named():
    with pytest.raises(FetchParseError, match=r"codeChanges\[0\]: neither oldCode nor newCode"):
        rf.klass_changes_from_json({"codeChanges": [{"oldCode": "", "changeOccurred": "2017-01-01"}]})
    with pytest.raises(FetchParseError, match=r"codeChanges\[0\]\.changeOccurred: missing or empty"):
        rf.klass_changes_from_json({"codeChanges": [{"oldCode": "0706", "newCode": "0710"}]})
    with pytest.raises(FetchParseError, match="codes: missing or not a list"):
        rf.klass_codes_from_json({"error": "not found"})


def test_population_statbank_csv_is_readable_by_the_register_parser(tmp_path):
    path = tmp_path / "pop.csv"
    pop = rf.population_from_jsonstat(POP_DATA)
    path.write_bytes(rf.population_statbank_csv(pop))
    assert raw.parse_population_07459(path).counts == {
        2020: {"0301": 693494, "5041": 2063},
        2021: {"0301": 697010, "5041": 2054},
    }
    path.write_bytes(rf.population_statbank_csv(pop, [2021]))
    assert raw.parse_population_07459(path).counts == {2021: {"0301": 697010, "5041": 2054}}


# --- HTTP: retries with back-off -------------------------------------------------------------------------


def test_retry_after_header_forms():
    assert rf._retry_after("7") == 7.0
    assert rf._retry_after(None) is None and rf._retry_after("soon") is None
    assert rf._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


def test_requests_are_paced_to_ssbs_rate_limit(no_proxy):
    now, sleeps, messages = [0.0], [], []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    http = rf.Http(rate_calls=3, rate_window=60, clock=lambda: now[0], sleep=sleep, say=messages.append)
    for step in (0, 10, 10, 10, 50):  # the 4th request comes 30 s after the 1st, the 5th 80 s after
        now[0] += step
        http._pace()
    assert sleeps == [30.0] and messages == ["pausing 30 s to stay within SSB's limit of 3 requests per 60 s"]


# --- a local fake SSB: PxWebApi 2.0 and KLASS v1 as documented -----------------------------------------


class FakeSSB:
    """State of the fake server: tables (metadata + values of the non-eliminated dimensions), KLASS answers,
    config, injected failures, and a log of every request."""

    def __init__(self, tables: dict, codes: dict, changes: dict, max_cells: int = 800_000):
        self.tables, self.codes, self.changes = tables, codes, changes
        self.config = {"apiVersion": "2.0", "maxDataCells": max_cells, "maxCalls": 30, "timeWindow": 60}
        self.failures: list[tuple[str, int, str | None]] = []  # (path prefix, status, Retry-After)
        self.bom = False
        self.base = ""
        self.log: list[dict] = []
        self.lock = threading.Lock()

    def data(self, table: str, selection: list[dict]) -> tuple[int, dict | str]:
        t = self.tables.get(table)
        if t is None:
            return 404, f"table {table} not found"
        meta, values = t["meta"], t["values"]
        chosen = {}
        for item in selection:
            if set(item) - {"variableCode", "valueCodes", "codeList"} or "variableCode" not in item:
                return 400, f"bad selection item {item}"
            var, codes = item["variableCode"], item.get("valueCodes")
            if var not in meta["id"]:
                return 400, f"no variable {var}"
            if not (isinstance(codes, list) and codes and all(isinstance(c, str) for c in codes)):
                return 400, f"valueCodes of {var} must be a non-empty list of strings"
            index = meta["dimension"][var]["category"]["index"]
            codes = list(index) if codes == ["*"] else codes
            if any(c not in index for c in codes):
                return 400, f"unknown value code in {var}"
            chosen[var] = codes
        for var in meta["id"]:
            if var not in chosen and not meta["dimension"][var]["extension"]["elimination"]:
                return 400, f"variable {var} must be selected"
        if math.prod(len(c) for c in chosen.values()) > self.config["maxDataCells"]:
            return 403, "too many cells"
        ids = [v for v in meta["id"] if v in chosen]
        cells, status = [], {}
        for pos, key in enumerate(_product([chosen[v] for v in ids])):
            value = values.get(tuple(key))
            cells.append(value)
            if value is None:
                status[str(pos)] = ".."
        labels = {v: meta["dimension"][v]["category"]["label"] for v in ids}
        body = {
            "version": "2.0",
            "class": "dataset",
            "label": meta["label"],
            "source": "Statistics Norway",
            "updated": "2021-02-23T07:00:00Z",
            "role": meta.get("role", {}),
            "id": ids,
            "size": [len(chosen[v]) for v in ids],
            "dimension": {
                v: {
                    "label": meta["dimension"][v]["label"],
                    "category": {
                        "index": {c: i for i, c in enumerate(chosen[v])},
                        "label": {c: labels[v][c] for c in chosen[v]},
                    },
                    "extension": meta["dimension"][v]["extension"],
                }
                for v in ids
            },
            "extension": meta["extension"],
            "value": cells,
        }
        if status:
            body["status"] = status
        return 200, body


def _product(lists):
    if not lists:
        yield []
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield [head, *tail]


class _Handler(BaseHTTPRequestHandler):
    state: FakeSSB

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status: int, obj, headers: dict | None = None):
        text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
        body = text.encode("utf-8")
        if status == 200 and self.state.bom:
            body = b"\xef\xbb\xbf" + body
        self.send_response(status)
        ctype = "text/plain" if isinstance(obj, str) else "application/json"
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = None
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        entry = {"method": method, "path": url.path, "query": query, "accept": self.headers.get("Accept")}
        entry["content_type"] = self.headers.get("Content-Type")
        entry["body"] = json.loads(body) if body else None
        with self.state.lock:
            self.state.log.append(entry)
            for i, (prefix, status, retry_after) in enumerate(self.state.failures):
                if url.path.startswith(prefix):
                    del self.state.failures[i]
                    return self._send(status, "busy", {"Retry-After": retry_after} if retry_after else None)
        return self._route(method, url.path, query, entry["body"])

    def _route(self, method, path, query, body):
        s = self.state
        if path.startswith("/klass/"):
            if method != "GET" or self.headers.get("Accept") != "application/json":
                return self._send(406, "KLASS: JSON is asked for with 'Accept: application/json'")
            if path.endswith(".json"):
                return self._send(400, "the .json path suffix is deprecated; use the Accept header")
            if path == "/klass/classifications/131/codesAt" and query == {"date": "2020-01-01", "language": "nb"}:
                return self._send(200, s.codes)
            if path == "/klass/classifications/131/changes" and query == {
                "from": "2013-01-01",
                "to": "2020-01-02",
                "language": "nb",
            }:
                return self._send(200, s.changes)
            return self._send(404, f"not found: {path} {query}")
        if path.startswith("/v0/") and method == "POST":  # the old API (PxWebApi v1), only with --api v1
            if not (isinstance(body, dict) and body.get("response") == {"format": "json-stat2"}):
                return self._send(400, 'v1: expected "response": {"format": "json-stat2"}')
            selection = [{"variableCode": q["code"], "valueCodes": q["selection"]["values"]} for q in body["query"]]
            return self._send(*s.data(path.split("/")[2], selection))
        if path == "/px/config" and method == "GET":
            return self._send(200, s.config)
        parts = path.split("/")  # ['', 'px', 'tables', id, 'metadata'|'data']
        if len(parts) != 5 or parts[:3] != ["", "px", "tables"]:
            return self._send(404, f"not found: {path}")
        table, what = parts[3], parts[4]
        if query != {"lang": "en", "outputFormat": "json-stat2"}:
            return self._send(400, f"expected lang=en&outputFormat=json-stat2, got {query}")
        if what == "metadata" and method == "GET":
            t = s.tables.get(table)
            return self._send(200, t["meta"]) if t else self._send(404, f"table {table} not found")
        if what == "data" and method == "POST":
            if self.headers.get("Content-Type") != "application/json":
                return self._send(415, "POST body must be application/json")
            if not (isinstance(body, dict) and set(body) <= {"selection", "placement"} and "selection" in body):
                return self._send(400, 'expected {"selection": [...]}')
            return self._send(*s.data(table, body["selection"]))
        return self._send(405, f"{method} not allowed on {path}")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


def serve(state: FakeSSB, monkeypatch):
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = state.base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(rf.ENV_PXWEB, f"{base}/px")
    monkeypatch.setenv(rf.ENV_KLASS, f"{base}/klass")
    return server, base


def small_state() -> FakeSSB:
    """A fake SSB with three 2020 municipalities (Oslo, Snåsa, Karasjok): population and area as in the raw files."""
    codes = {
        "codes": [c for c in KLASS_CODES["codes"]]
        + [{**KLASS_CODES["codes"][0], "code": "5041", "name": "Snåase - Snåsa"}]
    }
    meta = copy(POP_META)
    region = meta["dimension"]["Region"]["category"]
    region["index"] = {"0301": 0, "5041": 1, "5437": 2, "21": 3}
    region["label"] = {"0301": "Oslo", "5041": "Snåase - Snåsa", "5437": "Kárášjohka - Karasjok", "21": "Svalbard"}
    meta["size"][0] = 4
    pop = {("0301", "Personer1", "2020"): 693494, ("0301", "Personer1", "2021"): 697010}
    pop |= {("5041", "Personer1", "2020"): 2063, ("5041", "Personer1", "2021"): 2054}
    pop |= {("5437", "Personer1", "2020"): 2628, ("5437", "Personer1", "2021"): 2641}
    area_meta = area_metadata({"0301": "Oslo", "5041": "Snåase - Snåsa", "5437": "Kárášjohka - Karasjok"})
    area = {("0301", "0000", "Areal", "2020"): 454.12, ("5041", "0000", "Areal", "2020"): 2342.66}
    area |= {("5437", "0000", "Areal", "2020"): 5452.95}
    tables = {"07459": {"meta": meta, "values": pop}, "09280": {"meta": area_meta, "values": area}}
    return FakeSSB(tables, codes, copy(KLASS_CHANGES))


def area_metadata(regions: dict[str, str]) -> dict:
    """09280's metadata with one area type, the total (the raw files hold only the total; see the README)."""
    return {
        "version": "2.0",
        "class": "dataset",
        "label": "09280: Area (km²), by region, area type, contents and year",
        "id": ["Region", "Arealtype", "ContentsCode", "Tid"],
        "size": [len(regions), 1, 1, 1],
        "dimension": {
            "Region": {
                "label": "region",
                "category": {"index": {c: i for i, c in enumerate(regions)}, "label": regions},
                "extension": {"elimination": True},
            },
            "Arealtype": {
                "label": "area type",
                "category": {"index": {"0000": 0}, "label": {"0000": "Total area"}},
                "extension": {"elimination": True},
            },
            "ContentsCode": {
                "label": "contents",
                "category": {"index": {"Areal": 0}, "label": {"Areal": "Area (km²)"}},
                "extension": {"elimination": False},
            },
            "Tid": {
                "label": "year",
                "category": {"index": {"2020": 0}, "label": {"2020": "2020"}},
                "extension": {"elimination": False},
            },
        },
        "extension": {"px": {"tableid": "09280", "language": "en"}, "discontinued": None},
    }


@pytest.fixture
def fake_ssb(monkeypatch, no_proxy):
    state = small_state()
    server, base = serve(state, monkeypatch)
    yield state
    server.shutdown()
    server.server_close()


def quiet_http(messages: list[str] | None = None, sleeps: list[float] | None = None) -> rf.Http:
    return rf.Http(
        timeout=5,
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        say=(messages.append if messages is not None else lambda m: None),
    )


def test_fetch_against_the_fake_server_checks_the_request_shape(tmp_path, fake_ssb):
    out = tmp_path / "raw"
    result = rf.fetch(out, http=quiet_http())
    assert result.n_codes == 3 and result.population_totals == {2020: 693494 + 2063 + 2628, 2021: 697010 + 2054 + 2641}
    assert result.area_total == pytest.approx(454.12 + 2342.66 + 5452.95)
    assert [(r["oldCode"], r["newCode"]) for r in result.unpaired_changes] == [("", "9998"), ("9997", "")]
    calls = [(e["method"], e["path"]) for e in fake_ssb.log]
    assert calls == [
        ("GET", "/klass/classifications/131/codesAt"),
        ("GET", "/klass/classifications/131/changes"),
        ("GET", "/px/config"),
        ("GET", "/px/tables/07459/metadata"),
        ("POST", "/px/tables/07459/data"),
        ("GET", "/px/tables/09280/metadata"),
        ("POST", "/px/tables/09280/data"),
    ]
    assert all(e["accept"] == "application/json" for e in fake_ssb.log)
    post = fake_ssb.log[4]
    assert post["content_type"] == "application/json" and post["query"] == {"lang": "en", "outputFormat": "json-stat2"}
    assert post["body"] == {
        "selection": [
            {"variableCode": "Region", "valueCodes": ["0301", "5437", "5041"]},
            {"variableCode": "ContentsCode", "valueCodes": ["Personer1"]},
            {"variableCode": "Tid", "valueCodes": ["2020", "2021"]},
        ]
    }
    assert raw.parse_klass_codes(out / raw.RAW_FILES["klass_2020"])["code"].tolist() == ["0301", "5041", "5437"]
    p21 = raw.parse_population_07459(out / raw.RAW_FILES["population_2021"])
    assert p21.counts == {2021: {"0301": 697010, "5041": 2054, "5437": 2641}}
    assert json.loads((out / "responses/klass131_codes_2020.json").read_text(encoding="utf-8")) == small_state().codes
    sources = json.loads((out / "SOURCES.json").read_text(encoding="utf-8"))
    assert sources["licence"].startswith("CC BY 4.0")
    assert sources["responses"]["responses/ssb07459_data_1.json"]["body"] == post["body"]
    assert sources["apis"]["pxwebapi"] == "2.0"


def test_byte_order_marks_in_every_response_are_accepted(tmp_path, fake_ssb):
    fake_ssb.bom = True
    result = rf.fetch(tmp_path / "raw", http=quiet_http())
    assert result.population_totals[2020] == 693494 + 2063 + 2628


def test_429_then_503_then_success_waits_and_says_so(tmp_path, fake_ssb):
    fake_ssb.failures = [("/px/tables/07459/data", 429, "7"), ("/px/tables/07459/data", 503, None)]
    messages, sleeps = [], []
    result = rf.fetch(tmp_path / "raw", http=quiet_http(messages, sleeps))
    assert result.population_totals[2021] == 697010 + 2054 + 2641
    assert sleeps == [7.0, 4.0]  # Retry-After first; then back-off 2 s * 2**1
    assert "HTTP 429 (too many requests)" in messages[0] and "waiting 7 s before retry 1 of 4" in messages[0]
    assert "HTTP 503 (service unavailable)" in messages[1] and "retry 2 of 4" in messages[1]
    assert [e["path"] for e in fake_ssb.log].count("/px/tables/07459/data") == 3


def test_retries_give_up_with_a_clear_error_and_nothing_written(tmp_path, fake_ssb, capsys):
    fake_ssb.failures = [("/px/config", 429, "1")] * 5
    out = tmp_path / "raw"
    with pytest.raises(FetchError, match=r"/px/config: HTTP 429"):
        rf.fetch(out, http=quiet_http())
    assert not out.exists() or not any(out.iterdir())


def test_discontinued_table_stops_the_fetch(tmp_path, fake_ssb, capsys):
    fake_ssb.tables["09280"]["meta"]["extension"]["discontinued"] = True
    out = tmp_path / "raw"
    assert cli_fetch(argparse.Namespace(out=str(out), timeout=5)) == 1
    err = capsys.readouterr().err
    assert "SSB marks table 09280 as discontinued" in err and "Nothing was written" in err
    assert not out.exists() or not any(out.iterdir())


def test_removed_table_is_named(tmp_path, fake_ssb):
    del fake_ssb.tables["07459"]
    with pytest.raises(FetchError, match=r"table 07459 not found at SSB .*HTTP 404.*discontinued or renumbered"):
        rf.fetch(tmp_path / "raw", http=quiet_http())


def test_vanished_region_code_stops_the_fetch(tmp_path, fake_ssb, capsys):
    meta = fake_ssb.tables["07459"]["meta"]
    del meta["dimension"]["Region"]["category"]["index"]["5437"]
    meta["dimension"]["Region"]["category"]["index"]["21"] = 2
    meta["size"][0] = 3
    assert cli_fetch(argparse.Namespace(out=str(tmp_path / "raw"), timeout=5)) == 1
    assert "variable 'Region' no longer has the value code(s) ['5437']" in capsys.readouterr().err


def test_missing_value_in_a_response_stops_the_fetch(tmp_path, fake_ssb):
    del fake_ssb.tables["07459"]["values"][("5041", "Personer1", "2021")]
    with pytest.raises(FetchParseError, match=r"Region=5041, Tid=2021: missing value \(SSB symbol '\.\.'"):
        rf.fetch(tmp_path / "raw", http=quiet_http())


def test_old_api_only_on_request(tmp_path, monkeypatch, fake_ssb):
    monkeypatch.setenv(rf.ENV_PXWEB_V1, "http://127.0.0.1:9/none")
    assert rf.base_urls("v1")[0] == "http://127.0.0.1:9/none"
    assert rf.base_urls("v2")[0].endswith("/px")
    with pytest.raises(FetchError, match="unknown API version"):
        rf.fetch(tmp_path / "raw", api="v0", http=quiet_http())


def test_old_api_v1_through_the_cli(tmp_path, monkeypatch, fake_ssb, capsys):
    monkeypatch.setenv(rf.ENV_PXWEB_V1, fake_ssb.base + "/v0")
    out = tmp_path / "raw"
    assert cli.main(["register", "fetch", "--out", str(out), "--api", "v1", "--timeout", "5"]) == 0
    assert [e["path"] for e in fake_ssb.log if e["method"] == "POST"] == ["/v0/07459", "/v0/09280"]
    assert not any(e["path"].startswith("/px/") for e in fake_ssb.log)
    assert raw.parse_population_07459(out / raw.RAW_FILES["population_2020"]).counts[2020]["5437"] == 2628
    assert json.loads((out / "SOURCES.json").read_text(encoding="utf-8"))["apis"]["pxwebapi"] == "v1 (path api/v0)"
    printed = capsys.readouterr().out
    assert "the build also needs raw inputs SSB's APIs do not offer" in printed
    assert "note: KLASS change without a code (- -> 9998, 2020-01-01)" in printed


def test_rest_from_must_hold_every_other_raw_input(tmp_path, fake_ssb):
    with pytest.raises(FetchError, match="--rest-from: raw input file"):
        rf.fetch(tmp_path / "raw", rest_from=tmp_path, http=quiet_http())
    assert fake_ssb.log == []  # checked before any download


# --- offline and timeout -------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_is_a_clean_error_and_writes_nothing(tmp_path, monkeypatch, capsys, no_proxy):
    port = _closed_port()
    monkeypatch.setenv(rf.ENV_PXWEB, f"http://127.0.0.1:{port}/px")
    monkeypatch.setenv(rf.ENV_KLASS, f"http://127.0.0.1:{port}/klass")
    out = tmp_path / "raw"
    assert cli_fetch(argparse.Namespace(out=str(out), timeout=2)) == 1
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


def test_http_error_is_reported_and_nothing_written(tmp_path, monkeypatch, capsys, fake_ssb):
    monkeypatch.setenv(rf.ENV_KLASS, fake_ssb.base + "/wrong")
    out = tmp_path / "raw"
    assert cli_fetch(argparse.Namespace(out=str(out), timeout=5)) == 1
    assert "HTTP 404" in capsys.readouterr().err and not out.exists()


# --- fetch + build = the committed register ------------------------------------------------------------

needs_raw = pytest.mark.skipif(not (RAW / "PROVENANCE.md").is_file(), reason=f"raw SSB exports not at {RAW}")


def state_from_raw(raw_dir: Path, max_cells: int) -> FakeSSB:
    """Every response the fetch asks for, rebuilt from the raw files (shapes as in the fixtures' README)."""
    table = raw.read_table(raw_dir / raw.RAW_FILES["klass_2020"])
    codes = {"codes": [dict(zip(table.header, fields)) for _row, fields in table.rows]}
    for c in codes["codes"]:
        c.update({k: None for k in ("parentCode", "validTo") if c.get(k) == ""})
    changes = []
    for key in raw.CHANGE_LISTS:
        cl = raw.parse_change_list(raw_dir / raw.RAW_FILES[key])
        for r in cl.records:
            changes.append(
                {
                    "oldCode": r.old_code,
                    "oldName": r.old_name,
                    "oldShortName": None,
                    "newCode": r.new_code,
                    "newName": r.new_name,
                    "newShortName": None,
                    "changeOccurred": f"{cl.to_year}-01-01",
                }
            )
    pops = {y: raw.parse_population_07459(raw_dir / raw.RAW_FILES[f"population_{y}"]) for y in (2020, 2021)}
    names = {**pops[2021].names, **pops[2020].names}
    regions = {**dict(sorted(names.items())), "21": "Svalbard", "23": "Continental shelf"}
    meta = copy(POP_META)
    meta["dimension"]["Region"]["category"] = {"index": {c: i for i, c in enumerate(regions)}, "label": regions}
    meta["size"][0] = len(regions)
    values = {(k, "Personer1", str(y)): v for y, p in pops.items() for k, v in p.counts[y].items()}
    covid = raw.parse_covidnorge(raw_dir / raw.RAW_FILES["covidnorge"])
    area_values = {(k, "0000", "Areal", "2020"): a for k, a in zip(covid["knr"], covid["area_km2"])}
    area_meta = area_metadata(dict(zip(covid["knr"], covid["name"])))
    tables = {"07459": {"meta": meta, "values": values}, "09280": {"meta": area_meta, "values": area_values}}
    return FakeSSB(tables, codes, {"codeChanges": changes}, max_cells=max_cells)


@needs_raw
def test_fetch_then_build_gives_the_committed_register(tmp_path, monkeypatch, no_proxy):
    state = state_from_raw(RAW, max_cells=300)  # a low limit: the queries must be split
    server, _base = serve(state, monkeypatch)
    try:
        fetched = tmp_path / "fetched"
        result = rf.fetch(fetched, rest_from=RAW, http=quiet_http())
    finally:
        server.shutdown()
        server.server_close()
    posts = [e for e in state.log if e["method"] == "POST"]
    assert [e["path"] for e in posts] == ["/px/tables/07459/data"] * 3 + ["/px/tables/09280/data"] * 2
    asked = [c for e in posts[:3] for c in e["body"]["selection"][0]["valueCodes"]]
    assert len(asked) == len(set(asked)) == result.n_codes == 356
    assert sorted(result.copied) == sorted(raw.RAW_FILES[k] for k in rf.NON_API_RAW_KEYS)

    out = tmp_path / "register"
    assert cli_build(argparse.Namespace(raw=str(fetched), out=str(out))) == 0
    committed = paths.register_dir()
    names = sorted(p.name for p in committed.iterdir() if p.is_file())
    assert names == sorted(p.name for p in out.iterdir() if p.is_file())
    for name in names:
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name
    area = {r["knr"]: r["area_km2"] for r in _read_csv(fetched / rf.AREA_FILE)}
    assert len(area) == 356 and all(area[k] == f"{v:.2f}" for k, v in _committed_area(committed).items())


def _read_csv(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _committed_area(directory: Path) -> dict[str, float]:
    return {r["knr"]: float(r["area_km2"]) for r in _read_csv(directory / "municipalities_2020.csv")}
