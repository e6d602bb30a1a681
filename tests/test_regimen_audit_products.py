"""The two readings the user audit of the other registries' records found wrong (room audit2, issue #20;
docs/regimen-labelling.md, Limits), held to the items the spec and the project's rules give. The expected
items were written from the spec before the fix (regfields): the texts are read from the shared data by id.

- CTIS 2023-508143-51-01, a product line "Route: INTRATRACHEAL USE; Strength: Baclofen 0.5mg; Maximum daily
  dose: 200 µg; Maximum total dose: 200 µg": the strength is no item (spec, Not items; R98), the maximum daily
  dose is a dose a day (R98, R31), the maximum total dose a cumulative total, no item (R98, R3); the route is
  the record's, kept as written (R5).
- ISRCTN20343063, "1. Receive a dose of 0.5 ml ... every 12 hours. 2. (Placebo) - Receive a dose of 0.5 ml ...
  every 12 hours.": the first numbered item doses the intervention the record names (Blueberry extract), the
  second the placebo; "nasogastric administration" is the route, kept as written (R5).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from trialatlas.eval.regimens import FIELDS, load_labelled
from trialatlas.extract.regimen.batch import export_text

EXPECTED: dict[str, list[tuple[object, ...]]] = {
    "ctis:2023-508143-51-01:int:0": [("baclofen", 200, 200, "mcg", "day", "QD", "intratracheal")],
    "isrctn:ISRCTN20343063:int:0": [
        ("blueberry extract", 0.5, 0.5, "mL", "dose", "BID", "nasogastric"),
        ("placebo", 0.5, 0.5, "mL", "dose", "BID", "nasogastric"),
    ],
}


def _read(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    ids = tmp_path / "ids.jsonl"
    ids.write_bytes(b"".join(orjson.dumps({"id": key, "items": []}) + b"\n" for key in EXPECTED))
    found: dict[str, list[tuple[object, ...]]] = {}
    for row in load_labelled(ids):
        listed = row.get("interventions") or ()
        # As the trial page and `dose` read an intervention's text: with its name for doses it names none.
        name = str(listed[0][0]) if len(listed) == 1 else None
        items = export_text(str(row["text"]), name, interventions=listed)["items"]
        found[str(row["id"])] = [tuple(item[field] for field in FIELDS) for item in items]
    return found


def test_a_product_lines_strength_and_total_are_no_items_its_daily_maximum_is(tmp_path: Path) -> None:
    key = "ctis:2023-508143-51-01:int:0"
    assert _read(tmp_path)[key] == EXPECTED[key]


def test_numbered_items_dose_the_named_intervention_then_the_placebo(tmp_path: Path) -> None:
    key = "isrctn:ISRCTN20343063:int:0"
    assert sorted(_read(tmp_path)[key], key=str) == sorted(EXPECTED[key], key=str)
