"""Items that are no dose statement (the spec's Not items), dropped after every item is made: a vehicle or
diluent given in a volume, a day's total that restates the dose before it, and a volume given to no drug
beside doses stated by mass or count."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from trialatlas.extract.regimen import lexicon
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.units import convert, is_mass
from trialatlas.text.packaged import packaged_words

_VOLUME_UNITS = frozenset({"mL", "L"})


@lru_cache(maxsize=1)
def vehicles() -> frozenset[str]:
    """Diluents and vehicles (vehicles.txt): given in a volume, what a drug is given in, not a dose."""
    return packaged_words(__package__, "vehicles.txt")


# "placebo (normal saline)", "saline placebo": a placebo the text says is a vehicle (R102, as R32).
_VEHICLE_PLACEBO = re.compile(
    r"\bplacebo\s*[(,:]\s*(?:\d+(?:\.\d+)?\s*%\s*)?(?:normal\s+saline|(?:physiological\s+)?saline|"
    r"sodium\s+chloride|(?:sterile\s+)?water)\b|\b(?:normal\s+)?saline\s+placebo\b",
    re.IGNORECASE,
)


def _drop_vehicles(items: list[RegimenItem], text: str) -> list[RegimenItem]:
    names = vehicles()
    if any(item.drug == "placebo" for item in items) and _VEHICLE_PLACEBO.search(text):
        names = names | {"placebo"}
    return [
        item
        for item in items
        if not (item.dose is not None and item.dose.unit in _VOLUME_UNITS and item.drug in names)
    ]


_PER_DAY_COUNT = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}


# What stands between a dose and a bracket opened right after it ("40 mg 4 times per day (160 mg daily)").
_BRACKET_RIGHT_AFTER = re.compile(r"[^().;]{0,40}\(\s*$")


def _drop_daily_totals(text: str, items: list[RegimenItem]) -> list[RegimenItem]:
    """ "10 mg twice daily -> (total dose, 20 mg/d)": a day's total that is the dose before it times the
    administrations a day states that dose again (the spec: the same dose restated counts once). A
    bracket opened right after the dose says so without the word total ("40 mg 4 times per day (160 mg
    daily)"; R27)."""
    kept: list[RegimenItem] = []
    for item in items:
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and item.dose is not None
            and previous.dose is not None
            and (
                previous.dose.unit == item.dose.unit
                or (is_mass(previous.dose.unit) and is_mass(item.dose.unit))
            )
            and previous.drug == item.drug
            and previous.frequency in _PER_DAY_COUNT
            and (
                (
                    item.dose.basis.endswith("day")
                    and previous.dose.basis
                    == (item.dose.basis.removesuffix("day").removesuffix("/") or "dose")
                )
                or (
                    item.frequency == "QD"
                    and previous.frequency != "QD"
                    and previous.dose.basis == item.dose.basis
                )
            )
            and (
                lexicon.TOTAL.search(text, max(previous.end, item.start - 25), item.start)
                or _BRACKET_RIGHT_AFTER.fullmatch(text, previous.end, item.start) is not None
            )
        ):
            # "500 mg three times daily (1.5 g per day)": the total may be written in another unit of mass.
            count = (convert(1.0, previous.dose.unit, item.dose.unit) or 0.0) * _PER_DAY_COUNT[
                previous.frequency or ""
            ]
            if math.isclose(previous.dose.low * count, item.dose.low) and math.isclose(
                previous.dose.high * count, item.dose.high
            ):
                continue
        kept.append(item)
    return kept


# "0.5 ml IFA (Montanide ISA-51)": a product the vocabulary does not know, written right after its volume.
_PRODUCT_RIGHT_AFTER = re.compile(r"\s+(?:of\s+)?[A-Z][A-Za-z0-9-]*\b")


def _drop_unnamed_volumes(text: str, items: list[RegimenItem]) -> list[RegimenItem]:
    """A volume given to no drug beside doses stated by mass or count ("20ug/dose, BID ... 0.1 ml to each
    nostril", "1 mg in IFA ..., 1.0 mL for each injection") is the volume those doses are given in, not a
    dose statement of its own (the spec's Not items); a volume that is a text's only dose ("0.5 mL
    intramuscular injection") or is followed by the name of its product stays."""
    if not any(item.dose is not None and item.dose.unit not in _VOLUME_UNITS for item in items):
        return items
    return [
        item
        for item in items
        if not (
            item.drug is None
            and item.dose is not None
            and item.dose.unit in _VOLUME_UNITS
            and not _PRODUCT_RIGHT_AFTER.match(text, item.end)
        )
    ]
