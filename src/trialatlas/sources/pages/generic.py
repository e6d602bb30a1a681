"""Pages of no known layout: read only what can be found with confidence, and say what could not.

Without a layout there is no structure to rely on, so the reader takes a value only when the page
labels it ("Status: Recruiting", "Conditions:") or prints it alone on a line where its shape leaves no
doubt (an NCT id, "Phase 2", "Not yet recruiting"). Everything else is listed as unread.
"""

from __future__ import annotations

import re

from trialatlas.model import Eligibility, Enrollment, Sponsor, StudyType, Trial, coerce_enum
from trialatlas.sources.pages.common import PageParse, criteria_from_lines, dedupe, page_record_date
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import is_phase_text, parse_count, parse_phases, parse_status
from trialatlas.text.registry_ids import NCT_IN_TEXT

# The fields the generic reader looks for; each one it cannot find is reported as unread.
GENERIC_FIELDS = ("nct_id", "brief_title", "status", "phases", "conditions", "eligibility")
_LABEL = re.compile(r"^([A-Za-z][A-Za-z /()#.&-]{1,40}?)\s*:\s*(.*)$")
_CRITERIA_START = re.compile(
    r"^(?:[-*•]\s*)?(?:key\s+)?(?:inclusion|eligibility)\s+criteria\b", re.IGNORECASE
)
_SECTION_END = re.compile(
    r"^(?:[-*•#]\s*)?(?:outcome|primary outcome|secondary outcome|locations?|contacts?|sponsors?|"
    r"collaborators|investigators?|study design|design|arms?|interventions?|references|publications|"
    r"more information|study plan|contacts and locations|sites?|results|documents)\b[^.]{0,40}:?$",
    re.IGNORECASE,
)
_HEADING_WORDS = re.compile(
    r"^(?:[-*•#]\s*)?(?:eligibility|inclusion|exclusion|criteria|summary|brief summary|description|"
    r"detailed description|overview|purpose|status|phase|keywords)\b[^.]{0,30}$",
    re.IGNORECASE,
)
_PHASE_IN_TEXT = re.compile(
    r"\b(?:Early\s+)?Phase\s*(?:[0-4]|I{1,3}V?|IV)(?:\s*/\s*(?:Phase\s*)?(?:[0-4]|I{1,3}V?|IV))?\b",
    re.IGNORECASE,
)


def _labelled(lines: list[str]) -> dict[str, tuple[int, str]]:
    """Label (lower case) → (line index, value) for "Label: value" lines, first occurrence kept."""
    found: dict[str, tuple[int, str]] = {}
    for index, line in enumerate(lines):
        match = _LABEL.match(line)
        if match:
            found.setdefault(match[1].strip().lower(), (index, match[2].strip()))
    return found


def _value(labels: dict[str, tuple[int, str]], *names: str) -> str | None:
    for name in names:
        if name in labels and labels[name][1]:
            return labels[name][1]
    return None


def _block_after(lines: list[str], index: int) -> list[str]:
    """The lines under a heading, up to the next heading-like line."""
    block: list[str] = []
    for line in lines[index + 1 :]:
        if _SECTION_END.match(line) or _HEADING_WORDS.match(line) or (line.endswith(":") and len(line) < 40):
            break
        block.append(line)
    return block


def _title_like(line: str) -> bool:
    """A title: a sentence-length line that is no label, link or navigation trail ("Home > Trials")."""
    return (
        15 <= len(line) <= 300
        and not NCT_IN_TEXT.fullmatch(line)
        and not _LABEL.match(line)
        and "http" not in line
        and not re.search(r"\s[>|»/]\s", line)
    )


