"""Expansions: Schwartz–Hearst pairs, the reviewed list, context-dependent senses, the drug vocabulary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from trialatlas.search.document import _content_words, _mesh_pairs, trial_texts
from trialatlas.search.synonyms import (
    Expander,
    _best_long_form,
    _best_long_form_by_letter,
    _last_words,
    compact,
    drug_rows,
    find_abbreviations,
    norm,
    reviewed,
)
from trialatlas.services.ingest import ingest
from trialatlas.store import MemoryStore
from trialatlas.text import drugs
from trialatlas.text.drugs import packaged_drug_names


class FakeLexicon:
    """What an index would have learned, given as plain data."""

    def __init__(
        self,
        learned: dict[str, list[tuple[str, str, int]]] | None = None,
        drugs: dict[str, list[str]] | None = None,
        cooccurrence: dict[str, int] | None = None,
    ) -> None:
        self._learned = learned or {}
        self._drugs = drugs or {}
        self._co = cooccurrence or {}

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        return {key: self._learned[key] for key in keys if key in self._learned}

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        return {key: self._drugs[key] for key in keys if key in self._drugs}

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        return self._co.get(phrase, 0)


def test_schwartz_hearst_finds_long_forms_both_ways() -> None:
    text = (
        "Patients with lupus nephritis (LN) receive mycophenolate mofetil (MMF; 2 g/day) or tacrolimus (TAC)."
        " IgG4-related disease (IgG4-RD) is fibro-inflammatory. The UPCR (urine protein to creatinine ratio)"
        " falls. Results (n = 20) were reported (e.g. in Table 2) by the steering committee (SC)."
    )
    pairs = dict(find_abbreviations(text))
    assert pairs["LN"] == "lupus nephritis"
    assert pairs["MMF"] == "mycophenolate mofetil"
    assert pairs["TAC"] == "tacrolimus"
    assert pairs["IgG4-RD"] == "IgG4-related disease"
    assert pairs["UPCR"] == "urine protein to creatinine ratio"
    assert pairs["SC"] == "steering committee"
    assert "n = 20" not in pairs and "e.g. in Table 2" not in pairs


def test_normalisation_matches_what_fts5_keeps() -> None:
    assert norm("Sjögren’s  Syndrome") == "sjogren s syndrome"
    assert compact("FK-506") == compact("FK 506") == compact("fk506")


def test_reviewed_list_is_well_formed() -> None:
    vocabulary = reviewed()
    assert len(vocabulary.senses) > 100
    for key, senses in vocabulary.senses.items():
        for sense in senses:
            assert sense.expansion.strip(), key
            # An ambiguous short form needs cues (or a default) for every sense to be decidable.
            if len(senses) > 1:
                assert sense.cues or sense.default, f"{key}: {sense.expansion} has no cues"


def test_abbreviation_expands_both_ways() -> None:
    expander = Expander(FakeLexicon())
    assert "mycophenolate mofetil" in expander.expand("MMF", []).phrases
    assert "MMF" in expander.expand("mycophenolate mofetil", []).phrases
    assert "tacrolimus" in expander.expand("FK506", []).phrases
    assert "FK506" in expander.expand("tacrolimus", []).phrases


def test_ambiguous_abbreviation_follows_the_context() -> None:
    expander = Expander(FakeLexicon())
    lupus = expander.expand("TAC", ["lupus", "nephritis"])
    assert "tacrolimus" in lupus.phrases and "docetaxel doxorubicin cyclophosphamide" not in lupus.phrases
    breast = expander.expand("TAC", ["adjuvant", "breast", "cancer"])
    assert "docetaxel doxorubicin cyclophosphamide" in breast.phrases and "tacrolimus" not in breast.phrases
    nodes = expander.expand("LN", ["sentinel", "biopsy"])
    assert "lymph node" in nodes.phrases and "lupus nephritis" not in nodes.phrases
    # No sense agrees and nothing co-occurs: nothing is added rather than a guess.
    unrelated = expander.expand("PD", ["quality", "questionnaire"])
    assert unrelated.phrases == [] and set(unrelated.skipped) == {"Parkinson disease", "peritoneal dialysis"}


def test_case_only_abbreviations_need_capitals() -> None:
    expander = Expander(FakeLexicon())
    assert "acute lymphoblastic leukemia" in expander.expand("ALL", []).phrases
    assert expander.expand("all", []).phrases == []
    assert expander.expand("ms", []).phrases == []


def test_learned_senses_and_cooccurrence_decide_unknown_abbreviations() -> None:
    learned = {
        "vcs": [("abbr", "voclosporin", 6)],
        "xyz": [("abbr", "xylitol zinc", 5), ("abbr", "xenon yttrium zirconium", 5)],
    }
    lexicon = FakeLexicon(learned, cooccurrence={"xylitol zinc": 9, "xenon yttrium zirconium": 0})
    expander = Expander(lexicon)
    assert expander.expand("VCS", []).phrases == ["voclosporin"]
    with_context = expander.expand("XYZ", ["caries"])
    assert with_context.phrases == ["xylitol zinc"]
    assert Expander(FakeLexicon(learned)).expand("XYZ", []).phrases == []


def test_rare_learned_noise_is_not_a_sense() -> None:
    learned = {
        "sle": [("abbr", "systemic lupus erythematosus", 40), ("abbr", "systemic lupus erythematous", 3)]
    }
    expansion = Expander(FakeLexicon(learned)).expand("SLE", [])
    assert "systemic lupus erythematosus" in expansion.phrases
    assert "systemic lupus erythematous" not in expansion.phrases


def test_reverse_expansion_needs_a_dominant_short_form() -> None:
    learned = {
        "breast cancer": [("abbr_of", "brca", 4), ("abbr_of", "bc", 2)],
        "brca": [("abbr", "breast cancer", 4), ("abbr", "breast cancer gene", 30)],
        "bc": [("abbr", "breast cancer", 2)],
    }
    expansion = Expander(FakeLexicon(learned)).expand("breast cancer", [])
    assert "brca" not in expansion.phrases


def test_mesh_pairs_never_broaden() -> None:
    learned = {"lupus nephritis": [("mesh", "nephritis", 30), ("mesh", "lupus erythematosus systemic", 12)]}
    expansion = Expander(FakeLexicon(learned)).expand("lupus nephritis", [])
    assert "nephritis" not in expansion.phrases
    assert "lupus erythematosus systemic" in expansion.phrases


def test_drug_names_from_the_lexicon_are_added() -> None:
    lexicon = FakeLexicon(drugs={"prograf": ["tacrolimus", "advagraf"]})
    phrases = Expander(lexicon).expand("Prograf", []).phrases
    assert "tacrolimus" in phrases and "advagraf" in phrases


def test_the_packaged_drug_vocabulary_knows_brands() -> None:
    if not packaged_drug_names():
        pytest.fail("drug-named-entity-recognition is a dependency: install it (pip install -e .)")
    rows = {(name, generic) for name, generic, _ in drug_rows()}
    assert ("prograf", "tacrolimus") in rows
    assert ("cellcept", "mycophenolate") in rows
    assert all("," not in name and len(name) >= 4 for name, _ in rows)


def test_the_drug_rows_are_made_once_per_vocabulary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = drug_rows()
    assert drug_rows() is first  # an index build reads them, never normalises them again
    monkeypatch.setenv("TRIALATLAS_CACHE", str(tmp_path))
    monkeypatch.setattr(drugs, "_from_package", lambda: [("Zyxobrand", "zyxogeneric", True)])
    packaged_drug_names.cache_clear()
    try:
        if not packaged_drug_names():
            pytest.fail("drug-named-entity-recognition is a dependency: install it (pip install -e .)")
        changed = drug_rows()  # another vocabulary: made again
        assert ("zyxobrand", "zyxogeneric", 1) in changed and ("prograf", "tacrolimus", 1) not in changed
    finally:
        monkeypatch.undo()
        packaged_drug_names.cache_clear()
    assert {row[:2] for row in drug_rows()} == {row[:2] for row in first}


def _mesh_pairs_pair_by_pair(names: list[str], terms: list[str]) -> list[tuple[str, str]]:
    """The definition: each name against each term, normalised afresh."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        for term in terms:
            if len(names) == 1 or _content_words(name) & _content_words(term):
                a, b = norm(name), norm(term)
                if a and b and a != b:
                    pairs.extend([(a, b), (b, a)])
    return pairs


