"""Layout B: "Clinical Trial Details" pages.

Blocks of "Label value" lines ("NCT number NCT03580291", "Est. completion date June 1, 2021"), free
text under "Clinical Trial Summary" and "Description:", an eligibility block, an intervention list of
"Drug:" / name / description lines, and three tables (locations, outcomes, "See also" trials) that a
text save flattens into one line per row; :mod:`trialatlas.sources.pages.tables` splits those rows.
Values use the legacy ClinicalTrials.gov display spellings ("Not yet recruiting", "Phase 1/Phase 2").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trialatlas.model import (
    Allocation,
    Contact,
    ContactRole,
    DateType,
    Eligibility,
    Intervention,
    InterventionModel,
    Location,
    Masking,
    ObservationalModel,
    Organization,
    Outcome,
    OutcomeKind,
    Oversight,
    PartialDate,
    PrimaryPurpose,
    RelatedTrial,
    SecondaryId,
    Sponsor,
    TimePerspective,
    WhoMasked,
    coerce_enum,
)
from trialatlas.sources.pages.common import (
    PageParse,
    PageReader,
    criteria_from_lines,
    dedupe,
    heading_key,
    join_text,
    page_date,
    page_record_date,
)
from trialatlas.sources.pages.knowledge import PageKnowledge
from trialatlas.sources.pages.tables import (
    STATES,
    known_measure_head,
    known_time_frame_tail,
    segment_names,
    split_cells,
    split_location_row,
    split_measure_description,
    split_time_frame,
)
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import (
    STATUS_DISPLAY,
    leading_country,
    parse_bool,
    parse_intervention_type,
    parse_phases,
    parse_status,
    read_design_or_eligibility,
)
from trialatlas.text.registry_ids import NCT_IN_TEXT

SECTIONS = {
    "administrative data": "admin",
    "study information": "admin",
    "clinical trial summary": "summary",
    "brief summary": "summary",
    "description": "description",
    "detailed description": "description",
    "recruitment information / eligibility": "recruitment",
    "study design": "design",
    "related conditions & mesh terms": "conditions",
    "conditions": "conditions",
    "keywords": "keywords",
    "intervention": "interventions",
    "interventions": "interventions",
    "locations": "locations",
    "sponsors": "sponsors",
    "country where clinical trial is conducted": "countries",
    "outcome": "outcomes",
    "outcomes": "outcomes",
    "see also": "see_also",
}
# "Label value" labels, longest first so that "Est. primary completion date" wins over "Est. ...".
_LABELS = sorted(
    [
        ("NCT number", "nct"),
        ("Other study ID #", "org_study_id"),
        ("Other study ID", "org_study_id"),
        ("Secondary ID", "secondary_id"),
        ("Status", "status"),
        ("Phase", "phase"),
        ("First received", "first_received"),
        ("Last updated", "last_updated"),
        ("Start date", "start"),
        ("Est. start date", "start_est"),
        ("Completion date", "completion"),
        ("Est. completion date", "completion_est"),
        ("Primary completion date", "primary_completion"),
        ("Est. primary completion date", "primary_completion_est"),
        ("Verified date", "verified"),
        ("Source", "source"),
        ("Contact", "contact"),
        ("Phone", "phone"),
        ("Email", "email"),
        ("Is FDA regulated", "fda"),
        ("Health authority", "health_authority"),
        ("Study type", "study_type"),
        ("Enrollment", "enrollment"),
        ("Est. enrollment", "enrollment_est"),
        ("Accepts healthy volunteers", "healthy_volunteers"),
        ("Gender", "sex"),
        ("Sex", "sex"),
        ("Age group", "ages"),
        ("Eligibility", "eligibility"),
        ("Official title", "official_title"),
        ("Brief title", "brief_title"),
        ("Title", "brief_title"),
        ("Acronym", "acronym"),
        ("Study design", "design"),
    ],
    key=lambda pair: len(pair[0]),
    reverse=True,
)
_INTERVENTION_TYPE = re.compile(
    r"^(Drug|Other|Device|Biological|Biological/Vaccine|Procedure|Procedure/Surgery|Behavioral|Radiation|"
    r"Dietary Supplement|Genetic|Combination Product|Diagnostic Test)\s*:\s*(.*)$",
    re.IGNORECASE,
)
_CLOSING = {"sponsors", "countries", "outcomes", "see_also"}
_COUNT = re.compile(r"\((\d+)\)\s*$")


def label_of(line: str) -> tuple[str, str] | None:
    """``(field, value)`` of a "Label value" line, else ``None``."""
    for label, name in _LABELS:
        if line[: len(label)].casefold() == label.casefold():
            rest = line[len(label) :]
            if not rest or rest[0] in " \t:":
                return name, rest.strip(" \t:")
    return None


def _design_values(text: str) -> dict[str, str]:
    """ "Allocation: Randomized, Intervention Model: Parallel Assignment, Masking: Double (A, B)"."""
    pairs: dict[str, str] = {}
    for match in re.finditer(r"([A-Z][A-Za-z ]+?):\s*((?:[^,(]|\([^)]*\))+)", text):
        pairs[match[1].strip().lower()] = match[2].strip()
    return pairs


class _Reader(PageReader):
    layout = "B"

    def __init__(self, lines: list[str], known: Callable[[], PageKnowledge]) -> None:
        super().__init__(lines)
        self.known = known
        # "Sponsors (2)": how many sponsors the table holds, to tell a flattened row from one sponsor.
        self.sponsor_count: int | None = None

    def parse(self) -> PageParse:
        sections: list[tuple[str, list[str]]] = [("head", [])]
        for line in self.lines:
            key = heading_key(line)
            name = SECTIONS.get(key)
            found = label_of(line)
            if name is not None and (found is None or not found[1]):
                sections.append((name or key, []))
                if name == "sponsors" and (count := _COUNT.search(line)):
                    self.sponsor_count = int(count[1])
            else:
                sections[-1][1].append(line)
        seen = {name for name, _ in sections}
        handlers: dict[str, Callable[[list[str]], None]] = {
            "head": self._head,
            "admin": self._labels,
            "recruitment": self._recruitment,
            "summary": self._summary,
            "description": self._description,
            "design": self._design,
            "conditions": self._conditions,
            "keywords": self._keywords,
            "interventions": self._interventions,
            "locations": self._locations,
            "sponsors": self._sponsors,
            "outcomes": self._outcomes,
            "see_also": self._see_also,
        }
        for name, lines in sections:
            handler = handlers.get(name)
            if handler is not None:
                handler(lines)
            elif name != "countries" and lines:
                self.not_read(name, f"section {name!r} not read ({len(lines)} lines)")
        self._fill_countries(dict(sections).get("countries", []))
        self.nct_id_from_text(60)
        partial = not (seen & _CLOSING)
        if partial:
            self.warnings.append(
                f"page cut off: it ends in {sections[-1][0]!r}, before the sponsor and outcome tables"
            )
        return self.result(partial)

    # -- label blocks --------------------------------------------------------------------------------

    def _head(self, lines: list[str]) -> None:
        for line in lines:
            match = re.search(r"Status:\s*(.+)$", line)
            if line.lower().startswith("clinical trial details"):
                if match:
                    self.trial.status.overall_status = parse_status(match[1])
            elif label_of(line) is not None:
                self._labels([line])
            elif heading_key(line).endswith("logo"):
                continue
            elif self.trial.brief_title is None:
                self.trial.brief_title = clean(line)

    def _recruitment(self, lines: list[str]) -> None:
        criteria: list[str] | None = None
        rest: list[str] = []
        for line in lines:
            found = label_of(line)
            if criteria is None and found and found[0] == "eligibility":
                criteria = [found[1]] if found[1] else []
            elif criteria is not None:
                criteria.append(line)
            else:
                rest.append(line)
        self._labels(rest)
        if criteria:
            text, inclusion, exclusion = criteria_from_lines(criteria)
            elig = self.trial.eligibility
            elig.criteria_text, elig.inclusion, elig.exclusion = text, inclusion, exclusion

    def _labels(self, lines: list[str]) -> None:
        trial = self.trial
        status = trial.status
        design = trial.design
        elig: Eligibility = trial.eligibility
        for line in lines:
            found = label_of(line)
            if found is None:
                if line.strip():
                    self.warnings.append(f"line {line[:60]!r} not read")
                continue
            name, value = found
            if not value:
                continue
            estimated = name.endswith("_est")
            name = name.removesuffix("_est")
            date = page_date(value)
            kind = DateType.ESTIMATED if estimated else None
            if name == "nct":
                match = NCT_IN_TEXT.search(value)
                trial.nct_id = match[0] if match else trial.nct_id
            elif name == "org_study_id":
                trial.org_study_id = clean(value)
            elif name == "secondary_id":
                trial.secondary_ids.extend(
                    SecondaryId(id=part.strip()) for part in value.split(";") if part.strip()
                )
            elif name == "status":
                status.overall_status = parse_status(value) or status.overall_status
            elif read_design_or_eligibility(name, value, design, elig, kind):
                continue
            elif name == "first_received":
                status.study_first_submit_date = date
            elif name == "last_updated":
                status.last_update_submit_date = date
                self.record_date = page_record_date(value)
            elif name in {"start", "completion", "primary_completion"} and date:
                field = {
                    "start": "start_date",
                    "completion": "completion_date",
                    "primary_completion": "primary_completion_date",
                }[name]
                setattr(status, field, PartialDate(date=date, type=kind))
            elif name == "verified":
                status.status_verified_date = date
            elif name == "source":
                trial.organization = Organization(name=clean(value))
            elif name == "contact":
                trial.central_contacts.append(Contact(name=clean(value), role=ContactRole.CONTACT))
            elif name in {"phone", "email"} and trial.central_contacts:
                setattr(trial.central_contacts[-1], name, value.strip())
            elif name == "fda":
                regulated = parse_bool(value)
                # The legacy page has one flag for drugs and devices: "No" settles both, "Yes" neither.
                if regulated is False:
                    trial.oversight = Oversight(is_fda_regulated_drug=False, is_fda_regulated_device=False)
            elif name in {"official_title", "brief_title", "acronym"}:
                setattr(trial, name, clean(value))
            elif name == "design":
                self._design([value])
            else:
                self.not_read(name, f"{name.replace('_', ' ')} {value!r} not read")

    # -- text sections -------------------------------------------------------------------------------

    def _summary(self, lines: list[str]) -> None:
        self.trial.brief_summary = join_text(lines)

    def _description(self, lines: list[str]) -> None:
        self.trial.detailed_description = join_text(lines)

    def _conditions(self, lines: list[str]) -> None:
        self.trial.conditions = dedupe([v for line in lines if (v := clean(line.lstrip("-*• ")))])

    def _keywords(self, lines: list[str]) -> None:
        self.trial.keywords = dedupe([v for line in lines if (v := clean(line.lstrip("-*• ")))])

    def _design(self, lines: list[str]) -> None:
        design = self.trial.design
        values = _design_values(" , ".join(lines))
        for key, value in values.items():
            if "allocation" in key:
                design.allocation = coerce_enum(Allocation, value)
            elif "intervention model" in key:
                design.intervention_model = coerce_enum(InterventionModel, value)
            elif "observational model" in key:
                design.observational_model = coerce_enum(ObservationalModel, value)
            elif "time perspective" in key:
                design.time_perspective = coerce_enum(TimePerspective, value)
            elif "purpose" in key:
                design.primary_purpose = coerce_enum(PrimaryPurpose, value)
            elif "masking" in key:
                match = re.match(r"^([^(]+)(?:\((.*)\))?", value)
                design.masking = coerce_enum(Masking, match[1].strip()) if match else None
                if match and match[2]:
                    design.who_masked = [
                        w for part in match[2].split(",") if (w := coerce_enum(WhoMasked, part.strip()))
                    ]
        if not values and any(line.strip() for line in lines):
            self.not_read("design", "study design not read")

    # -- lists and tables ----------------------------------------------------------------------------

    def _interventions(self, lines: list[str]) -> None:
        items: list[Intervention] = []
        desc: list[str] = []
        awaiting_name = None
        for line in lines:
            match = _INTERVENTION_TYPE.match(line)
            if match:
                if items:
                    items[-1].description = join_text(desc)
                desc = []
                kind = parse_intervention_type(match[1])
                if match[2].strip():
                    items.append(Intervention(type=kind, name=clean(match[2]) or match[2]))
                    awaiting_name = None
                else:
                    awaiting_name = kind
                    items.append(Intervention(type=kind, name="?"))
            elif awaiting_name is not None or (items and items[-1].name == "?"):
                items[-1].name = clean(line) or line
                awaiting_name = None
            elif items:
                desc.append(line)
            else:
                items.append(Intervention(name=clean(line) or line))
        if items:
            items[-1].description = join_text(desc)
        self.trial.interventions = [item for item in items if item.name != "?"]

    def _locations(self, lines: list[str]) -> None:
        rows = _rows(lines, header=("country",))
        locations = []
        for row in rows:
            cells = split_cells(row)
            if cells is not None:
                cells += [""] * (4 - len(cells))
                country, facility, city, state = cells[:4]
            else:
                found, rest = leading_country(row)
                country = found or ""
                facility, city_or, state_or = split_location_row(rest, STATES)
                city, state = city_or or "", state_or or ""
                if not found:
                    self.warnings.append(f"location row {row[:60]!r}: no country at its start")
            locations.append(
                Location(
                    facility=clean(facility), city=clean(city), state=clean(state), country=clean(country)
                )
            )
        self.trial.locations = locations

    def _sponsors(self, lines: list[str]) -> None:
        rows = _rows(lines, header=("lead sponsor",))
        if not rows:
            return
        first = split_cells(rows[0])
        if first is not None:
            lead, collaborators = first[0], [cell for cell in first[1:] if cell]
            for row in rows[1:]:
                collaborators.extend(cell for cell in split_cells(row) or [row] if cell)
        else:
            lead, collaborators = rows[0], rows[1:]
        names = 1 + len(collaborators) if lead else len(collaborators)
        if self.sponsor_count is not None and names < self.sponsor_count:
            # The save ran the first row's cells, the lead sponsor and the first collaborator, into one
            # line ("Columbia University National Heart, Lung, and Blood Institute (NHLBI)"): the names
            # known from other records tell where one ends, when they allow one reading only.
            hidden = self.sponsor_count - names + 1
            parts = segment_names(lead, hidden, self.known().is_organisation) if lead else None
            if parts is not None:
                self.trial.lead_sponsor = Sponsor(name=clean(parts[0]) or parts[0])
                self.trial.collaborators = [
                    Sponsor(name=clean(name) or name) for name in [*parts[1:], *collaborators]
                ]
                return
            # Where one name ends is not known: the text stays one value and says so, rather than a
            # lead sponsor cut at a guess.
            self.warnings.append(
                f"sponsors: the table lists {self.sponsor_count} sponsors in {names} line(s);"
                " kept as one value, lead and collaborators not told apart"
            )
            # The rows after the first hold one collaborator each (the second column of the table).
            self.trial.lead_sponsor = Sponsor(name=clean(lead) or lead) if lead else None
            self.trial.collaborators = [Sponsor(name=clean(name) or name) for name in collaborators]
            return
        if lead:
            self.trial.lead_sponsor = Sponsor(name=clean(lead) or lead)
        self.trial.collaborators = [Sponsor(name=clean(name) or name) for name in collaborators]

    def _fill_countries(self, lines: list[str]) -> None:
        countries = [c.strip() for line in lines for c in line.split(",") if c.strip()]
        locations = self.trial.locations
        if len(set(countries)) == 1:
            for location in locations:
                location.country = location.country or countries[0]
        if not locations:
            self.trial.locations = [Location(country=country) for country in dedupe(countries)]

    def _outcomes(self, lines: list[str]) -> None:
        outcomes: list[Outcome] = []
        rows: list[str] = []
        for line in lines:
            if re.match(r"^type\s+measure\b", line, re.IGNORECASE):
                continue
            if re.match(r"^(primary|secondary|other)\b", line, re.IGNORECASE) or not rows:
                rows.append(line)
            else:
                rows[-1] += ("\n" if "\t" not in rows[-1] else " ") + line
        for row in rows:
            outcome = _outcome_row(row, self.known)
            if outcome is None:
                self.not_read("outcomes", f"outcome row {row[:60]!r} not read")
            else:
                outcomes.append(outcome)
        self.trial.outcomes = outcomes

    def _see_also(self, lines: list[str]) -> None:
        for row in _rows(lines, header=("status clinical trial", "status")):
            related = _related_row(row)
            if related is None:
                self.warnings.append(f"related trial row {row[:60]!r} not read")
            else:
                self.trial.related_trials.append(related)


def _rows(lines: list[str], header: tuple[str, ...]) -> list[str]:
    """A table's rows: its lines without the header row."""
    rows = [line for line in lines if line.strip()]
    if rows and rows[0].strip().lower().startswith(header):
        rows = rows[1:]
    return rows


