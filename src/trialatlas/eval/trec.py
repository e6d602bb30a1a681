"""TREC-style evaluation files, shared by every ``eval`` (search, matching).

Topics: TrialGPT's ``queries.jsonl`` or TREC's official topic XML; judgments (qrels); run lines. The
measures (NDCG@k, P@k, ...) are :mod:`trialatlas.eval.metrics`.

TREC Clinical Trials topic files read ``<topics task="2021 TREC Clinical Trials"><topic number="1">…``.

The official XML carries the same patient texts as TrialGPT's ``queries.jsonl``, with the long lines
hard-wrapped onto indented continuation lines; those are re-joined (line breaks the author wrote,
unindented, stay), which gives TrialGPT's texts exactly, and topic ids follow TrialGPT's
(``trec-2021N``) where the task names the year whose judgments use them, so either file pairs with
the same qrels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson
from lxml import etree

from trialatlas.errors import InputError
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


__all__ = [
    "Judgments",
    "RunRow",
    "Topic",
    "load_qrels",
    "load_topics",
    "load_topics_xml",
    "run_lines",
]
