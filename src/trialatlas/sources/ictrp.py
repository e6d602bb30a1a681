"""WHO ICTRP full-export rows: one format for the trials of all of WHO's primary registries.

The export names 62 fields (``TrialID, SecondaryIDs, public_title, …, Ethics_Contact_Email``). The CSV
comes with a header row of those names or, as WHO's raw export, without one in the documented order;
the XML export holds the same fields as elements of ``<Trials_downloaded_from_ICTRP><Trial>``
(:mod:`trialatlas.sources.ictrp_xml`). Both go through :func:`build_trial` here; the fields' values are
read by :mod:`trialatlas.sources.ictrp_fields`.

Each registry fills the fields its own way: dates as ``14/03/2019``, ``2019-04-02`` or ``May 17, 2019``;
ages as ``18 Years``, ``18Y`` or ``>= 20age old``; designs as ``Allocation: Randomized. Intervention
model: …`` or EU CTR's ``Randomised: yes<br>Open: no``; lists joined by ``;`` and ``<br>``. What a
value cannot be read into is reported in the source record's warnings (field and value) and left
empty: an unknown is better than a wrong value. A row is a summary of its registry's record, so every
trial is partial and merges with the fuller record of the same trial (its NCT, EU CTR or ISRCTN record).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator

import orjson

from trialatlas.model.enums import (
    ContactRole,
    DateType,
    IpdSharing,
    OfficialRole,
    OutcomeKind,
    SecondaryIdType,
    SourceFormat,
    StandardAge,
    coerce_enum,
)
from trialatlas.model.registries import CTGOV, identify, registry_name
from trialatlas.model.trial import (
    Contact,
    Design,
    Eligibility,
    Enrollment,
    IpdSharingStatement,
    Link,
    Location,
    Official,
    ProvidedDocument,
    SecondaryId,
    SourceRecord,
    Sponsor,
    StatusInfo,
    Trial,
)
from trialatlas.model.values import age_limits_of_groups, date_floor
from trialatlas.sources.base import Blob, ReadResult, RecordError, csv_rows, first_csv_row, numbered_rows
from trialatlas.sources.ictrp_fields import (
    BLANK_LINE,
    FIELDS,
    GROUP_ITEM,
    UNMAPPED,
    IctrpRow,
    field_date,
    field_name,
    ictrp_age,
    ictrp_date,
    ictrp_phases,
    ictrp_sex,
    ictrp_status,
    ictrp_study_type,
    lines_of,
    parse_conditions,
    parse_design,
    parse_interventions,
    parse_outcomes,
    split_list,
    unique,
    vocab_key,
    vocabulary,
)
from trialatlas.sources.textblocks import break_inline_numbering, split_criteria

# --- ids, contacts, sponsors ---------------------------------------------------------------------------


def parse_secondary_ids(row: IctrpRow, own: str) -> list[SecondaryId]:
    """SecondaryIDs, and the other registrations the bridging fields name (``Bridging_flag``, ``Childs``)."""
    found: list[SecondaryId] = []
    seen = {own.upper()}
    candidates: list[str] = []
    for name in ("SecondaryIDs", "Bridging_flag", "Childs"):
        value = row.get(name)
        if value:
            candidates.extend(split_list(value))
    for text in candidates:
        linked = identify(text)
        canonical = linked.id.upper() if linked else text.upper()
        if canonical in seen or text.upper() in seen:
            continue
        seen.add(canonical)
        if linked is None:
            found.append(SecondaryId(id=text))
            continue
        kind = {"euctr": SecondaryIdType.EUDRACT_NUMBER, "ctis": SecondaryIdType.CTIS}.get(
            linked.registry, SecondaryIdType.REGISTRY
        )
        found.append(SecondaryId(id=text, type=kind, domain=registry_name(linked.registry)))
    return found


def _people(row: IctrpRow, prefix: str) -> list[dict[str, str | None]]:
    columns = {
        part: row.get(f"{prefix}_{part}") for part in ("Firstname", "Lastname", "Email", "Tel", "Affiliation")
    }
    split = {part: (value.split(";") if value else []) for part, value in columns.items()}
    count = max((len(values) for values in split.values()), default=0)
    people: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for index in range(count):
        person = {
            part: (values[index].strip() if index < len(values) else "") or None
            for part, values in split.items()
        }
        name = " ".join(x for x in (person["Firstname"], person["Lastname"]) if x) or None
        key = (name or person["Email"] or "").casefold()
        if not key:
            continue
        found = {
            "name": name,
            "email": person["Email"],
            "phone": person["Tel"],
            "affiliation": person["Affiliation"],
        }
        if key in seen:
            # The same person listed again (NCT rows repeat contacts): fill what the first listing left out.
            first = next(p for p in people if (p["name"] or p["email"] or "").casefold() == key)
            for part, value in found.items():
                first[part] = first[part] or value
            continue
        seen.add(key)
        people.append(found)
    return people


# --- the row -------------------------------------------------------------------------------------------


class IctrpRowError(ValueError):
    """A row that cannot become a trial (its reason names the field)."""


_QUALIFIED_COUNTRY = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<qualifier>[^()]+ of)\)$")


def country(name: str) -> str:
    """WHO's "Iran (Islamic Republic of)" as the ISO short name registries and ClinicalTrials.gov use,
    "Iran, Islamic Republic of"."""
    match = _QUALIFIED_COUNTRY.match(name.strip())
    return f"{match['name']}, {match['qualifier']}" if match else name.strip()


def build_trial(row: IctrpRow) -> Trial:
    """The partial trial one export row shows (the caller adds the source record)."""
    trial_id = row.get("TrialID")
    if trial_id is None:
        raise IctrpRowError("TrialID: empty")
    own = identify(trial_id)
    if own is None:
        raise IctrpRowError(f"TrialID: unknown registry id {trial_id!r}")

    date_type = vocab_key(row.get("type_enrolment") or "")
    starts = date_type not in vocabulary()["not_start_dates"]
    status = StatusInfo(
        overall_status=ictrp_status(row.get("Recruitment_status")),
        study_first_submit_date=ictrp_date(row.get("Date_registration")),
        start_date=field_date(row, "Date_enrollement", coerce_enum(DateType, date_type)) if starts else None,
        completion_date=field_date(row, "results_date_completed"),
        results_first_post_date=(
            field_date(row, "results_date_posted")
            if (row.get("results_yes_no") or "").lower() == "yes"
            else None
        ),
    )
    if row.get("Recruitment_status") and status.overall_status is None:
        row.warn("Recruitment_status", row.get("Recruitment_status") or "", "status kept unknown:")
    if row.get("Date_registration") and status.study_first_submit_date is None:
        row.warn("Date_registration", row.get("Date_registration") or "", "unreadable date")

    design = Design(study_type=ictrp_study_type(row.get("study_type")))
    if row.get("study_type") and design.study_type is None:
        row.warn("study_type", row.get("study_type") or "", "unrecognised study type")
    # "N/A" is a phase (not applicable), not a missing value; "NA" alone is the export's blank.
    raw_phase = html.unescape(row.values.get("phase") or "").strip()
    phases, understood = ictrp_phases(raw_phase if raw_phase.upper() not in {"NA", "NULL", ""} else None)
    design.phases = phases
    if not understood:
        row.warn("phase", raw_phase, "phase kept unknown:")
    parse_design(row.get("study_design"), design)
    size = row.get("Target_size")
    if size is not None:
        design.enrollment = _enrollment(size, row)

    minimum, problem = ictrp_age(row.get("Agemin"), bound="min")
    if problem:
        row.warn("Agemin", row.get("Agemin") or "", problem)
    maximum, problem = ictrp_age(row.get("Agemax"), bound="max")
    if problem:
        row.warn("Agemax", row.get("Agemax") or "", problem)
    sex = ictrp_sex(row.get("Gender"))
    if row.get("Gender") and sex is None:
        row.warn("Gender", row.get("Gender") or "", "unrecognised value")
    eligibility = Eligibility(minimum_age=minimum, maximum_age=maximum, sex=sex)
    _criteria(row, eligibility)

    conditions, keywords = parse_conditions(row.get("Conditions"))
    people = _people(row, "Public_Contact")
    scientists = _people(row, "Scientific_Contact")
    lead = row.get("Primary_sponsor")
    collaborators = unique(split_list(row.get("Secondary_sponsors") or ""))
    lead_name = lead.strip(" ,;") if lead else None
    ipd_plan = row.get("results_IPD_plan")
    links = [
        Link(url=url, label=label)
        for label, url in (("Results", row.get("results_url_link")),)
        if url and url.startswith("http")
    ]
    protocol = row.get("results_url_protocol")
    has_results = True if (row.get("results_yes_no") or "").lower() == "yes" else None

    return Trial(
        nct_id=own.id if own.registry == CTGOV else None,
        registry_ids=[] if own.registry == CTGOV else [own.id],
        secondary_ids=parse_secondary_ids(row, own.id),
        acronym=row.get("Acronym"),
        brief_title=row.get("public_title"),
        official_title=row.get("Scientific_title"),
        status=status,
        design=design,
        conditions=conditions,
        keywords=keywords,
        interventions=parse_interventions(row.get("Interventions"), row),
        eligibility=eligibility,
        outcomes=[
            *parse_outcomes(row.get("Primary_Outcome"), OutcomeKind.PRIMARY),
            *parse_outcomes(row.get("Secondary_Outcomes"), OutcomeKind.SECONDARY),
        ],
        lead_sponsor=Sponsor(name=lead_name) if lead_name else None,
        collaborators=[
            Sponsor(name=name) for name in collaborators if name.casefold() != (lead_name or "").casefold()
        ],
        central_contacts=[
            Contact(name=p["name"], role=ContactRole.CONTACT, phone=p["phone"], email=p["email"])
            for p in people
        ],
        officials=[
            Official(name=p["name"], role=OfficialRole.PRINCIPAL_INVESTIGATOR, affiliation=p["affiliation"])
            for p in scientists
            if p["name"]
        ],
        locations=[
            Location(country=c) for c in unique([country(c) for c in split_list(row.get("Countries") or "")])
        ],
        see_also_links=links,
        provided_documents=(
            [ProvidedDocument(label="Protocol", has_protocol=True, url=protocol)]
            if protocol and protocol.startswith("http")
            else []
        ),
        ipd_sharing=(
            IpdSharingStatement(
                ipd_sharing=coerce_enum(IpdSharing, ipd_plan), description=row.get("results_IPD_description")
            )
            if ipd_plan
            else None
        ),
        has_results=has_results,
        is_partial=True,
    )


def _enrollment(text: str, row: IctrpRow) -> Enrollment | None:
    digits = text.replace(",", "").strip()
    if digits.isdigit():
        return Enrollment(count=int(digits))
    # ChiCTR gives its groups' sizes: "intervention group:30;placebo:30;".
    groups = [GROUP_ITEM.match(part) for part in split_list(text)]
    if groups and all(g is not None and g[2].strip().isdigit() for g in groups):
        return Enrollment(count=sum(int(g[2]) for g in groups if g))
    row.warn("Target_size", text, "not a number")
    return None


_ITEM_START = re.compile(r"^(?:[-•·*–o]\s|\d{1,3}[.)]|\(\d{1,3}\)|[a-z][.)]\s)")
_CRITERIA_HEADING = re.compile(r"^\s*(inclusion|exclusion)\s+criteria\s*:?\s*", re.IGNORECASE)
_LEGACY_LAYOUT = re.compile(r"<br>\s{5,}", re.IGNORECASE)


def _criteria_lines(text: str) -> list[str]:
    body = _CRITERIA_HEADING.sub("", lines_of(text)[0], count=1)
    lines = [body, *lines_of(text)[1:]] if body else lines_of(text)[1:]
    if len(lines) == 1 and (numbered := break_inline_numbering(lines[0])) != lines[0]:
        return numbered.split("\n")
    if len(lines) == 1 and lines[0].count(";") >= 2:
        # ChiCTR and others: one line of "; "-separated criteria.
        return [part.strip() for part in lines[0].split(";") if part.strip()]
    # Hard-wrapped lists (EU CTR): a line that starts no item continues an unfinished line before it.
    joined: list[str] = []
    for line in lines:
        if joined and not _ITEM_START.match(line) and not joined[-1].endswith((".", ";", ":", "!", "?")):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


# EU CTR rows append the protocol's age-range answers (section F.1) to the inclusion criteria.
_EU_AGE_SECTION = re.compile(r"(?:<br\s*/?\s*>|\n)\s*Are the trial subjects under 18\?.*$", re.I | re.S)
_EU_AGE_ANSWERS = (
    (re.compile(r"Are the trial subjects under 18\?\s*(yes|no)", re.I), StandardAge.CHILD),
    (re.compile(r"Adults \(18-64 years\)\s*(yes|no)", re.I), StandardAge.ADULT),
    (re.compile(r"Elderly \(>=65 years\)\s*(yes|no)", re.I), StandardAge.OLDER_ADULT),
)


def _eu_age_groups(text: str) -> tuple[str, list[StandardAge], bool]:
    """The criteria without the age-range answers, the groups answered yes, and whether all three
    questions were answered (only then do the groups bound the ages)."""
    match = _EU_AGE_SECTION.search(text)
    if match is None:
        return text, [], False
    section = match.group(0)
    answers = [(pattern.search(section), group) for pattern, group in _EU_AGE_ANSWERS]
    groups = [group for found, group in answers if found and found[1].lower() == "yes"]
    return text[: match.start()], groups, all(found for found, _ in answers)


def _criteria(row: IctrpRow, eligibility: Eligibility) -> None:
    """Inclusion and exclusion criteria, one criterion each, and the text they come from."""
    inclusion = row.get("Inclusion_Criteria") or ""
    exclusion = row.get("Exclusion_Criteria") or ""
    if not inclusion and not exclusion:
        row.warnings.append("Inclusion_Criteria, Exclusion_Criteria: empty; eligibility criteria unknown")
        return
    if _LEGACY_LAYOUT.search(inclusion) and not exclusion:
        # ClinicalTrials.gov rows carry the registry's whole criteria textblock in one field, its
        # paragraphs and items a blank line apart and its lines hard-wrapped: the wraps are joined.
        paragraphs = [" ".join(lines_of(block)) for block in BLANK_LINE.split(inclusion)]
        text = "\n".join(p for p in paragraphs if p)
        eligibility.criteria_text = text
        eligibility.inclusion, eligibility.exclusion = split_criteria(text)
        return
    inclusion, age_groups, complete = _eu_age_groups(inclusion)
    eligibility.std_ages = age_groups
    if complete and eligibility.minimum_age is None and eligibility.maximum_age is None:
        eligibility.minimum_age, eligibility.maximum_age = age_limits_of_groups(age_groups)
    blocks: list[str] = []
    if inclusion:
        blocks.append("Inclusion Criteria:\n" + "\n".join(_criteria_lines(inclusion)))
    else:
        row.warnings.append("Inclusion_Criteria: empty")
    if exclusion:
        blocks.append("Exclusion Criteria:\n" + "\n".join(_criteria_lines(exclusion)))
    else:
        row.warnings.append("Exclusion_Criteria: empty")
    text = "\n\n".join(blocks)
    eligibility.criteria_text = text
    eligibility.inclusion, eligibility.exclusion = split_criteria(text)


_DOCUMENTED = frozenset(FIELDS)
# When WHO last refreshed the row from its registry (newer exports and the XML export carry it): the
# record's date, so a newer export's row wins over an older one's.
_REFRESHED = ("Last_Refreshed_on", "last_updated", "Last_updated")
# Fields beyond the documented ones that are read (the portal's downloads add them).
_READ_EXTRAS = frozenset({"Acronym", *_REFRESHED})


def source_record(
    row: IctrpRow,
    trial: Trial,
    *,
    reader: str,
    fmt: SourceFormat,
    blob_name: str,
    location: str,
    raw: str,
    layout: str,
) -> SourceRecord:
    """The source record of one row: its registry, its id as written, and its page."""
    trial_id = row.get("TrialID") or ""
    own = identify(trial_id)
    row.unread.extend(name for name in UNMAPPED if row.get(name))
    # Fields beyond the documented 62 (later exports add some) are kept in the raw record and listed.
    row.unread.extend(
        name for name in row.values if name not in _DOCUMENTED and name not in _READ_EXTRAS and row.get(name)
    )
    refreshed = next((ictrp_date(row.get(name)) for name in _REFRESHED if row.get(name)), None)
    return SourceRecord(
        id=f"{reader}:{blob_name}#{trial_id}",
        format=fmt,
        location=location,
        record_date=date_floor(refreshed),
        partial=True,
        layout=layout,
        raw=raw,
        unread_fields=row.unread,
        warnings=row.warnings,
        registry=own.registry if own else None,
        registry_id=trial_id,
        url=row.get("url") or (own.url if own else None),
    )


def read_row(
    values: dict[str, str], *, reader: str, fmt: SourceFormat, blob_name: str, location: str, layout: str
) -> ReadResult:
    """One row (by field name) as a trial with its source record, or the error naming the field."""
    row = IctrpRow(values)
    try:
        trial = build_trial(row)
    except IctrpRowError as exc:
        return RecordError(location, str(exc))
    except ValueError as exc:
        return RecordError(location, f"cannot be read into the trial model: {exc}")
    raw = orjson.dumps({name: value for name, value in values.items() if value}).decode()
    trial.sources = [
        source_record(
            row, trial, reader=reader, fmt=fmt, blob_name=blob_name, location=location, raw=raw, layout=layout
        )
    ]
    return trial


# --- the CSV reader ------------------------------------------------------------------------------------

_HEADER_MIN = 10


def _is_header(cells: list[str]) -> bool:
    return sum(field_name(cell) in _DOCUMENTED for cell in cells) >= _HEADER_MIN


class IctrpCsvReader:
    """The ICTRP full export as CSV, with its header row or without (WHO's field order)."""

    name = "ictrp-csv"
    format = SourceFormat.ICTRP_CSV

    def sniff(self, head: bytes, name: str) -> float:
        cells = first_csv_row(head)
        if not cells:
            return 0.0
        if _is_header(cells):
            return 0.95 if "trialid" in {c.strip().lower() for c in cells} else 0.6
        # No header: the documented order puts the trial id first and the registry url fifth.
        if len(cells) >= 5 and identify(cells[0]) and cells[4].strip().lower().startswith("http"):
            return 0.8
        return 0.0

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        rows = csv_rows(blob)
        first = next(rows, None)
        header: list[str] | None = None
        if isinstance(first, list) and _is_header(first):
            header = [field_name(cell) for cell in first]
        elif first is not None:
            rows = itertools.chain([first], rows)
        for row in numbered_rows(blob.name, rows):
            yield row if isinstance(row, RecordError) else self._row(blob, *row, header)

    def _row(self, blob: Blob, location: str, cells: list[str], header: list[str] | None) -> ReadResult:
        names = header if header is not None else list(FIELDS)
        if len(cells) != len(names):
            return RecordError(location, f"row has {len(cells)} fields, expected {len(names)}")
        values = dict(zip(names, cells, strict=True))
        layout = "header" if header is not None else "no header"
        return read_row(
            values, reader=self.name, fmt=self.format, blob_name=blob.name, location=location, layout=layout
        )


READER = IctrpCsvReader()
