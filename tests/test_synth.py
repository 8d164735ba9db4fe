"""The synthetic replica: scenarios, determinism, file format, calibration, parameter recovery, ceilings.

Fast (a few seconds): the recovery and null checks fit 20 and 10 small ordinal models.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vsr_analysis import paths
from vsr_analysis.cli.synth import cli_synth
from vsr_analysis.synth import replica as synth

SCENARIOS = ("vsr-narrative", "null", "size-ceiling")


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    from vsr_analysis.data.register import load_register

    return load_register()


def _analysis_frame(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Responding municipalities joined to the register, with the model's covariates (as the truth defines them)."""
    from vsr_analysis.data.frame import build_frame

    full = build_frame(rows, frame)
    full = full[full["responded"]].reset_index(drop=True)
    return pd.concat([full, synth.covariates(full)[["log_population", "centrality"]]], axis=1)


@pytest.fixture(scope="session")
def generated(frame):
    return {name: synth.generate(name, 2021, frame=frame) for name in SCENARIOS}


# ------------------------------------------------------------------------------------------- scenarios


def test_available_scenarios():
    assert set(SCENARIOS) <= set(synth.available_scenarios())


def test_unknown_scenario_lists_available():
    with pytest.raises(ValueError) as exc:
        synth.load_scenario("no-such-scenario")
    for name in SCENARIOS:
        assert name in str(exc.value)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_assumption_has_reason_and_sources(name):
    sc = synth.load_scenario(name)
    table = synth.assumptions_table(sc)
    assert len(table) > 40
    assert table["reason"].str.len().min() > 10
    ids = set(synth.sources_table(sc)["source"])
    for cell in table["sources"]:
        assert cell and set(cell.split(", ")) <= ids
    assert sc["_sha256"] and len(sc["_sha256"]) == 64


def test_scenario_contents():
    narrative, null, ceiling = (synth.load_scenario(n) for n in SCENARIOS)
    coef = lambda sc: {k: v["value"] for k, v in sc["maturity"]["coefficients"].items()}  # noqa: E731
    assert all(v > 0 for v in coef(narrative).values())
    assert all(v == 0 for v in coef(null).values())
    assert coef(ceiling) == coef(narrative)
    assert ceiling["maturity"]["ceiling"]["value"] == {"population_below": 10000, "max_stage": 3}
    assert narrative["maturity"]["ceiling"]["value"] is None
    # the children inherit everything else
    assert null["barriers"] == narrative["barriers"] and ceiling["response"] == narrative["response"]
    # a child's target replaces the parent's as a whole
    assert "min" not in ceiling["targets"]["small_at_top"]


def _project_copy(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(paths.scenarios_dir(), root / "data" / "scenarios")
    shutil.copytree(paths.register_dir(), root / "data" / "register")
    shutil.copy2(paths.codebook_path(), root / "data" / "codebook.yml")
    # the replica's truth file states each claim's truth, which claims.yml declares (F8's ranked barriers, F10's item)
    shutil.copy2(paths.project_root() / "claims.yml", root / "claims.yml")
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    return root / "data" / "scenarios"


def test_malformed_scenario_names_file_and_key(tmp_path, monkeypatch):
    folder = _project_copy(tmp_path, monkeypatch)
    (folder / "broken.yml").write_text(
        "extends: vsr-narrative\nname: broken\nresponse:\n  centrality:\n"
        "    value: 0.1\n    reason: ''\n    sources: [assumption]\n",
        encoding="utf-8",
    )
    with pytest.raises(synth.ScenarioError) as exc:
        synth.load_scenario("broken")
    assert "broken.yml" in str(exc.value) and "response.centrality" in str(exc.value)
    (folder / "nodist.yml").write_text(
        "extends: vsr-narrative\nname: nodist\nmaturity:\n  stage_distribution:\n"
        "    value: [0.5, 0.5, 0.1, 0, 0, 0]\n    reason: bad\n"
        "    sources: [assumption]\n",
        encoding="utf-8",
    )
    with pytest.raises(synth.ScenarioError, match="sum to 1"):
        synth.load_scenario("nodist")


# ------------------------------------------------------------------------------------------- survey spec


def test_parse_spec():
    assert synth.parse_spec("synthetic:vsr-narrative:2021") == ("vsr-narrative", 2021)
    assert synth.parse_spec("synthetic:null:0") == ("null", 0)
    for bad in (
        "synthetic:vsr-narrative",
        "file:x:abc",
        "synthetic::1",
        "synthetic:a:-1",
        "synthetic:a:1.5",
        "synthetic:a b:1",
        f"synthetic:a:{2**32}",
        "",
        None,
    ):
        with pytest.raises(ValueError):
            synth.parse_spec(bad)


# ------------------------------------------------------------------------------------------- files


def test_same_seed_same_bytes_other_seed_differs(tmp_path, frame):
    a = synth.write("vsr-narrative", 7, tmp_path / "a.csv", frame=frame)
    b = synth.write("vsr-narrative", 7, tmp_path / "b.csv", frame=frame)
    c = synth.write("vsr-narrative", 8, tmp_path / "c.csv", frame=frame)
    assert a.read_bytes() == b.read_bytes()
    assert synth.truth_path(a).read_bytes() == synth.truth_path(b).read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.csv",
        "a.truth.json",
        "b.csv",
        "b.truth.json",
        "c.csv",
        "c.truth.json",
    ]  # no temporary files left


