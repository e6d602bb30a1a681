"""Reasons name the trials' subject, not who runs them (issue #19, room relreasons2): words a text uses
only in an organisation's name, its bracketed abbreviation or an e-mail address, words of the sponsors',
sites' and countries' names, and number ranges are no shared terms; a passage a unit's template shares
with many of its trials is no copied passage, though the ranking still counts it; the round 14 fixture
is well formed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import trialatlas.related.reasons as reason_words
from trialatlas.model import Sponsor, Trial
from trialatlas.related.index import RelatedIndex, build_index
from trialatlas.related.passages import COMMON_TRIALS, COPIED_TRIALS
from trialatlas.related.similarity import query_of_rows, reasons
from trialatlas.related.terms import about_subject, checkable_term, who_only_words, who_shingles, who_words
from trialatlas.text.shingles import shingle_hashes

FIXTURE = Path(__file__).parent / "fixtures" / "related_reason_terms.json"
UNIT = (
    "Where is the study run from? National Perinatal Epidemiology Unit (NPEU), University of Oxford (UK). "
    "Who is funding the study? National Institute for Health and Care Research (NIHR). "
    "Who is the main contact? toast@npeu.ox.ac.uk"
)
# Who runs a pair of trials only, every run of five words touching a name: no passage one copied from
# the other ("The trial is coordinated by" before it would be five words of their own).
SMALL_UNIT = (
    "Run by the Wessex Neonatal Clinical Trials and Outcomes Research Unit at "
    "Princess Anne Hospital Southampton, sponsored by the University Hospital Southampton NHS Foundation "
    "Trust (UHS), contact wessex.trials@uhs.nhs.uk or www.wessex-neonatal.org.uk for details."
)
# A passage a sister study copies: its subject.
SUBJECT = (
    "Infants with long gap oesophageal atresia receive omeprazole twice daily from the first feed after "
    "the anastomosis until the first dilatation of an anastomotic stricture or twelve months of age. "
    "The primary outcome is the number of dilatations of the anastomosis in the first year of life, "
    "counted from the surgical and endoscopy records of the treating centre by a masked assessor."
)
# A template every trial of the unit carries (more than COPIED_TRIALS of them, fewer than COMMON_TRIALS).
TEMPLATE = (
    "When is the study starting and how long is it expected to run for? The trial steering committee "
    "and the data monitoring committee of the perinatal trials unit meet twice a year to review progress."
)


def _trial(nct: str, summary: str, sponsor: str | None = None) -> Trial:
    trial = Trial(nct_id=nct, brief_title=f"Study {nct}", brief_summary=summary)
    if sponsor:
        trial.lead_sponsor = Sponsor(name=sponsor)
    return trial


@pytest.fixture(scope="module")
def index() -> RelatedIndex:
    atresia = "Oesophageal atresia: omeprazole prophylaxis after anastomosis, anastomotic stricture."
    unit = [
        _trial(f"NCT1000000{i}", f"{TEMPLATE} Trial {i} of perinatal care. {UNIT}") for i in range(0, 8, 2)
    ]
    pair = [
        _trial("NCT20000000", f"{atresia} {UNIT} {TEMPLATE}", "Wessex Neonatal Group"),
        _trial("NCT20000002", f"{atresia} {UNIT} {TEMPLATE}", "Wessex Neonatal Group"),
    ]
    pair += [
        _trial("NCT30000000", f"Cord clamping in preterm infants. {SMALL_UNIT}"),
        _trial("NCT30000002", f"Caffeine dosing in apnoea of prematurity. {SMALL_UNIT}"),
        _trial("NCT40000000", f"{SUBJECT} First study."),
        _trial("NCT40000002", f"{SUBJECT} Extension study."),
    ]
    others = [_trial(f"NCT0000{300 + 2 * i:04d}", f"Walking programme {i} for adults.") for i in range(30)]
    return build_index([*pair, *unit, *others])


def test_words_used_only_in_who_runs_a_trial() -> None:
    text = f"Oesophageal atresia in the UK; perinatal outcomes. {UNIT}"
    only = who_only_words(text)
    assert {"npeu", "nihr"} <= only
    # Used outside the names too: the subject, a country (left to who_words), a word of the unit's name.
    assert not {"oesophage", "oesophageal", "atresia", "perinat", "perinatal", "uk"} & only
    assert "npeu" not in who_only_words("NPEU scores were compared")


def test_who_words_are_the_store_names_and_countries_less_domain_words(index: RelatedIndex) -> None:
    who = who_words(index, ["s:wessex neonatal group", "g:united kingdom", "p:smith j"])
    assert {"wessex", "uk", "kingdom"} <= who
    assert "smith" not in who
    assert not about_subject(index, "npeu", frozenset({"npeu"}), frozenset())
    assert not about_subject(index, "uk", frozenset(), who)
    assert about_subject(index, "atresia", frozenset({"npeu"}), who)


def test_number_ranges_are_no_terms(index: RelatedIndex) -> None:
    assert not checkable_term(index, "10-30")
    assert not checkable_term(index, "16-32")
    assert checkable_term(index, "31-8959")  # saquinavir's code (Ro 31-8959), not a range


def test_reasons_name_the_subject_not_the_unit(index: RelatedIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reason_words, "TELLING_SHARE", 1.0)
    first, second = index.row_of("NCT20000000"), index.row_of("NCT20000002")
    assert first is not None and second is not None
    text = f"Oesophageal atresia: omeprazole prophylaxis after anastomosis, anastomotic stricture. {UNIT}"
    query = query_of_rows(index, [first], text=text)
    said = reasons(index, query, second)
    named = [r for r in said if r.startswith("shared terms: ")]
    assert named, said
    terms = set(named[0].removeprefix("shared terms: ").split(", "))
    assert not {"npeu", "nihr", "uk", "wessex", "ox"} & terms
    assert terms & {"atresia", "anastomosis", "anastomot", "anastomotic", "omeprazole", "stricture"}


def test_a_units_template_is_no_copied_passage(index: RelatedIndex) -> None:
    passages = index.passages
    template = shingle_hashes(TEMPLATE)
    row = index.row_of("NCT10000000")
    assert row is not None
    telling = passages.telling(passages.of_row(row)[0])
    # The template's shingles are telling (6 trials hold them: the ranking counts them) but not copied.
    held = np.intersect1d(telling, template)
    assert held.size > 0
    holders = passages.telling_trials[np.searchsorted(passages.telling_hashes, held)]
    assert (holders > COPIED_TRIALS).all() and (holders <= COMMON_TRIALS).all()
    assert passages.copied(held).size == 0
    other = index.row_of("NCT10000002")
    assert other is not None
    assert passages.shared_counts(held, np.asarray([other], dtype=np.int64))[0][0] > 0
    query = query_of_rows(index, [row], text=TEMPLATE)
    assert not [r for r in reasons(index, query, other) if r.startswith("same passages")]


def test_a_passage_in_who_runs_the_trials_is_no_copied_passage(index: RelatedIndex) -> None:
    text = f"Cord clamping in preterm infants. {SMALL_UNIT}"
    assert who_shingles(text).size > 0
    assert np.intersect1d(who_shingles(f"{SUBJECT} {SMALL_UNIT}"), shingle_hashes(SUBJECT)).size == 0
    said: dict[str, list[str]] = {}
    for first, second, words in (
        ("NCT30000000", "NCT30000002", text),
        ("NCT40000000", "NCT40000002", f"{SUBJECT} First study."),
    ):
        row, other = index.row_of(first), index.row_of(second)
        assert row is not None and other is not None
        # Both pairs share telling shingles (the ranking counts them), held by the two trials alone.
        telling = index.passages.telling(index.passages.of_row(row)[0])
        assert index.passages.shared_counts(telling, np.asarray([other], dtype=np.int64))[0][0] > 0
        said[first] = reasons(index, query_of_rows(index, [row], text=words), other)
    assert not [r for r in said["NCT30000000"] if r.startswith("same passages")]
    assert [r for r in said["NCT40000000"] if r.startswith("same passages")]


def test_round14_fixture_is_well_formed() -> None:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))["round14"]
    trials = fixture["trials"]
    assert len({t["nct"] for t in trials}) == len(trials) >= 16
    assert sum(not t["nct"].startswith("NCT") for t in trials) >= len(trials) // 2
    for position, trial in enumerate(trials):
        assert trial["half"] == ("tuning" if position % 2 == 0 else "sealed")
        assert int(trial["nct"][-1]) % 2 == 0, trial["nct"]
        assert not set(trial["accepted"]) & set(trial["filler"])
        assert not set(trial["passages_accepted"]) & set(trial["passages_filler"])
        assert trial["accepted"] or trial["filler"] or trial["passages_accepted"] or trial["passages_filler"]
    for half in (trials[::2], trials[1::2]):
        assert sum(len(t["passages_filler"]) for t in half)
