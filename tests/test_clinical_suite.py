"""The clinical suite: criteria from the shared registry records, patient notes, and expected verdicts
written by a labeller who never ran the code (tests/fixtures/clinical_cases.jsonl).

Each case names a trial, the section and the character span of one criterion in that trial's
eligibility text as the readers read it from the shared data; the criterion text itself is not in the
repository. The note is read with the one note reader, the criterion is parsed and judged, and the
verdict compared with the expected one. Expectations are never edited. A wrong "met" / "not met" is
worse than "unknown", so the suite bounds the confidently wrong answers separately from agreement.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.sources import read_paths
from verdict_support import case_verdict, read_cases

CASES_FILE = Path(__file__).parent / "fixtures" / "clinical_cases.jsonl"
SOURCE = Path("ctgov_legacy_xml_2023") / "ctgov_legacy_xml_feb2023.tar.gz"
# Floors a little under what the code reaches (first run 0.349; then 0.405, confidently wrong 10;
# then 0.451, confidently wrong 9; then 0.467, confidently wrong 8; with 50 more cases, 0.478 and 9
# before this round's fixes, then 0.514 and 7; unread words that cannot change the answer no
# longer blocking, 0.527 and 7; 40 more cases of stages without their disease and of alternatives
# no rule reads, 0.477 and 15 before their fixes, then 0.537 and 10, the 3 more all among the new
# sealed cases; 54 note-side cases (c286-c339: drug allergies, negation scope, suspected and ruled-out
# findings), on their own 11 agreeing and 23 confidently wrong before reading a note's allergies,
# ending a negation at a new clause and reading "ruled out" / "to rule out", 33 and 2 after: c298 (the
# criterion's allergen in "No allergy to Iodine" is not read) and c338 ("might represent lymphoma":
# bare "might" as a cue made an earlier case wrong, so only "might have" is one); all 339, 0.549
# and 12; 44 criterion-side cases (c400-c443: exclusions read only in part, conditions the vocabulary
# lacked), 0.45 on their own before their fixes and 0.82 after; all 383, 0.587 and 10; with the note
# side's 68 (c500-c567) merged, all 451, 0.576 and 10; 18 cases of conditions only ICD-10-CM names
# (c600-c617), 1 agreeing before the packaged vocabulary and 15 after, none wrong; all 469, 0.588
# and 10; 16 cases of lists sharing one head (c618-c633), 1 agreeing before and 7 after, none wrong;
# all 485, 0.586 and 10; 38 note-side cases (c700-c737: regimen acronyms, substance use), on their
# own 2 agreeing and 1 confidently wrong before their fixes and 15 and 0 after; the 451 earlier
# 0.594 and 10 with them; all 523, 0.591 and 10; 38 cases of test results written against their
# name, tests never done and abuse named by its verb (c800-c837), 10 agreeing and 7 confidently wrong
# before their fixes and 36 and 0 after; the 523 earlier 0.606 and 10 with them; all 561, 0.629 and
# 10; 40 cases of what silence leaves open by kind and of dated treatments against windows
# (c850-c889), 22 agreeing and 7 confidently wrong before their fixes and 33 and 1 after; all 601,
# 0.646 and 10; 60 cases on criteria of trials never used before (c900-c959: or-lists, exceptions,
# history vs active, dated windows, dose limits, stages and classes, labs with units), 30 agreeing and
# 3 confidently wrong before their fixes and 37 and 2 after (both among the sealed half); the 601
# earlier 0.677 and 10 with them; all 661, 0.672 and 12 (13 with the code before); 18 cases of
# exception sites, uncertainty in notes and bracketed examples (c960-c977), labelled before the judge
# ran, 4 agreeing and 5 confidently wrong before their fixes and 9 and 0 after; all 679, 0.669 and 10
# (17 with the code before): agreement may only rise, confidently wrong answers only fall.
MIN_AGREEMENT = 0.65
MAX_CONFIDENTLY_WRONG = 10


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES_FILE)


@cache
def _criteria_texts() -> dict[str, str]:
    wanted = {case["nct_id"] for case in _cases()}
    texts: dict[str, str] = {}
    for trial in read_paths([shared_data_dir() / SOURCE]):
        if not isinstance(trial, Trial) or trial.nct_id not in wanted:
            continue
        if trial.eligibility.criteria_text:
            texts[trial.nct_id] = trial.eligibility.criteria_text
        if len(texts) == len(wanted):
            break
    return texts


def judge_case(case: dict[str, Any]) -> str:
    """The verdict on one case as the suite writes it: met / not_met / unknown."""
    start, end = case["span"]
    text = _criteria_texts()[case["nct_id"]][start:end]
    return case_verdict(" ".join(text.split()), case["note"], kind=case["section"])


@pytest.mark.slow
def test_the_clinical_suite_agrees_and_is_rarely_confidently_wrong() -> None:
    if not (shared_data_dir() / SOURCE).is_file():
        pytest.skip("shared registry records not found")
    cases = _cases()
    assert len(cases) >= 150
    outcomes: Counter[str] = Counter()
    by_category: dict[str, Counter[str]] = {}
    for case in cases:
        got = judge_case(case)
        expected = case["expected"]
        outcome = (
            "agree"
            if got == expected
            else "unknown"
            if got == "unknown"
            else "missed"
            if expected == "unknown"
            else "wrong"
        )
        outcomes[outcome] += 1
        by_category.setdefault(case["category"], Counter())[outcome] += 1
    agreement = outcomes["agree"] / len(cases)
    report = {"agreement": round(agreement, 3), **outcomes, "by_category": by_category}
    print(json.dumps(report, indent=1, default=dict))
    assert agreement >= MIN_AGREEMENT, report
    # "wrong": met where not met was expected or the reverse; "missed": decided where the labeller
    # found the note silent. Both are answers a clinician could act on.
    assert outcomes["wrong"] + outcomes["missed"] <= MAX_CONFIDENTLY_WRONG, report


def test_every_case_points_at_a_criterion_and_keeps_no_registry_text() -> None:
    cases = _cases()
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert "criterion" not in case
        assert case["section"] in ("inclusion", "exclusion")
        assert case["expected"] in ("met", "not_met", "unknown")
        start, end = case["span"]
        assert 0 <= start < end
