"""Cross-mention pairs: trials whose own text names another stored trial, the sister studies a
related-trials list should find (extensions, confirmatory phases, sub-studies, follow-ups).

Pairs are found in the store's texts as they are; then every NCT id is stripped from every text of a
scratch copy (:func:`stripped`), so that no system can match the literal id and what is measured is
how well the rest of the record finds its sister. Only query trials whose NCT number ends in an even
digit are used (odd ones are held back for scoring), and the pairs are split by a fixed rule
(:func:`split_of`) into a tuning half, whose errors may be looked at, and a sealed half.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialatlas.eval.metrics import PairedDifference, mrr_at, ndcg_at, paired_bootstrap, recall_at
from trialatlas.model import Trial
from trialatlas.related.baseline import TextBaseline, build_baseline, trial_text
from trialatlas.related.index import RelatedIndex, index_for
from trialatlas.related.service import related_trials
from trialatlas.store.base import TrialStore

# "NCT01234567", "NCT 01234567", "nct01234567": how registry texts write an NCT number.
NCT_MENTION = re.compile(r"\bNCT\s?(\d{8})\b", re.IGNORECASE)
# A reference to a registered trial is the whole link, not only its id: the registry's name or address
# before it ("ClinicalTrials.gov Identifier:", "http://clinicaltrials. gov/show/", texts often break
# them at the dots) and what a URL carries after it. Stripping only the id would leave words ("http",
# "clinicaltrials", "gov", "show", "identifier") that only two registry-linking texts share, a match on
# the link by other means. Anything that starts like a URL and holds an NCT number goes as one unit.
_REGISTRY = r"(?:https?\s*:\s*/+\s*)?(?:www\s*\.\s*)?(?:usa\s+)?clinical\s*tria\w*\s*\.\s*gov\b"
_ID_LABEL = r"(?:identifiers?|ids?|numbers?|no|nr|registration|registered|reg|ref|as|under|at)\b"
_URL_TAIL = r"[\w./?=&%#+~-]*"
NCT_REFERENCE = re.compile(
    rf"(?:(?:https?\s*:\s*//|www\s*\.)[^\s()<>\[\]]*?|{_REGISTRY}(?:\s*\.)?(?:\s*/{_URL_TAIL}?)?)?"
    rf"(?:[\s:;,.#(]*(?:(?:in|at|on|with)\s+)?(?:{_REGISTRY}[\s:;,.#]*)?(?:{_ID_LABEL}[\s:;,.#]*){{0,3}})?"
    rf"\bNCT[\s:#-]*\d[\d\s-]{{5,10}}\d\b{_URL_TAIL}",
    re.IGNORECASE,
)
# What is left of an NCT number written some other way ("NCT#", "NCT no.", a digit short): the word.
NCT_FRAGMENT = re.compile(r"\bNCT\w*", re.IGNORECASE)
# Fields that are identifiers or provenance, not the trial's own text.
_NOT_TEXT = frozenset(
    {
        "nct_id",
        "nct_id_aliases",
        "org_study_id",
        "secondary_ids",
        "related_trials",
        "sources",
        "field_sources",
    }
)
TUNING = "tuning"
SEALED = "sealed"


@dataclass(frozen=True)
class MentionPair:
    """``query``'s own text names ``partner``, another stored trial."""

    query: str
    partner: str

    @property
    def split(self) -> str:
        return split_of(self.query)


def split_of(query: str) -> str:
    """The half a query trial belongs to: fixed by a hash of its id, so it never depends on the run."""
    return TUNING if hashlib.sha256(query.encode()).digest()[0] % 2 == 0 else SEALED


def is_even(nct_id: str) -> bool:
    return nct_id[-1:].isdigit() and int(nct_id[-1]) % 2 == 0


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _own_ids(trial: Trial) -> set[str]:
    return {i for i in (trial.nct_id, *trial.nct_id_aliases) if i}


def mentioned_ids(trial: Trial) -> set[str]:
    """NCT numbers the trial's own texts name, other than its own."""
    found = {
        f"NCT{match.group(1)}"
        for text in _strings(trial.model_dump(exclude=set(_NOT_TEXT)))
        for match in NCT_MENTION.finditer(text)
    }
    return found - _own_ids(trial)


def strip_references(text: str) -> str:
    """``text`` without its references to registered trials: each link, id and label as one unit."""
    if "nct" not in text.lower():
        return text
    return NCT_FRAGMENT.sub(" ", NCT_REFERENCE.sub(" ", text))


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return strip_references(value)
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def stripped(trial: Trial) -> Trial:
    """A copy of the trial with no NCT number left in any text, and no listed relations or aliases."""
    data = trial.model_dump(exclude=set(_NOT_TEXT))
    cleaned = _strip(data)
    return Trial.model_validate(
        {
            **cleaned,
            "nct_id": trial.nct_id,
            "org_study_id": trial.org_study_id,
            "secondary_ids": [s.model_dump() for s in trial.secondary_ids if not NCT_MENTION.search(s.id)],
            "sources": [s.model_dump() for s in trial.sources],
        }
    )


def find_pairs(trials: Iterable[Trial], stored: set[str]) -> list[MentionPair]:
    """Every (query, partner) with an even-numbered query whose text names a stored partner."""
    pairs: list[MentionPair] = []
    for trial in trials:
        if not trial.nct_id or not is_even(trial.nct_id):
            continue
        for partner in sorted(mentioned_ids(trial) & stored):
            pairs.append(MentionPair(trial.nct_id, partner))
    return pairs


# --- the scratch store ----------------------------------------------------------------------------


