"""One patient-to-trial ranking for ``match`` (CLI, API) and ``eval trec``: relevance, verdicts, the
store path through the search index, and the caches."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialatlas import match_trials
from trialatlas.cli import (
    app,
    commands,  # noqa: F401  (registers the commands)
)
from trialatlas.eval import matching as evaluate
from trialatlas.eval.matching import Topic, build_collection, rank_matcher
from trialatlas.match import relevance
from trialatlas.match.matcher import MatchCache, StoreMatcher, rank, retrieval_query, stats_path
from trialatlas.match.patient import PatientProfile, profile_from_note
from trialatlas.match.relevance import RelevanceStats, TrialTerms
from trialatlas.model import Age, AgeUnit, Eligibility, OverallStatus, Sex, StatusInfo, Trial
from trialatlas.store import TrialStore, open_store

NOTE = (
    "A 10-year-old boy presents with steroid-dependent nephrotic syndrome with frequent relapses. "
    "He denies diabetes or hypertension. Hemoglobin is 12.1 g/dL and eGFR 110 ml/min/1.73m2. "
    "He has never received tacrolimus or rituximab."
)
CHILD_CRITERIA = (
    "Inclusion Criteria:\n- Frequently relapsing nephrotic syndrome\n- Age: 2 to 18 years old\n"
    "Exclusion Criteria:\n- Moderate to severe anemia (hemoglobin <9.0 g/dL)\n"
)
TITLE = "Tacrolimus in Nephrotic Syndrome"
ADULT_CRITERIA = (
    "Inclusion Criteria:\n- Frequently relapsing nephrotic syndrome\n- Age: 18 to 75 years old\n"
    "Exclusion Criteria:\n- Moderate to severe anemia (hemoglobin <9.0 g/dL)\n"
)


def _trial(
    nct: str,
    title: str,
    conditions: list[str],
    criteria: str = CHILD_CRITERIA,
    *,
    status: OverallStatus = OverallStatus.RECRUITING,
    minimum: float | None = None,
    maximum: float | None = None,
    sex: Sex | None = None,
) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=title,
        conditions=conditions,
        brief_summary=f"A study of {title.lower()}.",
        status=StatusInfo(overall_status=status),
        eligibility=Eligibility(
            criteria_text=criteria,
            minimum_age=Age(value=minimum, unit=AgeUnit.YEARS) if minimum is not None else None,
            maximum_age=Age(value=maximum, unit=AgeUnit.YEARS) if maximum is not None else None,
            sex=sex,
        ),
    )


def _filler(count: int) -> list[Trial]:
    topics = ["asthma", "psoriasis", "migraine", "gout", "glaucoma", "obesity", "acne", "insomnia"]
    trials = []
    for i in range(count):
        topic = topics[i % len(topics)]
        criteria = f"Inclusion Criteria:\n- Diagnosis of {topic}\n"
        trials.append(_trial(f"NCT0100{i:04d}", f"Treatment of {topic}", [topic.title()], criteria))
    return trials


def _trials() -> list[Trial]:
    return [
        _trial(
            "NCT00000011", "Tacrolimus in Nephrotic Syndrome", ["Nephrotic Syndrome"], minimum=2, maximum=18
        ),
        _trial("NCT00000012", TITLE, ["Nephrotic Syndrome"], ADULT_CRITERIA),
        _trial(
            "NCT00000013",
            "Tacrolimus in Nephrotic Syndrome",
            ["Nephrotic Syndrome"],
            status=OverallStatus.COMPLETED,
        ),
        _trial("NCT00000014", "Rituximab in Nephrotic Syndrome", ["Nephrotic Syndrome"], minimum=30),
        _trial("NCT00000015", "Nephrotic Syndrome in Girls", ["Nephrotic Syndrome"], sex=Sex.FEMALE),
        *_filler(24),
    ]


def test_a_failed_trial_ranks_below_an_otherwise_identical_one() -> None:
    profile = profile_from_note(NOTE)
    trials = _trials()[:2] + _filler(10)
    stats = RelevanceStats.of(TrialTerms.of(t) for t in trials)
    ranked = rank(profile, trials, stats, top=5)
    keys = [c.trial.key for c in ranked]
    assert keys[:2] == ["NCT00000011", "NCT00000012"]
    child, adult = ranked[0], ranked[1]
    # Same text but for the age line: relevance alike, the verdict tells them apart.
    assert adult.relevance == pytest.approx(child.relevance, rel=0.05)
    assert adult.verdict is not None and adult.verdict.status == "ineligible"
    assert child.verdict is not None and child.verdict.status != "ineligible"
    assert adult.score < child.score
    assert any(reason.startswith("fails: Age") for reason in adult.reasons)
    assert adult.failed == ["Age: 18 to 75 years old"]
    assert all(c.trial.key.startswith("NCT0000") for c in ranked)  # nothing in common: not ranked


def test_the_matcher_ranks_as_the_evaluation_scores() -> None:
    """Given the same trials, ``match`` orders them as ``eval trec``'s ranker does."""
    trials = _trials()
    collection = build_collection(trials)
    topic = Topic("t", NOTE)
    keys = sorted(collection.trials)
    scores = rank_matcher(collection, topic, keys)
    expected = [k for k in sorted(keys, key=lambda k: (-scores[k], k)) if scores[k] > 0]
    stats = RelevanceStats.of(TrialTerms.of(t) for t in trials)
    ranked = rank(profile_from_note(NOTE, "t"), trials, stats, top=len(trials), evaluate_top=len(trials))
    assert [c.trial.key for c in ranked] == expected
    # The evaluation's scores step by BAND_STEP between bands; within one they are the matcher's.
    assert ranked[0].score == pytest.approx(math.fmod(scores[expected[0]], relevance.BAND_STEP) / 2)
    # evaluate.py's public names are the shared ones.
    assert evaluate.Bm25 is relevance.Bm25 and evaluate.patient_query is relevance.patient_query
    assert evaluate.TrialFields is relevance.TrialFields
    assert evaluate.eligibility_factor is relevance.eligibility_factor


