"""The memo of parsed criterion texts: switching it off (as ``bench/match.py`` does for its figure
without the memo) parses every criterion afresh, gives the same rules and logic, and puts the memo
back as it was."""

from __future__ import annotations

from pathlib import Path

from trialatlas.extract.criteria import Criterion, parse_criterion, registry, trial_criteria
from trialatlas.extract.criteria.registry import memo_disabled
from trialatlas.model import Trial
from trialatlas.sources import read_paths


def _criteria_of_targets(target_trials: Path) -> list[Criterion]:
    # Sorted by key: the criteria never depend on the order the data's files are listed in.
    trials = sorted((t for t in read_paths([target_trials]) if isinstance(t, Trial)), key=lambda t: t.key)
    return [
        criterion
        for trial in trials
        for criterion in trial_criteria(
            trial.eligibility.criteria_text, trial.eligibility.inclusion, trial.eligibility.exclusion
        )
    ]


def test_memo_off_parses_every_criterion_to_the_same_rules(target_trials: Path) -> None:
    criteria = _criteria_of_targets(target_trials)
    assert len(criteria) > 20
    with_memo = [parse_criterion(c).model_dump_json() for c in criteria]
    before = registry._parse_cached.cache_info()
    held = before.currsize
    assert held > 0
    with memo_disabled():
        calls = registry._parse_cached.cache_info()
        without = [parse_criterion(c).model_dump_json() for c in criteria]
        after = registry._parse_cached.cache_info()
        # Nothing is kept while the memo is off: every criterion was parsed (a miss) and none held.
        assert after.currsize == 0
        assert after.misses - calls.misses >= len(criteria)
    assert without == with_memo
    # The memo is back, holding what it held, and the parses while it was off went around it.
    restored = registry._parse_cached.cache_info()
    assert restored.currsize == held
    assert (restored.hits, restored.misses) == (before.hits, before.misses)


def test_memo_is_restored_after_an_error() -> None:
    memo = registry._parse_cached
    try:
        with memo_disabled():
            assert registry._parse_cached is not memo
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert registry._parse_cached is memo
