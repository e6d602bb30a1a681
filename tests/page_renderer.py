"""Registry pages rendered from the trial model, in each layout the page reader knows (a test helper).

The renderers imitate what the registry sites print and what a browser's "save as text" keeps of it
(see the seed pages): section blurbs, label spellings, tables flattened into lines of words. They
exist so that the page reader can be tested on every trial of the shared data, not just on the few
pages saved by hand: render a ClinicalTrials.gov record, read the page back, compare the fields.

``SHOWN_FIELDS`` lists, per layout, the fields a page of that layout shows; a round trip can only
keep those.
"""

from __future__ import annotations

import html
import re
from enum import StrEnum

from trialatlas.errors import ExportError
from trialatlas.model import (
    Arm,
    DateType,
    Intervention,
    Masking,
    OutcomeKind,
    PartialDate,
    Phase,
    Trial,
)
from trialatlas.sources.pages.layout_a import BLURBS
from trialatlas.sources.pages.values import intervention_type_display
from trialatlas.sources.textblocks import split_criteria

LAYOUTS = ("A", "A-bare", "B", "C")

_COMMON = frozenset({"nct_id", "status.overall_status", "design.study_type", "design.enrollment.count"})
SHOWN_FIELDS: dict[str, frozenset[str]] = {
    "A": _COMMON
    | frozenset(
        [
            "brief_title",
            "design.phases",
            "status.start_date",
            "status.completion_date",
            "brief_summary",
            "detailed_description",
            "conditions",
            "design.allocation",
            "design.intervention_model",
            "design.primary_purpose",
            "design.masking",
            "design.observational_model",
            "design.time_perspective",
            "arms.label",
            "arms.type",
            "arms.description",
            "interventions.name",
            "interventions.type",
            "interventions.description",
            "interventions.other_names",
            "interventions.arm_labels",
            "eligibility.criteria_text",
            "eligibility.minimum_age",
            "eligibility.maximum_age",
            "eligibility.sex",
            "eligibility.healthy_volunteers",
            "lead_sponsor.name",
            "lead_sponsor.agency_class",
            "collaborators.name",
            "collaborators.agency_class",
            "responsible_party.type",
            "responsible_party.investigator_full_name",
            "responsible_party.investigator_title",
            "officials.name",
            "officials.role",
            "officials.affiliation",
            "locations.facility",
            "locations.city",
            "locations.state",
            "locations.country",
            "locations.status",
            "central_contacts.name",
            "central_contacts.phone",
            "central_contacts.email",
            "references.citation",
            "references.pmid",
            "references.type",
            "provided_documents.label",
            "org_study_id",
            "secondary_ids.id",
            "nct_id_aliases",
        ]
    ),
    "B": _COMMON
    | frozenset(
        [
            "org_study_id",
            "design.phases",
            "status.start_date",
            "status.completion_date",
            "status.primary_completion_date",
            "status.status_verified_date",
            "organization.name",
            "central_contacts.name",
            "central_contacts.phone",
            "central_contacts.email",
            "brief_summary",
            "detailed_description",
            "eligibility.criteria_text",
            "eligibility.minimum_age",
            "eligibility.maximum_age",
            "eligibility.sex",
            "eligibility.healthy_volunteers",
            "design.allocation",
            "design.intervention_model",
            "design.primary_purpose",
            "design.masking",
            "design.who_masked",
            "conditions",
            "interventions.name",
            "interventions.type",
            "interventions.description",
            "locations.facility",
            "locations.city",
            "locations.state",
            "locations.country",
            "lead_sponsor.name",
            "collaborators.name",
            "outcomes.kind",
            "outcomes.measure",
            "outcomes.description",
            "outcomes.time_frame",
        ]
    ),
    "C": _COMMON
    | frozenset(
        [
            "brief_title",
            "conditions",
            "lead_sponsor.name",
            "brief_summary",
            "detailed_description",
            "eligibility.sex",
            "eligibility.inclusion",
            "eligibility.exclusion",
            "design.intervention_model",
            "arms.label",
            "arms.description",
            "interventions.name",
            "interventions.arm_labels",
            "outcomes.kind",
            "outcomes.measure",
            "outcomes.time_frame",
            "outcomes.description",
            "locations.facility",
            "locations.city",
            "locations.country",
        ]
    ),
}
# The bare version of layout A drops every label, and with them the values only a label can tell apart.
SHOWN_FIELDS["A-bare"] = SHOWN_FIELDS["A"] - {
    "arms.type",
    "interventions.type",
    "locations.status",
    "references.pmid",
    "references.type",
    "responsible_party.type",
}


