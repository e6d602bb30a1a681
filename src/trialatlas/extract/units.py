"""The shared clinical-unit registry: pint with the units and spellings eligibility criteria and notes use.

Laboratory text writes units in ways pint does not read ("x10^9/L", "ml/min/1.73m2", "mcg/dL",
"g/24h", "x 109/L" where a superscript was lost). :func:`normalize_unit_text` rewrites them into a pint
expression; :func:`convert` converts between units, through an analyte's molar mass when one side is
a mass concentration and the other a molar one (creatinine mg/dL ↔ µmol/L, glucose mg/dL ↔ mmol/L).

This module is meant to be shared by every extractor that reads quantities (criteria, regimens).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import pint

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
)

_registry: Any = None


def registry() -> Any:
    """The process-wide registry (built on first use: pint's definitions take ~0.1 s to load)."""
    global _registry
    if _registry is None:
        reg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
        for line in _DEFINITIONS:
            reg.define(line)
        _registry = reg
    return _registry


# Ordered rewrites from clinical spellings to pint syntax; order matters (powers of ten first).
_POWER_OF_TEN = re.compile(r"(?:^|(?<=[\s\d]))(?:[x×*·]\s*)?10\s*(?:\^|\*\*|e|E)\s*([+-]?\d+)")
_POWER_OF_TEN_SUPER = re.compile(r"(?:[x×*·]\s*)?10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_LOST_SUPERSCRIPT = re.compile(r"^[x×*]\s*10(9|12|6|3)(?=\s*/)")
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
        (r"\bgrams?\b|\bgm\b", "g"),
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
    if not isinstance(quantity, pint.Quantity):
        return None
    return quantity


def same_dimension(a: str, b: str) -> bool:
    qa, qb = parse_unit(a), parse_unit(b)
    return qa is not None and qb is not None and qa.dimensionality == qb.dimensionality


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


def convert(value: float, from_unit: str, to_unit: str, analyte: str | None = None) -> float | None:
    """``value`` in ``from_unit`` expressed in ``to_unit``; ``None`` when no conversion exists.

    Temperatures convert as absolute values (39 °C → 102.2 °F), everything else multiplicatively.
    """
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    if source is None or target is None:
        return None
    if _is_temperature(source) and _is_temperature(target):
        reg = registry()
        converted = reg.Quantity(value, source.units).to(target.units)
        return float(converted.magnitude)
    quantity: Any = source * value
    if quantity.dimensionality != target.dimensionality:
        quantity = _molar_bridge(quantity, target, analyte)
        if quantity is None:
            return None
    try:
        ratio = (quantity / target).to("dimensionless").magnitude
    except pint.DimensionalityError:
        return None
    result = float(ratio)
    return result if math.isfinite(result) else None


def _is_temperature(quantity: Any) -> bool:
    return bool(quantity.dimensionality == registry().Quantity(1, "kelvin").dimensionality)


__all__ = ["MOLAR_MASS", "convert", "normalize_unit_text", "parse_unit", "registry", "same_dimension"]
