"""Everything the regimen parser reads from every labelled text, as one digest per set: the proof that a
change meant only to make parsing faster changes no output.

Each text of each ``tests/fixtures/regimens_*.jsonl`` set is parsed as the scoring reads it (with its
trial's intervention names) and dumped whole: items with every field, the gate's features and score,
targets, adjustments, conditions and unparsed fragments. ``--bench`` adds the benchmark's texts
(bench/regimens.py, read without intervention names). Prints, per set, the texts, items and the SHA-256
of the dump; ``--out`` also writes the dump as JSONL to diff two runs line by line. The sealed set is
digested only, never written out: nobody tuning the parser reads its outputs.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from trialatlas.eval.regimens import load_labelled
from trialatlas.extract.regimen.parse import parse_regimen

_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
_SEALED = "regimens_sealed"


def dump_one(text: str, interventions: Any = ()) -> tuple[bytes, int]:
    """One text's whole reading as a JSON line, and its number of items."""
    parsed = parse_regimen(text, interventions=interventions)
    record = parsed.model_dump(mode="json")
    record["gate"] = [[item.gate_features, item.gate_score] for item in parsed.items]
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS), len(parsed.items)


def dump_set(name: str, rows: Iterable[tuple[str, str, Any]], out: Any) -> dict[str, Any]:
    digest = hashlib.sha256()
    texts = items = 0
    for text_id, text, interventions in rows:
        line, count = dump_one(text, interventions)
        line = orjson.dumps({"set": name, "id": text_id}) + b"\t" + line + b"\n"
        digest.update(line)
        texts += 1
        items += count
        if out is not None and name != _SEALED:
            out.write(line)
    return {"texts": texts, "items": items, "sha256": digest.hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="write the dump (sealed set left out) to this JSONL file")
    parser.add_argument("--bench", action="store_true", help="also dump the benchmark's texts")
    parser.add_argument("--limit-xml", type=int, default=None, help="with --bench: this many XML records")
    args = parser.parse_args()
    out = args.out.open("wb") if args.out else None
    report: dict[str, Any] = {}
    try:
        for path in sorted(_FIXTURES.glob("regimens_*.jsonl")):
            rows = [(str(r["id"]), str(r["text"]), r.get("interventions") or ()) for r in load_labelled(path)]
            report[path.stem] = dump_set(path.stem, rows, out)
        if args.bench:
            from regimens import shared_texts  # bench/regimens.py, beside this script

            texts = shared_texts(args.limit_xml)
            report["bench"] = dump_set("bench", ((str(i), t, ()) for i, t in enumerate(texts)), out)
    finally:
        if out is not None:
            out.close()
    whole = hashlib.sha256("".join(v["sha256"] for v in report.values()).encode()).hexdigest()
    report["all"] = {
        "texts": sum(v["texts"] for v in report.values()),
        "items": sum(v["items"] for v in report.values()),
        "sha256": whole,
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
