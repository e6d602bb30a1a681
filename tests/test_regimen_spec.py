"""The spec's rules (specs/regimen-items.md), one case each, answers written from the spec."""

from __future__ import annotations

import pytest

from trialatlas.extract.regimen.batch import export_text

Flat = tuple[object, ...]


def flat(text: str) -> list[Flat]:
    return [tuple(item.values()) for item in export_text(text)["items"]]


SPEC_CASES: list[tuple[str, list[Flat]]] = [
    # Frequencies: divided doses, per-period amounts, consecutive days, lists, single doses, rates.
    (
        "a daily dose of 1000 mg divided and given every 12 hours",
        [(None, 1000, 1000, "mg", "day", "BID", None)],
    ),
    ("hydroxyurea 20 mg/kg/day in two divided doses", [("hydroxyurea", 20, 20, "mg", "kg/day", "BID", None)]),
    ("2 mg per kilogram per day of prednisone", [("prednisone", 2, 2, "mg", "kg/day", "QD", None)]),
    ("Fludarabine 30 mg/m2/day x 3 days", [("fludarabine", 30, 30, "mg", "m2/day", "QD", None)]),
    ("one oral dose of 200 mg", [(None, 200, 200, "mg", "dose", "once", "oral")]),
    ("a single injection of 40 mg", [(None, 40, 40, "mg", "dose", "once", None)]),
    ("trastuzumab 4 mg/kg loading dose", [("trastuzumab", 4, 4, "mg", "kg", "once", None)]),
    ("Navelbine 20 mg/m2 days 1, 3 and 5", [("vinorelbine", 20, 20, "mg", "m2", "QOD", None)]),
    # Routes: "IV or orally" is no route; a route stated for a drug applies to all its doses.
    ("ondansetron 8 mg IV or orally", [("ondansetron", 8, 8, "mg", "dose", None, None)]),
    # Drugs: combinations in order, brackets are aliases, "X or placebo" is X, a salt is kept.
    (
        "ezetimibe (+) simvastatin 10/40mg once daily",
        [("ezetimibe", 10, 10, "mg", "dose", "QD", None), ("simvastatin", 40, 40, "mg", "dose", "QD", None)],
    ),
    (
        "Moxifloxacin (Avelox, BAY12-8039) 400 mg tablets once daily",
        [("moxifloxacin", 400, 400, "mg", "dose", "QD", "oral")],
    ),
    ("imatinib mesylate 400 mg daily", [("imatinib mesylate", 400, 400, "mg", "dose", "QD", None)]),
    # Escalation levels belong to the drug the sentence doses, not the one it is combined with.
    (
        "Imatinib 400 mg daily combined with metformin; escalation to 600, 800 mg daily",
        [
            ("imatinib", 400, 400, "mg", "dose", "QD", None),
            ("imatinib", 600, 600, "mg", "dose", "QD", None),
            ("imatinib", 800, 800, "mg", "dose", "QD", None),
        ],
    ),
    # Not items: weight bands, volume infusion rates, diluents, vial strengths, compositions.
    ("patients weighing 40-60 kg receive 20 mg", [(None, 20, 20, "mg", "dose", None, None)]),
    (
        "ceftriaxone 1 g (350 mg/mL solution administered at 2.5 mL/min)",
        [("ceftriaxone", 1, 1, "g", "dose", None, None)],
    ),
    (
        "cyclophosphamide, available in the strength of 1 gram, 0.5 g/m2 monthly",
        [("cyclophosphamide", 0.5, 0.5, "g", "m2", "QM", None)],
    ),
    (
        "pirfenidone 801 mg (3 pills of 267 mg each), three times daily",
        [("pirfenidone", 801, 801, "mg", "dose", "TID", "oral")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_CASES)
def test_spec_case(text: str, expected: list[Flat]) -> None:
    assert flat(text) == expected


def test_alternatives_are_marked_never_concurrent() -> None:
    from trialatlas.extract.regimen import parse_regimen

    items = parse_regimen("Steroid dose: 1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd").dosed_items
    assert len(items) == 2
    assert items[0].alternative_group is not None
    assert items[0].alternative_group == items[1].alternative_group
    both = parse_regimen("tacrolimus 2 mg daily and MMF 1 g twice daily").dosed_items
    assert all(item.alternative_group is None for item in both)
