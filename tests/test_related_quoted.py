"""A trial's title quoted in another trial's text: found whole, word for word and on word boundaries,
never for a title too short to tell; it lifts the quoted trial in the ranking, and the reason names the
title."""

from __future__ import annotations

import numpy as np
import pytest

import trialatlas.related.similarity as similarity
from trialatlas.model import Trial
from trialatlas.related.features import text_features
from trialatlas.related.index import build_index
from trialatlas.related.quoted import MIN_WORDS, phrase_of, quoted_titles, title_phrase
from trialatlas.related.service import _trial_query
from trialatlas.related.similarity import query_of_features, query_of_rows, reasons, score, top_rows


def test_a_title_is_found_whole_on_word_boundaries() -> None:
    text = phrase_of('Subjects come from the companion study "Anemia in the Elderly", once it ends.')
    found = quoted_titles(
        text,
        [
            "Anemia in the Elderly",
            "ANEMIA IN THE ELDERLY.",  # case and punctuation are the tokenizer's business
            "Anemia in Elderly",  # a word missing: not this title
            "Elderly in the Anemia",  # the same words in another order
            "Anemia in the Elder",  # a word cut short: not a word boundary
            "Companion Study",  # too short to tell
        ],
    )
    assert found.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_short_titles_are_never_found() -> None:
    short = " ".join(["asthma"] * (MIN_WORDS - 1))
    assert title_phrase(short) is None
    assert quoted_titles(phrase_of(f"a study of {short} in children"), [short]).tolist() == [0.0]
    assert title_phrase(" ".join(["asthma"] * MIN_WORDS)) is not None


def _trials() -> list[Trial]:
    epoetin = "epoetin alfa hemoglobin anemia elderly outpatients physical function cognitive function"
    query = Trial(
        nct_id="NCT00000200",
        brief_title="Epoetin alfa in elderly subjects with unexplained anemia",
        brief_summary=f"{epoetin}. Subjects are recruited out of the companion study Anemia in the Elderly.",
    )
    partner = Trial(
        nct_id="NCT00000202",
        brief_title="Anemia in the Elderly",
        brief_summary="A cohort of elderly outpatients with a hematologic evaluation of unexplained anemia.",
    )
    # Trials that share more of the query's words than the partner does, as the tuning misses' did.
    others = [
        Trial(
            nct_id=f"NCT0000{300 + 2 * i:04d}",
            brief_title=f"Epoetin alfa for anemia in patients group {i}",
            brief_summary=f"{' '.join(epoetin.split()[i % 3 :: 3])} response in group {i}.",
        )
        for i in range(12)
    ]
    unrelated = [
        Trial(nct_id=f"NCT0000{500 + 2 * i:04d}", brief_title=f"Knee surgery rehabilitation {i}")
        for i in range(20)
    ]
    return [query, partner, *others, *unrelated]


def _rank_of_partner() -> tuple[int, list[str]]:
    index = build_index(_trials())
    row = index.row_of("NCT00000200")
    partner = index.row_of("NCT00000202")
    assert row is not None and partner is not None
    query = query_of_rows(
        index, [row], text=" ; ".join(t for t in (_trials()[0].brief_title, _trials()[0].brief_summary) if t)
    )
    ranked = top_rows(score(index, query), 20)
    return ranked.index(partner) + 1, reasons(index, query, partner)


def test_a_quoted_title_lifts_the_trial_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(similarity, "QUOTED_BONUS", 0.0)
    unquoted_rank, unquoted_reasons = _rank_of_partner()
    monkeypatch.setattr(similarity, "QUOTED_BONUS", 0.5)
    quoted_rank, quoted_reasons = _rank_of_partner()
    # Without the quoted title, the trials sharing more words come first; with it, the named trial does.
    assert unquoted_rank > 1
    assert quoted_rank == 1
    assert quoted_reasons[0] == "named by its title in this trial's text: “Anemia in the Elderly”"
    # The reason does not depend on the weight: it is what the texts say.
    assert unquoted_reasons[0] == quoted_reasons[0]


def test_scores_stay_within_zero_and_one() -> None:
    index = build_index(_trials())
    row = index.row_of("NCT00000200")
    assert row is not None
    query = query_of_rows(index, [row], text="recruited out of the companion study Anemia in the Elderly")
    total = score(index, query).total
    assert float(np.max(total)) <= 1.0 + 1e-9
    assert float(np.min(total)) >= 0.0


def test_a_typed_query_or_a_patient_is_not_taken_to_name_a_trial(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typed query or a patient's conditions may simply be a title's words; only a trial's own text
    names another trial by quoting its title."""
    index = build_index(_trials())
    text = "anemia in the elderly"
    totals = []
    for bonus in (0.0, 0.5):
        monkeypatch.setattr(similarity, "QUOTED_BONUS", bonus)
        query = query_of_features(index, text_features(text))
        totals.append(score(index, query).total)
        partner = index.row_of("NCT00000202")
        assert partner is not None
        assert not any(r.startswith("named by its title") for r in reasons(index, query, partner))
    assert np.array_equal(totals[0], totals[1])


def test_an_unindexed_trial_names_a_trial_by_its_title() -> None:
    trials = _trials()
    index = build_index(trials[1:])
    query = _trial_query(index, trials[0])
    partner = index.row_of("NCT00000202")
    assert partner is not None
    assert top_rows(score(index, query), 1) == [partner]
    assert reasons(index, query, partner)[0].startswith("named by its title")


def test_a_title_shared_by_the_query_s_own_title_is_said_to_be_shared() -> None:
    index = build_index(_trials())
    row = index.row_of("NCT00000200")
    partner = index.row_of("NCT00000202")
    assert row is not None and partner is not None
    own_title = "Epoetin alfa for Anemia in the Elderly"
    query = query_of_rows(index, [row], text=f"{own_title} ; a study of epoetin", title=own_title)
    shared = "its whole title is in this trial's title: “Anemia in the Elderly”"
    assert reasons(index, query, partner)[0] == shared
