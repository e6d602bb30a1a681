"""Who runs a trial and where: names normalised ("John A. Smith, MD" is "Smith J"), roles and generic
site names left out, rarity counted among the trials that say who runs them, a sister study found by
its investigator and sites, reasons in words, and the family kept through a patch and a save."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import trialatlas.related.reasons as reason_words
import trialatlas.related.similarity as similarity
from trialatlas.model import Location, Official, Sponsor, Trial
from trialatlas.related.features import text_features
from trialatlas.related.index import build_index, load_index, patch_index, save_index
from trialatlas.related.people import organisation_key, person_key, site_key, who_features, who_reasons
from trialatlas.related.similarity import query_of_features, query_of_rows, reasons, score, top_rows


@pytest.mark.parametrize(
    "name",
    ["John A. Smith, MD", "Dr. John Smith", "Smith J", "Smith JA", "Smith, John", "JOHN SMITH, M.D., Ph.D."],
)
def test_one_person_written_many_ways_is_one_key(name: str) -> None:
    assert person_key(name) == "smith j"


@pytest.mark.parametrize(
    "name",
    [
        "Medical Monitor",
        "GSK Clinical Trials",
        "Bayer Study Director",
        "Call 1-877-CTLILLY (1-877-285-4559)",
        "Pfizer CT.gov Call Center",
        "Smith",
        "",
        None,
    ],
)
def test_roles_and_service_lines_are_no_person(name: str | None) -> None:
    assert person_key(name) is None


def test_degrees_without_a_comma_and_initials_are_told_apart() -> None:
    assert person_key("Michael A Kass MD") == "kass m"
    assert person_key("Corey L") == "corey l"
    assert person_key("John Li") == "li j"
    assert person_key("Charles O'Brien, M.D.") == "obrien c"


def test_organisations_and_sites() -> None:
    assert organisation_key("National Cancer Institute (NCI)") == "national cancer institute"
    assert site_key("Mayo Clinic", "Rochester") == "mayo clinic | rochester"
    assert site_key("Novartis Investigative Site", "Basel") is None
    assert site_key("Research Site", "Boston") is None
    assert site_key(None, "Boston") is None
    long_name = "For additional information regarding investigative sites for this trial, contact the sponsor"
    assert site_key(long_name, None) is None


def _full(
    nct: str,
    title: str,
    *,
    sponsor: str,
    official: str | None = None,
    affiliation: str | None = None,
    sites: tuple[tuple[str, str], ...] = (),
    summary: str = "",
) -> Trial:
    return Trial(
        nct_id=nct,
        brief_title=title,
        brief_summary=summary or title,
        lead_sponsor=Sponsor(name=sponsor),
        officials=[Official(name=official, affiliation=affiliation)] if official else [],
        locations=[Location(facility=facility, city=city) for facility, city in sites],
    )


def test_features_weigh_the_sites_together_as_one_sponsor() -> None:
    sites = tuple((f"Hospital {chr(65 + i)}", "Lyon") for i in range(9))
    trial = _full(
        "NCT00000402",
        "A trial",
        sponsor="Small Group",
        official="Jane Q. Doe, MD",
        affiliation="Lyon University",
        sites=sites,
    )
    features = who_features(trial)
    assert features["s:small group"] == 1.0
    assert features["p:doe j"] == 1.0
    assert features["a:lyon university"] == 0.5
    site_weights = [w for f, w in features.items() if f.startswith("f:")]
    assert len(site_weights) == 9
    assert math.isclose(sum(w * w for w in site_weights), 1.0)
    assert who_features(Trial(nct_id="NCT00000404", brief_title="Text only")) == {}


_SITES = (("Hopital Edouard Herriot", "Lyon"), ("Clinique du Parc", "Lyon"), ("CHU Grenoble", "Grenoble"))
_WORDS = "sertraline depression after stroke mood recovery"


def _programme() -> list[Trial]:
    """A query, its sister study (same investigator and sites, another drug and other words), trials
    sharing more of its words run by others, a big sponsor's trials, and text-only records."""
    query = _full(
        "NCT00000600",
        "Sertraline for depression after stroke",
        sponsor="Lyon Neuropsychiatry Network",
        official="Pierre A. Martin, MD, PhD",
        sites=_SITES,
        summary=_WORDS,
    )
    sister = _full(
        "NCT00000602",
        "Nimodipine in vascular depression",
        sponsor="Lyon Neuropsychiatry Network",
        official="Martin P",
        sites=_SITES[:2],
        summary="calcium channel blocker for late life vascular depression",
    )
    others = [
        _full(
            f"NCT0000{700 + 2 * i:04d}",
            f"Sertraline for depression after stroke, cohort {i}",
            sponsor="Big Pharma",
            official="Medical Monitor",
            sites=(("Big Pharma Investigative Site", "Paris"),),
            summary=f"{_WORDS} cohort {i}",
        )
        for i in range(12)
    ]
    text_only = [
        Trial(nct_id=f"NCT0000{900 + 2 * i:04d}", brief_title=f"Knee surgery {i}") for i in range(20)
    ]
    return [query, sister, *others, *text_only]


