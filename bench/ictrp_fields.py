"""ICTRP field accuracy: the ICTRP reader against a plain reading of the same rows, on hand labels.

The labels (``tests/fixtures/ictrp/ictrp_labels.json``: ids and answers) cover two sets of 21 rows of
the shared sample: a tuning set, and a sealed set labelled before the changes the tuning set prompted.
The rows are read from ``../shared/data/ictrp_export`` at run time. The plain baseline is what the
model's own parsers make of each field as written (``normalize_date``, ``parse_age``, ``coerce_enum``,
``coerce_phases``, and ``Key: value`` design parts) with no knowledge of ICTRP's registries. Per field
it prints: correct, wrong (a value that is not the label's), and unknown where the label has a value.
A wrong value is worse than an unknown one, so both are shown.

Usage: python bench/ictrp_fields.py [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.model import Allocation, InterventionModel, Masking, OverallStatus, Sex, Trial
from trialatlas.model.enums import coerce_enum, coerce_phases
from trialatlas.model.values import normalize_date, parse_age
from trialatlas.sources.ictrp import build_trial
from trialatlas.sources.ictrp_fields import IctrpRow

LABELS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ictrp" / "ictrp_labels.json"
_DESIGN_PART = re.compile(r"(Allocation|Intervention model|Masking)\s*:\s*([^.;]*)", re.IGNORECASE)


def reader_values(row: dict[str, str]) -> list[Any]:
    trial: Trial = build_trial(IctrpRow(dict(row)))
    design, elig = trial.design, trial.eligibility
    return [
        trial.status.overall_status,
        trial.status.start_date.date if trial.status.start_date else None,
        elig.minimum_age.years if elig.minimum_age else None,
        elig.maximum_age.years if elig.maximum_age else None,
        elig.sex,
        [p.value for p in design.phases],
        design.allocation,
        design.masking,
        design.intervention_model,
    ]


def baseline_values(row: dict[str, str]) -> list[Any]:
    parts = {key.lower(): value.strip() for key, value in _DESIGN_PART.findall(row["study_design"])}
    minimum, maximum = parse_age(row["Agemin"]), parse_age(row["Agemax"])
    return [
        coerce_enum(OverallStatus, row["Recruitment_status"]),
        normalize_date(row["Date_enrollement"]),
        minimum.years if minimum else None,
        maximum.years if maximum else None,
        coerce_enum(Sex, row["Gender"]),
        [p.value for p in coerce_phases(row["phase"])],
        coerce_enum(Allocation, parts.get("allocation", "")),
        coerce_enum(Masking, parts.get("masking", "").split("(")[0]),
        coerce_enum(InterventionModel, parts.get("intervention model", "")),
    ]


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float | int) and isinstance(got, float | int):
        return abs(got - want) < 0.01
    if isinstance(want, list):
        return list(got or []) == want
    return (got.value if hasattr(got, "value") else got) == want


def score(
    rows: dict[str, dict[str, str]], fields: list[str], answers_by_id: dict[str, list[Any]], read: Any
) -> dict[str, dict[str, int]]:
    tally = {name: {"correct": 0, "wrong": 0, "unknown": 0} for name in fields}
    for trial_id, answers in answers_by_id.items():
        values = read(rows[trial_id])
        for name, got, want in zip(fields, values, answers, strict=True):
            empty = got is None or got == []
            if _same(got, want):
                tally[name]["correct"] += 1
            elif empty:
                tally[name]["unknown"] += 1
            else:
                tally[name]["wrong"] += 1
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    args = parser.parse_args()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    with (args.data / "ictrp_export" / "ictrp_export_sample.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["TrialID"]: row for row in csv.DictReader(f)}
    report: dict[str, Any] = {}
    for split in ("rows", "sealed_rows"):
        answers = labels[split]
        count = len(answers) * len(labels["fields"])
        part: dict[str, Any] = {"rows": len(answers), "labels": count}
        for name, read in (("reader", reader_values), ("baseline", baseline_values)):
            tally = score(rows, labels["fields"], answers, read)
            totals = {k: sum(t[k] for t in tally.values()) for k in ("correct", "wrong", "unknown")}
            part[name] = {"accuracy": round(totals["correct"] / count, 3), **totals, "fields": tally}
        report["tuning" if split == "rows" else "sealed"] = part
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
