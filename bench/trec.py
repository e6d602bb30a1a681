"""Patient-to-trial matching on TREC Clinical Trials 2021 and SIGIR 2016: the matcher against plain BM25.

For each collection (``trialgpt_benchmarks/{trec_2021,sigir}`` of the shared data) every topic's judged
trials held in the store are ranked; NDCG@10 (gains 2 eligible, 1 excluded, 0 not relevant) and P@10
(eligible) are printed for ``trialatlas`` and ``bm25`` in one JSON object, with the difference.

The store is ``--db``; without one, every shared ClinicalTrials.gov record (legacy XML, API v2 samples,
format fixtures, target trials, the 100k description dump) is ingested into a temporary store first.
Runs are written to ``--runs DIR`` when given.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from trialatlas.config import shared_data_dir
from trialatlas.eval.matching import evaluate_trec
from trialatlas.store import TrialStore, open_store

COLLECTIONS = ("trec_2021", "sigir")
CTGOV_SOURCES = (
    "ctgov_legacy_xml_2023",
    "ctgov_api_v2_samples",
    "ctgov_format_fixtures",
    "ctgov_target_trials",
    "ctgov_trial_descriptions_100k",
)


def _store(db: str | None, scratch: Path) -> tuple[TrialStore, float]:
    if db:
        return open_store(db), 0.0
    from trialatlas.services.ingest import ingest

    store = open_store(str(scratch / "trec.db"))
    started = time.perf_counter()
    ingest([shared_data_dir() / name for name in CTGOV_SOURCES], store)
    return store, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="Store to rank from (default: ingest the shared data).")
    parser.add_argument("--runs", type=Path, default=None, help="Directory to write the run files to.")
    args = parser.parse_args(argv)
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        store, ingest_seconds = _store(args.db, Path(scratch))
        try:
            if ingest_seconds:
                report["ingest_seconds"] = round(ingest_seconds, 1)
            for name in COLLECTIONS:
                folder = shared_data_dir() / "trialgpt_benchmarks" / name
                run = args.runs / f"{name}.run" if args.runs else None
                result = evaluate_trec(store, folder / "queries.jsonl", folder / "qrels" / "test.tsv", run)
                figures = result.as_dict()
                ours, bm25 = result.systems["trialatlas"], result.systems["bm25"]
                figures["trialatlas_minus_bm25"] = {
                    "ndcg@10": round(ours.ndcg_at_10 - bm25.ndcg_at_10, 4),
                    "p@10": round(ours.p_at_10 - bm25.p_at_10, 4),
                }
                report[name] = figures
        finally:
            store.close()
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
