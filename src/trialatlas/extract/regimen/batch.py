"""Batch parsing in the flat scoring shape of ``trialatlas parse-regimens``.

An input line is ``{"id": ..., "text": ...}`` (an optional ``"name"``, the intervention's name, is used
as the drug of doses whose text names none); an output line is ``{"id": ..., "items": [...],
"unparsed": [...]}`` with one flat item per stated dose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from trialatlas.extract.regimen.parse import parse_regimen


def export_text(text: str, name: str | None = None) -> dict[str, Any]:
    """The scoring shape of one text: its dosed items and the fragments it could not read."""
    parsed = parse_regimen(text, default_drug=name)
    return {
        "items": [item.export() for item in parsed.items if item.dose is not None],
        "unparsed": [fragment.text for fragment in parsed.unparsed],
    }


def parse_jsonl(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """One output record per input line (blank lines skipped)."""
    for line in lines:
        if not line.strip():
            continue
        record = orjson.loads(line)
        name = record.get("name") or record.get("intervention_name")
        yield {"id": record.get("id"), **export_text(str(record.get("text") or ""), name)}


def parse_file(source: Path, target: Path) -> int:
    """``parse-regimens``: read ``source`` JSONL, write ``target`` JSONL; the number of records written."""
    count = 0
    with source.open("rb") as handle, target.open("wb") as out:
        for record in parse_jsonl(handle):
            out.write(orjson.dumps(record) + b"\n")
            count += 1
    return count
