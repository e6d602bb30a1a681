"""Layout C: a bullet layout.

Labels and their values are bullets of their own ("- Registration Number" / "- NCT05789017"), grouped
under plain headings ("Recruitment & Eligibility", "Study & Design", "Trial Locations"). Long texts
follow their label as plain lines. Two tables, arms with their interventions ("Group Intervention
Description") and outcome measures ("Name Time Method"), are flattened into running text; the
inclusion and exclusion criteria sit under label-less bullets ("-").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialatlas.model import (
    Allocation,
    Arm,
    DateType,
    Eligibility,
    Enrollment,
    Intervention,
    InterventionModel,
    Location,
    Masking,
    Outcome,
    OutcomeKind,
    PartialDate,
    PrimaryPurpose,
    Sponsor,
    StudyType,
    Trial,
    coerce_enum,
    parse_age,
)
from trialatlas.sources.criteria_text import split_criteria
from trialatlas.sources.pages.common import PageParse, dedupe, heading_key, join_text, page_date, page_record_date
from trialatlas.sources.pages.tables import find_time_frames, split_cells
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import (
    FLAG,
    NCT,
    intervention_label,
    parse_age_range,
    parse_bool,
    parse_count,
    parse_intervention_type,
    parse_phases,
    parse_place,
    parse_sex,
    parse_status,
)

HEADINGS = ("recruitment & eligibility", "study & design", "trial locations", "sponsors & contacts")
LABELS = {
    "conditions": "conditions",
    "condition": "conditions",
    "interventions": "interventions",
    "intervention": "interventions",
    "keywords": "keywords",
    "registration number": "nct",
    "nct number": "nct",
    "other study id": "org_study_id",
    "lead sponsor": "lead_sponsor",
    "collaborators": "collaborators",
    "brief summary": "brief_summary",
    "detailed description": "detailed_description",
    "official title": "official_title",
    "acronym": "acronym",
    "status": "status",
    "recruitment status": "status",
    "phase": "phase",
    "sex": "sex",
    "gender": "sex",
    "age": "ages",
    "ages": "ages",
    "minimum age": "minimum_age",
    "maximum age": "maximum_age",
    "healthy volunteers": "healthy_volunteers",
    "accepts healthy volunteers": "healthy_volunteers",
    "target recruitment": "enrollment",
    "enrollment": "enrollment",
    "inclusion criteria": "inclusion",
    "exclusion criteria": "exclusion",
    "study type": "study_type",
    "study design": "design",
    "allocation": "allocation",
    "masking": "masking",
    "primary purpose": "primary_purpose",
    "arm && interventions": "arms",
    "arms & interventions": "arms",
    "arms and interventions": "arms",
    "primary outcome measures": "primary_outcomes",
    "secondary outcome measures": "secondary_outcomes",
    "other outcome measures": "other_outcomes",
    "locations": "locations",
    "start date": "start",
    "study start": "start",
    "primary completion date": "primary_completion",
    "completion date": "completion",
    "last updated": "last_updated",
}


@dataclass
class _Field:
    name: str
    heading: str
    values: list[str] = field(default_factory=list)


def _bullet(line: str) -> str | None:
    """The text of a bullet line ("" for a label-less "-"), else ``None``."""
    match = re.match(r"^[-*•]\s*(.*)$", line)
    return match[1].strip() if match else None


def _fields(lines: list[str]) -> tuple[list[str], list[_Field], list[str]]:
    """``(title lines, fields, headings seen)``: each label bullet with the lines up to the next label."""
    title: list[str] = []
    fields: list[_Field] = []
    headings: list[str] = []
    heading = ""
    blanks = 0
    for line in lines:
        key = heading_key(line)
        bullet = _bullet(line)
        if bullet is None and key in HEADINGS:
            heading = key
            headings.append(key)
            blanks = 0
            continue
        if bullet is not None and heading_key(bullet) in LABELS:
            fields.append(_Field(LABELS[heading_key(bullet)], heading))
            continue
        if bullet == "":
            # Label-less bullets in the eligibility block stand for the inclusion, then exclusion, criteria.
            blanks += 1
            name = {1: "inclusion", 2: "exclusion"}.get(blanks, "unlabeled") if "eligib" in heading else "unlabeled"
            fields.append(_Field(name, heading))
            continue
        if not fields:
            title.append(line)
            continue
        fields[-1].values.append(line if bullet is None else bullet)
    return title, fields, headings


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.trial = Trial()
        self.unread: list[str] = []
        self.warnings: list[str] = []
        self.record_date = None
        self.intervention_names: list[str] = []

    def parse(self) -> PageParse:
        title, fields, headings = _fields(self.lines)
        if title:
            self.trial.brief_title = clean(title[0].lstrip("# "))
        inclusion: list[str] = []
        exclusion: list[str] = []
        for item in fields:
            if item.name == "interventions":
                self.intervention_names = [v for value in item.values if (v := clean(value))]
        for item in fields:
            values = item.values
            one = clean(values[0]) if values else None
            name = item.name
            if name == "inclusion":
                inclusion.extend(values)
            elif name == "exclusion":
                exclusion.extend(values)
            elif name == "arms":
                self._arms(values)
            elif name.endswith("_outcomes"):
                self._outcomes(values, coerce_enum(OutcomeKind, name.split("_")[0]) or OutcomeKind.OTHER)
            elif name == "locations":
                self._locations(values)
            elif name in {"brief_summary", "detailed_description"}:
                setattr(self.trial, name, join_text(values))
            elif name in {"conditions", "keywords"}:
                setattr(self.trial, name, dedupe([v for value in values if (v := clean(value))]))
            elif name == "interventions":
                continue
            elif one is not None:
                self._value(name, one, values)
        self._eligibility(inclusion, exclusion)
        if self.trial.nct_id is None:
            match = NCT.search("\n".join(self.lines[:80]))
            if match:
                self.trial.nct_id = match[0]
        partial = "trial locations" not in headings
        if partial:
            last = headings[-1] if headings else (fields[-1].name if fields else "the title")
            self.warnings.append(f"page cut off: it ends in {last!r}, before the trial locations")
        return PageParse(self.trial, "C", dedupe(self.unread), self.warnings, partial, self.record_date)

    def _value(self, name: str, one: str, values: list[str]) -> None:
        trial = self.trial
        design = trial.design
        elig = trial.eligibility
        if name == "nct":
            match = NCT.search(one)
            trial.nct_id = match[0] if match else trial.nct_id
        elif name == "org_study_id":
            trial.org_study_id = one
        elif name == "lead_sponsor":
            trial.lead_sponsor = Sponsor(name=one)
        elif name == "collaborators":
            trial.collaborators = [Sponsor(name=v) for value in values if (v := clean(value))]
        elif name in {"official_title", "acronym"}:
            setattr(trial, name, one)
        elif name == "status":
            trial.status.overall_status = parse_status(one)
        elif name == "phase":
            design.phases = parse_phases(one)
        elif name == "sex":
            elig.sex = parse_sex(one)
        elif name == "ages":
            elig.minimum_age, elig.maximum_age = parse_age_range(one)
        elif name in {"minimum_age", "maximum_age"}:
            setattr(elig, name, parse_age(one))
        elif name == "healthy_volunteers":
            elig.healthy_volunteers = parse_bool(one)
        elif name == "enrollment":
            kind = re.search(r"(estimated|anticipated|actual)", one, re.IGNORECASE)
            design.enrollment = Enrollment(count=parse_count(one), type=coerce_enum(DateType, kind[1]) if kind else None)
        elif name == "study_type":
            design.study_type = coerce_enum(StudyType, one)
        elif name in {"design", "allocation", "masking", "primary_purpose"}:
            self._design(values)
        elif name in {"start", "primary_completion", "completion"}:
            date = page_date(one)
            if date:
                setattr(trial.status, f"{name}_date", PartialDate(date=date))
        elif name == "last_updated":
            self.record_date = page_record_date(one)
        else:
            self.warnings.append(f"value {one[:60]!r} under an unknown label not read")
            self.unread.append(name)

    def _design(self, values: list[str]) -> None:
        design = self.trial.design
        for value in (part.strip() for v in values for part in re.split(r"[,;]", v)):
            if not value:
                continue
            if (allocation := coerce_enum(Allocation, value)) is not None:
                design.allocation = allocation
            elif (model := coerce_enum(InterventionModel, value)) is not None:
                design.intervention_model = model
            elif (purpose := coerce_enum(PrimaryPurpose, value)) is not None:
                design.primary_purpose = purpose
            elif (masking := coerce_enum(Masking, value.split("(")[0])) is not None:
                design.masking = masking
            else:
                self.warnings.append(f"study design value {value!r} not read")
                self.unread.append("design")

    def _eligibility(self, inclusion: list[str], exclusion: list[str]) -> None:
        inc = _criteria_items(inclusion)
        exc = _criteria_items(exclusion)
        if not inc and not exc:
            return
        parts = []
        if inc:
            parts.append("Inclusion Criteria:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(inc, 1)))
        if exc:
            parts.append("Exclusion Criteria:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(exc, 1)))
        elig: Eligibility = self.trial.eligibility
        elig.criteria_text = "\n\n".join(parts)
        elig.inclusion, elig.exclusion = inc, exc

    # -- tables --------------------------------------------------------------------------------------

    def _arms(self, values: list[str]) -> None:
        rows = _arm_rows(values)
        arms: dict[str, Arm] = {}
        interventions: dict[str, Intervention] = {}
        for label, name, description in rows:
            arm = arms.get(label)
            if arm is None:
                arm = arms[label] = Arm(label=label, description=description)
            if not name:
                continue
            kind = None
            match = re.match(r"^([A-Za-z /]+):\s*(.+)$", name)
            if match and parse_intervention_type(match[1]) is not None:
                kind, name = parse_intervention_type(match[1]), match[2].strip()
            item = interventions.get(name)
            if item is None:
                item = interventions[name] = Intervention(name=name, type=kind)
            if label not in item.arm_labels:
                item.arm_labels.append(label)
            arm.intervention_names.append(intervention_label(item.type, name))
        self.trial.arms = list(arms.values())
        listed = [Intervention(name=name) for name in self.intervention_names if name not in interventions]
        self.trial.interventions = list(interventions.values()) + listed
        if values and not rows:
            self.warnings.append("arms table not read")
            self.unread.append("arms")

    def _outcomes(self, values: list[str], kind: OutcomeKind) -> None:
        for measure, time_frame, description in _outcome_rows(values):
            self.trial.outcomes.append(
                Outcome(kind=kind, measure=measure, time_frame=time_frame, description=description)
            )
        if values and not any(o.kind == kind for o in self.trial.outcomes):
            self.warnings.append(f"{kind.value.lower()} outcome table not read")
            self.unread.append("outcomes")

    def _locations(self, values: list[str]) -> None:
        locations: list[Location] = []
        pending: str | None = None
        for value in values:
            flagged = FLAG.match(value)
            place = FLAG.sub("", value).strip()
            status = parse_status(place)
            if status is not None and locations:
                locations[-1].status = status
            elif flagged or (pending is not None and "," in place):
                city, state, country = parse_place(place)
                locations.append(Location(facility=pending, city=city, state=state, country=country))
                pending = None
            else:
                if pending is not None:
                    locations.append(Location(facility=pending))
                pending = clean(value)
        if pending is not None:
            locations.append(Location(facility=pending))
        self.trial.locations = locations


def _criteria_items(lines: list[str]) -> list[str]:
    """Criteria items from text that lost its list markup: "first; 2. second; 3. third"."""
    items: list[str] = []
    for line in lines:
        text = clean(line) or ""
        inclusion, exclusion = split_criteria(text)
        chunk = " ".join(inclusion + exclusion) if (inclusion or exclusion) else text
        parts = re.split(r"(?:(?<=[;.])|(?<=^))\s*\d{1,2}[.)]\s+(?=[A-Z(])", chunk)
        items.extend(part.strip().rstrip(";").strip() for part in parts if part.strip())
    return items


_ARM_HEADER = re.compile(r"^\s*group\s+intervention\s+description\s*", re.IGNORECASE)
_LABEL_TAIL = re.compile(r"^(?:[IVX]{1,4}|[A-Z]|\d{1,2}[A-Za-z]?|[a-z])[:.)]?$")


def _arm_rows(values: list[str]) -> list[tuple[str, str, str | None]]:
    """``(arm label, intervention, arm description)`` rows of the flattened "Group Intervention Description" table."""
    rows: list[tuple[str, str, str | None]] = []
    lines = [_ARM_HEADER.sub("", value).strip() for value in values]
    lines = [line for line in lines if line]
    for line in lines:
        cells = split_cells(line)
        if cells is not None:
            cells += ["", ""]
            rows.append((cells[0], cells[1], clean(cells[2])))
            continue
        for row in _split_arm_rows(line):
            label, rest = _arm_label(row)
            name, description = _intervention_and_description(rest)
            rows.append((label, name, description))
    return rows


def _split_arm_rows(line: str) -> list[str]:
    """Rows that a save ran together: each starts after a sentence, with the first row's label word."""
    words = line.split()
    if not words:
        return []
    first = words[0]
    starts = [0]
    position = 0
    for index, word in enumerate(words):
        if index and word == first and words[index - 1].endswith((".", ";", ")")):
            tail = words[index + 1] if index + 1 < len(words) else ""
            if _LABEL_TAIL.match(tail) or tail[:1].isupper():
                starts.append(index)
        position += 1
    bounds = [*starts, len(words)]
    return [" ".join(words[bounds[i] : bounds[i + 1]]) for i in range(len(starts))]