def test_csv_format(tmp_path, frame):
    path = synth.write("vsr-narrative", 2021, tmp_path / "s.csv", frame=frame)
    raw = path.read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n") and not raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8").splitlines()
    assert lines[0].split(",") == synth.column_order()
    assert not any(".0," in line or line.endswith(".0") for line in lines[1:])  # integers as integers
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert df["knr"].str.fullmatch(r"\d{4}|\d{2}").all()
    counties = df[df["unit_type"] == "county"]
    assert list(counties["knr"]) == list(synth.COUNTY_CODES)
    assert (counties["cooperates_with_county"] == "").all()
    muni = df[df["unit_type"] == "municipality"]
    assert muni["knr"].str.len().eq(4).all() and muni["knr"].is_monotonic_increasing
    assert set(muni["knr"]) <= set(frame["knr"])
    assert (df == "").to_numpy().any()  # item non-response -> blank cells


@pytest.mark.parametrize("name", SCENARIOS)
def test_file_passes_validation(tmp_path, frame, name):
    from vsr_analysis.data.survey_file import load_survey

    path = synth.write(name, 2021, tmp_path / f"{name}.csv", frame=frame)
    loaded = load_survey(path)
    truth = synth.read_truth(path)
    assert loaded.n_municipalities == truth["response_model"]["n_respondents"]
    assert loaded.n_counties == 11
    assert not [w for w in loaded.warnings if "knr" in w]


def test_write_default_path_and_ensure(tmp_path, monkeypatch):
    _project_copy(tmp_path, monkeypatch)
    path = synth.ensure("null", 3)
    assert path == paths.synthetic_dir() / "null-3.csv" and path.is_file()
    mtime = path.stat().st_mtime_ns
    assert synth.ensure("null", 3) == path and path.stat().st_mtime_ns == mtime  # reused, not rewritten
    truth = synth.truth_path(path)
    truth.write_text(truth.read_text().replace(synth.load_scenario("null")["_sha256"], "stale"))
    assert synth.ensure("null", 3).read_bytes() == synth.write("null", 3, tmp_path / "x.csv").read_bytes()
    assert json.loads(truth.read_text())["scenario_sha256"] == synth.load_scenario("null")["_sha256"]


