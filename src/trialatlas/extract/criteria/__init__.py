"""Computable eligibility criteria: split a trial's criteria, parse each into typed rules with spans."""

from trialatlas.extract.criteria.registry import (
    parse_criteria,
    parse_criterion,
    parse_eligibility,
    parse_text,
    register,
    registered_kinds,
)
from trialatlas.extract.criteria.rules import ParsedCriterion, Rule, Span, Window
from trialatlas.extract.criteria.split import Criterion, criteria_from_lists, split_criteria, trial_criteria

__all__ = [
    "Criterion",
    "ParsedCriterion",
    "Rule",
    "Span",
    "Window",
    "criteria_from_lists",
    "parse_criteria",
    "parse_criterion",
    "parse_eligibility",
    "parse_text",
    "register",
    "registered_kinds",
    "split_criteria",
    "trial_criteria",
]
