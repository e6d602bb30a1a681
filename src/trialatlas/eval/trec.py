"""TREC-style evaluation, shared by every ``eval`` (search, matching): the files and the scoring.

Topics: TrialGPT's ``queries.jsonl`` or TREC's official topic XML; judgments (qrels); run lines; and
:func:`score_systems`, which ranks each topic's held judged trials with every system and averages
NDCG@10 and P@10 into one :class:`TrecEvaluation`. The measures (NDCG@k, P@k, ...) are
:mod:`trialatlas.eval.metrics`.

TREC Clinical Trials topic files read ``<topics task="2021 TREC Clinical Trials"><topic number="1">…``.

The official XML carries the same patient texts as TrialGPT's ``queries.jsonl``, with the long lines
hard-wrapped onto indented continuation lines; those are re-joined (line breaks the author wrote,
unindented, stay), which gives TrialGPT's texts exactly, and topic ids follow TrialGPT's
(``trec-2021N``) where the task names the year whose judgments use them, so either file pairs with
the same qrels.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from lxml import etree

from trialatlas.errors import InputError
from trialatlas.eval.metrics import PairedDifference, ndcg_at, paired_bootstrap, precision_at
from trialatlas.sources.base import LOCKED_DOWN_XML

_YEAR = re.compile(r"\b(20\d\d)\b")
_WRAPPED = re.compile(r"[ \t]*\n[ \t]+")


@dataclass(frozen=True)
class Topic:
    id: str
    text: str


def load_topics(path: str | Path) -> list[Topic]:
    """Topics from a ``queries.jsonl`` file (one ``{"_id": ..., "text": ...}`` object per line) or a
    TREC topic XML file (told apart by its first character)."""
    data = Path(path).read_bytes()
    if data.lstrip()[:1] == b"<":
        return load_topics_xml(path)
    topics: list[Topic] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not JSON: {exc}") from exc
        if not isinstance(record, dict) or "_id" not in record or "text" not in record:
            raise InputError(f"{path}:{number}: expected an object with _id and text")
        topics.append(Topic(str(record["_id"]), str(record["text"])))
    return topics


def load_topics_xml(path: str | Path) -> list[Topic]:
    """Topics of a TREC topic file, in file order, hard-wrapped lines re-joined.

    Raises :class:`InputError` (a ValueError) naming the file when it is not well-formed XML, not a
    ``<topics>`` document, or has a topic without a number or text, or a number twice.
    """
    parser = etree.XMLParser(**LOCKED_DOWN_XML)  # a topic file is untrusted input too
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{path}: not well-formed XML: {exc}") from exc
    if root.tag != "topics":
        raise InputError(f"{path}: expected a <topics> document, found <{root.tag}>")
    year = _YEAR.search(root.get("task") or "")
    # TrialGPT's judgments name TREC topics "trec-<year><number>".
    prefix = f"trec-{year.group(1)}" if year else ""
    topics: list[Topic] = []
    seen: set[str] = set()
    for index, element in enumerate(root.iter("topic"), start=1):
        number = (element.get("number") or "").strip()
        if not number:
            raise InputError(f"{path}: topic {index} has no number")
        text = _WRAPPED.sub(" ", "".join(element.itertext()).strip())
        if not text:
            raise InputError(f"{path}: topic {number} has no text")
        topic_id = f"{prefix}{number}"
        if topic_id in seen:
            raise InputError(f"{path}: topic {number} appears twice")
        seen.add(topic_id)
        topics.append(Topic(topic_id, text))
    return topics


Judgments = dict[str, dict[str, int]]
RunRow = tuple[str, str, int, float]


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
            raise InputError(f"{path}:{number}: expected 'query-id corpus-id score'")
        judged.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return judged


def run_lines(rows: Iterable[RunRow], tag: str) -> list[str]:
    return [f"{topic} Q0 {key} {rank} {score:.6f} {tag}" for topic, key, rank, score in rows]


# --- scoring -------------------------------------------------------------------------------------

# A system ranks one topic's candidates (the held judged trials' keys): a score per key it matched.
Ranker = Callable[[Topic, Sequence[str]], Mapping[str, float]]


@dataclass
class SystemResult:
    name: str
    ndcg_at_10: float = 0.0
    p_at_10: float = 0.0
    # (NDCG@10, P@10) of each scored topic: the means, and the paired comparison of systems.
    per_topic: dict[str, tuple[float, float]] = field(default_factory=dict)
    run: list[RunRow] = field(default_factory=list, repr=False)


@dataclass
class TrecEvaluation:
    topics: int
    topics_scored: int
    judged_trials: int
    held_trials: int
    systems: dict[str, SystemResult]
    seconds: float = 0.0
    # Of the held trials, those with eligibility criteria (where the ranking reads them).
    held_with_criteria: int | None = None

    def difference(self, system: str = "trialatlas", baseline: str = "bm25") -> PairedDifference | None:
        """NDCG@10 of ``system`` minus ``baseline`` over the scored topics, with a bootstrap 95% CI."""
        ours, theirs = self.systems.get(system), self.systems.get(baseline)
        if ours is None or theirs is None:
            return None
        topics = sorted(ours.per_topic.keys() & theirs.per_topic.keys())
        return paired_bootstrap(
            [ours.per_topic[t][0] for t in topics], [theirs.per_topic[t][0] for t in topics]
        )

    def as_dict(self) -> dict[str, object]:
        difference = self.difference()
        with_criteria = self.held_with_criteria
        return {
            "topics": self.topics,
            "topics_scored": self.topics_scored,
            "judged_trials": self.judged_trials,
            "held_trials": self.held_trials,
            **({} if with_criteria is None else {"held_trials_with_criteria": with_criteria}),
            "seconds": round(self.seconds, 2),
            "systems": {
                name: {"ndcg@10": round(result.ndcg_at_10, 4), "p@10": round(result.p_at_10, 4)}
                for name, result in self.systems.items()
            },
            **({"ndcg@10 trialatlas - bm25": difference.as_dict()} if difference is not None else {}),
        }


def score_systems(
    topics: Sequence[Topic],
    judgments: Judgments,
    held: Collection[str],
    systems: Mapping[str, Ranker],
    *,
    relevant_grade: int,
) -> TrecEvaluation:
    """Rank each topic's held judged trials with every system and score the rankings.

    Every system sees the same candidates: the topic's judged trials among ``held``. A topic counts
    in the means when one of them is judged above 0; P@10 counts trials graded ``relevant_grade`` or
    more. ``held_with_criteria`` is the caller's to fill.
    """
    started = time.perf_counter()
    results = {name: SystemResult(name) for name in systems}
    scored = 0
    for topic in topics:
        judged = {key: grade for key, grade in judgments.get(topic.id, {}).items() if key in held}
        if not judged:
            continue
        candidates = sorted(judged)
        counts = any(grade > 0 for grade in judged.values())
        scored += counts
        for name, ranker in systems.items():
            scores = ranker(topic, candidates)
            # Ties (and trials with nothing in common) keep key order, so runs are reproducible.
            ranking = sorted(candidates, key=lambda key: (-scores.get(key, 0.0), key))
            result = results[name]
            result.run.extend(
                (topic.id, key, rank, scores.get(key, 0.0)) for rank, key in enumerate(ranking, start=1)
            )
            if counts:
                pair = (ndcg_at(ranking, judged), precision_at(ranking, judged, grade=relevant_grade))
                result.per_topic[topic.id] = pair
    for result in results.values():
        if result.per_topic:
            result.ndcg_at_10 = sum(n for n, _ in result.per_topic.values()) / len(result.per_topic)
            result.p_at_10 = sum(p for _, p in result.per_topic.values()) / len(result.per_topic)
    return TrecEvaluation(
        topics=len(topics),
        topics_scored=scored,
        judged_trials=len({key for judged in judgments.values() for key in judged}),
        held_trials=len(held),
        systems=results,
        seconds=time.perf_counter() - started,
    )


def write_runs(report: TrecEvaluation, target: Callable[[str], Path]) -> list[Path]:
    """Each system's run in TREC format, to the file ``target(name)``."""
    written: list[Path] = []
    for name, result in report.systems.items():
        path = target(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(run_lines(result.run, name)) + "\n", encoding="utf-8")
        written.append(path)
    return written


__all__ = [
    "Judgments",
    "Ranker",
    "RunRow",
    "SystemResult",
    "Topic",
    "TrecEvaluation",
    "load_qrels",
    "load_topics",
    "load_topics_xml",
    "run_lines",
    "score_systems",
    "write_runs",
]
