"""What a trial is made of, for similarity: weighted sparse features per family, and a few scalars.

Families are compared separately (each one a cosine over idf-weighted features), so that a trial that
shares its condition but not its drug scores differently from one that shares only words:

- ``cond``: the conditions as written and as MeSH terms (``c:``), their words (``cw:``), MeSH
  ancestors (``ca:``), and the criteria vocabulary's concepts found in conditions and titles, which
  know synonyms and abbreviations ("LN" is lupus nephritis, ``cv:``) and broader concepts (``cb:``);
- ``drug``: drugs normalised by the regimen vocabulary (``d:``, "Prograf" is tacrolimus), their classes
  (``dc:``), other interventions by name (``i:``), intervention MeSH terms (``dm:``) and ancestors
  (``ia:``);
- ``text``: words and title bigrams of titles, summaries, descriptions, keywords and eligibility;
- ``outc``: words of outcome measures;
- ``geo``: countries;
- ``who``: who runs the trial and where (sponsor, investigators, their institutions, sites), see
  :mod:`trialatlas.related.people`; a rerank signal of its own, not part of the structured mean.

Weights here are the field weights before idf; the index multiplies by idf and normalises.
Partial trials (description dumps) have only text, so their conditions and drugs are read from the
title and summary with the same vocabularies.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from trialatlas.extract.criteria.vocab import broader_concepts, condition_matcher, conditions
from trialatlas.extract.regimen.drugs import find_mentions, lookup
from trialatlas.model import InterventionType, Masking, Trial
from trialatlas.related.people import who_features
from trialatlas.text.shingles import U64, shingle_hashes
from trialatlas.text.words import stem, stop_words, tokens

FAMILIES: tuple[str, ...] = ("cond", "drug", "text", "outc", "geo", "who")

# Share of an occurrence that a broader or looser match carries against an exact one.
_ANCESTOR = 0.3
_CONDITION_WORD = 0.3
_DRUG_CLASS = 0.4
_INTERVENTION_TYPE_DRUGLIKE = frozenset(
    {
        InterventionType.DRUG,
        InterventionType.BIOLOGICAL,
        InterventionType.COMBINATION_PRODUCT,
        InterventionType.DIETARY_SUPPLEMENT,
        InterventionType.GENETIC,
    }
)
# Comparators every second trial has: sharing them says nothing about what a trial tests.
_NOT_TESTED = frozenset({"placebo", "sodium chloride", "vehicle", "standard of care", "usual care", "sham"})

# Text field weights: a title says what a trial is about far more densely than its description.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 3.0),
    ("official_title", 1.5),
    ("conditions", 2.0),
    ("keywords", 1.5),
    ("interventions", 1.5),
    ("summary", 1.5),
    ("description", 1.0),
    ("eligibility", 0.3),
)
_BIGRAM = 0.5
_SEPARATOR = " ; xsepx ; "
MAX_TEXT_FEATURES = 128

_STOP = stop_words("english", "trial")


@dataclass(slots=True)
class TrialFeatures:
    """A trial's similarity features: raw-weighted sparse families plus design and population scalars."""

    key: str
    title: str = ""
    families: dict[str, dict[str, float]] = field(default_factory=lambda: {f: {} for f in FAMILIES})
    study_type: str | None = None
    phases: tuple[str, ...] = ()
    allocation: str | None = None
    purpose: str | None = None
    model: str | None = None
    masked: bool | None = None
    min_age: float | None = None
    max_age: float | None = None
    sex: str | None = None
    healthy: bool | None = None
    partial: bool = False
    # All of the trial's own words, for the lexical (BM25 / TF-IDF) signal: see :func:`lexical_text`.
    text: str = ""
    # Sampled word shingles of the fields a sister study copies, and the field (PASSAGE_FIELDS) of
    # each: see :func:`passage_shingles` and :mod:`trialatlas.related.passages`.
    shingles: tuple[U64, npt.NDArray[np.uint8]] | None = None

    def add(self, family: str, feature: str, weight: float) -> None:
        bucket = self.families[family]
        bucket[feature] = bucket.get(feature, 0.0) + weight


# --- text ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 18)
def _keep(token: str) -> str | None:
    token = token.strip("-'")
    if len(token) < 2 or token in _STOP or token.isdigit():
        return None
    return stem(token)


def words(text: str) -> list[str]:
    """Lower-cased, stemmed content words (no stopwords, no bare numbers)."""
    return [kept for token in tokens(text, compounds=True) if (kept := _keep(token)) is not None]


