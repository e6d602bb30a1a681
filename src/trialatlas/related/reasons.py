"""Why a trial is related to a query, in words: the reasons shown beside each related trial.

Reasons name what the query and the trial share, most telling first: a title the query quotes
(:mod:`trialatlas.related.quoted`), the drugs and conditions (one thing named once: a concept and its
broader ones, two salts of one drug), who runs them (:mod:`trialatlas.related.people`), design and
population (or, for a patient, whether the trial is open to them), countries, outcomes, passages
shared word for word (:mod:`trialatlas.related.passages`) and the few telling words left. A shared
word or sponsor is named only where few trials have it (:data:`TELLING_SHARE`), and a word only where a
person can check it (:mod:`trialatlas.related.terms`: not common English unless a domain name).
"""

from __future__ import annotations

import math

import numpy as np

from trialatlas.extract.criteria.vocab import broader_concepts, condition_matcher
from trialatlas.related.features import feature_label
from trialatlas.related.index import CODES, PHASE_BITS, RARITY_AMONG_HOLDERS, RelatedIndex
from trialatlas.related.passages import passage_reason
from trialatlas.related.people import who_reasons
from trialatlas.related.query import Query, query_phrase, telling_shingles
from trialatlas.related.quoted import phrase_of, quoted_reason, quoted_titles
from trialatlas.related.terms import about_subject, checkable_term, who_only_words, who_shingles, who_words

# Shared words a reason names are used by at most this share of the trials.
TELLING_SHARE = 0.01
# A sponsor, person, institution or site a reason names is held by at most TELLING_SHARE of the trials
# that say who runs them, or by at most this many (in a small store every share is large).
WHO_TELLING_TRIALS = 10.0


def shared(index: RelatedIndex, query: Query, family: str, row: int) -> list[tuple[str, float]]:
    """Features the query and the trial share in one family, most contributing first."""
    q_ids, q_weights = query.vectors.get(family, (np.zeros(0, np.int32), np.zeros(0, np.float32)))
    if q_ids.size == 0:
        return []
    ids, weights = index.families[family].row(row)
    common, q_at, r_at = np.intersect1d(q_ids, ids, assume_unique=True, return_indices=True)
    if common.size == 0:
        return []
    contributions = q_weights[q_at] * weights[r_at]
    order = np.argsort(-contributions, kind="stable")
    vocab = index.families[family].vocab
    return [(vocab[int(common[i])], float(contributions[i])) for i in order]


def _concept(feature: str) -> str | None:
    prefix, _, value = feature.partition(":")
    if prefix in {"cv", "cb"}:
        return value
    return condition_matcher().concept_of(feature_label(feature)) if prefix == "c" else None


def _shared_stem(first: str, second: str, length: int = 8) -> bool:
    return len(first) >= length and first[:length] == second[:length]


def _labels(features: list[tuple[str, float]], *tiers: tuple[str, ...], limit: int) -> list[str]:
    """Distinct display names of the best shared features with these prefixes.

    One thing named twice is named once: "lupus nephritis" as written and as a concept, a condition
    and a broader one ("glomerulonephritis" after "lupus nephritis"), or two salts of one drug
    ("mycophenolic acid" after "mycophenolate mofetil").
    """
    chosen: list[str] = []
    covered: set[str] = set()
    ordered = [f for prefixes in tiers for f, _ in features if f.split(":", 1)[0] in prefixes]
    for feature in ordered:
        label = feature_label(feature)
        lowered = label.lower()
        concept = _concept(feature)
        if concept is not None and concept in covered:
            continue
        if any(lowered in other or other in lowered or _shared_stem(lowered, other) for other in chosen):
            continue
        chosen.append(lowered)
        if concept is not None:
            covered |= broader_concepts(concept)
        if len(chosen) == limit:
            break
    return chosen


_PHASE_NAMES = {bit: name for name, bit in PHASE_BITS.items()}


def _phase_text(mask: int) -> str:
    names = [_PHASE_NAMES[bit] for bit in sorted(_PHASE_NAMES) if mask & bit]
    numbers = [n.replace("EARLY_PHASE1", "Early 1").replace("PHASE", "") for n in names]
    return "Phase " + "/".join(numbers)


