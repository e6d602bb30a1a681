"""What the snapshot and design sections of a trial hold, once for the terminal and the web page, and
the whole trial's JSON document, once for the API and ``show --json``.

The section functions give ``(label, value)`` rows in the order registry pages use; the interface says how a
vocabulary value and a date read (``vocabulary``, ``date``) and lays the rows out. Values are plain
text or the model's own values, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialatlas.model import PartialDate, Trial

Vocabulary = Callable[[object], str]
DateText = Callable[[PartialDate | None], str]


def trial_document(trial: Trial) -> dict[str, Any]:
    """A trial as the API's ``GET /api/trials/{nct}`` and ``trialatlas show --json`` give it."""
    return trial.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def snapshot_rows(trial: Trial, vocabulary: Vocabulary, date: DateText) -> list[tuple[str, object]]:
    status, design = trial.status, trial.design
    enrollment = design.enrollment
    return [
        ("Status", status.overall_status),
        ("Why stopped", status.why_stopped),
        ("Phase", ", ".join(vocabulary(p) for p in design.phases)),
        (
            "Enrollment",
            f"{enrollment.count} participants"
            + (f" ({vocabulary(enrollment.type).lower()})" if enrollment.type else "")
            if enrollment and enrollment.count is not None
            else None,
        ),
        ("Study type", design.study_type),
        ("Start", date(status.start_date)),
        ("Primary completion", date(status.primary_completion_date)),
        ("Completion", date(status.completion_date)),
        ("First posted", date(status.study_first_post_date)),
        ("Last updated", date(status.last_update_post_date)),
    ]


def design_rows(trial: Trial, vocabulary: Vocabulary) -> list[tuple[str, object]]:
    design = trial.design
    masking = (
        vocabulary(design.masking)
        + (f" ({', '.join(vocabulary(w) for w in design.who_masked)})" if design.who_masked else "")
        if design.masking
        else None
    )
    return [
        ("Allocation", design.allocation),
        ("Intervention model", design.intervention_model),
        ("Model description", design.intervention_model_description),
        ("Primary purpose", design.primary_purpose),
        ("Masking", masking),
        ("Observational model", design.observational_model),
        ("Time perspective", design.time_perspective),
    ]


__all__ = ["design_rows", "snapshot_rows"]