def add_text(bucket: dict[str, float], text: str | None, weight: float, *, bigrams: bool = False) -> None:
    if not text:
        return
    tokens = words(text)
    for token in tokens:
        bucket[token] = bucket.get(token, 0.0) + weight
    if bigrams:
        for first, second in itertools.pairwise(tokens):
            gram = f"{first} {second}"
            bucket[gram] = bucket.get(gram, 0.0) + weight * _BIGRAM


def damp(bucket: dict[str, float]) -> dict[str, float]:
    """Sublinear term frequency: the tenth "lupus" in a description adds little to the first."""
    return {term: math.log1p(value) for term, value in bucket.items()}


# --- conditions ---------------------------------------------------------------------------------


def norm_phrase(text: str) -> str:
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()))


@cache
def concept_label(concept: str) -> str:
    """The display name of a criteria-vocabulary concept ("lupus_nephritis" → "lupus nephritis")."""
    entry = conditions().get(concept, {})
    names: list[str] = entry.get("names", [])
    return names[0] if names else concept.replace("_", " ")


def _add_concepts(features: TrialFeatures, text: str, weight: float) -> None:
    for mention in condition_matcher().find(text):
        features.add("cond", f"cv:{mention.concept}", weight)
        for broader in broader_concepts(mention.concept) - {mention.concept}:
            features.add("cond", f"cb:{broader}", weight * _ANCESTOR)


def _condition_features(features: TrialFeatures, trial: Trial) -> None:
    named: list[str] = [*trial.conditions, *(term.term for term in trial.condition_mesh)]
    for name in named:
        phrase = norm_phrase(name)
        if not phrase:
            continue
        features.add("cond", f"c:{phrase}", 1.0)
        for word in set(words(name)):
            features.add("cond", f"cw:{word}", _CONDITION_WORD)
    for term in trial.condition_mesh_ancestors:
        phrase = norm_phrase(term.term)
        if phrase:
            features.add("cond", f"ca:{phrase}", _ANCESTOR)
    # Titles name the condition too, and for text-only trials they are all there is. One matcher
    # pass over all of them; the separator word keeps a name from running across two entries.
    sources = [*named, trial.brief_title or "", trial.official_title or ""]
    if not named:
        sources.append(trial.brief_summary or "")
    joined = _SEPARATOR.join(text for text in sources if text)
    if joined:
        _add_concepts(features, joined, 1.0)


# --- interventions ------------------------------------------------------------------------------


def add_drug_mentions(features: TrialFeatures, text: str, weight: float) -> bool:
    """Every drug the regimen vocabulary finds in ``text``; whether it found any."""
    found = False
    for mention in find_mentions(text):
        info = mention.info
        if info.name in _NOT_TESTED:
            continue
        found = True
        if info.is_class:
            features.add("drug", f"dc:{info.name}", weight)
            continue
        features.add("drug", f"d:{info.name}", weight)
        if info.drug_class and info.drug_class != "other":
            features.add("drug", f"dc:{info.drug_class}", weight * _DRUG_CLASS)
    return found


def _intervention_features(features: TrialFeatures, trial: Trial) -> None:
    for intervention in trial.interventions:
        drug_like = intervention.type is None or intervention.type in _INTERVENTION_TYPE_DRUGLIKE
        names = [intervention.name, *intervention.other_names[:3]]
        found = drug_like and any(add_drug_mentions(features, name, 1.0) for name in names)
        if found:
            continue
        phrase = norm_phrase(intervention.name)
        if phrase and phrase not in _NOT_TESTED and not phrase.startswith("placebo"):
            features.add("drug", f"i:{phrase}", 1.0)
    for term in trial.intervention_mesh:
        info = lookup(term.term)
        if info is not None and not info.is_class and info.name not in _NOT_TESTED:
            # MeSH files a drug under its parent substance (MMF as "Mycophenolic Acid"): it matches
            # like a named drug but reasons name it only when the interventions name nothing better.
            features.add("drug", f"dm:{info.name}", 1.0)
    for term in trial.intervention_mesh_ancestors:
        phrase = norm_phrase(term.term)
        if phrase:
            features.add("drug", f"ia:{phrase}", _ANCESTOR)
    if not trial.interventions:
        for text in (trial.brief_title, trial.official_title, trial.brief_summary):
            if text:
                add_drug_mentions(features, text, 1.0)


# --- the whole trial ----------------------------------------------------------------------------


def _eligibility_text(trial: Trial) -> str:
    eligibility = trial.eligibility
    if eligibility.criteria_text:
        return eligibility.criteria_text
    return "\n".join([*eligibility.inclusion, *eligibility.exclusion])


# The fields a sister study copies passages of, in code order.
PASSAGE_FIELDS: tuple[str, ...] = ("title", "description", "criteria", "outcomes")