@pytest.mark.slow
def test_mesh_pairs_are_those_of_pairing_each_name_with_each_term(v2_jsonl: Path) -> None:
    store = MemoryStore()
    ingest([v2_jsonl], store)
    compared = 0
    for trial in store.iter_trials():
        for names, terms in (
            (trial.conditions, [m.term for m in trial.condition_mesh][:3]),
            ([i.name for i in trial.interventions], [m.term for m in trial.intervention_mesh][:3]),
        ):
            kept = [name for name in names if name.strip()]
            assert _mesh_pairs(kept, terms) == _mesh_pairs_pair_by_pair(kept, terms)
            compared += bool(_mesh_pairs(kept, terms))
    assert compared > 300


@pytest.mark.slow
def test_long_forms_are_those_of_comparing_letter_by_letter(v2_jsonl: Path) -> None:
    """Over the API v2 sample's texts, the long form found by searching a lower-cased ASCII text is
    the one found letter by letter, and a parenthesis's last words are those of splitting all."""
    store = MemoryStore()
    ingest([v2_jsonl], store)
    compared = found = 0
    for trial in store.iter_trials():
        for text in trial_texts(trial):
            for match in re.finditer(r"\(([^()]{1,120})\)", text):
                before = text[max(0, match.start() - 300) : match.start()]
                words = re.findall(r"\S+", before)
                for count in (1, 4, 15):
                    assert _last_words(before, count) == words[-count:]
                inside = match.group(1).strip()
                shorts = {inside, inside.upper(), *(word.strip(".,;:") for word in words[-2:])}
                for short in shorts:
                    for long in (" ".join(words[-15:]), inside, " ".join(words[-15:]).upper()):
                        expected = _best_long_form_by_letter(short, long)
                        assert _best_long_form(short, long) == expected, (short, long)
                        compared += 1
                        found += expected is not None
    assert compared > 20_000 and found > 2_000
