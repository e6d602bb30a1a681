"""The dose calculator on the issue's cases: weight bands and conditions, per-m² by Mosteller (stated),
caps, implausible inputs refused with a clear message, the arithmetic shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialatlas.cli import app, commands  # noqa: F401  (registers the commands)
from trialatlas.errors import DoseInputError, TrialAtlasError
from trialatlas.extract.regimen import parse_regimen, patient_dose, trial_doses
from trialatlas.model import Trial
from trialatlas.sources import read_path

WEIGHT_BANDS = (
    "Participants in the MMF group were administered tablet mycophenolate mofetil at a starting dose of "
    "500 mg twice daily if the weight of the patient was less than 50 kilograms and 750 mg twice daily if "
    "the weight was more than 50 kilograms."
)


@pytest.fixture(scope="module")
def nct03200002(target_trials: Path) -> Trial:
    trial = next(iter(read_path(target_trials / "NCT03200002.xml")))
    assert isinstance(trial, Trial)
    return trial


def test_weight_band_chooses_the_dose_and_is_not_itself_a_dose() -> None:
    items = parse_regimen(WEIGHT_BANDS).dosed_items
    assert [(i.dose.low, i.dose.unit) for i in items if i.dose] == [(500, "mg"), (750, "mg")]
    light, heavy = (patient_dose(i, weight_kg=w) for i, w in zip(items, (60, 60), strict=True))
    assert light.status == "not applicable" and "< 50 kg" in (light.reason or "")
    assert heavy.status == "ok" and heavy.per_day is not None and heavy.per_day.low == 1500
    assert patient_dose(items[0], weight_kg=42).status == "ok"
    assert patient_dose(items[1], weight_kg=42).status == "not applicable"
    # At exactly 50 kg the text says neither: neither dose is offered as the patient's.
    assert {patient_dose(i, weight_kg=50).status for i in items} == {"not applicable"}


def test_weight_band_opening_the_statement_and_bracketed() -> None:
    (light, heavy) = parse_regimen("If < 50 kg: 500 mg BID; if >= 50 kg: 750 mg BID").dosed_items
    assert patient_dose(light, weight_kg=50).status == "not applicable"
    assert patient_dose(heavy, weight_kg=50).status == "ok"
    (small, large) = parse_regimen("300 mcg (pts </= 60 kg) or 480 mcg (pts > 60 kg), SC").dosed_items
    assert patient_dose(small, weight_kg=60).status == "ok"
    assert patient_dose(large, weight_kg=60).status == "not applicable"
    assert parse_regimen("patients weighing 40-60 kg receive 20 mg daily").dosed_items[0].conditions


def test_nct03200002_at_60_kg(nct03200002: Trial) -> None:
    rows = trial_doses(nct03200002, weight_kg=60, height_cm=165).rows
    mmf = [r.dose for r in rows if r.dose.drug == "mycophenolate mofetil"]
    applicable = [(d.per_administration.low, d.frequency) for d in mmf if d.per_administration]
    assert applicable and all(dose == (750, "BID") for dose in applicable)
    assert any(d.status == "not applicable" and d.stated == "500 mg" for d in mmf)
    # "After one month, the dose of MMF was increased to 750 mg twice daily" starts a phase of its own.
    phases = [r.phase for r in rows if r.dose.drug == "mycophenolate mofetil"]
    assert phases == ["regimen", "regimen", "after 1 month"]
    cyclophosphamide = [r.dose for r in rows if r.dose.drug == "cyclophosphamide"]
    # "every month for a total of six infusions"; the 1 g strength and the saline are not doses.
    assert [(d.stated, d.frequency) for d in cyclophosphamide] == [("0.5–1 g/m2", "QM")]
    (cyc,) = cyclophosphamide
    assert any("Mosteller" in line and "165 cm" in line and "60 kg" in line for line in cyc.arithmetic)
    assert not any(r.dose.drug and "sodium chloride" in r.dose.drug for r in rows)


@pytest.mark.parametrize(("weight", "height"), [(700, None), (0.2, None), (60, 300), (60, 10)])
def test_implausible_inputs_are_refused(nct03200002: Trial, weight: float, height: float | None) -> None:
    with pytest.raises(DoseInputError, match="not plausible"):
        trial_doses(nct03200002, weight_kg=weight, height_cm=height)
    assert issubclass(DoseInputError, TrialAtlasError)


def test_arithmetic_and_caps() -> None:
    (tac,) = parse_regimen("Tacrolimus 0.05-0.10 mg/kg/day, BID").dosed_items
    dose = patient_dose(tac, weight_kg=20)
    assert dose.arithmetic == [
        "0.05–0.1 mg/kg/day × 20 kg = 1–2 mg/day",
        "1–2 mg/day ÷ 2 (BID) = 0.5–1 mg per dose",
    ]
    (pred,) = parse_regimen("prednisolone 1 mg/kg/day, maximum 60 mg/day").dosed_items
    capped = patient_dose(pred, weight_kg=80)
    assert capped.per_day is not None and capped.per_day.high == 60
    assert any("maximum" in line for line in capped.arithmetic)
    assert patient_dose(pred, weight_kg=40).per_day is not None
    assert patient_dose(pred, weight_kg=40).per_day.high == 40  # type: ignore[union-attr]


def test_dose_command_rejects_an_implausible_weight(tmp_path: Path, nct03200002: Trial) -> None:
    from trialatlas.store import open_store

    db = tmp_path / "t.db"
    store = open_store(str(db))
    store.upsert_batch([nct03200002])
    store.close()
    refused = CliRunner().invoke(app, ["dose", "NCT03200002", "--weight", "700", "--db", str(db)])
    assert refused.exit_code != 0
    assert "not plausible" in refused.output and "350" in refused.output
    shown = CliRunner().invoke(app, ["dose", "NCT03200002", "--weight", "60", "--db", str(db), "--json"])
    assert shown.exit_code == 0, shown.output
    statuses = {r["dose"]["status"] for r in json.loads(shown.output)["rows"]}
    assert "not applicable" in statuses


def test_alternatives_and_a_taper_target_are_marked_in_the_doses(target_trials: Path) -> None:
    # NCT04048161: "Steroid dose: 1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd, then gradually taper the
    # steroid to 5mg/day". The timeline marks the two as alternatives and 5 mg/day as the taper's end;
    # the dose calculator listed all three as if given together.
    trial = next(iter(read_path(target_trials / "NCT04048161.xml")))
    assert isinstance(trial, Trial)
    rows = [r for r in trial_doses(trial, weight_kg=20).rows if r.dose.drug == "glucocorticoid"]
    by_arm: dict[str, list[str]] = {}
    for row in rows:
        by_arm.setdefault(row.arm, []).append(row.dose.stated)
    assert len(by_arm) == 2
    for row in rows:
        if row.dose.stated == "5 mg/day":
            assert row.role == "taper" and row.alternative_group is None
            assert any("taper" in note and "not given with" in note for note in row.dose.notes)
        else:
            assert row.alternative_group is not None and row.role is None
            other = next(s for s in by_arm[row.arm] if s not in (row.dose.stated, "5 mg/day"))
            assert any(note.startswith("or ") and other in note for note in row.dose.notes), row.dose.notes