def passage_texts(trial: Trial) -> dict[str, str]:
    """The trial's texts a sister study would copy, by field (empty fields left out)."""
    texts = {
        "title": " ; ".join(t for t in (trial.brief_title, trial.official_title) if t),
        "description": " ; ".join(t for t in (trial.brief_summary, trial.detailed_description) if t),
        "criteria": _eligibility_text(trial),
        "outcomes": " ; ".join(
            " ".join(part for part in (outcome.measure, outcome.description) if part)
            for outcome in trial.outcomes
        ),
    }
    return {name: text for name, text in texts.items() if text.strip()}


def passage_shingles(trial: Trial) -> tuple[U64, npt.NDArray[np.uint8]]:
    """The sampled shingles of each of the trial's passage fields: hashes, and the field of each."""
    hashes: list[U64] = []
    codes: list[npt.NDArray[np.uint8]] = []
    for name, text in passage_texts(trial).items():
        found = shingle_hashes(text)
        hashes.append(found)
        codes.append(np.full(found.size, PASSAGE_FIELDS.index(name), dtype=np.uint8))
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint8)
    return np.concatenate(hashes), np.concatenate(codes)


def lexical_text(trial: Trial) -> str:
    """All of a trial's own words that say what it is: titles, acronym, summary, description, conditions,
    keywords and interventions (not eligibility, whose boilerplate every trial shares)."""
    official = trial.official_title if trial.official_title != trial.brief_title else None
    parts = [
        trial.brief_title,
        official,
        trial.acronym,
        trial.brief_summary,
        trial.detailed_description,
        " ; ".join(trial.conditions),
        " ; ".join(trial.keywords),
        " ; ".join(i.name for i in trial.interventions),
    ]
    return " ; ".join(part for part in parts if part)


def title_text(trial: Trial) -> str:
    return " ; ".join(t for t in (trial.brief_title, trial.official_title, trial.acronym) if t)


def trial_features(trial: Trial) -> TrialFeatures:
    """The similarity features of one trial (no store, no idf: see the index for those)."""
    features = TrialFeatures(
        key=trial.key,
        title=trial.title,
        partial=trial.is_partial,
        text=lexical_text(trial),
        shingles=passage_shingles(trial),
    )
    _condition_features(features, trial)
    _intervention_features(features, trial)

    text: dict[str, float] = {}
    fields = {
        "title": trial.brief_title,
        "official_title": trial.official_title if trial.official_title != trial.brief_title else None,
        "conditions": " ; ".join(trial.conditions),
        "keywords": " ; ".join(trial.keywords),
        "interventions": " ; ".join(i.name for i in trial.interventions),
        "summary": trial.brief_summary,
        "description": trial.detailed_description,
        "eligibility": _eligibility_text(trial),
    }
    for name, weight in TEXT_FIELDS:
        add_text(text, fields[name], weight, bigrams=name in {"title", "official_title", "conditions"})
    features.families["text"] = damp(text)

    outcomes: dict[str, float] = {}
    for outcome in trial.outcomes:
        primary = outcome.kind is None or outcome.kind.value == "PRIMARY"
        add_text(outcomes, outcome.measure, 1.0 if primary else 0.5, bigrams=True)
    features.families["outc"] = damp(outcomes)

    for country in trial.countries:
        features.add("geo", f"g:{country}", 1.0)
    features.families["who"] = who_features(trial)

    design, eligibility = trial.design, trial.eligibility
    features.study_type = design.study_type.value if design.study_type else None
    features.phases = tuple(sorted(p.value for p in design.phases if p.value != "NA"))
    features.allocation = design.allocation.value if design.allocation else None
    features.purpose = design.primary_purpose.value if design.primary_purpose else None
    features.model = design.intervention_model.value if design.intervention_model else None
    features.masked = None if design.masking is None else design.masking is not Masking.NONE
    features.min_age = eligibility.minimum_age.years if eligibility.minimum_age else None
    features.max_age = eligibility.maximum_age.years if eligibility.maximum_age else None
    features.sex = eligibility.sex.value if eligibility.sex else None
    features.healthy = eligibility.healthy_volunteers
    return features


def text_features(text: str, key: str = "query") -> TrialFeatures:
    """Features of free text (a query, a note): its words, and the conditions and drugs it names."""
    features = TrialFeatures(key=key, title=text[:80], text=text)
    _add_concepts(features, text, 1.0)
    add_drug_mentions(features, text, 1.0)
    bucket: dict[str, float] = {}
    add_text(bucket, text, 1.0, bigrams=True)
    features.families["text"] = damp(bucket)
    return features


def feature_label(feature: str) -> str:
    """How a reason names a feature: "cv:lupus_nephritis" reads "lupus nephritis"."""
    prefix, _, value = feature.partition(":")
    if prefix in {"cv", "cb"}:
        return concept_label(value)
    return value