def _age(value: float) -> str:
    return f"{value:g}"


def reasons(index: RelatedIndex, query: Query, row: int, *, patient: bool = False) -> list[str]:
    """Why the trial at ``row`` is related to the query, most telling first."""
    out: list[str] = []
    if query.quoting and query.text.strip() and quoted_titles(query_phrase(query), [index.titles[row]])[0]:
        in_title = bool(quoted_titles(phrase_of(query.title), [index.titles[row]])[0])
        out.append(quoted_reason(index.titles[row], in_title=in_title))
    conditions = shared(index, query, "cond", row)
    drugs = shared(index, query, "drug", row)
    named_conditions = _labels(conditions, ("c", "cv"), limit=2)
    named_drugs = _labels(drugs, ("d", "i"), ("dm",), limit=3)
    in_conditions = f" in {' and '.join(named_conditions)}" if named_conditions else ""
    if named_drugs:
        out.append(f"both test {' + '.join(named_drugs)}{in_conditions}")
    elif classes := _labels(drugs, ("dc", "ia"), limit=2):
        out.append(f"both use {' and '.join(classes)} drugs{in_conditions}")
    elif named_conditions:
        out.append(f"both study {' and '.join(named_conditions)}")
    elif broader := _labels(conditions, ("cb", "ca", "cw"), limit=2):
        out.append(f"related conditions: {', '.join(broader)}")
    if patient:
        out.extend(_patient_reasons(index, query, row))
    else:
        shared_who = shared(index, query, "who", row)
        out.extend(who_reasons([f for f, _ in shared_who if _telling(index, f, "who", WHO_TELLING_TRIALS)]))
        out.extend(_design_reasons(index, query, row))
        out.extend(_population_reasons(index, query, row))
    countries = [feature_label(f) for f, _ in shared(index, query, "geo", row)][:3]
    if countries:
        out.append(f"both in {', '.join(countries)}")
    outcomes = [f for f, _ in shared(index, query, "outc", row) if " " in f][:2]
    if outcomes:
        out.append(f"similar outcomes: {', '.join(outcomes)}")
    # Passages copied between few trials, not a unit's or a registry's template (related/passages.py),
    # nor running into the name of who runs the query (related/terms.py).
    copied_shingles = index.passages.copied(telling_shingles(index, query))
    if copied_shingles.size and query.who_shingles is None:
        query.who_shingles = who_shingles(query.text)
    if copied_shingles.size and query.who_shingles is not None:
        copied_shingles = np.setdiff1d(copied_shingles, query.who_shingles)
    if copied_shingles.size:
        _, by_field = index.passages.shared_counts(copied_shingles, np.asarray([row], dtype=np.int64))
        if (copied := passage_reason(by_field[0])) is not None:
            out.append(copied)
    mentioned = " ".join(out).lower()
    terms: list[str] = []
    who: frozenset[str] | None = None
    # Most contributing first: the first four telling words are named, the rest not even looked up.
    for feature, _ in shared(index, query, "text", row):
        if not (_telling(index, feature) and checkable_term(index, feature, query.text)):
            continue
        if query.who_only is None:
            query.who_only = who_only_words(query.text)
        if who is None:
            who = who_words(index, _named_who(index, query, row))
        in_other_reason = any(w in mentioned for w in feature.split())
        if about_subject(index, feature, query.who_only, who) and not in_other_reason:
            terms.append(feature)
            if len(terms) == 4:
                break
    if terms:
        out.append(f"shared terms: {', '.join(terms)}")
    return out


def _named_who(index: RelatedIndex, query: Query, row: int) -> list[str]:
    """The ``who`` and ``geo`` features of the query and of the trial at ``row``."""
    features: list[str] = []
    for family in ("who", "geo"):
        vocab = index.families[family].vocab
        query_ids = query.vectors.get(family, (np.zeros(0, np.int32), np.zeros(0, np.float32)))[0]
        for ids in (query_ids, index.families[family].row(row)[0]):
            features.extend(vocab[int(i)] for i in ids)
    return features


