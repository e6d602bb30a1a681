"""The held-out sample: 90 real arm/intervention texts labelled by reading them, before the parser saw them
(the fixture keeps the labels and each text's id; the text is read from the shared records).

They were drawn with a fixed seed (20261124) from the shared ClinicalTrials.gov records, from trials not in
the development sample, near-duplicates removed, stratified over dose patterns (per m², insulin units,
vaccine volumes, per kg per hour, loading then maintenance, cycles, day ranges, weekly) plus texts without
doses. The parser was measured on them unchanged, then improved on general failure patterns they showed:
they are no longer fully held out, and these floors (just under the figures measured after the work) keep
the work from regressing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trialatlas.eval.regimens import FIELDS, evaluate, load_labelled

FIXTURE = Path(__file__).parent / "fixtures" / "regimens_heldout.jsonl"

# (precision, recall) floors per field; measured after the work: drug 0.937/0.840, amounts, unit and basis
# 0.972/0.979, frequency 0.974/0.974, route 0.943/0.952.
# This set predates specs/regimen-items.md: its labels drop salts, name classes by their class, count a
# restated dose twice and leave the frequency of "mg/day" null, where the spec keeps the salt, names a class
# as written, counts a restatement once and says QD. Floors sit under the figures measured against it
# (drug 0.94/0.77, frequency 0.72/0.92): the spec-labelled development set (regimens_dev.jsonl) is the
# measure; this one guards against losing doses.
# Its one mcg/kg/min rate is labelled as written, where the conventions (R3) give kg/hour: recall floors
# of the amount fields and route sit one item lower (0.916, 0.895 measured).
FLOORS: dict[str, tuple[float, float]] = {
    "drug": (0.91, 0.75),
    "amount_low": (0.95, 0.91),
    "amount_high": (0.95, 0.91),
    "unit": (0.95, 0.91),
    "basis": (0.95, 0.91),
    "frequency": (0.68, 0.9),
    "route": (0.92, 0.89),
}


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return evaluate(load_labelled(FIXTURE))


def test_heldout_sample_shape() -> None:
    rows = load_labelled(FIXTURE)
    assert len(rows) == 90
    assert len({r["id"] for r in rows}) == 90
    dosed = [r for r in rows if r["items"]]
    assert len(dosed) >= 79
    assert all(set(item) == set(FIELDS) for r in rows for item in r["items"])
    development = {r["id"].split(":")[0] for r in load_labelled(FIXTURE.with_name("regimens_labelled.jsonl"))}
    assert not development & {r["id"].split(":")[0] for r in rows}


def test_heldout_items_found(report: dict[str, object]) -> None:
    items = report["items"]
    assert isinstance(items, dict)
    assert items["precision"] >= 0.95
    # 0.916: its one mcg/kg/min rate is labelled as written, where the conventions (R3) give kg/hour.
    assert items["recall"] >= 0.91
    assert items["exact_item_rate"] >= 0.6


@pytest.mark.parametrize("field", FIELDS)
def test_heldout_field_floor(report: dict[str, object], field: str) -> None:
    fields = report["fields"]
    assert isinstance(fields, dict)
    precision_floor, recall_floor = FLOORS[field]
    assert fields[field]["precision"] >= precision_floor
    assert fields[field]["recall"] >= recall_floor
