"""The match operation's request and response models.

Apart from :mod:`trialatlas.services.models` because a request holds a
:class:`~trialatlas.match.patient.PatientProfile`, whose module loads the criteria parser: the
other operations (search, show, related) do not pay for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.match.patient import PatientProfile
from trialatlas.model.enums import OverallStatus
from trialatlas.text.schema_patterns import any_case, portable

# --- matching ------------------------------------------------------------------------------------


# What the matcher's status filter reads (trialatlas.match.matcher.resolve_status and status_filter):
# nothing (the default), 'open', 'any' or 'all', or one overall status in any case, its words joined
# by '_', ' ' or '-'.
MATCH_STATUS_PATTERN = portable(
    r"^\s*(|"
    + "|".join(any_case(word, " -") for word in ("open", "any", "all", *(s.value for s in OverallStatus)))
    + r")\s*$"
)
# A patient is a profile (with no note, or an empty one) or a note with some text (and no profile):
# the rule trialatlas.services.patients.patient_of applies (its 400 says what to send).
_PATIENT_OR_NOTE: dict[str, Any] = {
    "anyOf": [
        {
            "required": ["patient"],
            "properties": {
                "patient": {"type": "object"},
                "note": {"anyOf": [{"type": "null"}, {"const": ""}]},
            },
        },
        {
            "required": ["note"],
            "properties": {
                "note": {"type": "string", "pattern": portable(r"\S")},
                "patient": {"type": "null"},
            },
        },
    ]
}


class MatchRequest(BaseModel):
    """A patient as a structured profile or as a free-text note (one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_PATIENT_OR_NOTE)

    patient: PatientProfile | None = None
    note: str | None = Field(default=None, max_length=20000)
    top: int = Field(default=10, ge=1, le=50)
    status: str | None = Field(
        default=None,
        max_length=40,
        # What the matcher reads (its 400 says what to send).
        json_schema_extra={"pattern": MATCH_STATUS_PATTERN},
        description=(
            "'open' (the default: recruiting, not yet recruiting, by invitation), 'any', "
            "or one overall status (RECRUITING, …)."
        ),
    )


Mark = Literal["✓", "✗", "?", "–"]

MARKS: dict[str, Mark] = {
    "met": "✓",
    "not excluded": "✓",
    "not met": "✗",
    "excluded": "✗",
    "unknown": "?",
    "not applicable": "–",
}


class MatchedCriterion(BaseModel):
    index: int
    kind: Literal["inclusion", "exclusion"]
    text: str
    status: str
    mark: Mark
    reason: str


class MatchedTrial(BaseModel):
    rank: int
    nct_id: str
    title: str
    status: str | None
    phases: list[str]
    verdict: str
    score: float
    relevance: float
    on_topic: bool = Field(
        default=True,
        description="About the patient's problem (relevance at least half the best): such trials rank first.",
    )
    band: str = Field(
        default="possibly eligible",
        description="The verdict band it ranks in (a trial with no criteria to check: possibly eligible).",
    )
    met: int
    unknown: int
    failed: list[str]
    check_next: list[str]
    reasons: list[str] = Field(default_factory=list, description="Why the trial ranks where it does.")
    criteria: list[MatchedCriterion]


class MatchResponse(BaseModel):
    patient_summary: str = Field(description="What was understood of the patient (not stored).")
    trials: list[MatchedTrial]


__all__ = [
    "MARKS",
    "MATCH_STATUS_PATTERN",
    "MatchRequest",
    "MatchResponse",
    "MatchedCriterion",
    "MatchedTrial",
]
