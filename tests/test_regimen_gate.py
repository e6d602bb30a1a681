"""The regimen item gate: a dose the parser likely read wrong is shown as not read, never as a dose.

The shipped coefficients must come from the current labelled sets (bench/train_regimen_gate.py), and a
gate of known coefficients must leave out a doubtful item, keep a clean one, and keep the left-out
one away from the exported items and from the dose calculator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from regimen_sets import every_set, label_ids, set_path
from trialatlas.extract.regimen import gate, trial_doses
from trialatlas.extract.regimen.batch import export_text
from trialatlas.extract.regimen.parse import parse_regimen
from trialatlas.extract.regimen.timeline import trial_timeline
from trialatlas.model import Arm, Trial

# "Aspirin 100 mg" states no frequency; the gate below doubts exactly such doses.
TEXT = "Imatinib 400 mg orally once daily. Aspirin 100 mg."
# gen_sched2's and gen_fresh4's odd halves are scored in aggregate only: the gate learns neither set.
NOT_TRAINED_ON = {
    "sealed",
    "heldout",
    "labelled",
    "gen_sched2",
    "gen_fresh4",
    "gen_other",
    "gen_desc3",
    "probes",
    "gen_long",
    "gen_multi",
}


def _shipped() -> dict[str, object]:
    raw = resources.files("trialatlas.extract.regimen").joinpath(gate.MODEL_FILE).read_text("utf-8")
    loaded: dict[str, object] = json.loads(raw)
    return loaded


def _frequency_doubting_gate() -> gate.GateModel:
    names = gate.feature_names()
    return gate.GateModel(
        kind="logistic",
        features=names,
        coefficients=tuple(-5.0 if name == "freq_none" else 0.0 for name in names),
        intercept=2.0,
        mean=tuple(0.0 for _ in names),
        scale=tuple(1.0 for _ in names),
        threshold=0.5,
    )


def test_shipped_gate_was_trained_on_the_current_labelled_sets() -> None:
    shipped = _shipped()
    trained_on = shipped["trained_on"]
    assert isinstance(trained_on, dict)
    assert set(trained_on["excluded"]) == NOT_TRAINED_ON
    sets = [name for name in every_set() if name not in NOT_TRAINED_ON]
    assert trained_on["sets"] == sets
    # One text is one example: a text two sets share (drawn at the same time) counts in the first set only.
    ids, seen = [], set()
    for name in sets:
        for text_id in label_ids(set_path(name)):
            if text_id not in seen:
                seen.add(text_id)
                ids.append(f"{name}/{text_id}")
    # A labelled set added or changed since the gate was trained: re-run bench/train_regimen_gate.py.
    assert trained_on["ids_sha256"] == gate.ids_digest(ids)
    assert tuple(shipped["features"]) == gate.feature_names()  # type: ignore[arg-type]
    assert gate.shipped_model().kind == shipped["kind"]


def test_a_gate_with_known_coefficients_drops_the_doubtful_item_and_keeps_the_clean_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ungated = parse_regimen(TEXT, gated=False)
    assert [item.drug for item in ungated.dosed_items] == ["imatinib", "aspirin"]
    monkeypatch.setattr(gate, "shipped_model", _frequency_doubting_gate)
    parsed = parse_regimen(TEXT)
    assert [item.drug for item in parsed.dosed_items] == ["imatinib"]
    kept = parsed.dosed_items[0]
    assert kept.gate_score is not None and kept.gate_score > 0.5
    doubted = [fragment for fragment in parsed.unparsed if fragment.reason == gate.REASON]
    assert [fragment.text for fragment in doubted] == ["Aspirin 100 mg"]
    exported = export_text(TEXT)
    assert [item["drug"] for item in exported["items"]] == ["imatinib"]
    assert "Aspirin 100 mg" in exported["unparsed"]
    # The dose calculator works only from the items given: the doubted dose is never worked out.
    trial = Trial(nct_id="NCT00000002", brief_title="Gate", arms=[Arm(label="A", description=TEXT)])
    drugs = {row.dose.drug for row in trial_doses(trial, 70).rows}
    assert drugs == {"imatinib"}
    # The trial page lists an arm's unread fragments ("Not read as doses ... never guessed").
    arm = trial_timeline(trial).arms[0]
    assert "Aspirin 100 mg" in [fragment.text for fragment in arm.unparsed]


def test_rules_gate_leaves_out_items_showing_a_named_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    names = gate.feature_names()
    rules = gate.GateModel(kind="rules", features=names, rules=("freq_none",))
    monkeypatch.setattr(gate, "shipped_model", lambda: rules)
    assert [item.drug for item in parse_regimen(TEXT).dosed_items] == ["imatinib"]
    off = gate.GateModel(kind="off", features=names)
    monkeypatch.setattr(gate, "shipped_model", lambda: off)
    assert [item.drug for item in parse_regimen(TEXT).dosed_items] == ["imatinib", "aspirin"]


def test_shipped_gate_keeps_a_plainly_stated_dose() -> None:
    parsed = parse_regimen("Imatinib 400 mg orally once daily")
    assert [item.export()["frequency"] for item in parsed.dosed_items] == ["QD"]
    assert parsed.unparsed == []


def test_parsing_does_not_import_the_training_library() -> None:
    code = (
        "import sys\n"
        "from trialatlas.extract.regimen.parse import parse_regimen\n"
        "parse_regimen('Imatinib 400 mg orally once daily. Aspirin 100 mg.')\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
