"""Amounts that say how a dose is presented, not another dose: an amount per a stated volume written alone
in brackets ("675 mg administered as 3 subcutaneous injections (225 mg/1.5 mL)", "225 mg \\[225 mg/1.5 mL\\]")
is the content of one syringe or vial, a concentration written per the volume it comes in (the spec's Not
items: "concentrations when a dose is also given"), when the text states a dose of mass that is not such a
bracket (R123). A text whose only amount is per a stated volume keeps it as its dose ("Alfimeprase will be
given as a single bolus of 1mg/2mL"). Run by parse.py on the amounts read as doses."""

from __future__ import annotations

import re

from trialatlas.extract.regimen.amounts import Amount

_MASS_UNITS = frozenset({"mg", "g", "mcg", "ng", "IU", "units", "mmol", "mEq"})
# The amount opens a bracket and the bracket closes right after it, or after the volume's unit restated in
# brackets of its own ("(225 mg/1.5 milliliters [mL])"); a registry may escape the brackets ("\\[").
_OPENS = re.compile(r"[(\[]\s*$")
_CLOSES = re.compile(r"(?:\s*\\?\[\s*\w{1,12}\s*\\?\])?\s*\\?[)\]]")


def _bracketed_per_volume(text: str, amount: Amount) -> bool:
    return (
        amount.volume
        and amount.unit in _MASS_UNITS
        and _OPENS.search(text, max(0, amount.start - 3), amount.start) is not None
        and _CLOSES.match(text, amount.end) is not None
    )


def drop_presentations(text: str, doses: list[Amount]) -> list[Amount]:
    """``doses`` without the amounts per a stated volume written alone in brackets, when another dose of
    mass is stated."""
    presented = {id(a) for a in doses if _bracketed_per_volume(text, a)}
    if not presented or not any(id(a) not in presented and a.unit in _MASS_UNITS for a in doses):
        return doses
    return [a for a in doses if id(a) not in presented]