def _telling(index: RelatedIndex, feature: str, family_name: str = "text", least: float = 1.0) -> bool:
    """Whether a shared feature is worth naming: one that few trials have ("voclosporin", not "bring";
    a small investigator group, not the National Cancer Institute): at most :data:`TELLING_SHARE` of the
    trials its family's idf counts, or at most ``least`` trials."""
    family = index.families[family_name]
    position = family.ids.get(feature)
    if position is None:
        return False
    population = _holders(index, family_name) if family_name in RARITY_AMONG_HOLDERS else index.size
    floor = math.log((1.0 + population) / (1.0 + max(TELLING_SHARE * population, least))) + 1.0
    return float(family.idf[position]) >= floor - 1e-6


def _holders(index: RelatedIndex, family: str) -> int:
    """How many trials have any feature of ``family`` (computed once per index)."""
    cached = index.cache.get(("holders", family))
    if cached is None:
        cached = int(index.families[family].has().sum())
        index.cache[("holders", family)] = cached
    holders: int = cached
    return holders


def _design_reasons(index: RelatedIndex, query: Query, row: int) -> list[str]:
    s = index.scalars
    out: list[str] = []
    phases = int(s.phases[row]) & 0xFF
    if phases and phases == query.phases:
        out.append(f"both {_phase_text(phases)}")
    elif phases & query.phases:
        out.append(f"both include {_phase_text(phases & query.phases)}")
    study_type = int(s.study_type[row])
    same_type = study_type >= 0 and study_type == query.codes.get("study_type", -1)
    if same_type and CODES["study_type"][study_type] != "INTERVENTIONAL":
        out.append(f"both {CODES['study_type'][study_type].lower().replace('_', ' ')}")
    allocation = int(s.allocation[row])
    same_allocation = allocation >= 0 and allocation == query.codes.get("allocation", -1)
    if same_allocation and CODES["allocation"][allocation] == "RANDOMIZED":
        out.append("both randomised")
    purpose = int(s.purpose[row])
    if purpose >= 0 and purpose == query.codes.get("purpose", -1):
        name = CODES["purpose"][purpose]
        if name not in {"TREATMENT", "OTHER"}:
            out.append(f"both {name.lower().replace('_', ' ')}")
    return out


def _population_reasons(index: RelatedIndex, query: Query, row: int) -> list[str]:
    s = index.scalars
    out: list[str] = []
    low, high = float(s.min_age[row]), float(s.max_age[row])
    has_row_age = not (math.isnan(low) and math.isnan(high))
    has_query_age = not (math.isnan(query.min_age) and math.isnan(query.max_age))
    if has_row_age and has_query_age:
        lows = [v for v in (low, query.min_age) if not math.isnan(v)]
        highs = [v for v in (high, query.max_age) if not math.isnan(v)]
        start = max(lows) if lows else 0.0
        end = min(highs) if highs else math.inf
        if start < end:
            span = f"{_age(start)}+" if math.isinf(end) else f"{_age(start)}–{_age(end)}"
            out.append(f"overlapping ages {span}")
    sex = int(s.sex[row])
    if sex >= 0 and sex == query.sex and CODES["sex"][sex] != "ALL":
        out.append("both women only" if CODES["sex"][sex] == "FEMALE" else "both men only")
    return out


def _patient_reasons(index: RelatedIndex, query: Query, row: int) -> list[str]:
    s = index.scalars
    out: list[str] = []
    low, high = float(s.min_age[row]), float(s.max_age[row])
    if not math.isnan(query.min_age) and not (math.isnan(low) and math.isnan(high)):
        age = query.min_age
        inside = (math.isnan(low) or low <= age) and (math.isnan(high) or age <= high)
        if inside:
            span = f"{_age(low) if not math.isnan(low) else '0'}" + (
                f"–{_age(high)}" if not math.isnan(high) else "+"
            )
            out.append(f"age {_age(age)} within {span}")
    sex = int(s.sex[row])
    if sex >= 0 and query.sex == sex and CODES["sex"][sex] != "ALL":
        out.append("open to " + ("women" if CODES["sex"][sex] == "FEMALE" else "men"))
    return out
