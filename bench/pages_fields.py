"""Registry pages, field by field: render shared XML records in each layout, read them back, compare.

The pages come from ``tests/page_renderer.py``, which flattens tables as the seed pages show (see its
comments). Records are split by the last digit of their NCT number: even ones are the tuning set,
odd ones the sealed set (looked at only to report). Every ``--every``-th record of each set is used.

Two readings run side by side on the same pages:
- plain: the page reader on its own (``PageKnowledge.empty()``: no names known);
- store: the page reader with what a store knows (organisation names and classes, intervention names
  and types), built from the archive's *other* records: the trial on the page is left out, so its own
  names count only when another record shares them, as on a page of a trial not yet in the store.

Prints one JSON document: per layout, split (tuning, sealed) and field, for each reading the share kept
(multiset match of normalised values, as in ``tests/test_pages_roundtrip.py``, with its counts) and how
many values the reading gave that the record does not have (wrong), for the fields the flattened tables
hold; ``baseline`` names the plain reading, and ``store_minus_plain`` gives the difference in the
share kept of all fields, per layout and split.

Usage: python bench/pages_fields.py [--every 4] [--layouts A,A-bare,B,C,B-html,C-html]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.model import Trial
from trialatlas.sources import read_path
from trialatlas.sources.pages import read_page

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from page_renderer import SHOWN_FIELDS, page_as_html, render_page, visible_part
from test_pages_roundtrip import fields

try:  # the store's knowledge, where this version of the reader has it
    from trialatlas.sources.pages.knowledge import PageKnowledge
except ImportError:  # pragma: no cover - the baseline run, before the reader used it
    PageKnowledge = None  # type: ignore[assignment,misc]

TABLE_FIELDS = (
    "lead_sponsor.name",
    "collaborators.name",
    "arms.label",
    "arms.description",
    "interventions.name",
    "interventions.arm_labels",
    "outcomes.measure",
    "outcomes.time_frame",
    "outcomes.description",
)


def load(every: int) -> tuple[list[Trial], list[Trial], list[Trial]]:
    """``(all records, tuning sample, sealed sample)`` of the legacy XML archive."""
    archive = shared_data_dir() / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"
    records = [r for r in read_path(archive) if isinstance(r, Trial) and r.nct_id]
    tuning = [t for t in records if int(str(t.nct_id)[-1]) % 2 == 0][::every]
    sealed = [t for t in records if int(str(t.nct_id)[-1]) % 2 == 1][::every]
    return records, tuning, sealed


class Tally:
    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.kept: Counter[str] = Counter()
        self.wrong: Counter[str] = Counter()

    def add(self, original: Counter[tuple[str, str]], read: Counter[tuple[str, str]]) -> None:
        both = original & read
        extra = read - original
        for (path, _), count in original.items():
            self.total[path] += count
            self.total["all"] += count
        for (path, _), count in both.items():
            self.kept[path] += count
            self.kept["all"] += count
        for (path, _), count in extra.items():
            self.wrong[path] += count
            self.wrong["all"] += count

    def share(self, path: str) -> float | None:
        return round(self.kept[path] / self.total[path], 4) if self.total[path] else None

    def figures(self, path: str) -> dict[str, float | int | None]:
        return {
            "kept": self.share(path),
            "kept_values": self.kept[path],
            "values": self.total[path],
            "wrong": self.wrong[path],
        }


def run(trials: list[Trial], layout: str, reader: Callable[[bytes, str, Trial], Trial | object]) -> Tally:
    html = layout.endswith("-html")
    base = layout.removesuffix("-html")
    shown = SHOWN_FIELDS[base]
    tally = Tally()
    for trial in trials:
        page = render_page(trial, base, cells=html)
        data = (page_as_html(page) if html else page).encode("utf-8")
        result = reader(data, f"{trial.nct_id}.{'html' if html else 'txt'}", trial)
        if not isinstance(result, Trial):
            continue
        tally.add(fields(visible_part(trial, base), shown), fields(result, shown))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--every", type=int, default=4)
    parser.add_argument("--layouts", default="A,A-bare,B,C,B-html,C-html")
    args = parser.parse_args()
    started = time.perf_counter()
    records, tuning, sealed = load(args.every)

    readers: dict[str, Callable[[bytes, str, Trial], Trial | object]] = {}
    if PageKnowledge is None:
        readers["plain"] = lambda data, name, _trial: read_page(data, name)
    else:
        empty = PageKnowledge.empty()
        readers["plain"] = lambda data, name, _trial: read_page(data, name, knowledge=empty)
        store = PageKnowledge.from_trials(records)
        readers["store"] = lambda data, name, trial: read_page(data, name, knowledge=store.without(trial))
    layouts: dict[str, dict[str, Any]] = {}
    differences: dict[str, dict[str, float | None]] = {}
    for layout in args.layouts.split(","):
        for split, trials in (("tuning", tuning), ("sealed", sealed)):
            tallies = {name: run(trials, layout, reader) for name, reader in readers.items()}
            layouts.setdefault(layout, {})[split] = {
                "pages": len(trials),
                "fields": {
                    path: {name: tally.figures(path) for name, tally in tallies.items()}
                    for path in ("all", *TABLE_FIELDS)
                    if any(tally.total[path] for tally in tallies.values())
                },
            }
            if "store" in tallies:
                plain, known = tallies["plain"].share("all"), tallies["store"].share("all")
                both = plain is not None and known is not None
                differences.setdefault(layout, {})[split] = round(known - plain, 4) if both else None
    report = {
        "records": len(records),
        "every": args.every,
        "tuning_pages": len(tuning),
        "sealed_pages": len(sealed),
        "readings": list(readers),
        "baseline": "plain",
        "layouts": layouts,
        "store_minus_plain": differences,
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