def visible_part(trial: Trial, layout: str) -> Trial:
    """The part of ``trial`` a page of ``layout`` shows (with ``SHOWN_FIELDS``, what a round trip can keep).

    Layout C lists interventions only in its arms table, so interventions of no arm do not appear.
    """
    shown = trial.model_copy(deep=True)
    if layout == "C":
        labels = {arm.label for arm in trial.arms}
        shown.interventions = [item for item in shown.interventions if labels & set(item.arm_labels)]
    return shown


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _long_date(date: PartialDate | str | None) -> str:
    """ "2018-08-01" → "August 1, 2018"; "2018-07" → "July 2018"."""
    value = date.date if isinstance(date, PartialDate) else date
    if not value:
        return ""
    parts = value.split("-")
    if len(parts) == 3:
        return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[2])}, {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


_DISPLAY = {
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "UNKNOWN": "Unknown status",
    "NON_RANDOMIZED": "Non-Randomized",
    "NA": "N/A",
    "SINGLE_GROUP": "Single Group Assignment",
    "PARALLEL": "Parallel Assignment",
    "CROSSOVER": "Crossover Assignment",
    "FACTORIAL": "Factorial Assignment",
    "SEQUENTIAL": "Sequential Assignment",
    "EARLY_PHASE1": "Early Phase 1",
}


def _display(value: StrEnum | None) -> str:
    """The legacy ClinicalTrials.gov display spelling of an enum value."""
    if value is None:
        return ""
    if value.value in _DISPLAY:
        return _DISPLAY[value.value]
    if isinstance(value, Phase):
        return f"Phase {value.value[-1]}"
    if isinstance(value, Masking) and value is Masking.NONE:
        return "None (Open Label)"
    words = value.value.replace("_", " ").lower()
    return words.title() if " " in words else words.capitalize()


def _escape(text: str) -> str:
    """API v2 markdown escapes, as layout A's site prints them in free text."""
    return re.sub(r"([~<>^])", r"\\\1", text)


def _paragraphs(text: str | None) -> list[str]:
    """Free text as the sites print it: one line per paragraph or list item, hard wraps undone."""
    if not text:
        return []
    lines: list[str] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        starts_item = bool(re.match(r"^(?:[-*•·]|\d{1,2}[.)]|[a-z][.)])\s+", line)) or re.match(
            r"^(?:key\s+)?(?:inclusion|exclusion)\s+criteria\b", line, re.IGNORECASE
        )
        if not line or starts_item:
            if current:
                lines.append(" ".join(current))
            current = [line] if line else []
        else:
            current.append(line)
    if current:
        lines.append(" ".join(current))
    return [re.sub(r"^[-•·]\s+", "* ", line) for line in lines if line]


def _arm_interventions(trial: Trial, arm: Arm) -> list[Intervention]:
    listed = [item for item in trial.interventions if arm.label in item.arm_labels]
    if listed:
        return listed
    names = {name.split(": ", 1)[-1] for name in arm.intervention_names}
    return [item for item in trial.interventions if item.name in names]


# -- layout A ----------------------------------------------------------------------------------------


def render_layout_a(trial: Trial, *, labels: bool = True) -> str:
    """A page of layout A; ``labels=False`` gives the site's label-less version."""
    out: list[str] = []

    def section(name: str, title: str) -> None:
        out.extend([title, BLURBS.get(name, f"Review the {title.lower()} of this trial.")])

    def labelled(label: str, value: str | None) -> None:
        if value:
            out.extend([label, value] if labels else [value])

    status, design, elig = trial.status, trial.design, trial.eligibility
    out.append(trial.brief_title or trial.title)
    out.append(f"NCT ID: {trial.nct_id}")
    updated = (
        status.last_update_post_date.date if status.last_update_post_date else status.last_update_submit_date
    )
    if updated:
        out.append(f"Last Updated: {updated}")
    section("study results", "Study Results")
    if trial.has_results:
        out.append("Results available")
    section("basic information", "Basic Information")
    labelled("Recruitment Status", status.overall_status.value if status.overall_status else None)
    labelled("Clinical Phase", ", ".join(p.value for p in design.phases))
    enrollment = design.enrollment.count if design.enrollment else None
    labelled("Total Enrollment", f"{enrollment} participants" if enrollment is not None else None)
    labelled("Study Classification", design.study_type.value if design.study_type else None)
    labelled("Study Start Date", status.start_date.date if status.start_date else None)
    labelled("Study Completion Date", status.completion_date.date if status.completion_date else None)
    section("brief summary", "Brief Summary")
    out.extend(_escape(line) for line in _paragraphs(trial.brief_summary))
    section("detailed description", "Detailed Description")
    out.extend(_escape(line) for line in _paragraphs(trial.detailed_description))
    section("conditions", "Conditions")
    out.extend(trial.conditions)
    section("study design", "Study Design")
    for label, value in (
        ("Allocation Method", design.allocation),
        ("Intervention Model", design.intervention_model),
        ("Primary Study Purpose", design.primary_purpose),
        ("Blinding Strategy", design.masking),
        ("Observational Model", design.observational_model),
        ("Time Perspective", design.time_perspective),
    ):
        labelled(label, value.value if value else None)
    section("study groups", "Study Groups")
    for arm in trial.arms:
        out.append(arm.label)
        out.extend(_escape(line) for line in _paragraphs(arm.description))
        if labels and arm.type:
            out.append(f"Group Type {arm.type.value}")
        for item in _arm_interventions(trial, arm):
            out.append(item.name)
            if labels and item.type:
                out.append(f"Intervention Type {item.type.value}")
            out.extend(_escape(line) for line in _paragraphs(item.description))
    section("interventions", "Interventions")
    for item in trial.interventions:
        out.append(item.name)
        out.extend(_escape(line) for line in _paragraphs(item.description))
        if labels and item.type:
            out.append(f"Intervention Type {item.type.value}")
    section("other intervention names", "Other Intervention Names")
    other = [name for item in trial.interventions for name in item.other_names]
    if other:
        out.append(" ".join(other))
    section("eligibility criteria", "Eligibility Criteria")
    out.extend(_escape(line) for line in _paragraphs(elig.criteria_text))
    labelled("Minimum Eligible Age", elig.minimum_age.text if elig.minimum_age else None)
    labelled("Maximum Eligible Age", elig.maximum_age.text if elig.maximum_age else None)
    labelled("Eligible Sex", elig.sex.value if elig.sex else None)
    if elig.healthy_volunteers is not None:
        labelled("Accepts Healthy Volunteers", "Yes" if elig.healthy_volunteers else "No")
    section("sponsors", "Sponsors")
    sponsors = [(s, "collaborator") for s in trial.collaborators]
    if trial.lead_sponsor:
        # Both the labelled and the bare site list collaborators first and the lead last (seed 000).
        sponsors = [*sponsors, (trial.lead_sponsor, "lead")]
    for sponsor, role in sponsors:
        out.append(sponsor.name)
        if sponsor.agency_class:
            out.append(sponsor.agency_class.value)
        if labels:
            out.append(f"Sponsor Role {role}")
    section("responsible party", "Responsible Party")
    party = trial.responsible_party
    if party:
        out.extend(v for v in (party.investigator_full_name, party.investigator_title) if v)
        if labels and party.type:
            out.append(f"Responsibility Role {party.type.value}")
    section("principal investigators", "Principal Investigators")
    for official in trial.officials:
        out.extend([official.name or "", f"Role: {official.role.value if official.role else ''}".rstrip()])
        if official.affiliation:
            out.append(official.affiliation)
    section("locations", "Locations")
    for location in trial.locations:
        out.append(location.facility or "")
        out.append(f"{location.city or ''}, {location.state or ''}, {location.country or ''}")
        if labels:
            out.append(f"Site Status {location.status.value}" if location.status else "Site Status")
    section("countries", "Countries")
    out.extend(trial.countries)
    section("central contacts", "Central Contacts")
    for contact in trial.central_contacts:
        out.extend([contact.name or "", f"Role: {contact.role.value if contact.role else 'CONTACT'}"])
        out.extend(v for v in (contact.phone, contact.email) if v)
    section("facility contacts", "Facility Contacts")
    for location in trial.locations:
        for contact in location.contacts:
            out.extend([contact.name or "", "Role: primary"])
            out.extend(v for v in (contact.phone, contact.email) if v)
    if trial.references:
        section("references", "References")
        for reference in trial.references:
            out.append(reference.citation or "")
            if labels and reference.type:
                out.append(f"Reference Type {reference.type.value}")
            if labels and reference.pmid:
                out.append(f"PMID: {reference.pmid} (View on PubMed)")
    if trial.provided_documents:
        section("provided documents", "Provided Documents")
        for document in trial.provided_documents:
            out.extend([f"Document Type: {document.label or document.type_abbrev}", "View Document"])
    section("other identifiers", "Other Identifiers")
    identifiers = (
        [(trial.org_study_id, trial.org_study_id_type, "org_study_id")] if trial.org_study_id else []
    )
    identifiers += [(s.id, s.type, "secondary_id") for s in trial.secondary_ids]
    identifiers += [(alias, None, "nct_alias") for alias in trial.nct_id_aliases]
    for identifier, kind, source in identifiers:
        out.extend(
            [identifier, f"Identifier Type: {kind.value if kind else '-'}", f"Identifier Source: {source}"]
        )
    section("more related trials", "More Related Trials")
    for related in trial.related_trials:
        out.append(related.title or "")
        tail = " ".join(v for v in (related.status.value if related.status else "", *related.phases) if v)
        out.append(f"{related.nct_id} {tail}".strip())
    separator = "\n\n" if labels else "\n"
    return separator.join(line for line in out if line.strip())


# -- layout B ----------------------------------------------------------------------------------------


def _phases_display(phases: list[Phase]) -> str:
    return "/".join(_display(phase) for phase in phases if phase is not Phase.NA) or ("N/A" if phases else "")


def _date_line(label: str, date: PartialDate | None) -> str:
    if date is None:
        return ""
    prefix = "Est. " if date.type == DateType.ESTIMATED else ""
    return f"{prefix}{label[0].lower() if prefix else label[0]}{label[1:]} {_long_date(date)}"


def render_layout_b(trial: Trial, *, cells: bool = False) -> str:
    """A page of layout B; ``cells=True`` keeps table cells apart (tab-separated), as an HTML save does."""
    sep = "\t" if cells else " "
    status, design, elig = trial.status, trial.design, trial.eligibility
    state = _display(status.overall_status)
    out = ["Clinical Trials Logo", f"Clinical Trial Details — Status: {state}", "Administrative data"]
    out += [
        f"NCT number {trial.nct_id}",
        f"Other study ID # {trial.org_study_id or ''}",
        f"Secondary ID {'; '.join(s.id for s in trial.secondary_ids)}",
        f"Status {state}",
        f"Phase {_phases_display(design.phases)}",
        f"First received {_long_date(status.study_first_submit_date)}",
        f"Last updated {_long_date(status.last_update_submit_date)}",
        _date_line("Start date", status.start_date),
        _date_line("Completion date", status.completion_date),
        "Study information",
        f"Verified date {_long_date(status.status_verified_date)}",
        f"Source {trial.organization.name if trial.organization and trial.organization.name else ''}",
    ]
    for contact in trial.central_contacts:
        out += [
            f"Contact {contact.name or ''}",
            f"Phone {contact.phone or ''}",
            f"Email {contact.email or ''}",
        ]
    oversight = trial.oversight
    regulated = ""
    if oversight and oversight.is_fda_regulated_drug is False and oversight.is_fda_regulated_device is False:
        regulated = "No"
    out += [f"Is FDA regulated {regulated}", "Health authority", f"Study type {_display(design.study_type)}"]
    out += ["Clinical Trial Summary", *_paragraphs(trial.brief_summary)]
    if trial.detailed_description:
        out += ["Description:", *_paragraphs(trial.detailed_description)]
    out += ["Recruitment information / eligibility", f"Status {state}"]
    if design.enrollment and design.enrollment.count is not None:
        out.append(f"Enrollment {design.enrollment.count}")
    out += [
        _date_line("Completion date", status.completion_date),
        _date_line("Primary completion date", status.primary_completion_date),
    ]
    if elig.healthy_volunteers is not None:
        out.append(f"Accepts healthy volunteers {'Yes' if elig.healthy_volunteers else 'No'}")
    out.append(f"Gender {_display(elig.sex)}")
    low = elig.minimum_age.text if elig.minimum_age else "N/A"
    high = elig.maximum_age.text if elig.maximum_age else "N/A"
    ages = f"{low} and older" if high == "N/A" and low != "N/A" else f"{low} to {high}"
    out.append(f"Age group {ages if (elig.minimum_age or elig.maximum_age) else ''}")
    criteria = _paragraphs(elig.criteria_text)
    if criteria:
        out += [f"Eligibility {criteria[0]}", *criteria[1:]]
    out += [
        "Study Design",
        _design_b(trial),
        "Related Conditions & MeSH terms",
        *trial.conditions,
        "Intervention",
    ]
    for item in trial.interventions:
        kind = intervention_type_display(item.type) if item.type else "Other"
        out += [f"{kind}:", item.name, *_paragraphs(item.description)]
    out += ["Locations", sep.join(("Country", "Name", "City", "State"))]
    out += [
        sep.join(v or "" for v in (loc.country, loc.facility, loc.city, loc.state)).strip()
        for loc in trial.locations
    ]
    out += _sponsor_rows_b(trial, sep)
    out += ["Country where clinical trial is conducted", ", ".join(trial.countries) + ", "]
    out += ["Outcome", sep.join(("Type", "Measure", "Description", "Time frame", "Safety issue"))]
    for outcome in trial.outcomes:
        kind_name = (outcome.kind or OutcomeKind.OTHER).value.capitalize()
        row = (kind_name, outcome.measure, outcome.description or "", outcome.time_frame or "")
        out.append(sep.join(_one_line(cell) for cell in row if cell or cells))
    if trial.related_trials:
        out += ["See also", sep.join(("Status", "Clinical Trial", "Phase"))]
        for related in trial.related_trials:
            title = f"{related.nct_id} - {related.title or ''}"
            out.append(sep.join((_display(related.status), title, _phases_display(related.phases))).strip())
    return "\n".join(line for line in out if line.strip())


def _sponsor_rows_b(trial: Trial, sep: str) -> list[str]:
    """The "Sponsors (n)" table: two columns, the lead sponsor beside the first collaborator.

    Seed 002 shows the table ("Sponsors (1)" / "Lead Sponsor Collaborator" / "Lingyun Sun"); with a
    collaborator the text save runs the first row's two cells into one line, as the registry pages do
    ("Columbia University National Heart, Lung, and Blood Institute (NHLBI)"); further collaborators
    stand in the second column of rows of their own, one line each.
    """
    lead = trial.lead_sponsor.name if trial.lead_sponsor else ""
    collaborators = [c.name for c in trial.collaborators]
    count = (1 if lead else 0) + len(collaborators)
    rows = [sep.join((lead, collaborators[0])) if collaborators else lead]
    rows += [sep.join(("", name)) if sep == "\t" else name for name in collaborators[1:]]
    return [f"Sponsors ({count})", sep.join(("Lead Sponsor", "Collaborator")), *rows]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _design_b(trial: Trial) -> str:
    design = trial.design
    parts = []
    if design.allocation:
        parts.append(f"Allocation: {_display(design.allocation)}")
    if design.intervention_model:
        parts.append(f"Intervention Model: {_display(design.intervention_model)}")
    if design.masking:
        who = ", ".join(_display(w) for w in design.who_masked)
        parts.append(f"Masking: {_display(design.masking)}" + (f" ({who})" if who else ""))
    if design.primary_purpose:
        parts.append(f"Primary Purpose: {_display(design.primary_purpose)}")
    return ", ".join(parts)


# -- layout C ----------------------------------------------------------------------------------------


def _criteria_run(items: list[str]) -> str:
    """Numbered items run together as the site flattens them: "first; 2. second; 3. third"."""
    return " ".join(item if n == 1 else f"{n}. {item}" for n, item in enumerate(items, 1))


def _arm_rows_c(trial: Trial) -> list[tuple[str, str, str]]:
    """The arms table's rows: one per intervention and arm it is given in, in the interventions' order.

    Seed 004 lists "Group I Prednisone and Mycophenolate Mofetil …", "Group II Prednisone and
    Mycophenolate Mofetil …", "Group I Mycophenolate Mofetil …", "Group II Leflunomide …": each row is
    an arm's label, one intervention, and the arm's description, ordered by intervention. An arm with
    no intervention comes last, with an empty intervention cell.
    """
    arms = {arm.label: arm for arm in trial.arms}
    rows: list[tuple[str, str, str]] = []
    given: set[str] = set()
    for item in trial.interventions:
        for label in item.arm_labels:
            if label in arms:
                rows.append((label, item.name, arms[label].description or ""))
                given.add(label)
    for arm in trial.arms:
        if arm.label not in given:
            names = [item.name for item in _arm_interventions(trial, arm)] or [""]
            rows += [(arm.label, name, arm.description or "") for name in names]
    return rows


def _table_c(header: str, rows: list[tuple[str, str, str]], *, cells: bool) -> list[str]:
    """A table of layout C as saved: with ``cells``, one tab-separated line a row; as text, the header
    and every row run together on one line, as seed 004's tables are:

        Group Intervention Description Group I Prednisone and Mycophenolate Mofetil Patients are …
        Name Time Method The difference of relapse rate of IgG4-RD between two groups in 18 months. 18 …

    A line break inside a cell survives the save and breaks the line there (seed 004's secondary
    outcomes run two rows together, then start the third on a line of its own).
    """
    if cells:
        return [header, *("\t".join(_one_line(cell) for cell in row) for row in rows)]
    text = " ".join([header, *(" ".join(cell.strip() for cell in row if cell.strip()) for row in rows)])
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return [line for line in lines if line]


def render_layout_c(trial: Trial, *, cells: bool = False) -> str:
    """A page of layout C; ``cells=True`` keeps table cells apart (tab-separated), as an HTML save does."""
    sep = "\t" if cells else " "
    design, elig = trial.design, trial.eligibility
    out = [trial.brief_title or trial.title, "- Conditions", *(f"- {c}" for c in trial.conditions)]
    out += ["- Interventions", "- Registration Number", f"- {trial.nct_id}"]
    if trial.lead_sponsor:
        out += ["- Lead Sponsor", f"- {trial.lead_sponsor.name}"]
    out += ["- Brief Summary", *_paragraphs(trial.brief_summary)]
    if trial.detailed_description:
        out += ["- Detailed Description", *_paragraphs(trial.detailed_description)]
    out += ["Recruitment & Eligibility", "- Status", f"- {trial.status.overall_status or ''}"]
    out += ["- Sex", f"- {_display(elig.sex)}"]
    if design.enrollment and design.enrollment.count is not None:
        out += ["- Target Recruitment", f"- {design.enrollment.count}"]
    inclusion, exclusion = elig.inclusion, elig.exclusion
    if not inclusion and not exclusion:
        inclusion, exclusion = split_criteria(elig.criteria_text)
    if inclusion or exclusion:
        out += ["-", *([f"- {_criteria_run(inclusion)}"] if inclusion else [])]
        out += ["-", *([f"- {_criteria_run(exclusion)}"] if exclusion else [])]
    out += ["Study & Design", "- Study Type", f"- {design.study_type or ''}"]
    if design.intervention_model:
        out += ["- Study Design", f"- {design.intervention_model.value}"]
    if trial.arms:
        header = sep.join(("Group", "Intervention", "Description"))
        out += ["- Arm && Interventions", *_table_c(header, _arm_rows_c(trial), cells=cells)]
    for kind, title in (
        (OutcomeKind.PRIMARY, "Primary"),
        (OutcomeKind.SECONDARY, "Secondary"),
        (OutcomeKind.OTHER, "Other"),
    ):
        outcome_rows = [
            (o.measure, o.time_frame or "", o.description or "") for o in trial.outcomes if o.kind == kind
        ]
        if outcome_rows:
            header = sep.join(("Name", "Time", "Method"))
            out += [f"- {title} Outcome Measures", *_table_c(header, outcome_rows, cells=cells)]
    out += ["Trial Locations", f"- Locations ({len(trial.locations)})"]
    for location in trial.locations:
        out += [location.facility or "", ", ".join(v for v in (location.city, location.country) if v)]
    return "\n".join(line for line in out if line.strip())


# -- any layout ----------------------------------------------------------------------------------------


def render_page(trial: Trial, layout: str, *, cells: bool = False) -> str:
    """The page of ``trial`` in ``layout`` ("A", "A-bare", "B" or "C"), as text (table cells tab-separated
    with ``cells=True``, for an HTML save)."""
    if trial.nct_id is None:
        raise ExportError("a registry page needs the trial's NCT id")
    if layout == "A":
        return render_layout_a(trial)
    if layout == "A-bare":
        return render_layout_a(trial, labels=False)
    if layout == "B":
        return render_layout_b(trial, cells=cells)
    if layout == "C":
        return render_layout_c(trial, cells=cells)
    raise ExportError(f"unknown page layout {layout!r} (known: {', '.join(LAYOUTS)})")


def page_as_html(text: str, title: str = "Trial") -> str:
    """A text page as the HTML a browser would have saved: one paragraph a line, bullets as list items,
    tab-separated lines as table rows."""
    body: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        bullet = re.match(r"^- ?(.*)$", line)
        if "\t" in line:
            row = "".join(f"<td>{html.escape(cell)}</td>" for cell in line.split("\t"))
            body.append(f"<table><tr>{row}</tr></table>")
        elif bullet:
            body.append(f"<ul><li>{html.escape(bullet[1])}</li></ul>")
        else:
            body.append(f"<p>{html.escape(line)}</p>")
    return (
        f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)}</title>"
        "<style>p { margin: 0 }</style><script>var x = '<p>not shown</p>';</script></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


__all__ = [
    "LAYOUTS",
    "SHOWN_FIELDS",
    "page_as_html",
    "render_layout_a",
    "render_layout_b",
    "render_layout_c",
    "render_page",
    "visible_part",
]
