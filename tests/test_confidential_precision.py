"""The ledger and evidence of a confidential run published at the tables' precision (``build.confidential_precision``)."""

from __future__ import annotations

import json

from vsr_analysis.build import confidential_precision as precision


def test_coarsen_json_rounds_shares_and_statistics_and_leaves_the_rest():
    evidence = {
        "primary": {"estimate": 0.4123456, "ci_low": 0.35678, "ci_high": 0.4671, "p_value": 3.456789e-7, "method": "x"},
        "n": 297,
        "rule_inputs": {"stage_shares": [0.1234, 0.56789], "flag": True, "coefficient": -1.23456},
    }
    share = precision.coarsen_json(evidence, share_estimate=True)
    assert share["primary"] == {"estimate": 0.41, "ci_low": 0.36, "ci_high": 0.47, "p_value": 3.46e-7, "method": "x"}
    assert share["n"] == 297 and share["rule_inputs"]["flag"] is True
    assert share["rule_inputs"]["stage_shares"] == [0.12, 0.57]  # a key naming a share: whole percent points
    assert share["rule_inputs"]["coefficient"] == -1.23
    other = precision.coarsen_json(evidence, share_estimate=False)
    assert other["primary"]["estimate"] == 0.412  # a coefficient or a non-share estimate: 3 significant digits


def test_reused_chapter_is_decided_from_the_kept_full_evidence(tmp_path, monkeypatch):
    from vsr_analysis import paths

    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    stage = tmp_path / "stage"
    (stage / "results" / "f6").mkdir(parents=True)
    full = {"primary": {"estimate": 0.4987654}}
    (stage / "results" / "f6" / "evidence.json").write_text(json.dumps(full), encoding="utf-8")
    precision.keep_private_evidence(stage / "results" / "f6", "f6")
    precision.keep_evidence(stage)
    ledger = [{"id": "F6", "primary": {"estimate": 0.4987654}}]
    from types import SimpleNamespace

    spec = SimpleNamespace(claims=[SimpleNamespace(id="F6", parameter_set="f6", is_share=True, on_share_scale=True)])
    out = precision.coarsen_published(stage, ledger, spec)
    assert out[0]["primary"]["estimate"] == 0.5
    published = json.loads((stage / "results" / "f6" / "evidence.json").read_text(encoding="utf-8"))
    assert published["primary"]["estimate"] == 0.5
    # the next run reuses f6: its evidence is restored at full precision before the ledger decides
    next_stage = tmp_path / "next"
    (next_stage / "results" / "f6").mkdir(parents=True)
    (next_stage / "results" / "f6" / "evidence.json").write_text(json.dumps(published), encoding="utf-8")
    assert precision.restore_full_evidence(next_stage, ["f6"]) == []
    restored = json.loads((next_stage / "results" / "f6" / "evidence.json").read_text(encoding="utf-8"))
    assert restored == full
    (next_stage / "results" / "f7").mkdir()
    (next_stage / "results" / "f7" / "evidence.json").write_text("{}", encoding="utf-8")
    assert precision.restore_full_evidence(next_stage, ["f7"]) == ["f7"]  # no private copy: said, not hidden
