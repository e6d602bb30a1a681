"""A match command's start-up: reading a patient note imports neither the regimen parser nor pint.

Both cost about a second of a cold `trialatlas match` together, and the note reader needs only the
drug vocabulary (trialatlas.extract.regimen.drugs) and units without pint's registry. The regimen
package still gives every public name on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
from trialatlas.services.patients import patient_of
patient = patient_of(None, "A 10-year-old boy on prednisone 10 mg/day; hemoglobin 12.1 g/dL. Not pregnant.")
print(json.dumps({
    "pint": "pint" in sys.modules,
    "regimen_parse": "trialatlas.extract.regimen.parse" in sys.modules,
    "read": patient.age_years == 10,
}))
"""


def test_reading_a_note_loads_no_regimen_parser_nor_pint() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["read"] is True
    assert loaded["pint"] is False
    assert loaded["regimen_parse"] is False


def test_regimen_package_names_resolve_on_first_use() -> None:
    import trialatlas.extract.regimen as regimen
    from trialatlas.extract.regimen import drugs, parse

    assert regimen.parse_regimen is parse.parse_regimen
    assert regimen.normalise_drug is drugs.normalise
    for name in regimen.__all__:
        assert getattr(regimen, name) is not None
    with pytest.raises(AttributeError):
        _ = regimen.no_such_name


def test_units_convert_through_pint_when_needed() -> None:
    from trialatlas.extract.units import convert, parse_unit

    # Common spellings convert without pint; an uncommon one goes through the registry, loaded then.
    assert convert(1.0, "g/dL", "mg/dL") == pytest.approx(1000.0)
    assert convert(1.0, "kg", "lb") == pytest.approx(2.20462, rel=1e-4)
    assert parse_unit("not a unit at all") is None
