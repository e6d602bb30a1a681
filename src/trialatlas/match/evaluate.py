"""Patient-to-trial matching scored the TREC Clinical Trials way: topics, graded judgments, a run file.

Input is the TrialGPT layout of the SIGIR 2016 and TREC CT 2021 collections: ``queries.jsonl`` (one
``{"_id", "text"}`` patient per line) and a judgments file (``query-id corpus-id score``, tab or space
separated, with or without a header; 0 not relevant, 1 excluded, 2 eligible). For each topic the
judged trials that the store holds are ranked, so that every system sees the same candidates:

* ``bm25`` — plain BM25 of the patient text over the trial text (title, conditions, keywords, MeSH
  terms, summary, description, interventions and eligibility criteria, all alike);
* ``trialatlas`` — the matcher: the same BM25 with the fields that say what a trial is about weighted
  up, the patient's own conditions (vocabulary concepts, synonyms included) added to the query and the
  history, negated findings and relatives' diseases taken out of it, then the eligibility verdict for
  the patient profile read from the text: a trial the patient fails is demoted, one the patient meets
  promoted, one whose criteria are mostly undecided left as it is.

NDCG@10 uses the grades as gains (2, 1, 0) with the log2 discount; P@10 counts eligible (grade 2)
trials. Both are averaged over the topics with at least one held trial of grade 1 or 2. Runs are
written in TREC format: ``topic Q0 NCT rank score tag``.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from trialatlas.extract.criteria.vocab import broader_concepts, condition_matcher
from trialatlas.match.patient import PatientProfile, profile_from_note
from trialatlas.match.verdict import TrialVerdict, evaluate_trial
from trialatlas.model import Trial
from trialatlas.store import TrialStore

Judgments = dict[str, dict[str, int]]
RunRow = tuple[str, str, int, float]


@dataclass(frozen=True)
class Topic:
    id: str
    text: str


def load_topics(path: str | Path) -> list[Topic]:
    """Topics from a ``queries.jsonl`` file: one ``{"_id": ..., "text": ...}`` object per line."""
    topics: list[Topic] = []
    for number, line in enumerate(Path(path).read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        record = orjson.loads(line)
        if not isinstance(record, dict) or "_id" not in record or "text" not in record:
            raise ValueError(f"{path}:{number}: expected an object with _id and text")
        topics.append(Topic(str(record["_id"]), str(record["text"])))
    return topics


def load_qrels(path: str | Path) -> Judgments:
    """Judgments ``{topic: {trial: grade}}`` from ``query-id corpus-id score`` lines (TREC's four-column
    ``topic 0 trial grade`` lines are read too); a header line is skipped."""
    judged: Judgments = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 4:
            parts = [parts[0], parts[2], parts[3]]
        if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
            if number == 1:
                continue  # the header
            raise ValueError(f"{path}:{number}: expected 'query-id corpus-id score'")
        judged.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return judged


def ndcg_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    """NDCG@k with the grades as gains and a log2(rank + 1) discount; 0 when nothing is relevant."""
    dcg = sum(max(judgments.get(key, 0), 0) / math.log2(rank + 2) for rank, key in enumerate(ranking[:k]))
    ideal = sorted((max(grade, 0) for grade in judgments.values()), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision_at(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10, grade: int = 2) -> float:
    """The share of the first ``k`` places taken by trials judged ``grade`` or better."""
    return sum(1 for key in ranking[:k] if judgments.get(key, 0) >= grade) / k


# --- text and BM25 -----------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP_WORDS = (
    "a an the and or of in on at to for with without by from as is are was were be been being has have had "
    "this that these those it its he she his her him they them their who which whom what when where while "
    "not no nor but if than then there also into out over under up down after before during about above "
    "below between both each few more most other some such only own same so too very can will just should "
    "now any all do does did doing would could may might must shall our we you your i me my"
)
_STOP = frozenset(_STOP_WORDS.split())
# Words every note uses and no trial is about ("patient presents with a 3-day history of ...").
_NOTE_BOILERPLATE = (
    "patient patients presents presented presenting year years old yo male female man woman boy girl "
    "history reports reported states complains complaint denies admitted brought emergency department "
    "room er ed exam examination physical reveals revealed shows showed notable significant normal "
    "day days week weeks month months hour hours ago since today recently currently "
    "mild moderate severe also well last time times first found noted given started"
)
_NOTE_WORDS = frozenset(_NOTE_BOILERPLATE.split())


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and not w.isdigit()]


def _concepts(text: str) -> list[str]:
    """Condition concepts named in ``text`` and everything they fall under, as index terms."""
    return [f"concept:{c}" for m in condition_matcher().find(text) for c in broader_concepts(m.concept)]


@dataclass(frozen=True)
class TrialFields:
    """A trial's text by what it says: what the trial is about, what it is, and who may join."""

    about: str
    body: str
    criteria: str

    @classmethod
    def of(cls, trial: Trial) -> TrialFields:
        about = [
            trial.title,
            trial.official_title or "",
            *trial.conditions,
            *trial.keywords,
            *(m.term for m in trial.condition_mesh),
        ]
        body = [
            trial.brief_summary or "",
            trial.detailed_description or "",
            *(f"{i.name} {i.description or ''}" for i in trial.interventions),
        ]
        eligibility = trial.eligibility
        criteria = [eligibility.criteria_text or "", *eligibility.inclusion, *eligibility.exclusion]
        return cls(" ".join(about), " ".join(body), " ".join(criteria))

    @property
    def text(self) -> str:
        return f"{self.about} {self.body} {self.criteria}"


