"""Retrieval check: TREC Clinical Trials 2021, our search against plain BM25, in one run.

Builds (or reuses with ``--db``) a store of the shared records plus the ~101k trial descriptions,
indexes the judged trials it holds, ranks each topic's judged trials with both systems, prints NDCG@10
and P@10 as JSON and writes the TREC run files (``topic Q0 NCT rank score tag``).

Usage: python bench/search_trec.py [--db FILE] [--out var/trec2021] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from trialatlas.config import shared_data_dir
from trialatlas.eval.search import run_trec
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", type=Path, help="A store already holding the shared records and descriptions."
    )
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--out", type=Path, default=Path("var/trec2021"))
    args = parser.parse_args()

    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="trialatlas-trec-") as work:
        if args.db is None:
            store = SqliteStore(Path(work) / "atlas.db")
            started = time.perf_counter()
            ingest(
                [
                    args.data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz",
                    args.data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz",
                    args.data / "ctgov_trial_descriptions_100k",
                ],
                store,
            )
            report["ingest_s"] = round(time.perf_counter() - started, 1)
        else:
            store = SqliteStore(args.db)
        result = run_trec(store, args.data / "trialgpt_benchmarks" / "trec_2021", out_dir=args.out)
        store.close()
    report.update(result.as_dict())
    report["runs"] = [str(args.out / f"{name}.run") for name in result.systems]
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
