"""Eligibility text split into single criteria: the one splitter lives in the ground layer
(:mod:`trialatlas.text.criteria`), shared with the readers' inclusion/exclusion lists."""

from __future__ import annotations

from trialatlas.text.criteria import (
    Criterion,
    CriterionKind,
    criteria_from_lists,
    split_criteria,
    trial_criteria,
)

__all__ = ["Criterion", "CriterionKind", "criteria_from_lists", "split_criteria", "trial_criteria"]
