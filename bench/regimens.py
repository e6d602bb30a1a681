"""Regimen parsing speed and accuracy: texts/s over every arm and intervention description, with a peer.

Texts come from the store when one is given (``--db``) and holds trials, else straight from the shared
ClinicalTrials.gov records (API v2 JSONL and the legacy XML tarball). The peer is a plain regex dose
extractor (number + unit, nothing else) measured in the same run. Speed is the best of ``--rounds``
passes, both by the wall clock and by the process's CPU time: the second is what one core sustains when
other work shares the machine. Accuracy is scored against the labelled sets, the parser beside the plain
regex baseline in the same run: strict item P/R/F1 (all seven fields right), paired item P/R/F1 (amount
and unit), per-field F1 and the share of texts with a fragment marked unparsed. ``regimens_dev.jsonl``
is labelled by specs/regimen-items.md; the two older sets predate it. Prints JSON.
"""

from __future__ import annotations

import argparse
import gzip
import re
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
from lxml import etree

from trialatlas.config import shared_data_dir
from trialatlas.eval.regimens import compare_with_baseline, load_labelled
from trialatlas.extract.regimen.parse import parse_regimen

_LABELLED = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
# Every labelled set, found by name (a new set is scored without editing this file), but the sealed one:
# its own test scores it, and only as aggregates.
FIXTURES = {
    path.stem.removeprefix("regimens_"): path
    for path in sorted(_LABELLED.glob("regimens_*.jsonl"))
    if path.stem != "regimens_sealed"
}
_PEER = re.compile(
    r"(\d+(?:\.\d+)?)\s*(mg|g|mcg|µg|ug|IU|units?|mL)\b(?:\s*/\s*(kg|m2|day|d))?", re.IGNORECASE
)


def store_texts(db: str) -> list[str]:
    from trialatlas.store import open_store

    store = open_store(db)
    try:
        texts: list[str] = []
        for trial in store.iter_trials():
            texts.extend(a.description for a in trial.arms if a.description)
            texts.extend(i.description for i in trial.interventions if i.description)
        return texts
    finally:
        store.close()


def shared_texts(limit_xml: int | None) -> Iterator[str]:
    data = shared_data_dir()
    with gzip.open(data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz") as handle:
        for line in handle:
            module = orjson.loads(line).get("protocolSection", {}).get("armsInterventionsModule", {})
            for group in (module.get("armGroups") or []) + (module.get("interventions") or []):
                if group.get("description"):
                    yield group["description"]
    seen = 0
    with tarfile.open(data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz") as tar:
        for member in tar:
            if not member.name.endswith(".xml") or (limit_xml is not None and seen >= limit_xml):
                continue
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            seen += 1
            root = etree.fromstring(extracted.read())
            for node in root.iterfind("arm_group/description"):
                if node.text:
                    yield node.text.strip()
            for node in root.iterfind("intervention/description"):
                if node.text:
                    yield node.text.strip()


def peer(text: str) -> int:
    return len(_PEER.findall(text))


def rate(texts: list[str], fn: Callable[[str], object], rounds: int) -> tuple[float, float]:
    """Best texts/s over ``rounds`` passes, by wall clock and by CPU time."""
    best_wall = best_cpu = 0.0
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            fn(text)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        best_wall = max(best_wall, len(texts) / wall if wall else 0.0)
        best_cpu = max(best_cpu, len(texts) / cpu if cpu else 0.0)
    return round(best_wall, 1), round(best_cpu, 1)


def accuracy(path: Path) -> dict[str, object]:
    """The parser and the baseline on one labelled set, side by side."""
    both = compare_with_baseline(load_labelled(path))
    return {
        name: {
            "texts": report["texts"],
            "gold_items": report["gold_items"],
            "strict": report["strict"],
            "paired": report["items"],
            "field_f1": {field: value["f1"] for field, value in report["fields"].items()},
            "unparsed_rate": report["unparsed"]["rate"],
        }
        for name, report in both.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a store to read texts from (default: the shared files)")
    parser.add_argument("--limit-xml", type=int, default=None, help="read only this many XML records")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = store_texts(args.db) if args.db else []
    source = "store"
    if not texts:
        texts = list(shared_texts(args.limit_xml))
        source = "shared files"
    parse_regimen("warm up 5 mg daily")  # loads the vocabulary once, outside the timing
    parsed = [parse_regimen(t) for t in texts]
    wall, cpu = rate(texts, parse_regimen, args.rounds)
    peer_wall, peer_cpu = rate(texts, peer, args.rounds)
    result = {
        "texts": len(texts),
        "source": source,
        "chars_mean": round(sum(map(len, texts)) / max(1, len(texts)), 1),
        "texts_per_s": wall,
        "cpu_texts_per_s": cpu,
        "target_texts_per_s": 5000,
        "peer_regex_texts_per_s": peer_wall,
        "peer_regex_cpu_texts_per_s": peer_cpu,
        "dosed_items": sum(len(p.dosed_items) for p in parsed),
        "texts_with_unparsed": sum(1 for p in parsed if p.unparsed),
        "evaluation": {name: accuracy(path) for name, path in FIXTURES.items()},
    }
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
