"""The codebook (data/codebook.yml) against the instrument contract (../shared/reference/instrument.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from vsr_analysis import paths
from vsr_analysis.data.codebook import LANGUAGES, CodebookError, load_codebook

INSTRUMENT = paths.project_root().parent / "shared" / "reference" / "instrument.md"


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def _instrument_text() -> str:
    if not INSTRUMENT.is_file():
        pytest.skip(f"the instrument contract {INSTRUMENT} is not present on this machine")
    return INSTRUMENT.read_text(encoding="utf-8")


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after ``heading``, header and rule removed."""
    lines = text.split(heading, 1)[1].splitlines()
    rows, started = [], False
    for line in lines:
        if line.startswith("|"):
            started = True
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif started:
            break
    return [r for r in rows[2:]]


def _instrument_items() -> list[tuple[str, str, str]]:
    """(name, type, codes) for every item name in the instrument's item table."""
    out = []
    for cells in _table_after(_instrument_text(), "## Items"):
        names = re.findall(r"`([a-z0-9_]+)`", cells[0])
        for name in names:
            out.append((name, cells[1], cells[2]))
    return out


def _codes(text: str) -> set | None:
    """Instrument code text -> the set of valid codes (None for the id item)."""
    if m := re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", text):
        return set(range(int(m.group(1)), int(m.group(2)) + 1))
    if m := re.fullmatch(r"(\d+)/(\d+)", text):
        return {int(m.group(1)), int(m.group(2))}
    words = re.findall(r"`([a-z_]+)`", text)
    if words:
        return set(words)
    return None


def test_instrument_table_was_parsed():
    items = _instrument_items()
    assert len(items) >= 24, items
    assert {"knr", "maturity_stage", "barrier_policy_coherence", "priority_sdg_3"} <= {n for n, _, _ in items}


@pytest.mark.parametrize("field", ["names", "types", "codes"])
def test_codebook_matches_instrument(cb, field):
    problems = []
    for name, typ, codes in _instrument_items():
        if name not in cb:
            problems.append(f"{name}: missing from the codebook")
            continue
        item = cb.item(name)
        if field == "types":
            expected = typ.split()[0].lower()
            if item.type != expected:
                problems.append(f"{name}: type {item.type!r}, instrument says {expected!r}")
        if field == "codes":
            expected = _codes(codes)
            if expected is None:
                if item.type != "id":
                    problems.append(f"{name}: the instrument gives no code list, so it must be the id item")
            elif item.valid_codes != expected:
                problems.append(
                    f"{name}: codes {sorted(item.valid_codes, key=str)}, instrument {sorted(expected, key=str)}"
                )
    assert not problems, "\n".join(problems)


def test_ladder_matches_instrument(cb):
    rows = _table_after(_instrument_text(), "## The maturity ladder")
    assert len(rows) == 6
    assert [s.code for s in cb.ladder] == [int(r[0]) for r in rows]
    assert [s.en for s in cb.ladder] == [r[1] for r in rows]
    assert [s.description["en"] for s in cb.ladder] == [r[2] for r in rows]
    assert cb.item("maturity_stage").valid_codes == {s.code for s in cb.ladder}


def test_every_item_has_english_and_norwegian_labels(cb):
    for item in cb.items:
        for lang in LANGUAGES:
            assert item.label[lang].strip(), (item.name, lang)
            assert item.question[lang].strip(), (item.name, lang)
        for code in item.codes + item.missing_codes:
            assert code.en.strip() and code.nb.strip(), (item.name, code)
    for stage in cb.ladder:
        assert stage.en and stage.nb and stage.description["en"] and stage.description["nb"]


def test_declared_missing_codes(cb):
    for item in cb.items:
        if item.type in ("likert", "ordinal"):
            assert item.missing_code_values == {99}, item.name
            assert item.missing_codes[0].nb == "vet ikke"
            assert item.missing_codes[0].en == "don't know"
        else:
            assert not item.missing_codes, f"{item.name}: only Likert and maturity items have a don't-know code"
        assert not (item.valid_codes & item.missing_code_values)


