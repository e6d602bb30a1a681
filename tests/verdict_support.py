"""What the criterion tests share: one criterion parsed on its own, and the verdict a patient's note
gets on it. ``kind`` is a keyword everywhere and defaults to inclusion, as the parser's own does."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.eval.trec import load_topics
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


# A verdict as the labelled case files write it (met / not_met / unknown).
_CASE_VERDICT = {
    ("inclusion", "met"): "met",
    ("inclusion", "not met"): "not_met",
    ("exclusion", "excluded"): "met",
    ("exclusion", "not excluded"): "not_met",
    # An exclusion about people the patient is not one of (pregnancy for a man) does not exclude.
    ("exclusion", "not applicable"): "not_met",
}


def case_verdict(criterion: str, note: str, *, kind: CriterionKind) -> str:
    """The verdict as a labelled case writes it; an inclusion that does not apply is neither side's answer, so
    it counts as undecided ("unknown") with every other undecided status."""
    return _CASE_VERDICT.get((kind, status_of(criterion, note, kind=kind)), "unknown")


def read_cases(path: Path) -> list[dict[str, Any]]:
    """The labelled cases of a JSON-lines file, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@cache
def topic_notes() -> dict[str, str]:
    """The TREC 2021 and SIGIR patients' notes of the shared TrialGPT benchmarks, by topic id."""
    folder = shared_data_dir() / "trialgpt_benchmarks"
    return {
        topic.id: topic.text
        for source in ("trec_2021", "sigir")
        for topic in load_topics(folder / source / "queries.jsonl")
    }
