"""Shared terms a person can check (issue #19): a related trial's "shared terms" name no common English
word ("eventually", "bring") unless it is a domain name of the store's vocabularies ("cancer") or the
regimen vocabulary ("insulin"), or an abbreviation the query's text defines ("(MAC)"); the hand-labelled
fixture of shown terms is well formed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trialatlas.related.reasons as reason_words
from trialatlas.model import Intervention, InterventionType, Trial
from trialatlas.related.index import RelatedIndex, build_index
from trialatlas.related.similarity import query_of_rows, reasons
from trialatlas.related.terms import COMMON_ZIPF, checkable_term, domain_words
from trialatlas.text.packaged import packaged_text
from trialatlas.text.words import english_zipf

FIXTURE = Path(__file__).parent / "fixtures" / "related_reason_terms.json"


def _trial(nct: str, title: str, summary: str, conditions: list[str], drug: str | None = None) -> Trial:
    interventions = [Intervention(type=InterventionType.DRUG, name=drug)] if drug else []
    return Trial(
        nct_id=nct,
        brief_title=title,
        brief_summary=summary,
        conditions=conditions,
        interventions=interventions,
    )


@pytest.fixture(scope="module")
def index() -> RelatedIndex:
    trials = [
        _trial(
            "NCT00000001",
            "Voclosporin in lupus nephritis",
            "Voclosporin will eventually bring remission; Mycobacterium avium complex (MAC) excluded.",
            ["Lupus Nephritis", "Cancer", "Small Cell Lung Carcinoma"],
            "Voclosporin",
        ),
        _trial(
            "NCT00000002",
            "Voclosporin for lupus nephritis, second study",
            "Voclosporin may eventually bring remission; no mac infection.",
            ["Lupus Nephritis"],
            "Voclosporin",
        ),
        *(
            _trial(f"NCT0000010{i}", f"Exercise study {i}", f"Walking program {i} for adults.", ["Obesity"])
            for i in range(8)
        ),
    ]
    return build_index(trials)


def test_common_english_is_data_most_common_first() -> None:
    rows = [line.split() for line in packaged_text("trialatlas.text", "common_english.txt").splitlines()]
    values = [float(value) for word, value in (row for row in rows if row[0] != "#")]
    assert values == sorted(values, reverse=True)
    assert min(values) >= 3.0


def test_general_english_frequency_tells_filler_from_drug_names() -> None:
    zipf = english_zipf()
    for filler in ("eventually", "bring", "agent", "thoroughly"):
        assert zipf[filler] >= COMMON_ZIPF
    for rare in ("tacrolimus", "voclosporin", "mycophenolate"):
        assert zipf.get(rare, 0.0) < COMMON_ZIPF
    # A plural's stem counts as common as the plural: text features are stems ("losses" -> "losse").
    assert zipf["losse"] >= zipf["losses"]


def test_domain_words_are_whole_names_and_word_pairs_of_longer_ones(index: RelatedIndex) -> None:
    domain = domain_words(index)
    assert {"cancer", "small cell", "lupus nephritis", "voclosporin"} <= domain
    assert "small" not in domain
    assert "eventually" not in domain


def test_a_term_is_named_when_a_person_can_check_it(index: RelatedIndex) -> None:
    text = "Mycobacterium avium complex (MAC) excluded."
    assert not checkable_term(index, "eventually", text)
    assert not checkable_term(index, "bring", text)
    assert not checkable_term(index, "eventually bring", text)
    assert checkable_term(index, "voclosporin", text)
    assert checkable_term(index, "cancer", text)  # common English, a condition of the store
    assert checkable_term(index, "insulin", text)  # common English, a drug of the regimen vocabulary
    assert checkable_term(index, "small cell", text)
    assert checkable_term(index, "mac", text)  # an abbreviation the text defines
    assert not checkable_term(index, "mac", "a mac computer")


def test_reasons_name_no_common_words(index: RelatedIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every shared word counts as rare in this small store, as "bring" does in the make-run store.
    monkeypatch.setattr(reason_words, "TELLING_SHARE", 1.0)
    query = query_of_rows(index, [0], text="Voclosporin will eventually bring remission (MAC)")
    row = index.row_of("NCT00000002")
    assert row is not None
    named = [r for r in reasons(index, query, row) if r.startswith("shared terms: ")]
    assert named, "the two trials share telling words"
    terms = named[0].removeprefix("shared terms: ").split(", ")
    assert all(checkable_term(index, term, query.text) for term in terms)
    assert not {"eventually", "bring", "eventually bring"} & set(terms)


def test_labelled_terms_fixture_is_well_formed() -> None:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    trials = fixture["trials"]
    assert len({t["nct"] for t in trials}) == len(trials) >= 30
    for position, trial in enumerate(trials):
        assert trial["half"] == ("tuning" if position % 2 == 0 else "sealed")
        # Related label sets hold even-numbered trials only: odd ones are held back for scoring.
        assert int(trial["nct"][-1]) % 2 == 0, trial["nct"]
        assert not set(trial["accepted"]) & set(trial["filler"])
        assert trial["accepted"] or trial["filler"]
    assert sum(len(t["filler"]) for t in trials[::2]) and sum(len(t["filler"]) for t in trials[1::2])
