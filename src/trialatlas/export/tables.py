"""Trials as JSON lines (the trialatlas model) and as CSV in ClinicalTrials.gov's own export layout.

The CSV uses the current website's "Download → CSV" columns, so a file written here opens in the
same tools as a registry export, and reads back through trialatlas's ``ctgov-csv`` reader.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import orjson

from trialatlas.model import Age, Trial

CSV_COLUMNS: tuple[str, ...] = (
    "NCT Number",
    "Study Title",
    "Study URL",
    "Acronym",
    "Study Status",
    "Brief Summary",
    "Study Results",
    "Conditions",
    "Interventions",
    "Primary Outcome Measures",
    "Secondary Outcome Measures",
    "Other Outcome Measures",
    "Sponsor",
    "Collaborators",
    "Sex",
    "Age",
    "Phases",
    "Enrollment",
    "Funder Type",
    "Study Type",
    "Study Design",
    "Other IDs",
    "Start Date",
    "Primary Completion Date",
    "Completion Date",
    "First Posted",
    "Results First Posted",
    "Last Update Posted",
    "Locations",
    "Study Documents",
)


def trial_to_json(trial: Trial, *, with_raw: bool = False) -> bytes:
    """One trial as compact JSON of the model (raw source records left out unless asked for)."""
    data = trial.model_dump(mode="json", exclude_defaults=True)
    if not with_raw:
        for source in data.get("sources", []):
            source.pop("raw", None)
    return orjson.dumps(data)


def write_jsonl(trials: Iterable[Trial], out: IO[bytes], *, with_raw: bool = False) -> int:
    count = 0
    for trial in trials:
        out.write(trial_to_json(trial, with_raw=with_raw) + b"\n")
        count += 1
    return count


def _join(values: Iterable[Any]) -> str:
    return "|".join(str(v) for v in values if v not in (None, ""))


def _age_range(minimum: Age | None, maximum: Age | None) -> str:
    if minimum and maximum:
        return f"{minimum.text} to {maximum.text}"
    if minimum:
        return f"{minimum.text} and older"
    if maximum:
        return f"up to {maximum.text}"
    return ""


def trial_to_csv_row(trial: Trial) -> dict[str, str]:
    design = trial.design
    design_parts = [
        f"Allocation: {design.allocation}" if design.allocation else None,
        f"Intervention Model: {design.intervention_model}" if design.intervention_model else None,
        (
            f"Masking: {design.masking}" + (f" ({', '.join(design.who_masked)})" if design.who_masked else "")
            if design.masking
            else None
        ),
        f"Primary Purpose: {design.primary_purpose}" if design.primary_purpose else None,
        f"Observational Model: {design.observational_model}" if design.observational_model else None,
        f"Time Perspective: {design.time_perspective}" if design.time_perspective else None,
    ]
    status = trial.status

    def outcomes(kind: str) -> str:
        return _join(
            ", ".join(p for p in (o.measure, o.description, o.time_frame) if p)
            for o in trial.outcomes
            if o.kind == kind
        )

    def date(value: Any) -> str:
        return value.date if value else ""

    return {
        "NCT Number": trial.nct_id or "",
        "Study Title": trial.brief_title or "",
        "Study URL": f"https://clinicaltrials.gov/study/{trial.nct_id}" if trial.nct_id else "",
        "Acronym": trial.acronym or "",
        "Study Status": status.overall_status or "",
        "Brief Summary": trial.brief_summary or "",
        "Study Results": "" if trial.has_results is None else ("YES" if trial.has_results else "NO"),
        "Conditions": _join(trial.conditions),
        "Interventions": _join(f"{i.type}: {i.name}" if i.type else i.name for i in trial.interventions),
        "Primary Outcome Measures": outcomes("PRIMARY"),
        "Secondary Outcome Measures": outcomes("SECONDARY"),
        "Other Outcome Measures": outcomes("OTHER"),
        "Sponsor": trial.lead_sponsor.name if trial.lead_sponsor else "",
        "Collaborators": _join(c.name for c in trial.collaborators),
        "Sex": trial.eligibility.sex or "",
        "Age": _age_range(trial.eligibility.minimum_age, trial.eligibility.maximum_age),
        "Phases": _join(design.phases),
        "Enrollment": str(design.enrollment.count)
        if design.enrollment and design.enrollment.count is not None
        else "",
        "Funder Type": (trial.lead_sponsor.agency_class or "") if trial.lead_sponsor else "",
        "Study Type": design.study_type or "",
        "Study Design": " | ".join(p for p in design_parts if p),
        "Other IDs": _join([trial.org_study_id, *(s.id for s in trial.secondary_ids)]),
        "Start Date": date(status.start_date),
        "Primary Completion Date": date(status.primary_completion_date),
        "Completion Date": date(status.completion_date),
        "First Posted": date(status.study_first_post_date),
        "Results First Posted": date(status.results_first_post_date),
        "Last Update Posted": date(status.last_update_post_date),
        "Locations": _join(
            ", ".join(p for p in (loc.facility, loc.city, loc.state, loc.zip, loc.country) if p)
            for loc in trial.locations
        ),
        "Study Documents": _join(
            f"{d.label or d.type_abbrev}, {d.url}" for d in trial.provided_documents if d.url
        ),
    }


def write_csv(trials: Iterable[Trial], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for trial in trials:
        writer.writerow(trial_to_csv_row(trial))
        count += 1
    return count