def test_cli_synth(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    rc = cli_synth(argparse.Namespace(scenario="vsr-narrative", seed=5, out=str(out)))
    assert rc == 0 and out.is_file() and synth.truth_path(out).is_file()
    assert "SIMULATED" in capsys.readouterr().out
    rc = cli_synth(argparse.Namespace(scenario="nope", seed=5, out=str(tmp_path / "n.csv")))
    err = capsys.readouterr().err
    assert rc == 2 and "unknown scenario 'nope'" in err and "vsr-narrative" in err
    assert not (tmp_path / "n.csv").exists()


def test_generator_hash_covers_every_generating_module():
    """A cached replica file is regenerated when any module that shapes its bytes changes: every synth module
    is hashed except the ones that only re-export (replica.py) or compute expectations for `vsr simulate`'s truth
    without writing anything (estimands.py); `vsr synth`'s messages live in vsr_analysis.cli.synth."""
    from vsr_analysis.synth import simulation

    folder = Path(simulation.__file__).parent
    not_generating = {"__init__.py", "replica.py", "estimands.py"}
    assert set(simulation.GENERATOR_SOURCES) == {p.name for p in folder.glob("*.py")} - not_generating


# ------------------------------------------------------------------------------------------- truth


def test_truth_contents(generated, frame):
    rows, truth = generated["vsr-narrative"]
    assert truth["scenario"] == "vsr-narrative" and truth["seed"] == 2021 and truth["simulated"] is True
    assert list(truth["coefficients"]) == list(synth.COVARIATES)
    zeta = list(truth["thresholds"].values())
    assert len(zeta) == 5 and zeta == sorted(zeta)
    rm = truth["response_model"]
    assert rm["expected_rate"] == pytest.approx(0.80, abs=1e-8)
    assert rm["n_respondents"] == (rows["unit_type"] == "municipality").sum()
    assert rm["realised_rate"] == pytest.approx(rm["n_respondents"] / 356)
    # calibration: the expected stage distribution among respondents is the stated one
    stated = synth.load_scenario("vsr-narrative")["maturity"]["stage_distribution"]["value"]
    exp = truth["expected_marginals"]["respondents"]
    assert [exp[f"stage_eq{k}"] for k in range(6)] == pytest.approx(stated, abs=1e-6)
    # the listed small municipalities at the top really are small, respondents and at stage >= 4
    median = float(frame["population_2021"].median())
    assert truth["frame_median_population"] == median
    listed = truth["small_at_stage_ge4"]["knr"]
    pop = dict(zip(frame["knr"], frame["population_2021"]))
    stage = dict(zip(rows["knr"], rows["maturity_stage"]))
    assert listed and all(pop[k] < median and stage[k] >= 4 for k in listed)
    assert set(truth["small_peripheral_at_stage_ge4"]["knr"]) <= set(listed)
    assert truth["ceiling"] is None and truth["ceiling_threshold"] is None
    assert generated["size-ceiling"][1]["ceiling_threshold"] == 10000


def test_thresholds_reproduce_the_stage_distribution_by_simulation(frame):
    """Check the solved thresholds against brute force: pooled realised shares over 15 seeds vs stated."""
    stated = np.array(synth.load_scenario("vsr-narrative")["maturity"]["stage_distribution"]["value"])
    counts, n = np.zeros(6), 0
    for seed in range(15):
        rows, _ = synth.generate("vsr-narrative", seed, frame=frame)
        s = rows.loc[rows["unit_type"] == "municipality", "maturity_stage"].dropna().astype(int)
        counts += np.bincount(s, minlength=6)
        n += len(s)
    se = np.sqrt(stated * (1 - stated) / n) * math.sqrt(1.5)  # 1.5: clustering within seeds (shared frame)
    assert np.all(np.abs(counts / n - stated) < 4 * se)


# ------------------------------------------------------------------------------------------- marginals


@pytest.mark.parametrize("name", SCENARIOS)
def test_marginals_hit_targets_within_sampling_error(generated, frame, name):
    rows, truth = generated[name]
    table = synth.targets_table(name, rows, truth, frame=frame)
    assert table["expected_within"].all(), table.loc[~table["expected_within"], ["target", "low", "high", "expected"]]
    assert table["within"].all(), table.loc[~table["within"], ["target", "low", "high", "realised", "margin"]]
    # and each realised share is within sampling error of the model's own expectation (Bonferroni z)
    z = stats.norm.ppf(1 - 0.01 / (2 * len(truth["realised_marginals"])))
    for key, exp in truth["expected_marginals"]["respondents"].items():
        real, n = synth.marginal_statistics(rows)[key]
        assert abs(real - exp) <= z * math.sqrt(max(exp * (1 - exp), 1e-9) / n) + 1e-12, key


def test_item_consistency(generated, frame):
    rows, _ = generated["vsr-narrative"]
    m = rows[rows["unit_type"] == "municipality"]
    net = m.dropna(subset=["network_member"])
    subs = net[["network_ks", "network_regional", "network_international"]].astype(int)
    member = net["network_member"].astype(int)
    assert (subs[member == 0] == 0).all().all()
    assert (subs[member == 1].sum(axis=1) >= 1).all()
    ks_listed = set(frame.loc[frame["network_ks"] == 1, "knr"])
    assert set(net.loc[net["network_ks"] == 1, "knr"]) <= ks_listed
    pr = rows.dropna(subset=["priority_sdg_1"])[list(synth.PRIORITY_ITEMS)].astype(int).to_numpy()
    assert pr.min() >= 1 and pr.max() <= 17 and all(len(set(r)) == 3 for r in pr)
    assert rows[list(synth.PRIORITY_ITEMS)].isna().sum(axis=1).isin([0, 3]).all()  # skipped as a block
    for col in ("political_anchoring", "admin_anchoring"):
        assert set(rows[col].dropna().astype(int)) <= {1, 2, 3, 4, 5}


def _ladder_disagreement(sc, frame, seeds=range(5)):
    wrong = total = 0
    for seed in seeds:
        rows, _ = synth.generate(sc, seed, frame=frame)
        for item, lowest in synth.COMPONENT_ITEMS.items():
            if item == "measures_progress":
                continue  # stage 4 partly measures by design
            d = rows.dropna(subset=["maturity_stage", item])
            implied = (d["maturity_stage"].astype(int) >= lowest).astype(int)
            wrong += int((d[item].astype(int) != implied).sum())
            total += len(d)
    return wrong, total


def test_items_with_their_own_noise_disagree_with_the_stage_more_than_the_flips_alone(frame):
    sc = synth.load_scenario("vsr-narrative")
    assert synth.item_noise(sc) > 0
    eps = sc["components"]["inconsistency_rate"]["value"]
    wrong, total = _ladder_disagreement(sc, frame)
    se = math.sqrt(eps * (1 - eps) / total)
    assert wrong / total > eps + 4 * se  # the items' own noise adds disagreement
    assert wrong / total < 0.25  # ... but the items still follow the ladder


def test_components_follow_the_ladder_with_the_stated_inconsistency(frame):
    sc = copy.deepcopy(synth.load_scenario("vsr-narrative"))
    sc["components"].pop("item_noise", None)  # items copied from the stage, then flipped
    eps = sc["components"]["inconsistency_rate"]["value"]
    wrong = total = 0
    for seed in range(5):
        rows, _ = synth.generate(sc, seed, frame=frame)
        for item, lowest in synth.COMPONENT_ITEMS.items():
            if item == "measures_progress":
                continue  # stage 4 partly measures by design
            d = rows.dropna(subset=["maturity_stage", item])
            implied = (d["maturity_stage"].astype(int) >= lowest).astype(int)
            wrong += int((d[item].astype(int) != implied).sum())
            total += len(d)
    se = math.sqrt(eps * (1 - eps) / total)
    assert abs(wrong / total - eps) < 4 * se


def test_barriers_differ_by_size(frame):
    rows, _ = synth.generate("vsr-narrative", 11, frame=frame)
    d = _analysis_frame(rows, frame)
    small = d["population_2021"] < d["population_2021"].median()
    cap = d.dropna(subset=["barrier_capacity"])
    assert cap.loc[small, "barrier_capacity"].mean() > cap.loc[~small, "barrier_capacity"].mean()


# ------------------------------------------------------------------------------------------- recovery


def _fit(rows: pd.DataFrame, frame: pd.DataFrame, covs=synth.COVARIATES):
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    return fit_ordinal(_analysis_frame(rows, frame), "maturity_stage", list(covs))


def test_parameter_recovery_vsr_narrative(frame):
    """20 seeds x 5 coefficients: 95 % CIs cover the truth at a rate consistent with 0.95; mean near truth."""
    seeds = range(100, 120)
    truth = None
    est, covered = [], []
    for seed in seeds:
        rows, truth = synth.generate("vsr-narrative", seed, frame=frame)
        tab = synth.truth_vs_estimates(_fit(rows, frame), truth)
        est.append(tab["estimate"].to_numpy())
        covered.extend(tab["covered"])
    k = len(covered)
    # lower 0.1 % quantile of Binomial(k, 0.95): fails with probability < 0.001 if coverage is nominal
    assert np.mean(covered) >= stats.binom.ppf(0.001, k, 0.95) / k
    est = np.array(est)
    beta = np.array([truth["coefficients"][c] for c in synth.COVARIATES])
    se_mean = est.std(axis=0, ddof=1) / math.sqrt(len(seeds))
    assert np.all(np.abs(est.mean(axis=0) - beta) < 3.5 * se_mean), (est.mean(axis=0), beta, se_mean)


def test_null_coefficients_near_zero(frame):
    est = []
    for seed in range(200, 210):
        rows, truth = synth.generate("null", seed, frame=frame)
        assert all(v == 0 for v in truth["coefficients"].values())
        est.append(synth.truth_vs_estimates(_fit(rows, frame), truth)["estimate"].to_numpy())
    est = np.array(est)
    se_mean = est.std(axis=0, ddof=1) / math.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0)) < 3.5 * se_mean)


