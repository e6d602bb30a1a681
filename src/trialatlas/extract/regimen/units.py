"""Dose units: canonical spellings, and conversions through the shared clinical-unit registry.

Parsing needs only the canonical spelling of a unit word, which a small table answers quickly; a word
the table does not know is asked of the registry (and the answer cached), so "milligrammes" or
"micrograms" still land on mg and mcg. Conversions (g → mg for a per-kg dose, rounding to a capsule
strength) go through :func:`trialatlas.extract.units.registry`, the one registry of the project, where
dosage forms (tablets, vials ...) are dimensions of their own. Counted units (IU, units, cells, tablets
...) are never converted into one another here: the spec keeps IU and units apart, and a dose in one
is not a dose in the other.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pint

from trialatlas.extract.units import registry

# Canonical spellings reported in parse output, with the pint expression for each.
CANONICAL_TO_PINT: dict[str, str] = {
    "mg": "milligram",
    "g": "gram",
    "mcg": "microgram",
    "ng": "nanogram",
    "kg": "kilogram",
    "IU": "IU",
    "units": "enzyme_unit",
    "mL": "milliliter",
    "L": "liter",
    "cells": "cell",
    "tablets": "tablet",
    "capsules": "capsule",
    "drops": "drop",
    "puffs": "puff",
    "sachets": "sachet",
    "vials": "vial",
    "ampoules": "ampoule",
    "patches": "patch",
    "applications": "application",
    "vg": "vector_genome",
    "PFU": "plaque_forming_unit",
    "CFU": "colony_forming_unit",
    "AUC": "auc_target",
    "mmol": "millimole",
    "mEq": "milliEq",
    "MBq": "megabecquerel",
    "GBq": "gigabecquerel",
    "mCi": "millicurie",
    "Gy": "gray",
    "cGy": "centigray",
}

# Spellings seen in trial registries → (canonical unit, multiplier applied to the number).
_TABLE: dict[str, tuple[str, float]] = {}


def _add(canonical: str, *spellings: str, factor: float = 1.0) -> None:
    for spelling in spellings:
        _TABLE[spelling.lower()] = (canonical, factor)


_add("mg", "mg", "mgs", "milligram", "milligrams", "milligramme", "milligrammes", "mg.")
_add("g", "g", "gm", "gms", "gr", "gram", "grams", "gramme", "grammes", "grs")
_add("mcg", "mcg", "µg", "μg", "ug", "microgram", "micrograms", "microgramme", "mcgs", "γ")
_add("ng", "ng", "nanogram", "nanograms")
_add("kg", "kg", "kilogram", "kilograms")
_add("IU", "iu", "i.u.", "international unit", "international units", "ui")
_add("units", "u", "unit", "units")
_add("units", "mu", "miu", "million units", "million iu", "million international units", factor=1e6)
_add("IU", "kiu", "thousand units", factor=1e3)
_add("mL", "ml", "mls", "milliliter", "milliliters", "millilitre", "millilitres", "cc", "cm3")
_add("L", "l", "liter", "liters", "litre", "litres")
_add("cells", "cell", "cells")
_add("tablets", "tablet", "tablets", "tab", "tabs", "pill", "pills")
_add("capsules", "capsule", "capsules", "cap", "caps")
_add("drops", "drop", "drops", "gtt", "gtts")
_add("puffs", "puff", "puffs", "inhalation", "inhalations", "actuation", "actuations", "spray", "sprays")
_add("sachets", "sachet", "sachets")
_add("vials", "vial", "vials")
_add("ampoules", "ampoule", "ampoules", "ampule", "ampules")
_add("patches", "patch", "patches")
_add("vg", "vg", "vector genomes", "genome copies", "gc")
_add("PFU", "pfu", "plaque forming units")
_add("CFU", "cfu", "colony forming units")
_add("mmol", "mmol", "millimole", "millimoles")
_add("mEq", "meq", "milliequivalent", "milliequivalents")
_add("MBq", "mbq", "megabecquerel", "megabecquerels")
_add("GBq", "gbq")
_add("mCi", "mci", "millicurie", "millicuries")
_add("Gy", "gy", "gray")
_add("cGy", "cgy")


@lru_cache(maxsize=512)
def canonical_unit(word: str) -> tuple[str, float] | None:
    """``(canonical unit, multiplier)`` for a unit as written, else ``None``.

    "µg" → ("mcg", 1); "MU" → ("units", 1e6); "milligrammes" → ("mg", 1), the last through pint.
    """
    key = " ".join(word.strip().lower().split())
    if key in _TABLE:
        return _TABLE[key]
    try:
        parsed = registry().parse_units(key)
    except (pint.errors.PintError, ValueError, AttributeError, TypeError, AssertionError):
        return None
    for canonical, expression in CANONICAL_TO_PINT.items():
        if registry().parse_units(expression) == parsed:
            return canonical, 1.0
    return None


# Units that count things or activity: a dose in one is never a dose in another.
COUNTED = frozenset(
    {
        "IU",
        "units",
        "cells",
        "tablets",
        "capsules",
        "drops",
        "puffs",
        "sachets",
        "vials",
        "ampoules",
        "patches",
    }
    | {"applications", "vg", "PFU", "CFU", "AUC"}
)


def quantity(value: float, unit: str) -> pint.Quantity[Any]:
    """A pint quantity of a canonical unit."""
    amount: pint.Quantity[Any] = registry().Quantity(value, CANONICAL_TO_PINT.get(unit, unit))
    return amount


def convert(value: float, unit: str, to_unit: str) -> float | None:
    """``value`` of ``unit`` in ``to_unit`` (both canonical), or ``None`` when they do not convert."""
    if unit == to_unit:
        return value
    if unit in COUNTED or to_unit in COUNTED:
        return None
    try:
        return float(quantity(value, unit).to(CANONICAL_TO_PINT.get(to_unit, to_unit)).magnitude)
    except pint.errors.DimensionalityError:
        return None


def is_mass(unit: str) -> bool:
    return unit in {"mg", "g", "mcg", "ng", "kg"}