def _outcome_row(row: str, known: Callable[[], PageKnowledge] = PageKnowledge.empty) -> Outcome | None:
    cells = split_cells(row)
    if cells is not None:
        cells += [""] * (4 - len(cells))
        kind = coerce_enum(OutcomeKind, cells[0])
        if kind is None or not cells[1]:
            return None
        return Outcome(
            kind=kind,
            measure=clean(cells[1]) or cells[1],
            description=clean(cells[2]),
            time_frame=clean(cells[3]),
        )
    match = re.match(r"^(primary|secondary|other)\s+(.*)$", row, re.IGNORECASE | re.DOTALL)
    if not match:
        return None
    kind = coerce_enum(OutcomeKind, match[1])
    body = re.sub(r"\s+(?:Yes|No)$", "", match[2].replace("\n", " ").strip())
    # Time frames and measures other records name settle where the cells meet; else their shapes do.
    # A known time frame counts only where it reaches further than the shape-read one ("Measured at 12
    # months" where the shapes stop at "at 12 months"); a known measure only where the shapes find no
    # description and a new sentence follows it.
    knowledge = known()
    rest, time_frame = split_time_frame(body)
    tail = known_time_frame_tail(body, knowledge.is_time_frame)
    if tail is not None and len(tail[1]) > len(time_frame or ""):
        rest, time_frame = tail
    measure, description = split_measure_description(rest)
    head = known_measure_head(rest, knowledge.is_measure) if description is None else None
    if head is not None and (head[1] is None or head[1][:1].isupper()):
        measure, description = head
    if kind is None or not measure:
        return None
    return Outcome(
        kind=kind,
        measure=clean(measure) or measure,
        description=clean(description),
        time_frame=clean(time_frame),
    )


def _related_row(row: str) -> RelatedTrial | None:
    text = row.replace("\t", " ").strip()
    match = NCT_IN_TEXT.search(text)
    if not match:
        return None
    status = None
    head = text[: match.start()].strip()
    for display in STATUS_DISPLAY:
        if head.casefold() == display.casefold():
            status = parse_status(display)
            break
    tail = text[match.end() :].strip().lstrip("-–— ").strip()
    phases = []
    phase_match = re.search(
        r"\s((?:Early\s+)?Phase\s*\d(?:\s*/\s*(?:Phase\s*)?\d)?|N/A)\s*$", " " + tail, re.IGNORECASE
    )
    if phase_match:
        phases = parse_phases(phase_match[1])
        tail = (" " + tail)[: phase_match.start()].strip()
    return RelatedTrial(nct_id=match[0], title=clean(tail), status=status, phases=phases, relation="See also")


def parse_layout_b(lines: list[str], known: Callable[[], PageKnowledge] = PageKnowledge.empty) -> PageParse:
    return _Reader(lines, known).parse()