def _arm_label(row: str) -> tuple[str, str]:
    words = row.split()
    size = 1
    while size < len(words) and size < 3 and _LABEL_TAIL.match(words[size]):
        size += 1
    if ":" in " ".join(words[:4]) and size == 1:
        head, _, rest = row.partition(":")
        return head.strip(), rest.strip()
    return " ".join(words[:size]), " ".join(words[size:])


def _intervention_and_description(text: str) -> tuple[str, str | None]:
    """The intervention is the run of capitalised words before the description's first sentence."""
    words = text.split()
    connectors = {"and", "of", "or", "with", "plus", "+", "&", "/", "in", "the", "for", "vs", "-"}
    for index in range(1, len(words) - 1):
        word, following = words[index], words[index + 1]
        if (
            word[:1].isupper()
            and word[1:].islower()
            and following.islower()
            and following.isalpha()
            and following not in connectors
        ):
            return " ".join(words[:index]), clean(" ".join(words[index:]))
    return "", clean(text)


_OUTCOME_HEADER = re.compile(r"^\s*name\s+time\s+method\s*", re.IGNORECASE)


def _outcome_rows(values: list[str]) -> list[tuple[str, str | None, str | None]]:
    """``(measure, time frame, description)`` rows of the flattened "Name Time Method" table."""
    lines = [_OUTCOME_HEADER.sub("", value).strip() for value in values]
    lines = [line for line in lines if line]
    rows: list[tuple[str, str | None, str | None]] = []
    if lines and all(split_cells(line) is not None for line in lines):
        for line in lines:
            cells = (split_cells(line) or []) + ["", "", ""]
            if cells[0]:
                rows.append((clean(cells[0]) or cells[0], clean(cells[1]), clean(cells[2])))
        return rows
    text = "\n".join(lines)
    spans = find_time_frames(text)
    if not spans:
        return [(clean(line) or line, None, None) for line in lines]
    cursor = 0
    measure_start = 0
    for number, (start, end) in enumerate(spans):
        measure = text[measure_start:start]
        next_start = spans[number + 1][0] if number + 1 < len(spans) else len(text)
        between = text[end:next_start]
        if number + 1 < len(spans):
            description, next_measure_at = _split_between(between)
            measure_start = end + next_measure_at
        else:
            description = between
        rows.append((clean(measure.replace("\n", " ")) or "", clean(text[start:end]), clean(description)))
        cursor = end
    del cursor
    return [row for row in rows if row[0]]


def _split_between(text: str) -> tuple[str, int]:
    """``(description of one row, offset where the next row's measure starts)``."""
    if "\n" in text.strip():
        cut = text.rstrip().rfind("\n")
        return text[:cut], cut + 1
    boundaries = [m.end() for m in re.finditer(r"[.;:!?]\s+(?=[A-Z(])", text)]
    if boundaries:
        cut = boundaries[-1]
        return text[:cut], cut
    return "", 0


def parse_layout_c(lines: list[str]) -> PageParse:
    return _Reader(lines).parse()