# ------------------------------------------------------------------------------------------- ceilings


def test_size_ceiling_holds(frame):
    pop = dict(zip(frame["knr"], frame["population_2021"]))
    top_large = 0
    for seed in range(5):
        rows, truth = synth.generate("size-ceiling", seed, frame=frame)
        m = rows[(rows["unit_type"] == "municipality")].dropna(subset=["maturity_stage"])
        small = m["knr"].map(pop) < 10000
        assert (m.loc[small, "maturity_stage"] <= 3).all()
        assert truth["ceiling_violations"] == 0 and truth["small_at_stage_ge4"]["expected_count"] == 0
        top_large += int((m.loc[~small, "maturity_stage"] >= 4).sum())
    assert top_large > 0  # the top stages are reached, by large municipalities only


def test_narrative_has_small_and_peripheral_municipalities_at_the_top(generated):
    _, truth = generated["vsr-narrative"]
    assert truth["small_at_stage_ge4"]["expected_count"] >= 8
    assert len(truth["small_at_stage_ge4"]["knr"]) >= 3  # the F4 rule's minimum
    assert len(truth["small_peripheral_at_stage_ge4"]["knr"]) >= 1


def _nca_available() -> bool:
    try:
        from vsr_analysis.stats.nca import nca  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _nca_available(), reason="vsr_analysis.stats.nca not available")
