"""The dose calculator: per administration and per day for one patient, rounding, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialatlas.cli import app, commands  # noqa: F401  (registers the commands)
from trialatlas.extract.regimen import body_surface_area, parse_regimen, patient_dose, trial_doses
from trialatlas.model import Arm, Trial

SEED_001_TAC_ARM = (
    "Tacrolimus: 0.5mg and 1mg; Capsule; 0.05-0.10mg/kg/day,BID; Steroid: 5mg; Oral tablets; "
    "1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd;"
)


def _trial() -> Trial:
    return Trial(
        nct_id="NCT04048161",
        brief_title="Tacrolimus vs MMF in nephrotic syndrome",
        arms=[
            Arm(label="Tacrolimus(Group A)", description=SEED_001_TAC_ARM),
            Arm(label="Chemo", description="Paclitaxel 175 mg/m2 IV every 21 days; carboplatin AUC 6 IV"),
        ],
    )


def test_seed_001_tacrolimus_for_20_kg() -> None:
    doses = trial_doses(_trial(), weight_kg=20)
    tac = next(r.dose for r in doses.rows if r.dose.drug == "tacrolimus")
    assert tac.status == "ok" and tac.frequency == "BID"
    assert tac.per_day is not None and (tac.per_day.low, tac.per_day.high, tac.per_day.unit) == (
        1.0,
        2.0,
        "mg",
    )
    assert tac.per_administration is not None
    assert (tac.per_administration.low, tac.per_administration.high) == (0.5, 1.0)
    assert tac.rounded_per_administration is not None
    assert (tac.rounded_per_administration.low, tac.rounded_per_administration.high) == (0.5, 1.0)
    assert tac.formulation is not None and "0.5 mg and 1 mg capsule" in tac.formulation


def test_every_other_day_and_daily_steroid() -> None:
    qod, qd = [r.dose for r in trial_doses(_trial(), weight_kg=20).rows if r.dose.drug == "glucocorticoid"]
    assert qod.per_administration is not None and (
        qod.per_administration.low,
        qod.per_administration.high,
    ) == (
        20.0,
        30.0,
    )
    assert qod.per_day is None and any("every other day" in n for n in qod.notes)
    assert qd.per_day is not None and (qd.per_day.low, qd.per_day.high) == (10.0, 15.0)


def test_rounding_to_a_formulation_step() -> None:
    (item,) = parse_regimen("Tacrolimus: 0.5mg and 1mg; Capsule; 0.05-0.10mg/kg/day,BID;").dosed_items
    dose = patient_dose(item, weight_kg=27)  # 1.35-2.7 mg/day -> 0.675-1.35 mg per dose
    assert dose.rounded_per_administration is not None
    assert (dose.rounded_per_administration.low, dose.rounded_per_administration.high) == (0.5, 1.5)


def test_body_surface_area_and_refusals() -> None:
    assert body_surface_area(20, 115) == pytest.approx(0.7993, abs=1e-3)
    rows = trial_doses(_trial(), weight_kg=20, height_cm=115).rows
    paclitaxel = next(r.dose for r in rows if r.dose.drug == "paclitaxel")
    assert paclitaxel.per_administration is not None
    assert paclitaxel.per_administration.low == pytest.approx(175 * body_surface_area(20, 115))
    carboplatin = next(r.dose for r in rows if r.dose.drug == "carboplatin")
    assert carboplatin.status == "refused" and "AUC" in (carboplatin.reason or "")
    no_height = next(r.dose for r in trial_doses(_trial(), weight_kg=20).rows if r.dose.drug == "paclitaxel")
    assert no_height.status == "refused" and "height" in (no_height.reason or "")
    (per_kg,) = parse_regimen("belimumab 10 mg/kg IV").dosed_items
    assert patient_dose(per_kg, weight_kg=None).status == "refused"
    (per_day,) = parse_regimen("leflunomide (20 mg/day)").dosed_items
    # A per-day amount is given once a day unless the text divides it (the spec).
    daily = patient_dose(per_day, weight_kg=20)
    assert daily.frequency == "QD" and daily.per_administration is not None
    assert daily.per_day is not None and daily.per_day.low == daily.per_administration.low == 20


def test_cap_applies() -> None:
    (item,) = parse_regimen("vincristine 1.4 mg/m2 2 mg max, IV weekly").dosed_items
    dose = patient_dose(item, weight_kg=90, height_cm=190)
    assert dose.per_administration is not None and dose.per_administration.high == 2.0


def test_dose_command(tmp_path: Path) -> None:
    from trialatlas.store import open_store

    db = tmp_path / "t.db"
    store = open_store(str(db))
    store.upsert_batch([_trial()])
    store.close()
    result = CliRunner().invoke(app, ["dose", "NCT04048161", "--weight", "20", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "doses for 20 kg" in result.output and "refused" in result.output
    as_json = CliRunner().invoke(app, ["dose", "NCT04048161", "--weight", "20", "--db", str(db), "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)["rows"]
    tac = next(r["dose"] for r in rows if r["dose"]["drug"] == "tacrolimus")
    assert (tac["per_day"]["low"], tac["per_day"]["high"]) == (1.0, 2.0)
    assert (tac["per_administration"]["low"], tac["per_administration"]["high"]) == (0.5, 1.0)
