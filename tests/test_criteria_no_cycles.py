"""Parsing criteria leaves no reference cycles: what it builds and drops is freed by reference counting.

A cycle per criterion (a recursive closure in the logic tree's builder was one) is garbage only the
cyclic collector finds; at ingest scale its collections cost a tenth of the parse. This parses the
target trials' criteria afresh with the collector paused and asks it what it would have had to free.
"""

from __future__ import annotations

import gc
from pathlib import Path

from trialatlas.extract.criteria import parse_criterion, trial_criteria
from trialatlas.extract.criteria.registry import memo_disabled
from trialatlas.model import Trial
from trialatlas.sources import read_paths


def test_parsing_criteria_leaves_no_cyclic_garbage(target_trials: Path) -> None:
    trials = sorted((t for t in read_paths([target_trials]) if isinstance(t, Trial)), key=lambda t: t.key)
    criteria = [
        criterion
        for trial in trials
        for criterion in trial_criteria(
            trial.eligibility.criteria_text, trial.eligibility.inclusion, trial.eligibility.exclusion
        )
    ]
    # Once first, so that what loads on first use (vocabularies, patterns) is not counted.
    for criterion in criteria:
        parse_criterion(criterion)
    parsed = []
    gc.collect()
    gc.disable()
    try:
        with memo_disabled():
            parsed = [parse_criterion(criterion) for criterion in criteria]
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert sum(len(p.rules) for p in parsed) > 50
    assert unreachable == 0
