"""The shared clinical-unit registry: pint with the units and spellings eligibility criteria and notes use.

Laboratory text writes units in ways pint does not read ("x10^9/L", "ml/min/1.73m2", "mcg/dL",
"g/24h", "x 109/L" where a superscript was lost). :func:`normalize_unit_text` rewrites them into a pint
expression; :func:`convert` converts between units, through an analyte's molar mass when one side is
a mass concentration and the other a molar one (creatinine mg/dL ↔ µmol/L, glucose mg/dL ↔ mmol/L).

This is the one registry of trialatlas: criteria, notes and regimens (dose units, dosage forms) all use it.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from trialatlas.config import cache_dir

# Definitions pint lacks. "IU" is treated as the enzyme unit: in laboratory ranges (ALT 40 IU/L) the two
# are used interchangeably; vitamin IU never need conversion to mass in eligibility criteria.
_DEFINITIONS = (
    "IU = enzyme_unit = iu",
    "cell = 1 = cells",
    "bsa_std = 1.73 * meter ** 2",
    "beat = 1 = beats = bpm_beat",
    "breath = 1 = breaths",
    "drink = 1 = drinks",
    "point = 1 = points = pts",
    "pack_year = year = pack_years",
    "copies = 1 = copy",
    "wood_unit = mmHg * minute / liter = Wood_units",
    # Milliequivalents of a monovalent ion are millimoles; :func:`convert` halves divalent ones.
    "equivalent = mole = Eq = eq",
    "event = 1 = events = episode = episodes",
    # Dosage forms and counted products of regimens: each its own dimension, so that no conversion can
    # turn tablets into milligrams or vials into capsules.
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
)

_registry: Any = None


def registry() -> Any:
    """The process-wide registry, built on first use.

    Parsing pint's definitions costs 0.1-0.3 s, a good part of a short command's run; pint can keep
    them parsed in a cache folder (``trialatlas.config.cache_dir()``), which brings that to ~0.01 s.
    The cache is an optimisation only: any trouble with it (unwritable, or a file half-written by a
    concurrent first run) falls back to parsing."""
    global _registry
    if _registry is None:
        # Imported here: importing pint costs ~0.5 s, and most readers of units (the common ones,
        # converted without pint) never need it.
        import pint

        reg: Any = None
        folder = cache_dir()
        if folder is not None:
            # Whatever goes wrong with a cache, it must never stop the program.
            try:
                reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=folder / "pint")
            except Exception:
                reg = None
        if reg is None:
            reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
        for line in _DEFINITIONS:
            reg.define(line)
        _registry = reg
    return _registry


# Ordered rewrites from clinical spellings to pint syntax; order matters (powers of ten first).
_POWER_OF_TEN = re.compile(r"(?:^|(?<=[\s\d]))(?:[x×*·]\s*)?10\s*(?:\^|\*\*|e|E)\s*([+-]?\d+)")
_POWER_OF_TEN_SUPER = re.compile(r"(?:[x×*·]\s*)?10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_LOST_SUPERSCRIPT = re.compile(r"^[x×*]\s*10(9|12|6|3)(?=\s*(?:cells?\s*)?/)")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_WORD_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"/\s*1[.,]73\s*m\s*(?:\^?2|²|\*\*2)", "/bsa_std"),
        (r"\b(?:μ|µ|u|mc)(?=(?:g|mol|l|L|IU|U)\b)", "micro"),
        (r"\bmm\s*(?:\^?3|³)", "mm**3"),
        # "17,580/mm": a count per millimetre means nothing; the superscript 3 was lost.
        (r"(?<=/)\s*mm\s*$", "mm**3"),
        (r"\bcm\s*(?:\^?3|³)", "cm**3"),
        (r"\bm\s*(?:\^?2|²)", "m**2"),
        (r"\bcm\s*(?:\^?2|²)", "cm**2"),
        (r"\bmm\s*hg\b", "mmHg"),
        (r"\bcm\s*h2o\b", "cmH2O"),
        (r"\bhpf\b", "1"),
        (r"\b24\s*-?\s*(?:h|hrs?|hours?)\b", "day"),
        (r"\b(?:d|day|days)\b", "day"),
        (r"\b(?:hr|hrs|hours?)\b", "hour"),
        (r"\b(?:mins?|minutes?)\b", "minute"),
        (r"\b(?:wks?|weeks?)\b", "week"),
        (r"\b(?:mos?|months?)\b", "month"),
        (r"\b(?:yrs?|years?)\b", "year"),
        (r"\bbeats?\b|\bbpm\b", "beat/minute"),
        (r"%", "percent"),
        (r"°\s*c\b|\bdeg(?:rees?)?\s*c(?:elsius)?\b", "degC"),
        (r"°\s*f\b|\bdeg(?:rees?)?\s*f(?:ahrenheit)?\b", "degF"),
        (r"\bkgs\b|\bkilograms?\b", "kg"),
        (r"\blbs?\b|\bpounds?\b", "lb"),
        (r"\bgrams?\b|\bgms?\b", "g"),
        (r"\bper\s*cent\b", "percent"),
        (r"\bwood'?s?\s+units?\b", "wood_unit"),
        (r"\s+per\s+", "/"),
        (r"\bmeq\b", "mEq"),
        (r"\bliters?\b|\blitres?\b", "L"),
        (r"\bmls?\b", "mL"),
        (r"\bdl\b", "dL"),
        (r"\bl\b", "L"),
        (r"\bmmol\b", "mmol"),
        (r"\bcells?\b", "cell"),
        (r"\bu\b", "U"),
    )
)

# Molar masses (g/mol) of analytes whose mass and molar concentrations are both in use.
MOLAR_MASS: dict[str, float] = {
    "creatinine": 113.12,
    "glucose": 180.16,
    "bilirubin": 584.66,
    "urea": 60.06,
    "bun": 28.02,  # BUN is reported as urea nitrogen: two nitrogen atoms per urea
    "uric_acid": 168.11,
    "cholesterol": 386.65,
    "ldl": 386.65,
    "hdl": 386.65,
    "triglycerides": 885.7,
    "calcium": 40.08,
    "magnesium": 24.305,
    "phosphate": 30.97,
    "hemoglobin": 16114.5,  # per haem-binding monomer, as mmol/L haemoglobin is reported
    "albumin": 66470.0,
    "upcr": 113.12,  # protein/creatinine ratio: g/g ↔ mg/mmol goes through creatinine
    "uacr": 113.12,
    "ferritin": 474000.0,
}


def normalize_unit_text(text: str) -> str:
    """``text`` rewritten as a pint expression ("x10^9/L" → "1e9/L", "µmol/L" → "micromol/L")."""
    raw = text.strip().rstrip(".,;")
    # A lone "C" or "F" after a number in clinical text is a temperature, not coulombs or farads.
    if re.fullmatch(r"[°º]?\s*[CcFf]", raw):
        return "degC" if raw[-1] in "Cc" else "degF"
    raw = _LOST_SUPERSCRIPT.sub(lambda m: f"1e{m[1]}", raw)
    raw = _POWER_OF_TEN_SUPER.sub(lambda m: f" 1e{m[1].translate(_SUPERSCRIPTS)} ", raw)
    raw = _POWER_OF_TEN.sub(lambda m: f" 1e{m[1]} ", raw)
    for pattern, replacement in _WORD_REWRITES:
        raw = pattern.sub(replacement, raw)
    raw = raw.replace("·", "*").replace("×", "*")
    raw = re.sub(r"\s*/\s*", "/", raw).strip()
    if raw.startswith("/"):
        raw = "1" + raw
    # "1e9 /L" (a count per volume) must stay a product, not become "1e9 * 1/L" read as 1e9 L.
    raw = re.sub(r"^(1e[+-]?\d+)\s+(?=[A-Za-z])", r"\1 * ", raw)
    return raw


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> Any:
    """The quantity one ``text`` unit stands for (``1e9/L`` is 1e9 per litre), or ``None`` if unreadable."""
    if not text or not text.strip():
        return None
    expression = normalize_unit_text(text)
    if not expression or expression == "1":
        return None
    try:
        quantity = registry().parse_expression(expression)
    except Exception:  # pint raises several unrelated types for malformed text
        # Criteria capitalise freely ("Kg", "MG/DL"); pint's symbols are case-sensitive.
        lowered = normalize_unit_text(text.lower())
        try:
            quantity = registry().parse_expression(lowered)
        except Exception:
            return None
    if not isinstance(quantity, registry().Quantity):
        return None
    return quantity


def _molar_bridge(quantity: Any, target: Any, analyte: str | None) -> Any:
    """``quantity`` times the analyte's molar mass to the power that gives ``target``'s dimension."""
    if not analyte or analyte not in MOLAR_MASS:
        return None
    reg = registry()
    mw = reg.Quantity(MOLAR_MASS[analyte], "g/mol")
    for power in (1, -1):
        bridged = quantity * mw**power
        if bridged.dimensionality == target.dimensionality:
            return bridged
    return None


# The units criteria and notes write most, with their dimension and factor to that dimension's base
# unit: conversions between them need no pint (whose parsing and arithmetic cost ~1 ms a call).
_MASS_CONCENTRATION = {"g/dl": 10.0, "mg/dl": 0.01, "mg/l": 1e-3, "g/l": 1.0, "ug/ml": 1e-3, "mg/ml": 1.0}
_MASS_CONCENTRATION |= {"ng/ml": 1e-6, "pg/ml": 1e-9, "ug/dl": 1e-5, "ug/l": 1e-6, "ng/dl": 1e-8}
_FAST_UNITS: dict[str, tuple[str, float]] = {
    **{key: ("mass/volume", factor) for key, factor in _MASS_CONCENTRATION.items()},
    **{key: ("amount/volume", f) for key, f in {"mol/l": 1.0, "mmol/l": 1e-3, "umol/l": 1e-6}.items()},
    **{key: ("amount/volume", f) for key, f in {"nmol/l": 1e-9, "pmol/l": 1e-12}.items()},
    **{key: ("amount/volume", f) for key, f in {"meq/l": 1e-3, "eq/l": 1.0}.items()},
    **{
        key: ("count/volume", factor)
        for key, factor in {
            "10^9/l": 1e9,
            "10^12/l": 1e12,
            "10^6/l": 1e6,
            "/l": 1.0,
            "/mm3": 1e6,
            "cells/mm3": 1e6,
            "/ul": 1e6,
            "cells/ul": 1e6,
            "10^3/ul": 1e9,
            "10^3/mm3": 1e9,
            "k/ul": 1e9,
            "10^6/ml": 1e9,
            "10^3/ml": 1e6,
        }.items()
    },
    **{key: ("enzyme/volume", 1.0) for key in ("u/l", "iu/l", "mu/ml", "miu/ml")},
    **{key: ("rate", 1.0) for key in ("/min", "bpm", "beats/min", "breaths/min", "1/min")},
    **{key: ("clearance", 1.0) for key in ("ml/min",)},
    **{key: ("gfr", 1.0) for key in ("ml/min/1.73m2", "ml/min/1.73m^2", "ml/min/1.73m²", "ml/min/bsa_std")},
    **{
        key: ("mass", f)
        for key, f in {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "lb": 0.45359237, "lbs": 0.45359237}.items()
    },
    **{key: ("length", f) for key, f in {"cm": 1.0, "m": 100.0, "mm": 0.1}.items()},
    **{key: ("mass/area", 1.0) for key in ("kg/m2", "kg/m^2", "kg/m²")},
    **{key: ("mass/time", f) for key, f in {"g/day": 1.0, "g/24h": 1.0, "g/d": 1.0, "mg/day": 1e-3}.items()},
    **{key: ("mass/time", 1e-3) for key in ("mg/24h", "mg/d")},
    **{key: ("time", f) for key, f in {"s": 1.0, "sec": 1.0, "seconds": 1.0, "ms": 1e-3}.items()},
    **{key: ("fraction", 1.0) for key in ("%",)},
    **{key: ("pressure", 1.0) for key in ("mmhg",)},
    **{key: ("volume", f) for key, f in {"ml": 1.0, "l": 1000.0, "fl": 1e-12}.items()},
}
_FAST_SPELLING = (
    (re.compile(r"\s+"), ""),
    (re.compile(r"[µμ]|mc(?=g)"), "u"),
    (re.compile(r"^(?:[x×*])?10(?:\^|\*\*|e)?(?=\d+(?:cells?)?/)"), "10^"),
    (re.compile(r"(?<=\d)cells?(?=/)"), ""),
    (re.compile(r"(?<=/)ml$"), "ml"),
    (re.compile(r"^gms?(?=/)"), "g"),
    (re.compile(r"^percent$"), "%"),
    (re.compile(r"(?<=/)(?:mm\^?3|mm³)$"), "mm3"),
    (re.compile(r"(?<=/)(?:24hours?|24hrs?)$"), "24h"),
    (re.compile(r"(?<=/)(?:days?)$"), "day"),
    (re.compile(r"(?<=/)(?:litre|liter)$"), "l"),
)


@lru_cache(maxsize=8192)
def _fast_unit(text: str) -> tuple[str, float] | None:
    key = text.strip().rstrip(".,;").lower()
    for pattern, replacement in _FAST_SPELLING:
        key = pattern.sub(replacement, key)
    return _FAST_UNITS.get(key)


def is_unit(text: str) -> bool:
    """Whether ``text`` reads as a unit (the common ones without pint)."""
    return _fast_unit(text) is not None or parse_unit(text) is not None


# Ions with two charges: one millimole is two milliequivalents.
_DIVALENT = frozenset({"calcium", "magnesium"})
_EQUIVALENTS = re.compile(r"eq\b", re.IGNORECASE)


@lru_cache(maxsize=16384)
def _factor(from_unit: str, to_unit: str, analyte: str | None) -> float | None:
    """The factor from ``from_unit`` to ``to_unit``, through the analyte's molar mass or valence."""
    factor = _plain_factor(from_unit, to_unit, analyte)
    if factor is None or analyte not in _DIVALENT:
        return factor
    if _EQUIVALENTS.search(from_unit):
        factor /= 2
    if _EQUIVALENTS.search(to_unit):
        factor *= 2
    return factor