def _rank_of_sister(monkeypatch: pytest.MonkeyPatch, weight: float) -> tuple[int, list[str]]:
    monkeypatch.setattr(similarity, "RERANK", {**similarity.RERANK, "who": weight})
    trials = _programme()
    index = build_index(trials)
    row, sister = index.row_of("NCT00000600"), index.row_of("NCT00000602")
    assert row is not None and sister is not None
    query = query_of_rows(index, [row], text=f"{trials[0].brief_title} ; {_WORDS}")
    ranked = top_rows(score(index, query), 20)
    return ranked.index(sister) + 1, reasons(index, query, sister)


def test_a_sister_study_in_other_words_is_found_by_who_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    without, _ = _rank_of_sister(monkeypatch, 0.0)
    with_who, why = _rank_of_sister(monkeypatch, 1.0)
    assert without > 10
    assert with_who == 1
    assert "same sponsor: lyon neuropsychiatry network" in why
    assert "same investigator: P. Martin" in why
    assert "run at 2 of the same sites" in why


def test_rarity_is_counted_among_the_trials_that_say_who_runs_them() -> None:
    index = build_index(_programme())
    family = index.families["who"]
    holders = int(family.has().sum())
    assert holders == 14  # the query, its sister and the 12 others; not the 20 text-only records
    big = family.ids["s:big pharma"]
    small = family.ids["s:lyon neuropsychiatry network"]
    assert math.isclose(float(family.idf[big]), math.log((1 + holders) / (1 + 12)) + 1, rel_tol=1e-6)
    assert math.isclose(float(family.idf[small]), math.log((1 + holders) / (1 + 2)) + 1, rel_tol=1e-6)


def test_queries_that_do_not_say_who_are_ranked_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    index = build_index(_programme())
    totals = []
    for weight in (0.0, 1.0):
        monkeypatch.setattr(similarity, "RERANK", {**similarity.RERANK, "who": weight})
        query = query_of_features(index, text_features("sertraline for depression after stroke"))
        totals.append(score(index, query).total)
    assert np.array_equal(totals[0], totals[1])


def test_reasons_name_what_is_shared() -> None:
    assert who_reasons(["s:small group", "p:doe j", "p:roe r", "f:chu grenoble | grenoble"]) == [
        "same sponsor: small group",
        "same investigators: J. Doe, R. Roe",
        "run at the same site: chu grenoble, grenoble",
    ]
    assert who_reasons(["a:lyon university"]) == ["investigators from lyon university"]
    assert who_reasons(["s:pfizer", "a:pfizer"]) == ["same sponsor: pfizer"]
    assert who_reasons([]) == []


def test_the_family_is_kept_through_a_patch_and_a_save(tmp_path: Path) -> None:
    trials = _programme()
    base = build_index([t for t in trials if t.key != "NCT00000602"], {"seq": 1})
    patched = patch_index(base, [trials[1]], set(), 2)
    row, sister = patched.row_of("NCT00000600"), patched.row_of("NCT00000602")
    assert row is not None and sister is not None
    family = patched.families["who"]
    # The patched-in trial's people and sites are found from the query's.
    names = [{family.vocab[i] for i in family.row(r)[0].tolist()} for r in (row, sister)]
    shared = names[0] & names[1]
    assert {"s:lyon neuropsychiatry network", "p:martin p"} <= shared
    path = tmp_path / "store.db.related.arrays"
    save_index(patched, path)
    loaded = load_index(path)
    assert loaded is not None
    assert loaded.families["who"].vocab == family.vocab
    assert np.array_equal(loaded.families["who"].weights, family.weights)


def test_reasons_leave_out_a_sponsor_many_trials_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """The query's cohorts share "Big Pharma" with 11 other trials (more than WHO_TELLING_TRIALS): a
    reader learns nothing from it; the sister's small sponsor (2 trials) is named."""
    assert reason_words.WHO_TELLING_TRIALS < 12
    trials = _programme()
    index = build_index(trials)
    first, second = index.row_of("NCT00000700"), index.row_of("NCT00000702")
    assert first is not None and second is not None
    query = query_of_rows(index, [first], text=trials[2].brief_summary or "")
    assert not any("big pharma" in reason for reason in reasons(index, query, second))
    monkeypatch.setattr(reason_words, "WHO_TELLING_TRIALS", 12.0)
    assert "same sponsor: big pharma" in reasons(index, query, second)