class Bm25:
    """Okapi BM25 over a fixed collection of term-count documents (statistics of that collection)."""

    def __init__(self, documents: Mapping[str, Counter[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.documents = documents
        self.k1, self.b = k1, b
        self.frequency: Counter[str] = Counter()
        for counts in documents.values():
            self.frequency.update(counts.keys())
        lengths = [sum(counts.values()) for counts in documents.values()]
        self.average = (sum(lengths) / len(lengths)) if lengths else 1.0
        self.lengths = {key: sum(counts.values()) for key, counts in documents.items()}

    def idf(self, term: str) -> float:
        total, df = len(self.documents), self.frequency.get(term, 0)
        return math.log(1 + (total - df + 0.5) / (df + 0.5))

    def score(self, query: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
        idf = {term: self.idf(term) for term in query}
        scores: dict[str, float] = {}
        for key in keys:
            counts = self.documents.get(key)
            if counts is None:
                continue
            norm = self.k1 * (1 - self.b + self.b * self.lengths[key] / (self.average or 1.0))
            total = 0.0
            for term, weight in query.items():
                tf = counts.get(term, 0)
                if tf:
                    total += weight * idf[term] * tf * (self.k1 + 1) / (tf + norm)
            scores[key] = total
        return scores


# --- the systems ---------------------------------------------------------------------------------------


@dataclass
class Collection:
    """The held judged trials of every topic, their texts, and the BM25 indexes over them."""

    trials: dict[str, Trial]
    fields: dict[str, TrialFields]
    plain: Bm25
    weighted: Bm25
    about: Bm25
    # Words some trial is about (its title, conditions, keywords, MeSH terms): the medical words.
    about_words: frozenset[str]


def build_collection(trials: Iterable[Trial]) -> Collection:
    held = {t.key: t for t in trials}
    fields = {key: TrialFields.of(trial) for key, trial in held.items()}
    plain = Bm25({key: Counter(_words(f.text)) for key, f in fields.items()})
    weighted = Bm25({key: _weighted_terms(f) for key, f in fields.items()})
    about = Bm25({key: Counter(_words(f.about) + _concepts(f.about)) for key, f in fields.items()})
    about_words = frozenset(word for f in fields.values() for word in _words(f.about))
    return Collection(held, fields, plain, weighted, about, about_words)


# What a trial is about counts three times its summary; criteria name many conditions only to rule
# them out, so they count least.
_ABOUT_WEIGHT, _BODY_WEIGHT, _CRITERIA_WEIGHT = 3, 1, 1


def _weighted_terms(fields: TrialFields) -> Counter[str]:
    terms: Counter[str] = Counter()
    for word in _words(fields.about):
        terms[word] += _ABOUT_WEIGHT
    for concept in _concepts(fields.about):
        terms[concept] += _ABOUT_WEIGHT
    for word in _words(fields.body):
        terms[word] += _BODY_WEIGHT
    for concept in _concepts(fields.body):
        terms[concept] += _BODY_WEIGHT
    for word in _words(fields.criteria):
        terms[word] += _CRITERIA_WEIGHT
    return terms


def plain_query(text: str) -> dict[str, float]:
    return {term: float(count) for term, count in Counter(_words(text)).items()}


# A note word no trial is about ("dancing", "friends") is narrative: it counts this much.
_NARRATIVE_WEIGHT = 0.5


def patient_query(profile: PatientProfile, about_words: frozenset[str] | None = None) -> dict[str, float]:
    """The patient's words without the note's boilerplate and without what the patient does not have
    (negated findings, relatives' diseases), plus the patient's condition concepts weighted up.

    A word repeated in the note counts 1 + log(times), so that a long note's "IV ... IV ... IV" does
    not outweigh its one mention of the diagnosis; words outside ``about_words`` count less."""
    absent: set[str] = set()
    for condition in profile.conditions:
        if not condition.present or condition.family:
            absent.update(_words(condition.name))
    present: set[str] = set()
    for condition in profile.conditions:
        if condition.present and not condition.family:
            present.update(_words(condition.name))
    query: Counter[str] = Counter()
    for sentence in profile.sentences or [profile.notes or ""]:
        for word in _words(sentence):
            if word not in _NOTE_WORDS and (word in present or word not in absent):
                query[word] += 1
    weighted: dict[str, float] = {}
    for term, count in query.items():
        narrative = about_words is not None and term not in about_words
        weighted[term] = (1 + math.log(count)) * (_NARRATIVE_WEIGHT if narrative else 1.0)
    concepts: Counter[str] = Counter()
    for condition in profile.conditions:
        if condition.present and not condition.family and condition.concept and not condition.uncertain:
            # The condition itself counts more than what it falls under ("lupus nephritis" > "kidney").
            for concept in broader_concepts(condition.concept):
                concepts[f"concept:{concept}"] += 2 if concept == condition.concept else 0.5  # type: ignore[assignment]
    for key, weight in concepts.items():
        weighted[key] = 1 + math.log(weight) if weight >= 1 else weight
    return weighted


# How a verdict moves a trial: relevance still decides the order, the verdict separates trials the
# patient could join from those the patient fails.
_FACTORS = {"eligible": 1.25, "possibly eligible": 1.0, "ineligible": 0.7}
# A verdict with more undecided criteria than this share says little.
_UNDECIDED_SHARE = 0.8


def eligibility_factor(verdict: TrialVerdict | None) -> float:
    if verdict is None:
        return 1.0
    if verdict.status == "ineligible":
        return _FACTORS["ineligible"]
    decided = sum(1 for c in verdict.criteria if c.status != "unknown")
    if decided == 0 or verdict.unknown > _UNDECIDED_SHARE * (decided + verdict.unknown):
        return 1.0  # unknown-heavy: neutral
    return _FACTORS[verdict.status]


Ranker = Callable[[Collection, Topic, Sequence[str]], dict[str, float]]


def rank_bm25(collection: Collection, topic: Topic, candidates: Sequence[str]) -> dict[str, float]:
    return collection.plain.score(plain_query(topic.text), candidates)


def rank_matcher(collection: Collection, topic: Topic, candidates: Sequence[str]) -> dict[str, float]:
    """Topical relevance (the whole text, and apart from it what each trial is about, each scaled to
    the topic's best) times the eligibility factor of the patient's verdict."""
    profile = profile_from_note(topic.text, topic.id)
    query = patient_query(profile, collection.about_words)
    whole = _scaled(collection.weighted.score(query, candidates))
    about = _scaled(collection.about.score(query, candidates))
    scores: dict[str, float] = {}
    for key in candidates:
        trial = collection.trials[key]
        verdict = evaluate_trial(trial, profile) if _checkable(trial) else None
        relevance = whole.get(key, 0.0) + _ABOUT_SHARE * about.get(key, 0.0)
        scores[key] = relevance * eligibility_factor(verdict)
    return scores


# A trial whose title and conditions name the patient's problems is the patient's trial even when
# its long description says more about other things: what it is about counts as much as all its text.
_ABOUT_SHARE = 1.0


def _scaled(scores: Mapping[str, float]) -> dict[str, float]:
    best = max(scores.values(), default=0.0)
    return {key: value / best for key, value in scores.items()} if best > 0 else dict(scores)


def _checkable(trial: Trial) -> bool:
    eligibility = trial.eligibility
    return bool(
        eligibility.criteria_text
        or eligibility.inclusion
        or eligibility.exclusion
        or eligibility.minimum_age
        or eligibility.maximum_age
        or eligibility.sex
    )


SYSTEMS: dict[str, Ranker] = {"trialatlas": rank_matcher, "bm25": rank_bm25}


# --- the evaluation ------------------------------------------------------------------------------------


@dataclass
class SystemResult:
    name: str
    ndcg_at_10: float = 0.0
    p_at_10: float = 0.0
    per_topic: dict[str, tuple[float, float]] = field(default_factory=dict)
    run: list[RunRow] = field(default_factory=list, repr=False)


@dataclass
class TrecEvaluation:
    topics: int
    topics_scored: int
    judged_trials: int
    held_trials: int
    held_with_criteria: int
    systems: dict[str, SystemResult]
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "topics": self.topics,
            "topics_scored": self.topics_scored,
            "judged_trials": self.judged_trials,
            "held_trials": self.held_trials,
            "held_trials_with_criteria": self.held_with_criteria,
            "seconds": round(self.seconds, 2),
            "systems": {
                name: {"ndcg@10": round(result.ndcg_at_10, 4), "p@10": round(result.p_at_10, 4)}
                for name, result in self.systems.items()
            },
        }


def evaluate(
    topics: Sequence[Topic],
    judgments: Judgments,
    trials: Iterable[Trial],
    systems: Mapping[str, Ranker] | None = None,
) -> TrecEvaluation:
    """Rank each topic's held judged trials with every system and score the rankings."""
    started = time.perf_counter()
    systems = systems or SYSTEMS
    collection = build_collection(trials)
    results = {name: SystemResult(name) for name in systems}
    scored = 0
    for topic in topics:
        judged = {
            key: grade for key, grade in judgments.get(topic.id, {}).items() if key in collection.trials
        }
        if not judged:
            continue
        candidates = sorted(judged)
        counts = any(grade > 0 for grade in judged.values())
        scored += counts
        for name, ranker in systems.items():
            scores = ranker(collection, topic, candidates)
            # Ties (and trials with nothing in common) keep key order, so runs are reproducible.
            ranking = sorted(candidates, key=lambda key: (-scores.get(key, 0.0), key))
            result = results[name]
            result.run.extend(
                (topic.id, key, rank, scores.get(key, 0.0)) for rank, key in enumerate(ranking, start=1)
            )
            if counts:
                pair = (ndcg_at(ranking, judged), precision_at(ranking, judged))
                result.per_topic[topic.id] = pair
    for result in results.values():
        if result.per_topic:
            result.ndcg_at_10 = sum(n for n, _ in result.per_topic.values()) / len(result.per_topic)
            result.p_at_10 = sum(p for _, p in result.per_topic.values()) / len(result.per_topic)
    all_judged = {key for judged in judgments.values() for key in judged}
    return TrecEvaluation(
        topics=len(topics),
        topics_scored=scored,
        judged_trials=len(all_judged),
        held_trials=len(collection.trials),
        held_with_criteria=sum(1 for t in collection.trials.values() if t.eligibility.criteria_text),
        systems=results,
        seconds=time.perf_counter() - started,
    )


def held_trials(store: TrialStore, keys: Iterable[str], batch: int = 500) -> list[Trial]:
    """The trials among ``keys`` that the store holds (looked up by NCT id)."""
    wanted = sorted(set(keys))
    found: list[Trial] = []
    for start in range(0, len(wanted), batch):
        chunk = wanted[start : start + batch]
        found.extend(t for t in store.get_many(chunk) if t.key in chunk)
    return found


def evaluate_trec(
    store: TrialStore,
    topics_path: str | Path,
    qrels_path: str | Path,
    run_path: str | Path | None = None,
    systems: Mapping[str, Ranker] | None = None,
) -> TrecEvaluation:
    """Score the systems on a topics file and its judgments; write the runs when ``run_path`` is given:
    the matcher's to ``run_path``, every other system's beside it (``OUT.bm25.run``)."""
    topics = load_topics(topics_path)
    judgments = load_qrels(qrels_path)
    trials = held_trials(store, (key for judged in judgments.values() for key in judged))
    report = evaluate(topics, judgments, trials, systems)
    if run_path is not None:
        write_runs(report, Path(run_path))
    return report


def run_lines(rows: Iterable[RunRow], tag: str) -> list[str]:
    return [f"{topic} Q0 {key} {rank} {score:.6f} {tag}" for topic, key, rank, score in rows]


def write_runs(report: TrecEvaluation, path: Path, main: str = "trialatlas") -> list[Path]:
    """The ``main`` system's run to ``path``, the others' to ``path`` with ``.<name>`` before the suffix."""
    written: list[Path] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, result in report.systems.items():
        target = path if name == main else path.with_name(f"{path.stem}.{name}{path.suffix or '.run'}")
        target.write_text("\n".join(run_lines(result.run, name)) + "\n", encoding="utf-8")
        written.append(target)
    return written


__all__ = [
    "SYSTEMS",
    "Bm25",
    "Collection",
    "Ranker",
    "SystemResult",
    "Topic",
    "TrecEvaluation",
    "TrialFields",
    "build_collection",
    "eligibility_factor",
    "evaluate",
    "evaluate_trec",
    "held_trials",
    "load_qrels",
    "load_topics",
    "ndcg_at",
    "patient_query",
    "plain_query",
    "precision_at",
    "rank_bm25",
    "rank_matcher",
    "run_lines",
    "write_runs",
]
