"""Layout A: a ClinicalTrials.gov-derived trial viewer.

The page is a title, "NCT ID:" and "Last Updated:" lines, then sections ("Basic Information",
"Study Groups", "Sponsors", …), each heading followed by a one-line blurb the site prints on every
page. Values are API v2 spellings ("RECRUITING", "PHASE4", "ACTIVE_COMPARATOR"), shown with labels
("Recruitment Status", "Group Type EXPERIMENTAL", "Sponsor Role lead") in one version of the site and
bare in another; both are read, the bare values by their shape and the order the site prints them in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from trialatlas.model import (
    AgencyClass,
    Allocation,
    BioSpecRetention,
    Eligibility,
    Intervention,
    InterventionModel,
    Location,
    Masking,
    ObservationalModel,
    Official,
    OfficialRole,
    PartialDate,
    PrimaryPurpose,
    ProvidedDocument,
    Reference,
    ReferenceType,
    RelatedTrial,
    ResponsibleParty,
    ResponsiblePartyType,
    SamplingMethod,
    SecondaryId,
    SecondaryIdType,
    Sponsor,
    SponsorRole,
    StandardAge,
    TimePerspective,
    WhoMasked,
    coerce_enum,
    parse_age,
)
from trialatlas.sources.pages.common import (
    PageParse,
    PageReader,
    criteria_from_lines,
    heading_key,
    join_text,
    page_date,
    page_record_date,
)
from trialatlas.sources.pages.layout_a_fields import (
    basic_field,
    basic_shape,
    contacts_of,
    design_enum_value,
    design_field,
    document_of,
    eligibility_field,
    eligibility_shape,
    inline,
    interventions_bare,
    interventions_labeled,
    is_place,
    items_of,
    masking_of,
    pairs,
    parse_groups,
    partial_date,
    prefix_score,
    segment_names,
)
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import (
    PMID,
    doi_of,
    intervention_label,
    parse_bool,
    parse_phases,
    parse_place,
    parse_status,
    read_design_or_eligibility,
)
from trialatlas.text.registry_ids import NCT_IN_TEXT

SECTIONS = (
    "study results",
    "basic information",
    "brief summary",
    "related clinical trials",
    "detailed description",
    "conditions",
    "keywords",
    "study design",
    "study groups",
    "interventions",
    "other intervention names",
    "outcome measures",
    "eligibility criteria",
    "sponsors",
    "collaborators",
    "responsible party",
    "principal investigators",
    "locations",
    "countries",
    "central contacts",
    "facility contacts",
    "references",
    "see also links",
    "provided documents",
    "other identifiers",
    "more related trials",
)
_SECTION_SET = frozenset(SECTIONS)
# The one-line blurbs the site prints under every heading (compared by heading_key).
BLURBS = {
    "study results": (
        "The study team has not published outcome measurements, participant flow, or safety data "
        "for this trial yet. Check back later for updates."
    ),
    "basic information": (
        "Get a concise snapshot of the trial, including recruitment status, study phase, enrollment"
        " targets, and key timeline milestones."
    ),
    "brief summary": (
        "Review the sponsor-provided synopsis that highlights what the study is about and why it is"
        " being conducted."
    ),
    "related clinical trials": (
        "Explore similar clinical trials based on study characteristics and research focus."
    ),
    "detailed description": (
        "Dive into the extended narrative that explains the scientific background, objectives, and "
        "procedures in greater depth."
    ),
    "conditions": (
        "See the medical conditions and disease areas that this research is targeting or investigating."
    ),
    "study design": (
        "Understand how the trial is structured, including allocation methods, masking strategies, "
        "primary purpose, and other design elements."
    ),
    "study groups": (
        "Review each arm or cohort in the study, along with the interventions and objectives "
        "associated with them."
    ),
    "interventions": (
        "Learn about the drugs, procedures, or behavioral strategies being tested and how they are "
        "applied within this trial."
    ),
    "other intervention names": (
        "Discover alternative or legacy names that may be used to describe the listed interventions"
        " across different sources."
    ),
    "eligibility criteria": (
        "Check the participation requirements, including inclusion and exclusion rules, age limits,"
        " and whether healthy volunteers are accepted."
    ),
    "sponsors": ("Meet the organizations funding or collaborating on the study and learn about their roles."),
    "responsible party": (
        "Identify the individual or organization who holds primary responsibility for the study "
        "information submitted to regulators."
    ),
    "principal investigators": (
        "Learn about the lead researchers overseeing the trial and their institutional affiliations."
    ),
    "locations": (
        "Explore where the study is taking place and check the recruitment status at each participating site."
    ),
    "countries": ("Review the countries where the study has at least one active or historical site."),
    "central contacts": (
        "Reach out to these primary contacts for questions about participation or study logistics."
    ),
    "facility contacts": (
        "Find local site contact details for specific facilities participating in the trial."
    ),
    "references": ("Explore related publications, articles, or registry entries linked to this study."),
    "provided documents": (
        "Download supplemental materials such as informed consent forms, study protocols, or "
        "participant manuals."
    ),
    "other identifiers": (
        "Review additional registry numbers or institutional identifiers associated with this trial."
    ),
    "more related trials": ("Additional clinical trials that may be relevant based on similarity analysis."),
}
_BLURB_KEYS = frozenset(heading_key(text) for text in BLURBS.values())
# Blurbs of sections the seeds did not show follow the same pattern: an imperative sentence about the study.
_BLURB_SHAPE = re.compile(
    r"^(?:Get|Review|Explore|Dive|See|Understand|Learn|Discover|Check|Meet|Identify|Reach|Find|Download|"
    r"Additional|Browse|View|Read)\b(?=(?:\S+\s+){7}).{30,240}\b(?:trial|study|studies|research|participa\w*)\b.*\.$"
)
_TITLE_SHAPE = re.compile(r"^[A-Z][A-Za-z&/ -]{2,40}$")


def is_blurb(line: str) -> bool:
    return heading_key(line) in _BLURB_KEYS or bool(_BLURB_SHAPE.match(line))


@dataclass
class Section:
    name: str
    lines: list[str] = field(default_factory=list)


def split_sections(lines: list[str]) -> tuple[list[str], list[Section]]:
    """``(preamble, sections)``; a heading is a known section name, or a short title followed by a blurb."""
    preamble: list[str] = []
    sections: list[Section] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        key = heading_key(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if key in _SECTION_SET or (_TITLE_SHAPE.match(line) and is_blurb(following)):
            sections.append(Section(key))
            index += 2 if following and is_blurb(following) else 1
            continue
        (sections[-1].lines if sections else preamble).append(line)
        index += 1
    return preamble, sections


class _Reader(PageReader):
    layout = "A"

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines)
        self.labeled = False

    # -- the page ------------------------------------------------------------------------------------

    def parse(self) -> PageParse:
        preamble, sections = split_sections(self.lines)
        by_name: dict[str, list[str]] = {}
        for section in sections:
            by_name.setdefault(section.name, []).extend(section.lines)
        self.labeled = self._detect_labels(by_name)
        self.record_date = self._preamble(preamble)
        handlers: dict[str, Callable[[list[str]], None]] = {
            "study results": self._results,
            "basic information": self._basic,
            "brief summary": lambda ls: setattr(self.trial, "brief_summary", join_text(ls)),
            "detailed description": lambda ls: setattr(self.trial, "detailed_description", join_text(ls)),
            "conditions": lambda ls: setattr(self.trial, "conditions", items_of(ls)),
            "keywords": lambda ls: setattr(self.trial, "keywords", items_of(ls)),
            "study design": self._design,
            "eligibility criteria": self._eligibility,
            "sponsors": self._sponsors,
            "collaborators": self._collaborators,
            "responsible party": self._responsible_party,
            "principal investigators": self._officials,
            "locations": self._locations,
            "central contacts": self._central_contacts,
            "references": self._references,
            "provided documents": self._documents,
            "other identifiers": self._identifiers,
            "related clinical trials": lambda ls: self._related(ls, "Related Clinical Trials"),
            "more related trials": lambda ls: self._related(ls, "More Related Trials"),
        }
        for name, lines in by_name.items():
            handler = handlers.get(name)
            if handler is not None:
                handler(lines)
            elif (
                name
                not in {
                    "study groups",
                    "interventions",
                    "other intervention names",
                    "countries",
                    "facility contacts",
                }
                and lines
            ):
                self.not_read(name, f"section {name!r} not read ({len(lines)} lines)")
        self._arms_and_interventions(
            by_name.get("study groups", []),
            by_name.get("interventions", []),
            by_name.get("other intervention names", []),
        )
        self._countries(by_name.get("countries", []))
        self._facility_contacts(by_name.get("facility contacts", []))
        seen = [section.name for section in sections]
        partial = not ({"other identifiers", "more related trials"} & set(seen))
        if partial:
            last = seen[-1] if seen else "the title"
            self.warnings.append(f"page cut off: it ends in {last!r}, before the closing sections")
        return self.result(partial)

    def _detect_labels(self, by_name: dict[str, list[str]]) -> bool:
        labels = {
            "recruitment status",
            "allocation method",
            "minimum eligible age",
            "eligible sex",
            "clinical phase",
        }
        return any(heading_key(line) in labels for lines in by_name.values() for line in lines)

    def _preamble(self, lines: list[str]) -> dt.date | None:
        record_date = None
        title_lines: list[str] = []
        for line in lines:
            if (value := inline(line, "NCT ID", "NCT Number")) is not None:
                match = NCT_IN_TEXT.search(value)
                if match:
                    self.trial.nct_id = match[0]
            elif (value := inline(line, "Last Updated", "Last Update Posted")) is not None:
                record_date = page_record_date(value)
                if (date := partial_date(value)) is not None:
                    self.trial.status.last_update_post_date = date
            elif (value := inline(line, "Official Title")) is not None:
                self.trial.official_title = clean(value)
            elif (value := inline(line, "Acronym")) is not None:
                self.trial.acronym = clean(value)
            elif not title_lines:
                title_lines.append(line)
        if title_lines:
            self.trial.brief_title = clean(title_lines[0].lstrip("# "))
        if self.trial.nct_id is None:
            match = NCT_IN_TEXT.search("\n".join(lines))
            if match:
                self.trial.nct_id = match[0]
        return record_date

    def _results(self, lines: list[str]) -> None:
        text = " ".join(lines).lower()
        if "results pending" in text or "has not published" in text or not lines:
            self.trial.has_results = False
        elif "results" in text:
            self.trial.has_results = True

    # -- basic information and design ----------------------------------------------------------------

    def _basic(self, lines: list[str]) -> None:
        status = self.trial.status
        design = self.trial.design
        dates: list[PartialDate] = []
        for label, value in pairs(lines, basic_field):
            if not value:
                continue
            if label is None:
                label = basic_shape(value)
            if label == "status":
                status.overall_status = parse_status(value)
            elif label is not None and read_design_or_eligibility(
                label, value, design, self.trial.eligibility
            ):
                continue
            elif label in {"start", "primary_completion", "completion", "first_post"}:
                date = partial_date(value)
                if label == "start":
                    status.start_date = date
                elif label == "primary_completion":
                    status.primary_completion_date = date
                elif label == "completion":
                    status.completion_date = date
                else:
                    status.study_first_post_date = date
            elif label == "date":
                if (date := partial_date(value)) is not None:
                    dates.append(date)
            elif label == "why_stopped":
                status.why_stopped = clean(value)
            else:
                self.not_read("status", f"basic information: value {value!r} not understood")
        # Bare dates come in the site's order: start, then (primary) completion.
        if dates:
            status.start_date = status.start_date or dates[0]
            rest = dates[1:]
            if len(rest) >= 2:
                status.primary_completion_date = status.primary_completion_date or rest[0]
                status.completion_date = status.completion_date or rest[-1]
            elif rest:
                status.completion_date = status.completion_date or rest[0]

    def _design(self, lines: list[str]) -> None:
        design = self.trial.design
        order: list[tuple[str, type]] = [
            ("allocation", Allocation),
            ("intervention_model", InterventionModel),
            ("primary_purpose", PrimaryPurpose),
            ("masking", Masking),
            ("observational_model", ObservationalModel),
            ("time_perspective", TimePerspective),
        ]
        for label, value in pairs(lines, design_field):
            if not value:
                continue
            if label is None:
                label = next(
                    (
                        name
                        for name, enum in order
                        if getattr(design, name) is None and design_enum_value(enum, value) is not None
                    ),
                    None,
                )
            if label == "masking":
                design.masking, who = masking_of(value)
                design.who_masked = design.who_masked or who
            elif label == "who_masked":
                design.who_masked = [
                    w for part in re.split(r"[,;|]", value) if (w := coerce_enum(WhoMasked, part)) is not None
                ]
            elif label in {
                "intervention_model_description",
                "masking_description",
                "target_duration",
                "bio_spec_description",
            }:
                setattr(design, label, clean(value))
            elif label == "patient_registry":
                design.patient_registry = parse_bool(value)
            elif label == "bio_spec_retention":
                design.bio_spec_retention = coerce_enum(BioSpecRetention, value)
            elif label is not None:
                enum = dict(order)[label]
                setattr(design, label, coerce_enum(enum, value))
            else:
                self.not_read("design", f"study design: value {value!r} not understood")

    # -- eligibility ---------------------------------------------------------------------------------

    def _eligibility(self, lines: list[str]) -> None:
        first_label = _labelled_tail(lines)
        if first_label == len(lines):
            # Bare values close the section: ages, sex, healthy volunteers, in that order.
            first_label = len(lines)
            while first_label > 0 and eligibility_shape(lines[first_label - 1]) is not None:
                first_label -= 1
        text, inclusion, exclusion = criteria_from_lines(lines[:first_label])
        elig = Eligibility(criteria_text=text, inclusion=inclusion, exclusion=exclusion)
        ages: list[str] = []
        population: list[str] = []
        for label, value in pairs(lines[first_label:], eligibility_field, multi={"study_population"}):
            if not value:
                continue
            if label is None:
                label = eligibility_shape(value)
            if label == "age":
                ages.append(value)
            elif label is not None and read_design_or_eligibility(label, value, self.trial.design, elig):
                continue
            elif label == "std_ages":
                elig.std_ages = [
                    a
                    for part in re.split(r"[,;|]", value)
                    if (a := coerce_enum(StandardAge, part)) is not None
                ]
            elif label == "sampling_method":
                elig.sampling_method = coerce_enum(SamplingMethod, value)
            elif label == "study_population":
                population.append(value)
            elif label == "gender_description":
                elig.gender_description = clean(value)
            elif label == "gender_based":
                elig.gender_based = parse_bool(value)
            else:
                self.not_read("eligibility", f"eligibility: value {value!r} not understood")
        if len(ages) == 1 and _reads_as_maximum(ages[0], text):
            elig.maximum_age = elig.maximum_age or parse_age(ages[0])
        elif ages:
            elig.minimum_age = elig.minimum_age or parse_age(ages[0])
            if len(ages) > 1:
                elig.maximum_age = elig.maximum_age or parse_age(ages[1])
        elig.study_population = join_text(population)
        self.trial.eligibility = elig

    # -- arms and interventions ----------------------------------------------------------------------

    def _arms_and_interventions(self, groups: list[str], interventions: list[str], other: list[str]) -> None:
        parsed = interventions_labeled(interventions) if self.labeled else interventions_bare(interventions)
        arms = parse_groups(groups, parsed)
        items = [Intervention(name=name, type=kind, description=desc) for name, kind, desc, _ in parsed]
        for arm, numbers in arms:
            for number in numbers:
                item = items[number]
                if arm.label not in item.arm_labels:
                    item.arm_labels.append(arm.label)
                arm.intervention_names.append(intervention_label(item.type, item.name))
        self.trial.arms = [arm for arm, _ in arms]
        self.trial.interventions = items
        if other:
            self._other_names(other, items)

    def _other_names(self, lines: list[str], items: list[Intervention]) -> None:
        names = [value for line in lines if (value := clean(line))]
        if not items:
            self.not_read("interventions", "other intervention names shown without interventions")
            return
        if len(items) == 1:
            items[0].other_names = names
            return
        if len(names) == len(items):
            for item, name in zip(items, names, strict=True):
                item.other_names = [name]
            return
        if len(names) == 1:
            segments = segment_names(names[0], [item.name for item in items])
            if segments is not None:
                for item, segment in zip(items, segments, strict=True):
                    item.other_names = [segment] if segment else []
                return
        for name in names:
            best = max(items, key=lambda item: prefix_score(name, item.name))
            best.other_names.append(name)
        self.warnings.append(
            "other intervention names: the page does not say which intervention each belongs to"
        )

    # -- organisations and people --------------------------------------------------------------------

    def _sponsors(self, lines: list[str]) -> None:
        entries: list[list[object]] = []  # [name, agency class, role]
        for line in lines:
            if (role := inline(line, "Sponsor Role", "Role")) is not None and entries:
                entries[-1][2] = coerce_enum(SponsorRole, role)
            elif (
                (agency := coerce_enum(AgencyClass, line)) is not None and entries and entries[-1][1] is None
            ):
                entries[-1][1] = agency
            elif value := clean(line):
                entries.append([value, None, None])
        sponsors = [
            (Sponsor(name=str(n), agency_class=c if isinstance(c, AgencyClass) else None), r)
            for n, c, r in entries
        ]
        if not sponsors:
            return
        leads = [s for s, role in sponsors if role == SponsorRole.LEAD]
        if leads:
            self.trial.lead_sponsor = leads[0]
            self.trial.collaborators = [s for s, role in sponsors if s is not leads[0]]
        else:
            # Bare sponsors carry no role. The site lists collaborators first and the lead last, as its
            # labelled pages show (seed 000: the hospital, then the SLE research group its registry
            # record names the lead sponsor): the last one listed is taken as the lead.
            self.trial.lead_sponsor = sponsors[-1][0]
            self.trial.collaborators = [s for s, _ in sponsors[:-1]]
            if len(sponsors) > 1:
                self.warnings.append("sponsor roles not shown: the last sponsor listed is taken as the lead")

    def _collaborators(self, lines: list[str]) -> None:
        self.trial.collaborators.extend(
            Sponsor(name=value)
            for line in lines
            if (value := clean(line)) and coerce_enum(AgencyClass, line) is None
        )

    def _responsible_party(self, lines: list[str]) -> None:
        kind: ResponsiblePartyType | None = None
        rest: list[str] = []
        for line in lines:
            if (role := inline(line, "Responsibility Role", "Responsible Party Type", "Type")) is not None:
                kind = coerce_enum(ResponsiblePartyType, role)
            elif (value := clean(line)) is not None:
                parsed_kind = coerce_enum(ResponsiblePartyType, value)
                if parsed_kind is not None and kind is None:
                    kind = parsed_kind
                else:
                    rest.append(value)
        if kind is None and not rest:
            return
        party = ResponsibleParty(type=kind)
        if rest:
            party.investigator_full_name = rest[0]
        if len(rest) > 1:
            party.investigator_title = rest[1]
        if len(rest) > 2:
            party.investigator_affiliation = rest[2]
        self.trial.responsible_party = party

    def _officials(self, lines: list[str]) -> None:
        roles = [i for i, line in enumerate(lines) if inline(line, "Role") is not None]
        officials = []
        for number, index in enumerate(roles):
            name = clean(lines[index - 1]) if index > 0 and (index - 1) not in roles else None
            next_role = roles[number + 1] if number + 1 < len(roles) else len(lines) + 1
            affiliation = None
            if index + 1 < len(lines) and index + 1 != next_role - 1:
                affiliation = clean(lines[index + 1])
            role_text = inline(lines[index], "Role") or ""
            officials.append(
                Official(name=name, role=coerce_enum(OfficialRole, role_text), affiliation=affiliation)
            )
        if not roles and lines:
            officials = [Official(name=clean(line)) for line in lines]
        self.trial.officials = officials

    def _central_contacts(self, lines: list[str]) -> None:
        self.trial.central_contacts = contacts_of(lines)

    def _facility_contacts(self, lines: list[str]) -> None:
        contacts = contacts_of(lines)
        if not contacts:
            return
        if len(self.trial.locations) == 1:
            self.trial.locations[0].contacts = contacts
        else:
            self.not_read(
                "locations.contacts", "facility contacts: the page does not say which site each belongs to"
            )

    def _locations(self, lines: list[str]) -> None:
        locations: list[Location] = []
        pending: list[str] = []
        for index, line in enumerate(lines):
            status = inline(line, "Site Status", "Recruitment Status", "Status")
            if status is not None:
                if locations:
                    locations[-1].status = parse_status(status)
                continue
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if is_place(line, following):
                city, state, country = parse_place(line)
                facility = clean(pending[-1]) if pending else None
                if len(pending) > 1:
                    self.warnings.append(f"locations: lines {pending[:-1]!r} not read")
                locations.append(Location(facility=facility, city=city, state=state, country=country))
                pending = []
            else:
                pending.append(line)
        if pending:
            # A facility with no place line (or a cut-off page): keep the name.
            locations.extend(Location(facility=clean(line)) for line in pending)
        self.trial.locations = locations

    def _countries(self, lines: list[str]) -> None:
        countries = [value for line in lines if (value := clean(line))]
        if countries and not self.trial.locations:
            self.trial.locations = [Location(country=country) for country in countries]

    # -- references, documents, identifiers, related trials ------------------------------------------

    def _references(self, lines: list[str]) -> None:
        references: list[Reference] = []
        for line in lines:
            if (kind := inline(line, "Reference Type")) is not None and references:
                references[-1].type = coerce_enum(ReferenceType, kind)
            elif (match := PMID.match(line)) and references:
                references[-1].pmid = match[1]
            elif (value := clean(line)) is not None:
                references.append(Reference(citation=value, doi=doi_of(value)))
        self.trial.references = references

    def _documents(self, lines: list[str]) -> None:
        documents: list[ProvidedDocument] = []
        for line in lines:
            if (kind := inline(line, "Document Type")) is not None:
                documents.append(document_of(kind))
            elif (date := inline(line, "Document Date")) is not None and documents:
                documents[-1].date = page_date(date)
            elif documents and (url := re.search(r"https?://\S+", line)):
                documents[-1].url = url[0]
        self.trial.provided_documents = documents

    def _identifiers(self, lines: list[str]) -> None:
        entries: list[dict[str, str]] = []
        for line in lines:
            match = re.match(
                r"^Identifier\s+(Type|Source|Link|Domain|Description)\s*:?\s*(.*)$", line, re.IGNORECASE
            )
            if match and entries:
                entries[-1][match[1].lower()] = match[2].strip()
            elif value := clean(line):
                entries.append({"id": value})
        for number, entry in enumerate(entries):
            source = entry.get("source", "").lower()
            kind_text = entry.get("type", "")
            kind = coerce_enum(SecondaryIdType, kind_text) if kind_text not in {"", "-"} else None
            if source == "org_study_id" or (not source and number == 0 and self.trial.org_study_id is None):
                self.trial.org_study_id = entry["id"]
                self.trial.org_study_id_type = kind
            elif source == "nct_alias":
                self.trial.nct_id_aliases.append(entry["id"])
            else:
                domain = entry.get("domain") or entry.get("description") or None
                self.trial.secondary_ids.append(
                    SecondaryId(id=entry["id"], type=kind, domain=domain, link=entry.get("link") or None)
                )

    def _related(self, lines: list[str], relation: str) -> None:
        title: str | None = None
        for line in lines:
            match = NCT_IN_TEXT.search(line)
            if match and match.start() == 0:
                rest = line[match.end() :].split()
                status = parse_status(rest[0]) if rest else None
                phases = parse_phases(" ".join(rest[1:] if status else rest))
                self.trial.related_trials.append(
                    RelatedTrial(
                        nct_id=match[0], title=title, status=status, phases=phases, relation=relation
                    )
                )
                title = None
            else:
                title = clean(line)


def _reads_as_maximum(age: str, criteria: str | None) -> bool:
    """A lone bare age is the minimum, unless the criteria state it as an upper limit ("Under 70")."""
    match = re.match(r"\d+", age)
    if not match or not criteria:
        return False
    value = int(match[0])
    numbers = rf"(?:{value}|{value + 1})"
    upper = (
        r"(?:under|younger than|less than|up to|below|not older than|no older than|maximum|max\.?|<|≤|<=)"
        rf"\s*(?:age\s*)?{numbers}\b"
        rf"|\b{numbers}\s*(?:years?\s*)?(?:(?:of age\s*)?or\s*(?:younger|under|less|below))"
    )
    return re.search(upper, criteria, re.IGNORECASE) is not None


def _labelled_tail(lines: list[str]) -> int:
    """Where the "Label / value" pairs closing the eligibility section start.

    Criteria lines may themselves read like labels ("Sex:"), so the pairs are taken from the end.
    """
    start = len(lines)
    while start >= 1 and eligibility_field(lines[start - 1]) is not None:
        start -= 1  # a label with no value
    while (
        start >= 2
        and eligibility_field(lines[start - 2]) is not None
        and not eligibility_field(lines[start - 1])
    ):
        start -= 2
        while start >= 1 and eligibility_field(lines[start - 1]) is not None:
            start -= 1
    return start


def parse_layout_a(lines: list[str]) -> PageParse:
    return _Reader(lines).parse()


__all__ = ["BLURBS", "SECTIONS", "parse_layout_a"]
