"""Batch parsing in the flat scoring shape of ``trialatlas parse-regimens``.

An input line is ``{"id": ..., "text": ...}`` (an optional ``"name"``, the intervention's name, is used
as the drug of doses whose text names none; an optional ``"interventions"``, the trial's intervention
names as lists of a name and its other names, are read as drug names where the text writes them); an
output line is ``{"id": ..., "items": [...], "unparsed": [...]}`` with one flat item per stated dose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from trialatlas.extract.regimen.context import TrialInterventions
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.parse import parse_regimen


def export_text(
    text: str, name: str | None = None, *, interventions: TrialInterventions = ()
) -> dict[str, Any]:
    """The scoring shape of one text: its dosed items and the fragments it could not read (``interventions``:
    the names its trial lists for its interventions, read as drug names where the text writes them)."""
    parsed = parse_regimen(text, default_drug=name, interventions=interventions)
    return {
        "items": export_items(parsed.items),
        "unparsed": [fragment.text for fragment in parsed.unparsed],
    }


def export_items(items: list[RegimenItem]) -> list[dict[str, Any]]:
    """The flat scoring shape of a text's items: each distinct dose statement once."""
    dosed = [item for item in items if item.dose is not None]
    given = {item.drug for item in dosed if item.role != "total"}
    # A course total per kg or m² ("total dose 0.9 mg/kg") is left out when the drug's doses are given.
    dosed = [item for item in dosed if not (item.role == "total" and item.drug in given)]
    return distinct_items([item.export() for item in dosed])


def distinct_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct dose statement once: the same dose restated (a second period, an "or" repeating an
    earlier line) counts once, and a course total is left out when the drug's doses are also given."""
    kept: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    # In a text that names no drug every dose is of the one drug it describes (R55): an unnamed dose said
    # again with less is restated as a named one is (R121).
    unnamed = all(item["drug"] is None for item in items)
    for item in items:
        if item["basis"] == "total" and any(
            other["basis"] != "total" and (other["drug"] == item["drug"] or other["unit"] == item["unit"])
            for other in items
        ):
            # "30mL of 0.25% bupivacaine/.../50mcg clonidine ... bilaterally (total 60ml)": a sum of
            # doses the text states, whichever drug it was read beside, is not another dose.
            continue
        key = tuple(item.values())
        if key in seen or any(_restates(item, other, unnamed=unnamed) for other in items):
            continue
        seen.add(key)
        kept.append(item)
    return kept


def parse_jsonl(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """One output record per input line (blank lines skipped)."""
    for line in lines:
        if not line.strip():
            continue
        record = orjson.loads(line)
        name = record.get("name") or record.get("intervention_name")
        listed = record.get("interventions") or ()
        yield {
            "id": record.get("id"),
            **export_text(str(record.get("text") or ""), name, interventions=listed),
        }


def parse_file(source: Path, target: Path) -> int:
    """``parse-regimens``: read ``source`` JSONL, write ``target`` JSONL; the number of records written."""
    count = 0
    with source.open("rb") as handle, target.open("wb") as out:
        for record in parse_jsonl(handle):
            out.write(orjson.dumps(record) + b"\n")
            count += 1
    return count


_DOSE_KEY = ("drug", "amount_low", "amount_high", "unit", "basis")


def _restates(item: dict[str, Any], other: dict[str, Any], *, unnamed: bool = False) -> bool:
    """Whether ``item`` is ``other`` said again with less: the same dose of the same drug, with no
    frequency or route ``other`` contradicts and at least one that ``other`` states and it does not
    (Level 0 (750 mg/m2) after "750 mg/m2 by infusion every 21 days"). ``unnamed``: the text names no
    drug, so two unnamed doses are of the same drug."""
    if other is item or any(item[k] != other[k] for k in _DOSE_KEY) or (item["drug"] is None and not unnamed):
        return False
    fewer = False
    for field in ("frequency", "route"):
        if item[field] is None:
            fewer = fewer or other[field] is not None
        elif item[field] != other[field]:
            return False
    return fewer