def test_patient_query_drops_what_the_patient_does_not_have() -> None:
    query = relevance.patient_query(profile_from_note(NOTE))
    assert "nephrotic" in query and "concept:nephrotic_syndrome" in query
    assert "diabetes" not in query and "hypertension" not in query  # denied
    assert "years" not in query and "presents" not in query  # boilerplate
    # A profile without a note still asks for its conditions.
    profile = PatientProfile(age_years=9, conditions=[{"name": "nephrotic syndrome"}])
    assert {"nephrotic", "syndrome"} <= set(relevance.patient_query(profile))
    assert '"nephrotic syndrome"' in retrieval_query(profile)


def test_in_memory_prefilter_status_age_and_sex() -> None:
    profile = profile_from_note(NOTE)
    keys = [c.trial.key for c in match_trials(profile, _trials(), top=10)]
    assert keys[0] == "NCT00000011"
    assert "NCT00000014" not in keys  # the structured minimum age of 30
    assert "NCT00000015" not in keys  # girls only
    # Open trials by default: the completed one needs "any".
    assert "NCT00000013" not in keys
    widened = [c.trial.key for c in match_trials(profile, _trials(), top=10, status="any")]
    assert "NCT00000013" in widened
    open_only = [c.trial.key for c in match_trials(profile, _trials(), status="open")]
    assert "NCT00000013" not in open_only and "NCT00000011" in open_only
    completed = [c.trial.key for c in match_trials(profile, _trials(), status="completed")]
    assert completed == ["NCT00000013"]
    with pytest.raises(ValueError, match="status"):
        match_trials(profile, _trials(), status="sleeping")


@pytest.fixture
def small_store(tmp_path: Path) -> TrialStore:
    store = open_store(str(tmp_path / "small.db"))
    store.upsert_batch(_trials())
    return store


def test_store_matcher_uses_the_search_index_and_keeps_statistics(small_store: TrialStore) -> None:
    notes: list[str] = []
    matcher = StoreMatcher(small_store, on_note=notes.append, pool=50)
    profile = profile_from_note(NOTE)
    ranked = matcher.match(profile, top=5)
    assert [c.trial.key for c in ranked][:1] == ["NCT00000011"]
    assert {"NCT00000014", "NCT00000015"}.isdisjoint(c.trial.key for c in ranked)
    assert any(note.startswith("building the search index") for note in notes)
    assert matcher.index.is_built()
    path = stats_path(small_store)
    assert path is not None and path.is_file()
    # The statistics of a store smaller than the sample are those of all its trials.
    assert matcher.stats().weighted.total == len(_trials())
    # The same answer through the public function, and again from the kept caches.
    assert [c.trial.key for c in match_trials(profile, small_store, top=5)] == [c.trial.key for c in ranked]
    terms, criteria = matcher.cache.sizes()
    assert terms >= len(ranked) and criteria >= len(ranked)
    assert [c.trial.key for c in matcher.match(profile, top=5)] == [c.trial.key for c in ranked]
    assert matcher.cache.sizes() == (terms, criteria)
    open_only = [c.trial.key for c in matcher.match(profile, top=5, status="open")]
    assert "NCT00000013" not in open_only and open_only[0] == "NCT00000011"


def test_a_store_trial_that_states_no_age_is_a_candidate_for_any_age(small_store: TrialStore) -> None:
    # A partial record (a title and summary only) says nothing of ages: unknown, not excluded.
    partial = Trial(
        nct_id="NCT00000016",
        brief_title="Tacrolimus for steroid-dependent nephrotic syndrome",
        conditions=["Nephrotic Syndrome"],
        is_partial=True,
    )
    small_store.upsert_batch([partial])
    # A partial record states no status either: only "any" status reaches it.
    ranked = StoreMatcher(small_store, pool=50).match(profile_from_note(NOTE), top=10, status="any")
    found = {c.trial.key: c for c in ranked}
    assert "NCT00000016" in found
    verdict = found["NCT00000016"].verdict
    assert verdict is not None and verdict.status == "possibly eligible"


