"""Ranking a clinician expects: among the trials about the patient's problem, eligible first, then
possibly eligible (fewest decisive unknowns first), then ineligible, by relevance within each band;
trials hardly about it after them; open trials unless asked for any status; "check next" lists the
undecided criteria one fact settles first, and none once the patient is ruled out."""

from __future__ import annotations

from trialatlas import match_trials
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_trial
from trialatlas.model import Eligibility, OverallStatus, StatusInfo, Trial
from trialatlas.services.atlas import Atlas
from trialatlas.store.memory import MemoryStore

NOTE = (
    "A 10-year-old boy with steroid-dependent nephrotic syndrome. Hemoglobin 12.1 g/dL. "
    "Hepatitis B and C negative."
)


def _trial(nct: str, title: str, criteria: str, status: OverallStatus = OverallStatus.RECRUITING) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=title,
        conditions=["Nephrotic Syndrome"],
        brief_summary=f"A study of {title.lower()}.",
        status=StatusInfo(overall_status=status),
        eligibility=Eligibility(criteria_text=criteria),
    )


# The most relevant trial (its title repeats the patient's words) is one the boy fails.
FAILED = _trial(
    "NCT00000101",
    "Steroid-dependent nephrotic syndrome in nephrotic syndrome relapses, nephrotic syndrome",
    "Inclusion Criteria:\n- Age: 18 to 75 years old\n- Nephrotic syndrome\n",
)
ELIGIBLE = _trial(
    "NCT00000102",
    "Nephrotic syndrome",
    "Inclusion Criteria:\n- Age: 2 to 18 years old\n- Nephrotic syndrome\nExclusion Criteria:\n"
    "- Hepatitis B or C infection\n",
)
ONE_UNKNOWN = _trial(
    "NCT00000103",
    "Steroid-dependent nephrotic syndrome relapses",
    "Inclusion Criteria:\n- Age: 2 to 18 years old\n- eGFR ≥ 90 ml/min/1.73m2\n",
)
TWO_UNKNOWN = _trial(
    "NCT00000104",
    "Steroid-dependent nephrotic syndrome relapses",
    "Inclusion Criteria:\n- Age: 2 to 18 years old\n- eGFR ≥ 90 ml/min/1.73m2\n"
    "Exclusion Criteria:\n- Platelet count < 100 x 10^9/L\n",
)
COMPLETED = _trial(
    "NCT00000105",
    "Steroid-dependent nephrotic syndrome",
    "Inclusion Criteria:\n- Age: 2 to 18 years old\n",
    OverallStatus.COMPLETED,
)
# Eligible, but hardly about the patient's problem: after every trial that is.
OFF_TOPIC = _trial(
    "NCT00000106", "A registry of rare syndromes", "Inclusion Criteria:\n- Age: 2 to 18 years old\n"
)
TRIALS = [FAILED, ELIGIBLE, ONE_UNKNOWN, TWO_UNKNOWN, COMPLETED, OFF_TOPIC]


def test_bands_order_the_matches_and_relevance_orders_within_them() -> None:
    patient = profile_from_note(NOTE)
    ranked = match_trials(patient, TRIALS, top=10)
    statuses = [(c.trial.key, c.verdict.status if c.verdict else None) for c in ranked]
    expected = ["NCT00000102", "NCT00000103", "NCT00000104", "NCT00000101", "NCT00000106"]
    assert [key for key, _ in statuses] == expected, statuses
    assert statuses[0][1] == "eligible" and statuses[3][1] == "ineligible" and statuses[4][1] == "eligible"
    unknowns = [c.verdict.unknown for c in ranked[1:3] if c.verdict]
    assert unknowns == [1, 2]


def test_open_trials_by_default_and_any_widens() -> None:
    patient = profile_from_note(NOTE)
    assert "NCT00000105" not in {c.trial.key for c in match_trials(patient, TRIALS, top=10)}
    assert "NCT00000105" in {c.trial.key for c in match_trials(patient, TRIALS, top=10, status="any")}


def test_only_decisive_unknowns_count_and_check_next_starts_with_what_one_fact_settles() -> None:
    patient = profile_from_note(NOTE)
    failed = evaluate_trial(
        _trial("NCT00000201", "x", FAILED.eligibility.criteria_text + "- eGFR ≥ 90\n"), patient
    )
    assert failed.status == "ineligible" and failed.unknown == 0 and failed.check_next == []
    open_questions = evaluate_trial(
        _trial(
            "NCT00000202",
            "x",
            "Inclusion Criteria:\n- Serum albumin ≥ 2.5 g/dL and eGFR ≥ 90 ml/min/1.73m2\n"
            "- Platelet count ≥ 100 x 10^9/L\n",
        ),
        patient,
    )
    assert open_questions.status == "possibly eligible" and open_questions.unknown == 2
    assert open_questions.check_next[0].startswith("Platelet")  # one value settles it


def test_the_json_says_which_band_a_trial_is_in() -> None:
    # Issue #14 (room auditleft): the order was not readable from the output; each match now says
    # whether it is about the patient's problem and its verdict band.
    ranked = [c.as_dict() for c in match_trials(profile_from_note(NOTE), TRIALS, top=10)]
    bands = [(d["trial"], d["on_topic"], d["band"]) for d in ranked]
    assert bands[0] == ("NCT00000102", True, "eligible")
    assert bands[3] == ("NCT00000101", True, "ineligible")
    assert bands[-1] == ("NCT00000106", False, "eligible")
    assert all(d["band"] == d["verdict"] for d in ranked)


def test_the_match_document_says_the_band_too() -> None:
    # Room audit2: the bands were in the matcher's dictionaries only; `match --json`, POST /api/match
    # and the web page's document (MatchResponse) left them out, so an eligible trial below an
    # ineligible one could not be told from a ranking error.
    store = MemoryStore()
    store.upsert_batch(TRIALS)
    answer = Atlas(store).match({"note": NOTE, "top": 10, "status": "any"}).model_dump()
    expected = [
        (d["trial"], d["on_topic"], d["band"])
        for d in (c.as_dict() for c in match_trials(profile_from_note(NOTE), TRIALS, top=10, status="any"))
    ]
    assert [(t["nct_id"], t["on_topic"], t["band"]) for t in answer["trials"]] == expected