def _plain_factor(from_unit: str, to_unit: str, analyte: str | None) -> float | None:
    source, target = _fast_unit(from_unit), _fast_unit(to_unit)
    if source is not None and target is not None:
        if source[0] == target[0]:
            return source[1] / target[1]
        mass = MOLAR_MASS.get(analyte or "")
        pair = (source[0], target[0])
        if mass is not None and pair == ("amount/volume", "mass/volume"):
            return source[1] * mass / target[1]
        if mass is not None and pair == ("mass/volume", "amount/volume"):
            return source[1] / mass / target[1]
    ratio = _convert_with_pint(1.0, from_unit, to_unit, analyte)
    return ratio


_TEMPERATURE_WORDS = re.compile(
    r"^\s*(?:[°º]\s*[CcFf]|deg(?:rees?)?\s*[CcFf]\w*|[CcFf]|celsius|fahrenheit)\s*$", re.I
)


_BARE_DEGREES = re.compile(r"^\s*(?:deg(?:rees?)?|[°º])\s*$", re.I)


def convert(value: float, from_unit: str, to_unit: str, analyte: str | None = None) -> float | None:
    """``value`` in ``from_unit`` expressed in ``to_unit``; ``None`` when no conversion exists.

    Temperatures convert as absolute values (39 °C → 102.2 °F), everything else multiplicatively, by a
    factor worked out once per pair of units.
    """
    if analyte == "temperature" and _BARE_DEGREES.match(from_unit):
        # "> 101 degrees" with no scale: a body temperature is 30-45 in Celsius and 86-113 in
        # Fahrenheit, so the number itself tells the scale.
        from_unit = "degF" if value > 50 else "degC"
    if _TEMPERATURE_WORDS.match(from_unit) or _TEMPERATURE_WORDS.match(to_unit):
        return _convert_with_pint(value, from_unit, to_unit, analyte)
    factor = _factor(from_unit, to_unit, analyte)
    if factor is None:
        return None
    result = value * factor
    return _rounded(result) if math.isfinite(result) else None


