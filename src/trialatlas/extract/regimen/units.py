"""Dose units: canonical spellings, and a pint registry that knows the clinical units pint lacks.

Parsing needs only the canonical spelling of a unit word, which a small table answers quickly; a word
the table does not know is asked of pint (and the answer cached), so "milligrammes" or "micrograms"
still land on mg and mcg. Conversions (g → mg for a per-kg dose, rounding to a capsule strength) go
through pint quantities, with counted units (IU, cells, tablets) defined as their own dimensions so
that pint refuses to turn tablets into milligrams.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pint

# Clinical units pint does not define. Counted things get their own base dimension each.
_DEFINITIONS = (
    "international_unit = [international_unit] = IU",
    "enzyme_unit = [enzyme_unit] = units",
    "million_units = 1e6 * enzyme_unit = MU",
    "cell = [cell] = cells",
    "tablet = [tablet] = tablets = pill = pills",
    "capsule = [capsule] = capsules",
    "drop = [drop] = drops",
    "puff = [puff] = puffs",
    "sachet = [sachet] = sachets",
    "vial = [vial] = vials",
    "ampoule = [ampoule] = ampoules",
    "patch = [patch] = patches",
    "application = [application] = applications",
    "vector_genome = [vector_genome] = vg",
    "plaque_forming_unit = [plaque_forming_unit] = PFU",
    "colony_forming_unit = [colony_forming_unit] = CFU",
    "auc_target = [auc_target] = AUC",
    "milliequivalent = [milliequivalent] = mEq",
)

# Canonical spellings reported in parse output, with the pint expression for each.
CANONICAL_TO_PINT: dict[str, str] = {
    "mg": "milligram",
    "g": "gram",
    "mcg": "microgram",
    "ng": "nanogram",
    "kg": "kilogram",
    "IU": "international_unit",
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
    "mEq": "milliequivalent",
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


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """The shared registry (built on first use: pint takes a moment to load its definitions)."""
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


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


def quantity(value: float, unit: str) -> pint.Quantity[Any]:
    """A pint quantity of a canonical unit."""
    return registry().Quantity(value, CANONICAL_TO_PINT.get(unit, unit))


def convert(value: float, unit: str, to_unit: str) -> float | None:
    """``value`` of ``unit`` in ``to_unit`` (both canonical), or ``None`` when they do not convert."""
    if unit == to_unit:
        return value
    try:
        return float(quantity(value, unit).to(CANONICAL_TO_PINT.get(to_unit, to_unit)).magnitude)
    except pint.errors.DimensionalityError:
        return None


def is_mass(unit: str) -> bool:
    return unit in {"mg", "g", "mcg", "ng", "kg"}
