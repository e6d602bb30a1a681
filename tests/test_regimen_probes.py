"""The spec-conformance probes (regprobe, issue #20): what is an item, and what is not.

tests/fixtures/regimens_probes.jsonl holds 77 short registry-style texts written for the set (so their text
is held inline: no registry record is copied), each exercising one clause of specs/regimen-items.md's "Not
items" (diluents, concentrations, strengths, volume rates, levels, increments, radiation, thresholds,
cumulative totals) or "Several items for one drug" (loading and maintenance, titration and taper steps,
dose levels, conditional alternatives, "or", the same dose restated counting once, the drug a sentence
doses), labelled by the spec before the parser ran on them. The clause is written in each id. Texts at
even positions are the tuning half, odd positions sealed (aggregates only). Measured before any fix:
strict F1 0.929 (even) / 0.911 (odd), 3 items invented on each half and none missed (regex baseline 0.000);
after the round's mechanisms 1.000 / 0.918, the whole set 0.959 (paired 0.992). The floors sit a little under,
so that a regression fails. Room auditreg appended probes 077-088 (a bracketed day's amount that is not the
restated total, a route after kidney function thresholds, vial volumes beside only a concentration; two
wordings of each per half), labelled and committed first: 0.903 / 0.837 before its mechanisms, 1.000 / 0.914
after, the whole set 0.958 (paired 0.993).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from regimen_sets import flat, label_ids, set_path
from trialatlas.eval.regimens import FIELDS, compare_with_baseline, load_labelled

PROBES = set_path("probes")

STRICT_F1_FLOOR = 0.95
PAIRED_F1_FLOOR = 0.98
PROBE_ID = re.compile(r"probe:\d{3}:(?:not|once|items):[a-z]+")


def test_probes_are_written_for_the_set_each_naming_its_clause() -> None:
    ids = label_ids(PROBES)
    assert len(ids) >= 70 and len(set(ids)) == len(ids)
    assert all(PROBE_ID.fullmatch(text_id) for text_id in ids)
    rows = [orjson.loads(line) for line in PROBES.read_bytes().splitlines() if line.strip()]
    assert all(set(row) == {"id", "text", "items"} for row in rows)
    assert all(set(item) == set(FIELDS) for row in rows for item in row["items"])
    # About half the clauses say what is not an item, half what is one (or several, or one only once).
    kinds = [text_id.split(":")[2] for text_id in ids]
    assert abs(kinds.count("not") - (kinds.count("items") + kinds.count("once"))) <= 10
    # Every clause written more than once has a wording in each half (a drug named by its class, once).
    clauses = [text_id.split(":", 2)[2] for text_id in ids]
    repeated = {clause for clause in clauses if clauses.count(clause) > 1}
    assert repeated <= set(clauses[0::2]) & set(clauses[1::2])
    assert len(repeated) >= 15


def test_probes_are_read_with_their_inline_text() -> None:
    rows = load_labelled(PROBES)
    assert all(isinstance(row["text"], str) and row["text"] for row in rows)


@pytest.fixture(scope="module")
def scores() -> dict[str, Any]:
    return compare_with_baseline(load_labelled(PROBES))


def test_probe_scores_hold_over_the_baseline(scores: dict[str, Any]) -> None:
    parser, baseline = scores["parser"], scores["baseline"]
    assert parser["strict"]["f1"] >= STRICT_F1_FLOOR
    assert parser["items"]["f1"] >= PAIRED_F1_FLOOR
    assert parser["strict"]["f1"] > baseline["strict"]["f1"] + 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A body weight with a comparison word before it is a threshold, in grams as in kilograms.
        (
            "Neonates with a birth weight below 1000 g receive ibuprofen 10 mg/kg IV once.",
            [("ibuprofen", 10, 10, "mg", "kg", "once", "iv")],
        ),
        (
            "Infants with a weight above 2500 g receive phytonadione 1 mg IM once.",
            [("phytonadione", 1, 1, "mg", "dose", "once", "im")],
        ),
        # The strength of the form a stated dose is taken as (spec: tablet strengths listed as available).
        (
            "Levetiracetam 1000 mg twice daily, taken as 500 mg tablets.",
            [("levetiracetam", 1000, 1000, "mg", "dose", "BID", "oral")],
        ),
        (
            "Valacyclovir 1 g three times daily, administered as 500 mg caplets.",
            [("valacyclovir", 1, 1, "g", "dose", "TID", "oral")],
        ),
        (
            "Lamotrigine is provided as 25 mg tablets; patients take 50 mg once daily.",
            [("lamotrigine", 50, 50, "mg", "dose", "QD", "oral")],
        ),
        # A vial's size beside a dose stated apart, and a tablet's strength before "dose:", are not doses.
        (
            "Cyclophosphamide 750 mg/m2 IV every 4 weeks (1 g vial).",
            [("cyclophosphamide", 750, 750, "mg", "m2", "Q4W", "iv")],
        ),
        (
            "Carboplatin AUC 5 IV on day 1 of each 21-day cycle; 450 mg vials are used.",
            [("carboplatin", 5, 5, "AUC", "dose", "Q3W", "iv")],
        ),
        (
            "Imatinib 100 mg tablets, dose: 600 mg/day.",
            [("imatinib", 600, 600, "mg", "day", "QD", "oral")],
        ),
        # A day's total restated in another unit of mass counts once (R27).
        (
            "Clarithromycin 250 mg twice daily (0.5 g per day).",
            [("clarithromycin", 250, 250, "mg", "dose", "BID", None)],
        ),
        (
            "Paracetamol 500 mg four times daily (2 g daily).",
            [("paracetamol", 500, 500, "mg", "dose", "QID", None)],
        ),
        # The first of a pair joined by "and" is per what the pair's unit is per, as the list before it is.
        (
            "Cisplatin 20, 30 and 40 mg/m2 IV weekly.",
            [("cisplatin", a, a, "mg", "m2", "QW", "iv") for a in (20, 30, 40)],
        ),
        (
            "Prednisone 10 and 20 mg/day orally.",
            [("prednisone", a, a, "mg", "day", "QD", "oral") for a in (10, 20)],
        ),
        # Day's amounts of one drug for different patients share the division written after the last.
        (
            "Ribavirin 800 mg/day for patients < 65 kg and 1000 mg/day for patients >= 65 kg, orally in two "
            "divided doses.",
            [("ribavirin", a, a, "mg", "day", "BID", "oral") for a in (800, 1000)],
        ),
        # A day's amount after a dose counted a day, not its restated total, is a step given daily (R116).
        (
            "Oxcarbazepine 300 mg twice daily (1200 mg/day from week 3), orally.",
            [
                ("oxcarbazepine", 300, 300, "mg", "dose", "BID", "oral"),
                ("oxcarbazepine", 1200, 1200, "mg", "day", "QD", "oral"),
            ],
        ),
        # A route written after a kidney function threshold reaches the alternatives before it (R117).
        (
            "Famotidine 20 mg twice daily if CrCl > 50 mL/min or 20 mg once daily if CrCl 30-50 mL/min, "
            "by mouth.",
            [("famotidine", 20, 20, "mg", "dose", f, "oral") for f in ("BID", "QD")],
        ),
        # Vial volumes beside the strength per mL they hold are the product as supplied, not doses (R118).
        ("Ondansetron 2 mg/mL in a 2 mL or a 20 mL multi-dose vial.", []),
    ],
)
def test_a_probe_mechanism_reads_a_new_wording(text: str, expected: list[tuple[object, ...]]) -> None:
    assert sorted(flat(text), key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The strength is dropped only after a dose: the form's strength alone is the dose.
        ("Metformin given as 500 mg tablets twice daily.", [("metformin", 500, 500, "mg", "dose")]),
        # A vial that is the text's only amount stays its dose.
        ("Ceftriaxone 1 g vial IV daily.", [("ceftriaxone", 1, 1, "g", "dose")]),
        # A day's amount that is not the dose times the day's count is another dose, kept.
        (
            "Levofloxacin 250 mg twice daily (0.75 g per day from week 2).",
            [("levofloxacin", 250, 250, "mg", "dose"), ("levofloxacin", 0.75, 0.75, "g", "day")],
        ),
    ],
)
def test_a_probe_mechanism_keeps_what_it_does_not_cover(
    text: str, expected: list[tuple[object, ...]]
) -> None:
    """Drug, amounts, unit and basis: the doses kept, whatever schedule they are read with."""
    assert sorted((row[:5] for row in flat(text)), key=str) == sorted(expected, key=str)
