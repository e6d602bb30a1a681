"""Patient profiles: a typed record (JSON) or one extracted from a free-text note by the criteria parsers.

The record is :mod:`trialatlas.match.patient_model`; the note reader is :mod:`trialatlas.match.note_reader`
(with what it reads of the person in :mod:`~trialatlas.match.note_person` and of signs in
:mod:`~trialatlas.match.note_signs`). This module is where both are imported from.
"""

from __future__ import annotations

from trialatlas.match.note_reader import load_patient, profile_from_note, with_note_facts
from trialatlas.match.patient_model import (
    Evidence,
    PatientCondition,
    PatientInfection,
    PatientMeasurement,
    PatientMedication,
    PatientProcedure,
    PatientProfile,
    canonical_measurement,
    split_sentences,
)

__all__ = [
    "Evidence",
    "PatientCondition",
    "PatientInfection",
    "PatientMeasurement",
    "PatientMedication",
    "PatientProcedure",
    "PatientProfile",
    "canonical_measurement",
    "load_patient",
    "profile_from_note",
    "split_sentences",
    "with_note_facts",
]
