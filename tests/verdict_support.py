"""What the criterion tests share: one criterion parsed on its own, and the verdict a patient's note
gets on it. ``kind`` is a keyword everywhere and defaults to inclusion, as the parser's own does."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, ParsedCriterion, parse_criterion
from trialatlas.match.patient import load_patient
from trialatlas.match.verdict import CriterionVerdict, evaluate_criterion
from trialatlas.text.criteria import CriterionKind


def parsed_criterion(text: str, *, kind: CriterionKind = "inclusion") -> ParsedCriterion:
    """The criterion ``text`` parsed as the only one of its list."""
    return parse_criterion(Criterion(text=text, kind=kind, index=0, start=0, end=len(text)))


def verdict_of(criterion: str, note: str, *, kind: CriterionKind = "inclusion") -> CriterionVerdict:
    """The verdict on ``criterion`` for the patient ``note`` describes (free text, or the profile's JSON:
    ``load_patient`` reads a free-text note exactly as ``profile_from_note`` does)."""
    return evaluate_criterion(parsed_criterion(criterion, kind=kind), load_patient(note))


def status_of(criterion: str, note: str, *, kind: CriterionKind = "inclusion") -> str:
    """The verdict's status alone ("met", "not met", "excluded", "not excluded", "unknown", …)."""
    return verdict_of(criterion, note, kind=kind).status