def test_nca_effect_size_of_size(frame):
    from vsr_analysis.stats.nca import nca

    def d_of(name: str, seed: int, permutations: int = 0):
        rows, _ = synth.generate(name, seed, frame=frame)
        d = _analysis_frame(rows, frame).dropna(subset=["maturity_stage"])
        x, y = d["log_population"].to_numpy(), d["maturity_stage"].astype(float).to_numpy()
        return nca(x, y, ceiling="ce_fdh", permutations=permutations, seed=seed), x, y

    for seed in range(3):
        res, x, y = d_of("size-ceiling", seed, permutations=999 if seed == 0 else 0)
        # the empty rectangle the ceiling guarantees: x below ln(10,000) and y above 3
        bound = (math.log(10000) - x.min()) * (y.max() - 3) / ((x.max() - x.min()) * (y.max() - y.min()))
        assert res.effect_size >= bound - 1e-12 and res.effect_size >= 0.15
        if seed == 0:
            assert res.p_value < 0.01
    null_d = [d_of("null", seed)[0].effect_size for seed in range(5)]
    assert np.mean(null_d) < 0.1  # "small" on Dul's (2016) scale
    ceiling_d = [d_of("size-ceiling", seed)[0].effect_size for seed in range(5)]
    assert np.mean(ceiling_d) > 2 * np.mean(null_d)


# ------------------------------------------------------------------------------------------- notebook

NOTEBOOK = paths.notebooks_dir() / "synthetic_replica.ipynb"


def test_notebook_template_shape():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    ns: dict = {}
    exec(tagged[0].source, ns)
    assert ns["survey"] == "synthetic:vsr-narrative:2021" and ns["param_set"] == "synthetic-replica"
    assert ns["results_dir"] is None
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert any(c.cell_type == "markdown" and "```{warning}" in c.source and "SIMULATED" in c.source for c in nb.cells)
    source = "\n".join(c.source for c in code)
    assert "synth.parse_spec(" in source and "synth.ensure(" in source


@pytest.mark.slow
def test_notebook_executes(tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        parameters={"survey": "synthetic:size-ceiling:3", "results_dir": str(tmp_path / "res")},
    )
    assert (tmp_path / "res" / "truth-vs-estimates.csv").is_file()
    assert (tmp_path / "res" / "stage-by-size-band.svg").is_file()