def parse_generic(lines: list[str]) -> PageParse:
    trial = Trial()
    warnings = [
        "layout not recognised: only the NCT id, title, status, phase, conditions and criteria are read"
    ]
    labels = _labelled(lines)
    text = "\n".join(lines)

    nct_text = _value(
        labels,
        "nct id",
        "nct number",
        "nct",
        "clinicaltrials.gov identifier",
        "identifier",
        "registration number",
        "trial id",
    )
    match = NCT_IN_TEXT.search(nct_text or "") or NCT_IN_TEXT.search(text)
    if match:
        trial.nct_id = match[0]

    title = _value(labels, "brief title", "title", "study title", "official title")
    if title is None:
        candidates = [line.lstrip("# ").strip() for line in lines[:15]]
        candidates = [line for line in candidates if _title_like(line)]
        nct_line = next((i for i, line in enumerate(lines[:15]) if NCT_IN_TEXT.search(line)), None)
        before_nct = lines[nct_line - 1].lstrip("# ").strip() if nct_line else None
        # The title usually sits right above the NCT id; otherwise the first title-like line.
        title = before_nct if before_nct in candidates else (candidates[0] if candidates else None)
    trial.brief_title = clean(title)
    if (official := _value(labels, "official title")) is not None:
        trial.official_title = clean(official)

    status_text = _value(labels, "status", "recruitment status", "overall status", "recruitment")
    status = parse_status(status_text) if status_text else None
    if status is None:
        status = next((s for line in lines if len(line) < 40 and (s := parse_status(line)) is not None), None)
    trial.status.overall_status = status

    phase_text = _value(labels, "phase", "phases", "study phase", "clinical phase")
    phases = parse_phases(phase_text) if phase_text else []
    if not phases:
        phase_line = next((line for line in lines if len(line) < 40 and is_phase_text(line)), None)
        phases = parse_phases(phase_line) if phase_line else []
    if not phases:
        short = next((m[0] for line in lines if len(line) < 60 and (m := _PHASE_IN_TEXT.search(line))), None)
        phases = parse_phases(short) if short else []
    trial.design.phases = phases

    conditions_text = _value(labels, "conditions", "condition", "condition(s)", "disease", "diseases")
    if conditions_text:
        trial.conditions = dedupe(
            [c for part in re.split(r"[;|]|,\s(?=[A-Z])", conditions_text) if (c := clean(part))]
        )
    else:
        heading = next(
            (
                i
                for i, line in enumerate(lines)
                if line.rstrip(":").strip().lower()
                in {"conditions", "condition", "condition(s)", "conditions studied"}
            ),
            None,
        )
        if heading is not None:
            trial.conditions = dedupe(
                [c for line in _block_after(lines, heading)[:20] if (c := clean(line.lstrip("-*• ")))]
            )

    start = next((i for i, line in enumerate(lines) if _CRITERIA_START.match(line)), None)
    if start is not None:
        block = [lines[start]]
        for line in lines[start + 1 :]:
            if _SECTION_END.match(line):
                break
            block.append(line)
        criteria, inclusion, exclusion = criteria_from_lines(block)
        trial.eligibility = Eligibility(criteria_text=criteria, inclusion=inclusion, exclusion=exclusion)

    if (sponsor := _value(labels, "sponsor", "lead sponsor", "sponsored by")) is not None:
        trial.lead_sponsor = Sponsor(name=clean(sponsor) or sponsor)
    if (enrollment := _value(labels, "enrollment", "enrolment", "target enrollment")) is not None:
        trial.design.enrollment = Enrollment(count=parse_count(enrollment))
    if (kind := _value(labels, "study type")) is not None:
        trial.design.study_type = coerce_enum(StudyType, kind)
    if (
        org := _value(labels, "other study id", "org study id", "sponsor protocol number", "protocol id")
    ) is not None:
        trial.org_study_id = clean(org)

    found = {
        "nct_id": trial.nct_id is not None,
        "brief_title": trial.brief_title is not None,
        "status": trial.status.overall_status is not None,
        "phases": bool(trial.design.phases),
        "conditions": bool(trial.conditions),
        "eligibility": trial.eligibility.criteria_text is not None,
    }
    unread = [name for name in GENERIC_FIELDS if not found[name]]
    record_date = page_record_date(_value(labels, "last updated", "last update posted", "last update"))
    return PageParse(trial, "generic", unread, warnings, partial=False, record_date=record_date)
