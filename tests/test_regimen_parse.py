"""Regimen parsing: the issue's quoted regimens parse exactly, and the labelled sample scores well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regimen_sets import flat
from trialatlas.eval.regimens import evaluate, load_labelled
from trialatlas.extract.regimen import normalise_drug, parse_regimen
from trialatlas.extract.regimen.batch import parse_file
from trialatlas.extract.regimen.units import canonical_unit, convert

FIXTURE = Path(__file__).parent / "fixtures" / "regimens_labelled.jsonl"


SEED_CASES = [
    (
        r"0\~6th month: mycophenolate mofetil (1g/d) + tacrolimus (2.0mg/d) + steroid (1 pill/d) "
        r"6th\~18th month: mycophenolate mofetil (1g/d) + tacrolimus (2.0mg/d)",
        # By the spec: a per-day amount is QD, a class is named as written, a restated dose counts once.
        [
            ("mycophenolate mofetil", 1, 1, "g", "day", "QD", None),
            ("tacrolimus", 2, 2, "mg", "day", "QD", None),
            ("steroid", 1, 1, "tablets", "day", "QD", "oral"),
        ],
    ),
    (
        "Tacrolimus dose: 0.05-0.10 mg/kg/day, BID. The concentration for tacrolimus is 5-10 ng/ml,then "
        "reduce "
        r"the dosage of drugs to maintian the concentration for tacrolimus is \< 5ng/ml. Total "
        "duration : 1 year.",
        [("tacrolimus", 0.05, 0.1, "mg", "kg/day", "BID", None)],
    ),
    (
        "The group receive pulse infusion of MSCs once of 2 x 10^6/kg body weight",
        [("mesenchymal stem cells", 2_000_000, 2_000_000, "cells", "kg", "once", "iv")],
    ),
    (
        "intravenous belimumab at a dose of 10mg per kilogram at weeks 2, 4, and 6, and every 4 weeks "
        "thereafter",
        [("belimumab", 10, 10, "mg", "kg", "Q4W", "iv")],
    ),
    (
        "Methylprednisolone pulse therapy, total dose from 1500mg to 3000mg.",
        [("methylprednisolone", 1500, 3000, "mg", "total", None, None)],
    ),
    (
        "Steroid dose: 1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd, then gradually taper the steroid "
        "to 5mg/day.",
        [
            ("steroid", 1, 1.5, "mg", "kg", "QOD", None),
            ("steroid", 0.5, 0.75, "mg", "kg/day", "QD", None),
            ("steroid", 5, 5, "mg", "day", "QD", None),
        ],
    ),
    (
        "Patients are treated with glucocorticoids and mycophenolate mofetil in remission induction period. "
        "Afterwards, patients are treated with low dose mycophenolate (1-1.5g/day)",
        [("mycophenolate mofetil", 1, 1.5, "g", "day", "QD", None)],
    ),
    (
        "patients in group II accept the treatment of leflunomide (20 mg/day).",
        [("leflunomide", 20, 20, "mg", "day", "QD", None)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SEED_CASES)
def test_seed_regimens_parse_exactly(text: str, expected: list[tuple[object, ...]]) -> None:
    assert flat(text) == expected


def test_seed_details_targets_adjustments_conditions() -> None:
    parsed = parse_regimen(
        "Tacrolimus dose: 0.05-0.10 mg/kg/day, BID. The concentration for tacrolimus is 5-10 ng/ml,then "
        "reduce the "
        r"dosage of drugs to maintian the concentration for tacrolimus is \< 5ng/ml. Total duration : 1 year."
    )
    (item,) = parsed.dosed_items
    assert item.duration is not None and (item.duration.low, item.duration.unit) == (1, "year")
    assert [(t.low, t.high, t.comparator, t.unit) for t in item.targets] == [
        (5, 10, "range", "ng/mL"),
        (None, 5, "<", "ng/mL"),
    ]
    assert [a.kind for a in parsed.adjustments] == ["reduce"]
    assert parsed.adjustments[0].target is not None and parsed.adjustments[0].target.high == 5

    auc = parse_regimen("MMF dose: 20~30mg/kg/day,BID. The concentration for MPA-AUC is 30~50 μg.h/ml.")
    assert [(t.measure, t.low, t.high, t.unit) for t in auc.targets] == [("AUC", 30, 50, "µg·h/mL")]
    assert auc.dosed_items[0].targets == auc.targets

    taper = parse_regimen("prednisone 1 mg/kg/day, then gradually taper the steroid to 5mg/day")
    assert taper.adjustments[0].kind == "taper"
    assert taper.adjustments[0].to_dose is not None and taper.adjustments[0].to_dose.low == 5
    assert taper.dosed_items[-1].role == "taper"

    branch = parse_regimen(
        "18th~30th month: Participants who stop steroid treatment and do not flare will be randomly assigned "
        "to monotherapy with mycophenolate mofetil or tacrolimus"
    )
    assert "randomisation" in [c.kind for c in branch.conditions]
    assert branch.dosed_items == []


def test_formulation_strengths_fold_into_the_weight_based_dose() -> None:
    parsed = parse_regimen("Tacrolimus: 0.5mg and 1mg; Capsule; 0.05-0.10mg/kg/day,BID;")
    (item,) = parsed.dosed_items
    assert item.formulations[0].strengths == [0.5, 1.0]
    assert item.formulations[0].form == "capsule"
    assert item.route == "oral"


@pytest.mark.parametrize(
    ("alias", "generic"),
    [
        ("MMF", "mycophenolate mofetil"),
        ("CellCept", "mycophenolate mofetil"),
        ("FK506", "tacrolimus"),
        ("steroid", "glucocorticoid"),
        ("Prednisone", "prednisone"),
        ("Herceptin", "trastuzumab"),
        ("5-FU", "fluorouracil"),
        ("Keytruda", "pembrolizumab"),
    ],
)
def test_drug_normaliser(alias: str, generic: str) -> None:
    assert normalise_drug(alias) == generic


def test_misspelt_and_unknown_drugs() -> None:
    assert flat("Pregablin 75 mg per oral two times a day") == [
        ("pregabalin", 75, 75, "mg", "dose", "BID", "oral")
    ]
    assert flat("BEBT-109 orally at an initial dose of 120 mg once daily.")[0][0] == "bebt-109"
    # Lower-case "tac" in prose is not tacrolimus.
    assert flat("a tac of 5 mg")[0][0] is None


def test_words_only_dose_is_unparsed_not_guessed() -> None:
    parsed = parse_regimen("Tacrolimus at the standard dose, adjusted to trough levels.")
    assert parsed.dosed_items == []
    assert parsed.unparsed and parsed.unparsed[0].reason == "dose stated in words"
    bare = parse_regimen("infusion of 2 x 10^6/kg body weight")
    assert bare.dosed_items == []
    assert bare.unparsed[0].reason == "amount per body size without a unit"


def test_units_through_pint() -> None:
    assert canonical_unit("µg") == ("mcg", 1.0)
    assert canonical_unit("MU") == ("units", 1e6)
    assert convert(1.5, "g", "mg") == pytest.approx(1500)
    assert convert(2, "tablets", "mg") is None


def test_labelled_sample_precision_recall() -> None:
    rows = load_labelled(FIXTURE)
    assert len(rows) >= 150
    report = evaluate(rows)
    # The set predates the spec (restatements counted twice, "mg/day" frequency null, salts dropped), so
    # floors sit under the figures measured against it (items 0.99/0.93; drug 0.90/0.83 now that a dose
    # keeps the salt written after its generic, as the spec asks; frequency 0.62/0.98; route 0.94/0.93);
    # regimens_dev.jsonl, labelled by the spec, is the measure.
    assert report["items"]["precision"] >= 0.98 and report["items"]["recall"] >= 0.92
    for field in ("amount_low", "unit", "basis"):
        assert report["fields"][field]["recall"] >= 0.92
    # 0.877 once codes the registry records pair with an INN are named by it (R2: MGI-114 -> irofulven,
    # which this older set labels as written).
    assert report["fields"]["drug"]["precision"] >= 0.87
    assert report["fields"]["route"]["precision"] >= 0.92
    assert report["fields"]["frequency"]["recall"] >= 0.95


def test_parse_file_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "Letrozole 2.5 mg po daily"})
        + "\n\n"
        + json.dumps({"id": "b", "text": "10 mg PO BID", "name": "Drug X"})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert parse_file(source, out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["id"] == "a"
    assert lines[0]["items"] == [
        {
            "drug": "letrozole",
            "amount_low": 2.5,
            "amount_high": 2.5,
            "unit": "mg",
            "basis": "dose",
            "frequency": "QD",
            "route": "oral",
        }
    ]
    assert lines[1]["items"][0]["drug"] == "drug x"


def test_labelled_sets_hold_labels_and_read_their_texts_from_the_shared_records(tmp_path: Path) -> None:
    rows = load_labelled(FIXTURE)
    raw = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all("text" not in row for row in raw)  # no copies of registry text in the repository
    assert all(row["text"].strip() for row in rows)
    inline = tmp_path / "inline.jsonl"
    inline.write_text('{"id": "x", "text": "tacrolimus 0.05 mg/kg twice daily", "items": []}\n', "utf-8")
    assert load_labelled(inline)[0]["text"] == "tacrolimus 0.05 mg/kg twice daily"
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"id": "NCT00000000:arm:7", "items": []}\n', "utf-8")
    with pytest.raises(ValueError, match="NCT00000000:arm:7"):
        load_labelled(unknown)