def test_required_and_optional_items(cb):
    required = cb.required_items()
    assert required[0] == "knr"
    assert "maturity_stage" in required
    assert "unit_type" not in required and cb.item("unit_type").default == "municipality"
    assert "name" not in required
    # every instrument item except the optional unit_type is required
    assert set(required) == {n for n, _, _ in _instrument_items()} - {"unit_type"}


def test_helpers(cb):
    names = cb.item_names()
    assert names[0] == "knr" and len(names) == len(set(names))
    assert cb.maturity_labels("en") == {
        0: "not started",
        1: "exploring",
        2: "decided",
        3: "in plans",
        4: "operationalised",
        5: "measuring and reporting",
    }
    assert cb.maturity_labels("nb")[0] == "ikke startet"
    assert cb.maturity_descriptions("nb")[5].startswith("Framdriften")
    with pytest.raises(ValueError):
        cb.maturity_labels("de")
    assert cb.items_in_group("barriers")[0] == "barrier_capacity" and len(cb.items_in_group("barriers")) == 7
    assert "knr" not in cb.answer_items() and "maturity_stage" in cb.answer_items()
    assert cb.item("priority_sdg_1").code_labels("nb")[13] == "Stoppe klimaendringene"
    assert cb.item("political_anchoring").describe_codes() == "1-5 (or 99 = don't know)"
    assert cb.item("sdg_in_budget").describe_codes() == "0/1"
    with pytest.raises(KeyError):
        cb.item("nope")
    assert cb.version and cb.source


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "codebook.yml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_broken_codebooks_raise_codebook_error(tmp_path):
    good = yaml.safe_load(paths.codebook_path().read_text(encoding="utf-8"))
    assert load_codebook(_write(tmp_path, good)).item_names() == load_codebook().item_names()

    def broken(mutate):
        data = yaml.safe_load(paths.codebook_path().read_text(encoding="utf-8"))
        mutate(data)
        with pytest.raises(CodebookError):
            load_codebook(_write(tmp_path, data))

    broken(lambda d: d.pop("ladder"))
    broken(lambda d: d["items"][2].update(type="scale"))
    broken(lambda d: d["items"][2].update(codes="nope"))
    broken(lambda d: d["items"][2]["label"].pop("nb"))
    broken(lambda d: d["items"].append(dict(d["items"][2])))
    broken(lambda d: d["items"][3].update(required="yes"))
    broken(lambda d: d["ladder"].reverse())
    with pytest.raises(CodebookError):
        load_codebook(tmp_path / "absent.yml")
    (tmp_path / "bad.yml").write_text("items: [\n", encoding="utf-8")
    with pytest.raises(CodebookError):
        load_codebook(tmp_path / "bad.yml")
    broken(lambda d: d["items"][3].update(implied_from_stage=6))
    broken(lambda d: d["items"][3].update(implied_from_stage="two"))


def test_ladder_components_come_from_the_codebook(cb):
    from vsr_analysis.claims import necessity_evidence
    from vsr_analysis.data.codebook import ladder_components
    from vsr_analysis.stats import descriptives
    from vsr_analysis.synth import replica

    components = ladder_components()
    # exactly the items of group "components", each implied by a stage of the ladder
    assert list(components) == cb.items_in_group("components")
    assert len(components) == 5 and all(1 <= s <= 5 for s in components.values())
    # the stage descriptions imply them in ladder order: a later item never needs an earlier stage
    assert list(components.values()) == sorted(components.values())
    assert descriptives.LADDER_COMPONENTS == components
    assert descriptives.COMPONENT_ITEMS == tuple(components)
    assert necessity_evidence.COMPONENT_ITEMS == tuple(components)
    assert replica.COMPONENT_ITEMS == components
    components.clear()  # callers get their own copy
    assert ladder_components() == descriptives.LADDER_COMPONENTS