# Significant digits a converted value keeps: far beyond any measurement's precision, and enough to
# drop the float noise of a product of factors (3 × 0.99998 is 2.9999423999999997, kept 2.9999424).
_DIGITS = 12


def _rounded(value: float) -> float:
    return float(f"{value:.{_DIGITS}g}")


def _convert_with_pint(value: float, from_unit: str, to_unit: str, analyte: str | None) -> float | None:
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    if source is None or target is None:
        return None
    if _is_temperature(source) and _is_temperature(target):
        reg = registry()
        converted = reg.Quantity(value, source.units).to(target.units)
        return _rounded(float(converted.magnitude))
    quantity: Any = source * value
    if quantity.dimensionality != target.dimensionality:
        quantity = _molar_bridge(quantity, target, analyte)
        if quantity is None:
            return None
    import pint  # loaded already: the registry made ``source``

    try:
        ratio = (quantity / target).to("dimensionless").magnitude
    except pint.DimensionalityError:
        return None
    result = float(ratio)
    return _rounded(result) if math.isfinite(result) else None


def _is_temperature(quantity: Any) -> bool:
    return bool(quantity.dimensionality == registry().Quantity(1, "kelvin").dimensionality)


__all__ = [
    "MOLAR_MASS",
    "convert",
    "is_unit",
    "normalize_unit_text",
    "parse_unit",
    "registry",
]