@dataclass
class Benchmark:
    """What the unstripped texts said: the mention pairs, and the relations each trial's pages list."""

    pairs: list[MentionPair]
    listed: dict[str, list[str]]

    def as_json(self) -> dict[str, object]:
        return {"pairs": [[p.query, p.partner] for p in self.pairs], "listed": self.listed}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Benchmark:
        return cls([MentionPair(q, p) for q, p in data["pairs"]], dict(data["listed"]))


def scratch_copy(trials: Iterable[Trial], scratch: TrialStore, batch: int = 1000) -> Benchmark:
    """Write every trial, its NCT numbers stripped, into ``scratch``; what it said before stripping.

    Records of one trial from several sources are merged by the store; their mentions are pooled.
    """
    kept: list[Trial] = []
    mentions: dict[str, set[str]] = {}
    listed: dict[str, set[str]] = {}
    for trial in trials:
        if trial.nct_id and is_even(trial.nct_id) and (found := mentioned_ids(trial)):
            mentions.setdefault(trial.nct_id, set()).update(found)
        if trial.related_trials:
            listed.setdefault(trial.key, set()).update(r.nct_id for r in trial.related_trials)
        kept.append(stripped(trial))
        if len(kept) == batch:
            scratch.upsert_batch(kept)
            kept = []
    if kept:
        scratch.upsert_batch(kept)
    stored = set(scratch.keys())
    pairs = [
        MentionPair(query, partner)
        for query in sorted(mentions)
        if query in stored
        for partner in sorted(mentions[query] & stored)
    ]
    return Benchmark(pairs, {key: sorted(ids) for key, ids in sorted(listed.items())})


# --- scoring ------------------------------------------------------------------------------------

TOP = 10
SYSTEMS: tuple[str, ...] = ("trialatlas", "bm25")


@dataclass
class SplitScores:
    """Per-pair figures of each system on one half, and the paired difference of recall@10."""

    pairs: int
    systems: dict[str, dict[str, float]]
    recall_gap: PairedDifference

    def as_dict(self) -> dict[str, object]:
        return {
            "pairs": self.pairs,
            "systems": {name: {k: round(v, 4) for k, v in m.items()} for name, m in self.systems.items()},
            "recall@10 gap (trialatlas - bm25)": self.recall_gap.as_dict(),
        }


@dataclass
class CrossMentionReport:
    pairs: int
    queries: int
    splits: dict[str, SplitScores]
    rankings: dict[str, dict[str, list[str]]]
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "pairs": self.pairs,
            "queries": self.queries,
            "splits": {name: split.as_dict() for name, split in self.splits.items()},
            "seconds": round(self.seconds, 1),
        }


def rank_all(
    store: TrialStore, queries: Sequence[str], index: RelatedIndex, baseline: TextBaseline
) -> dict[str, dict[str, list[str]]]:
    """Each system's top :data:`TOP` for each query trial (the query itself left out)."""
    rankings: dict[str, dict[str, list[str]]] = {name: {} for name in SYSTEMS}
    baseline_rows = {key: row for row, key in enumerate(baseline.keys)}
    for trial in store.get_many(list(queries)):
        rankings["trialatlas"][trial.key] = [
            r.nct_id for r in related_trials(store, trial.key, TOP, index=index)
        ]
        values = baseline.bm25(trial_text(trial))
        if (row := baseline_rows.get(trial.key)) is not None:
            values[row] = -np.inf
        order = np.argsort(-values, kind="stable")[:TOP]
        rankings["bm25"][trial.key] = [baseline.keys[int(i)] for i in order if values[i] > 0]
    return rankings


def score_pairs(
    pairs: Sequence[MentionPair], rankings: dict[str, dict[str, list[str]]]
) -> dict[str, SplitScores]:
    """recall@10, MRR@10 and nDCG@10 per pair (the partner the one relevant trial), by half."""
    out: dict[str, SplitScores] = {}
    for split in (TUNING, SEALED, "all"):
        chosen = [p for p in pairs if split in ("all", p.split)]
        per: dict[str, dict[str, list[float]]] = {}
        for name in SYSTEMS:
            figures: dict[str, list[float]] = {"recall@10": [], "MRR@10": [], "nDCG@10": []}
            for pair in chosen:
                ranking = rankings[name].get(pair.query, [])
                judged = {pair.partner: 1}
                figures["recall@10"].append(recall_at(ranking, judged, TOP))
                figures["MRR@10"].append(mrr_at(ranking, judged, TOP))
                figures["nDCG@10"].append(ndcg_at(ranking, judged, TOP))
            per[name] = figures
        out[split] = SplitScores(
            len(chosen),
            {name: {k: sum(v) / max(len(v), 1) for k, v in m.items()} for name, m in per.items()},
            paired_bootstrap(per["trialatlas"]["recall@10"], per["bm25"]["recall@10"]),
        )
    return out


def evaluate_cross_mentions(
    scratch: TrialStore,
    pairs: Sequence[MentionPair],
    *,
    index: RelatedIndex | None = None,
    baseline: TextBaseline | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> CrossMentionReport:
    """Both systems over the scratch store's (stripped) texts, in the same run."""
    started = time.perf_counter()
    if index is None:
        if on_stage:
            on_stage("related-trials index")
        index = index_for(scratch)
    if baseline is None:
        if on_stage:
            on_stage("BM25 baseline")
        baseline = build_baseline(scratch.iter_trials())
    if on_stage:
        on_stage(f"ranking {len({p.query for p in pairs})} query trials")
    rankings = rank_all(scratch, sorted({p.query for p in pairs}), index, baseline)
    return CrossMentionReport(
        pairs=len(pairs),
        queries=len({p.query for p in pairs}),
        splits=score_pairs(pairs, rankings),
        rankings=rankings,
        seconds=time.perf_counter() - started,
    )