def test_search_scores_join_the_relevance_of_store_candidates() -> None:
    profile = profile_from_note(NOTE)
    twins = [
        _trial("NCT00000021", TITLE, ["Nephrotic Syndrome"]),
        _trial("NCT00000022", TITLE, ["Nephrotic Syndrome"]),
    ]
    stats = RelevanceStats.of([TrialTerms.of(t) for t in [*twins, *_filler(8)]])
    alike = rank(profile, twins, stats, top=2)
    assert alike[0].relevance == alike[1].relevance
    # The same two trials, the search index preferring the second: it now comes first.
    fused = rank(profile, twins, stats, top=2, retrieval={"NCT00000021": 1.0, "NCT00000022": 4.0})
    assert [c.trial.key for c in fused] == ["NCT00000022", "NCT00000021"]
    assert fused[0].relevance > fused[1].relevance


def test_match_cache_parses_an_updated_trial_again() -> None:
    cache = MatchCache(size=2)
    trial = _trial("NCT00000011", "Tacrolimus in Nephrotic Syndrome", ["Nephrotic Syndrome"])
    first = cache.criteria(trial)
    assert cache.criteria(trial) is first
    changed = trial.model_copy(update={"eligibility": Eligibility(criteria_text=ADULT_CRITERIA)})
    assert cache.criteria(changed) is not first
    for i in range(3):
        cache.criteria(_trial(f"NCT0000002{i}", "x", ["Gout"]))
    assert cache.sizes()[1] == 2


def test_cli_match_on_a_small_store(small_store: TrialStore, tmp_path: Path) -> None:
    db = small_store.location
    small_store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["match", NOTE, "--db", db, "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["trials"]  # the document POST /api/match answers
    assert rows[0]["nct_id"] == "NCT00000011"
    assert rows[0]["verdict"] in ("eligible", "possibly eligible")
    assert {"failed", "check_next", "reasons", "criteria", "relevance", "score"} <= set(rows[0])
    adult = next((r for r in rows if r["nct_id"] == "NCT00000012"), None)
    assert adult is not None and adult["verdict"] == "ineligible" and adult["failed"]
    text = runner.invoke(app, ["match", NOTE, "--db", db, "--top", "3"])
    assert text.exit_code == 0, text.output
    assert "NCT00000011" in text.stdout and "fails: Age" in text.stdout
    # Every criterion's verdict label is printed as written (not taken for terminal markup).
    details = runner.invoke(app, ["match", NOTE, "--db", db, "--top", "3", "--details"])
    assert details.exit_code == 0, details.output
    assert "[not met]" in details.stdout and "[met]" in details.stdout
    bad = runner.invoke(app, ["match", NOTE, "--db", db, "--status", "sleeping"])
    assert bad.exit_code == 2


def test_cli_match_refuses_a_profile_file_that_is_not_there(small_store: TrialStore, tmp_path: Path) -> None:
    # Before, a mistyped file name was read as the note itself: "0 trials", exit code 0.
    db = small_store.location
    small_store.close()
    runner = CliRunner()
    for missing in (str(tmp_path / "patient.json"), "notes/patient-12.txt", "patient.json"):
        result = runner.invoke(app, ["match", missing, "--db", db, "--top", "3"])
        assert result.exit_code == 2, (missing, result.output)
        assert "no such file" in result.output and "Trials for patient" not in result.output
    # A one-word note is still a note, and an existing file is still read.
    assert runner.invoke(app, ["match", "asthma", "--db", db, "--top", "3"]).exit_code == 0
    # A note longer than a file name may be (255 bytes) is a note, not an OSError traceback.
    long_note = " ".join([NOTE] * (300 // len(NOTE) + 2))
    assert len(long_note) > 300
    read_long = runner.invoke(app, ["match", long_note, "--db", db, "--top", "3"])
    assert read_long.exit_code == 0 and read_long.exception is None, read_long.output
    assert "NCT00000011" in read_long.stdout
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    read = runner.invoke(app, ["match", str(note), "--db", db, "--top", "3"])
    assert read.exit_code == 0 and "NCT00000011" in read.stdout


def test_store_matcher_keeps_loaded_trials_until_the_store_changes_them(small_store: TrialStore) -> None:
    matcher = StoreMatcher(small_store, pool=50)
    profile = profile_from_note(NOTE)
    first = matcher.match(profile, top=3)
    kept = {t.key: t for t in matcher.load(["NCT00000011", "NCT00000012"])}
    # Unchanged trials come back as the very objects kept, not decoded again.
    assert matcher.load(["NCT00000011"])[0] is kept["NCT00000011"]
    assert first[0].trial.key == "NCT00000011"
    # A changed trial is read again: the new criteria decide its verdict.
    changed = _trial("NCT00000011", TITLE, ["Nephrotic Syndrome"], ADULT_CRITERIA)
    small_store.upsert_batch([changed])
    (again,) = matcher.load(["NCT00000011"])
    assert again is not kept["NCT00000011"] and again.eligibility.criteria_text == ADULT_CRITERIA
    assert matcher.load(["NCT00000012"])[0] is kept["NCT00000012"]
    ranked = {c.trial.key: c for c in matcher.match(profile, top=10)}
    verdict = ranked["NCT00000011"].verdict
    assert verdict is not None and verdict.status == "ineligible"
