"""One pint registry for the whole project: regimens and criteria read units through the same one."""

from __future__ import annotations

import pytest

from trialatlas.extract import units as shared_units
from trialatlas.extract.regimen import units as dose_units


def test_regimens_and_criteria_share_one_registry() -> None:
    assert dose_units.registry() is shared_units.registry()
    assert not hasattr(dose_units, "_DEFINITIONS")
    # Laboratory ranges treat IU and enzyme units alike (ALT 40 IU/L is 40 U/L) ...
    assert shared_units.convert(40, "IU/L", "U/L") == pytest.approx(40)


def test_dose_units_keep_counted_things_apart() -> None:
    # ... while a dose in IU is never a dose in units, tablets or cells (the spec keeps them apart).
    assert dose_units.convert(1, "IU", "units") is None
    assert dose_units.convert(2, "tablets", "capsules") is None
    assert dose_units.convert(2, "tablets", "mg") is None
    assert dose_units.convert(500, "mcg", "mg") == pytest.approx(0.5)
    assert dose_units.convert(1.5, "g", "mg") == pytest.approx(1500)
    # Dosage forms are dimensions of their own in the shared registry, not dimensionless counts.
    tablet = shared_units.registry().Quantity(1, "tablet")
    assert tablet.dimensionality != shared_units.registry().Quantity(1, "mg").dimensionality
    assert not tablet.dimensionless


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("milligrammes", ("mg", 1.0)), ("µg", ("mcg", 1.0)), ("MU", ("units", 1e6)), ("mEq", ("mEq", 1.0))],
)
def test_canonical_spellings(written: str, canonical: tuple[str, float]) -> None:
    assert dose_units.canonical_unit(written) == canonical
