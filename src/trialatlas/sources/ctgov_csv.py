"""ClinicalTrials.gov search-result CSV exports: the old site's and the current site's.

Both exports show one row per trial and only part of each record, so every trial they yield is
partial and merges later with a fuller record of the same trial. The two layouts share most
columns but spell values differently ("Phase 1|Phase 2" vs "PHASE1|PHASE2", "Drug: X" vs
"DRUG: X", "18 Years and older (Adult, Older Adult)" vs "ADULT, OLDER_ADULT"); one row mapper
reads both, looking columns up by header name because users choose and reorder the columns.

Several columns pack structured values into ", "-joined text whose parts may themselves contain
", " (locations, outcome measures). Those are split by heuristics measured against the structured
API v2 records in the shared data (about 98% of locations and 85% of outcomes split exactly);
when a split is wrong no text is lost, it only lands in a neighbouring field.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

import orjson

from trialatlas.model.enums import (
    AgencyClass,
    Allocation,
    InterventionModel,
    InterventionType,
    Masking,
    ObservationalModel,
    OutcomeKind,
    OverallStatus,
    PrimaryPurpose,
    SecondaryIdType,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    TimePerspective,
    WhoMasked,
    coerce_enum,
    coerce_phases,
)
from trialatlas.model.trial import (
    Design,
    Eligibility,
    Enrollment,
    Intervention,
    Location,
    Outcome,
    ProvidedDocument,
    SecondaryId,
    SourceRecord,
    Sponsor,
    StatusInfo,
    Trial,
)
from trialatlas.model.values import Age, PartialDate, date_floor, normalize_date, parse_age
from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    csv_rows,
    first_csv_row,
    nct_id_of,
    numbered_rows,
)
from trialatlas.text.registry_ids import identify

_EnumT = TypeVar("_EnumT", bound=StrEnum)

# Undecodable bytes survive decoding as lone surrogates ("surrogateescape"), so one bad byte
# costs one row rather than the whole file.
_UNDECODED = re.compile(r"[\udc80-\udcff]")


@functools.lru_cache(maxsize=1024)  # column names repeat on every row
def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).lower()


def _names(*columns: str) -> frozenset[str]:
    return frozenset(_norm(c) for c in columns)


# Columns one layout has and the other has not: what sniffing counts.
LEGACY_ONLY = _names(
    "Rank", "Title", "Status", "Outcome Measures", "Sponsor/Collaborators", "Gender", "Funded Bys",
    "Study Designs", "URL",
)  # fmt: skip
CURRENT_ONLY = _names(
    "Study Title", "Study URL", "Study Status", "Brief Summary", "Primary Outcome Measures",
    "Secondary Outcome Measures", "Other Outcome Measures", "Sponsor", "Collaborators", "Sex",
    "Funder Type", "Study Design",
)  # fmt: skip
_SHARED = _names(
    "NCT Number", "Acronym", "Study Results", "Conditions", "Interventions", "Age", "Phases",
    "Enrollment", "Study Type", "Other IDs", "Start Date", "Primary Completion Date",
    "Completion Date", "First Posted", "Results First Posted", "Last Update Posted", "Locations",
    "Study Documents",
)  # fmt: skip
# Rank is a position in one search result, not trial content, so it is reported as unread.
# The URL columns are read in the sense that they say nothing the NCT number does not.
_MAPPED = (LEGACY_ONLY | CURRENT_ONLY | _SHARED) - {"rank"}
_NCT_COLUMN = _norm("NCT Number")


@dataclass
class _Row:
    """One CSV row addressed by normalised header name, collecting what could not be understood."""

    values: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def get(self, *names: str) -> str | None:
        for name in names:
            value = self.values.get(_norm(name))
            if value is not None and value.strip():
                return value.strip()
        return None

    def split(self, *names: str) -> list[str]:
        value = self.get(*names)
        return [] if value is None else [part.strip() for part in value.split("|") if part.strip()]

    def enum(self, enum_type: type[_EnumT], value: str | None, column: str) -> _EnumT | None:
        if value is None or not value.strip():
            return None
        found = coerce_enum(enum_type, value)
        if found is None:
            self.warnings.append(f"{column}: unrecognised value {value!r}")
        return found

    def date(self, column: str) -> PartialDate | None:
        value = self.get(column)
        if value is None:
            return None
        normal = normalize_date(value)
        if normal is None:
            self.warnings.append(f"{column}: unrecognised date {value!r}")
            return None
        return PartialDate(date=normal)


# --- ages ------------------------------------------------------------------------------------

_AGE_GROUPS = re.compile(r"\(([^()]*)\)\s*$")
_TO = re.compile(r"\s+to\s+", re.IGNORECASE)


def parse_age_column(text: str, row: _Row) -> tuple[Age | None, Age | None, list[StandardAge]]:
    """Minimum, maximum and standard age groups from either layout's Age cell.

    Old layout: "18 Years and older \\xa0 (Adult, Older Adult)", "2 Years to 18 Years (Child, Adult)",
    "up to 17 Years (Child)", or only "Child, Adult, Older Adult" when the trial sets no limits.
    Current layout: only the groups, "ADULT, OLDER_ADULT".
    """
    groups = _AGE_GROUPS.search(text)
    limits = " ".join((text[: groups.start()] if groups else text).split())
    group_text = groups[1] if groups else ""
    if not groups and not any(ch.isdigit() for ch in limits):
        group_text, limits = limits, ""
    std_ages: list[StandardAge] = []
    for part in group_text.split(","):
        age_group = row.enum(StandardAge, part, "Age")
        if age_group is not None and age_group not in std_ages:
            std_ages.append(age_group)
    minimum = maximum = None
    if limits:
        lower = limits.lower()
        if lower.startswith("up to "):
            maximum = parse_age(limits[len("up to ") :])
        elif _TO.search(limits):
            low, high = _TO.split(limits, maxsplit=1)
            minimum, maximum = parse_age(low), parse_age(high)
        elif lower.endswith("and older"):
            minimum = parse_age(limits)
        if minimum is None and maximum is None:
            row.warnings.append(f"Age: unrecognised age limits {limits!r}")
    return minimum, maximum, std_ages


# --- study design -----------------------------------------------------------------------------

_PARENTHESISED = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


def parse_design(text: str | None, design: Design, row: _Row) -> None:
    """Fill ``design`` from "Allocation: Randomized|Intervention Model: ...|Masking: Double (...)"."""
    if not text:
        return
    for part in text.split("|"):
        key, _, value = part.partition(":")
        key, value = _norm(key), value.strip()
        if not value:
            continue
        if key == "allocation":
            design.allocation = row.enum(Allocation, value, "Study Design")
        elif key == "intervention model":
            design.intervention_model = row.enum(InterventionModel, value, "Study Design")
        elif key == "primary purpose":
            design.primary_purpose = row.enum(PrimaryPurpose, value, "Study Design")
        elif key == "observational model":
            design.observational_model = row.enum(ObservationalModel, value, "Study Design")
        elif key == "time perspective":
            design.time_perspective = row.enum(TimePerspective, value, "Study Design")
        elif key == "masking":
            level, who = value, ""
            if match := _PARENTHESISED.match(value):
                level, who = match[1], match[2]
            design.masking = row.enum(Masking, level, "Study Design")
            # "None (Open Label)" names no one: only recognised roles are kept.
            design.who_masked = [w for w in (coerce_enum(WhoMasked, x) for x in who.split(",")) if w]
        else:
            row.unread.append(f"Study Design: {key}")


def parse_study_type(text: str | None, design: Design, row: _Row) -> None:
    """ "Interventional", "EXPANDED_ACCESS", "Expanded Access:Treatment IND/Protocol",
    "Observational [Patient Registry]"."""
    if not text:
        return
    base, _, subtypes = text.partition(":")
    if "[patient registry]" in base.lower():
        design.patient_registry = True
        base = re.sub(r"\[patient registry\]", "", base, flags=re.IGNORECASE)
    design.study_type = row.enum(StudyType, base, "Study Type")
    if subtypes.strip():
        # The model has no field for expanded-access kinds.
        row.unread.append("Study Type: expanded access kinds")


# --- interventions, outcomes, sponsors, ids, documents ------------------------------------------


def parse_intervention(text: str) -> Intervention:
    """ "Drug: Tacrolimus" / "DRUG: Tacrolimus"; a name with no recognised type prefix is kept whole."""
    prefix, sep, name = text.partition(":")
    kind = coerce_enum(InterventionType, prefix) if sep else None
    if kind is None or not name.strip():
        return Intervention(name=text.strip())
    return Intervention(type=kind, name=name.strip())


# Words time frames are made of ("Baseline", "up to 12 weeks", "Day 1 of each cycle").
_TIME_WORD = re.compile(
    r"""
    days?|d|weeks?|wks?|w|months?|mos?|m|years?|yrs?|y|hours?|hrs?|h|minutes?|mins?|seconds?
    |baseline|visits?|follow|followup|up|cycles?|through|throughout|until|end|discharge|post|pre
    |admission|randomi[sz]ation|enrol?ment|screening|surgery|operation|(?:post|pre|intra)operative
    |daily|period|completion|sessions?|doses?|dosing|treatment|timepoints?|time|points?|at|after
    |before|during|from|to|and|or|approximately|average|an|the|of|study|each|every|first|second
    |third|last|final|initial|within|per|in|on|for|procedure|delivery|birth|hospital|stay
    |intervention|infusion|injection|measured|participation|about
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-z]+")


def _looks_like_time_frame(text: str) -> bool:
    words = _WORD.findall(text)
    has_digit = any(ch.isdigit() for ch in text)
    if not words:
        return has_digit
    hits = sum(bool(_TIME_WORD.fullmatch(word)) for word in words)
    return hits * 2 >= len(words) or (has_digit and len(words) <= 6)


# A piece opening with a conjunction continues the piece before it ("Week 20, and week 32").
_CONTINUATION = re.compile(r"^(?:and|or|then|and/or)\b")
# A time-frame piece longer than this is more likely the end of the description.
_TIME_FRAME_PIECE = 30


def split_outcome(text: str) -> tuple[str, str | None, str | None]:
    """Measure, description and time frame of a current-layout outcome cell chunk.

    The export joins the three with ", " although each may contain ", ". The measure is taken to
    be the first piece (true for ~95% of measures); the time frame the last piece, extended
    leftwards over short time-like pieces ("Baseline, Week 4, Week 12"); the description the rest.
    """
    parts = text.split(", ")
    if len(parts) == 1:
        return text.strip(), None, None
    if len(parts) == 2:
        # A time frame is required by the registry, a description is not.
        return parts[0].strip(), None, parts[1].strip() or None
    start = len(parts) - 1
    while start - 1 >= 1 and (
        _CONTINUATION.match(parts[start])
        or (
            len(parts[start - 1]) <= _TIME_FRAME_PIECE
            and _looks_like_time_frame(parts[start - 1])
            and _looks_like_time_frame(parts[start])
        )
    ):
        start -= 1
    description = ", ".join(parts[1:start]).strip() or None
    return parts[0].strip(), description, ", ".join(parts[start:]).strip() or None


def parse_outcomes(row: _Row) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for column, kind in (
        ("Primary Outcome Measures", OutcomeKind.PRIMARY),
        ("Secondary Outcome Measures", OutcomeKind.SECONDARY),
        ("Other Outcome Measures", OutcomeKind.OTHER),
    ):
        for chunk in row.split(column):
            measure, description, time_frame = split_outcome(chunk)
            outcomes.append(
                Outcome(kind=kind, measure=measure, description=description, time_frame=time_frame)
            )
    legacy = row.split("Outcome Measures")
    if legacy:
        # The old export lists primary, secondary and other measures in one column without saying
        # which is which: the kind stays unknown rather than guessed.
        row.warnings.append("Outcome Measures: the old export does not tell primary from secondary outcomes")
        outcomes.extend(Outcome(kind=None, measure=measure) for measure in legacy)
    return outcomes


def parse_sponsors(row: _Row) -> tuple[Sponsor | None, list[Sponsor]]:
    """Lead sponsor and collaborators, with agency classes where the export gives them."""
    if row.get("Sponsor") is not None or row.get("Collaborators") is not None:
        lead_name = row.get("Sponsor")
        lead_class = row.enum(AgencyClass, row.get("Funder Type"), "Funder Type")
        lead = Sponsor(name=lead_name, agency_class=lead_class) if lead_name else None
        return lead, [Sponsor(name=name) for name in row.split("Collaborators")]
    names = row.split("Sponsor/Collaborators")
    if not names:
        return None, []
    # "Funded Bys" lists the distinct classes of the lead and collaborators in sponsor order, so
    # its first class is the lead's, and a single class is everyone's.
    classes = [row.enum(AgencyClass, c, "Funded Bys") for c in row.split("Funded Bys")]
    lead_class = classes[0] if classes else None
    shared_class = classes[0] if len(classes) == 1 else None
    lead = Sponsor(name=names[0], agency_class=lead_class)
    return lead, [Sponsor(name=name, agency_class=shared_class) for name in names[1:]]


_ID_TYPES = {"euctr": SecondaryIdType.EUDRACT_NUMBER, "ctis": SecondaryIdType.CTIS}


def parse_other_id(text: str) -> SecondaryId:
    found = identify(text)
    return SecondaryId(id=text, type=_ID_TYPES.get(found.registry) if found else None)


_DOCUMENT = re.compile(r'^"?(?P<type>[^":]*?)"?(?::\s*(?P<label>.*?))?,\s*(?P<url>https?://\S+)$')
_ABBREV = re.compile(r"^([A-Za-z]+(?:_[A-Za-z]+)*)_\d+\.\w+$")


def parse_document(text: str) -> ProvidedDocument:
    """'"Study Protocol", https://…/Prot_000.pdf' (old) or 'Study Protocol: Chart, https://…' (current)."""
    match = _DOCUMENT.match(text.strip())
    if match is None:
        return ProvidedDocument(label=text.strip())
    kind = match["type"].strip().lower()
    url = match["url"]
    filename = url.rstrip("/").rsplit("/", 1)[-1] or None
    abbrev = _ABBREV.match(filename) if filename else None
    return ProvidedDocument(
        type_abbrev=abbrev[1] if abbrev else None,
        label=(match["label"] or "").strip() or None,
        has_protocol="protocol" in kind,
        has_sap="statistical analysis plan" in kind,
        has_icf="informed consent" in kind,
        filename=filename,
        url=url,
    )


# --- locations ----------------------------------------------------------------------------------

# Postal codes: upper-case letters and digits with at least two digits ("92120", "SE1 9RT",
# "137-701", "2316 ZL"), which city names with a district number ("Praha 2", "Lyon Cedex 08") are not.
_ZIP = re.compile(r"^(?=(?:\D*\d){2})[A-Z0-9][A-Z0-9 \-]{1,9}$")
# Words that mark a piece as part of a facility name rather than a city; used to decide whether
# the last piece before the country is a state or a city.
_FACILITY_WORDS = re.compile(
    r"hospital|universit|department|\bdept\b|cent(?:er|re)|clinic|institut|\bnhs\b|trust|"
    r"\b(?:ltd|inc|llc|plc|gmbh|s\.?a|a\.s)\b|\bsite\b|ospedal|hôpital|klinik|medical|health|"
    r"research|division|faculty|\.$",
    re.IGNORECASE,
)
_FACILITY_PIECE = 40
_US = frozenset({"united states", "usa", "us"})


def parse_location(text: str) -> Location:
    """ "Facility, City, State, Zip, Country" with any part missing and commas inside parts."""
    parts = [part.strip() for part in text.split(", ")]
    # "Korea, Republic of", "Congo, The Democratic Republic of the": the country's own comma.
    if len(parts) >= 2 and re.search(r"\bof(?: the)?$", parts[-1], re.IGNORECASE):
        parts[-2:] = [f"{parts[-2]}, {parts[-1]}"]
    country = parts.pop() or None
    zip_code = parts.pop() if parts and _ZIP.match(parts[-1]) else None
    state = None
    if country and country.lower() in _US:
        if len(parts) >= 2:
            state = parts.pop()
    elif len(parts) >= 3 and len(parts[-2]) <= _FACILITY_PIECE and not _FACILITY_WORDS.search(parts[-2]):
        state = parts.pop()
    city = parts.pop() if parts else None
    facility = ", ".join(parts) or None
    return Location(facility=facility, city=city, state=state, zip=zip_code, country=country)


# --- rows -----------------------------------------------------------------------------------------

_HAS_RESULTS = {"has results": True, "yes": True, "no results available": False, "no": False}


def build_trial(row: _Row, nct_id: str) -> Trial:
    """The partial trial one export row shows (the caller adds the source record)."""
    status = StatusInfo(
        overall_status=row.enum(OverallStatus, row.get("Study Status", "Status"), "Status"),
        start_date=row.date("Start Date"),
        primary_completion_date=row.date("Primary Completion Date"),
        completion_date=row.date("Completion Date"),
        study_first_post_date=row.date("First Posted"),
        results_first_post_date=row.date("Results First Posted"),
        last_update_post_date=row.date("Last Update Posted"),
    )
    design = Design(phases=coerce_phases(row.get("Phases")))
    parse_study_type(row.get("Study Type"), design, row)
    parse_design(row.get("Study Design", "Study Designs"), design, row)
    enrollment = row.get("Enrollment")
    if enrollment is not None:
        digits = enrollment.replace(",", "")
        if digits.isdigit():
            design.enrollment = Enrollment(count=int(digits))
        else:
            row.warnings.append(f"Enrollment: not a number {enrollment!r}")

    eligibility = Eligibility(sex=row.enum(Sex, row.get("Sex", "Gender"), "Sex"))
    age = row.get("Age")
    if age is not None:
        eligibility.minimum_age, eligibility.maximum_age, eligibility.std_ages = parse_age_column(age, row)

    has_results = None
    results = row.get("Study Results")
    if results is not None:
        has_results = _HAS_RESULTS.get(results.lower())
        if has_results is None:
            row.warnings.append(f"Study Results: unrecognised value {results!r}")

    lead, collaborators = parse_sponsors(row)
    return Trial(
        nct_id=nct_id,
        acronym=row.get("Acronym"),
        brief_title=row.get("Study Title", "Title"),
        brief_summary=row.get("Brief Summary"),
        status=status,
        design=design,
        conditions=row.split("Conditions"),
        interventions=[parse_intervention(text) for text in row.split("Interventions")],
        eligibility=eligibility,
        outcomes=parse_outcomes(row),
        lead_sponsor=lead,
        collaborators=collaborators,
        secondary_ids=[parse_other_id(text) for text in row.split("Other IDs")],
        locations=[parse_location(text) for text in row.split("Locations")],
        provided_documents=[parse_document(text) for text in row.split("Study Documents")],
        has_results=has_results,
        is_partial=True,
    )


# --- the readers --------------------------------------------------------------------------------


def header_names(head: bytes) -> list[str]:
    """The normalised column names of the header row at the start of ``head`` (empty if none)."""
    return [_norm(name) for name in first_csv_row(head)]


def _undecoded_reason(header: list[str], cells: list[str]) -> str | None:
    for name, cell in zip(header, cells, strict=False):
        if bad := _UNDECODED.search(cell):
            byte = ord(bad[0]) - 0xDC00
            return f"not UTF-8 text in column {name!r} (byte 0x{byte:02X})"
    return None


class CtgovCsvReader:
    """One of the two ClinicalTrials.gov CSV layouts; they differ only in what sniffing looks for."""

    def __init__(self, name: str, source_format: SourceFormat, own: frozenset[str], rival: frozenset[str],
                 fallback: float) -> None:  # fmt: skip
        self.name = name
        self.format = source_format
        self._own = own
        self._rival = rival
        # How sure to be of a CSV with an NCT Number column but neither layout's own columns.
        self._fallback = fallback

    def sniff(self, head: bytes, name: str) -> float:
        names = set(header_names(head))
        if _NCT_COLUMN not in names:
            return 0.0
        own, rival = len(names & self._own), len(names & self._rival)
        if own > rival:
            return 0.95 if own >= 3 else 0.6
        if own == rival == 0:
            return self._fallback
        return 0.1

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        # Undecodable bytes survive as lone surrogates, so the row they are in is reported.
        rows = csv_rows(blob, decode_errors="surrogateescape")
        header = next(rows, None)
        if isinstance(header, csv.Error):
            yield RecordError(blob.name, f"unreadable header row: {header}")
            return
        if header is None:
            yield RecordError(blob.name, "empty file")
            return
        header = [name.replace("\ufeff", "").strip() for name in header]
        normalised = [_norm(name) for name in header]
        if _NCT_COLUMN not in normalised:
            yield RecordError(blob.name, "not a ClinicalTrials.gov CSV export: no 'NCT Number' column")
            return
        layout = f"{len(header)} columns"
        for row in numbered_rows(blob.name, rows):
            if isinstance(row, RecordError):
                yield row
            else:
                yield self._read_row(blob, *row, header, normalised, layout)

    def _read_row(self, blob: Blob, location: str, cells: list[str], header: list[str], normalised: list[str],
                  layout: str) -> ReadResult:  # fmt: skip
        extra = cells[len(header) :]
        if len(cells) < len(header) or any(cell.strip() for cell in extra):
            return RecordError(location, f"row has {len(cells)} fields, the header {len(header)}")
        if reason := _undecoded_reason(header, cells):
            return RecordError(location, reason)
        values: dict[str, str] = {}
        for norm, cell in zip(normalised, cells, strict=False):
            values.setdefault(norm, cell)  # a repeated column: the first one counts
        nct_id = nct_id_of(location, values.get(_NCT_COLUMN), "NCT number")
        if isinstance(nct_id, RecordError):
            return nct_id
        row = _Row(values)
        try:
            trial = build_trial(row, nct_id)
        except ValueError as exc:
            return RecordError(location, f"cannot be read into the trial model: {exc}")
        row.unread.extend(
            name for name, norm, cell in zip(header, normalised, cells, strict=False)
            if norm not in _MAPPED and cell.strip()
        )  # fmt: skip
        record_date = trial.status.last_update_post_date
        trial.sources = [
            SourceRecord(
                id=f"{self.name}:{blob.name}#{nct_id}",
                format=self.format,
                location=location,
                record_date=date_floor(record_date.date) if record_date else None,
                partial=True,
                layout=layout,
                raw=orjson.dumps(dict(zip(header, cells, strict=False))).decode(),
                unread_fields=row.unread,
                warnings=row.warnings,
            )
        ]
        return trial


legacy_reader = CtgovCsvReader(
    "ctgov-csv-legacy", SourceFormat.CTGOV_CSV_LEGACY, LEGACY_ONLY, CURRENT_ONLY, fallback=0.35
)
current_reader = CtgovCsvReader("ctgov-csv", SourceFormat.CTGOV_CSV, CURRENT_ONLY, LEGACY_ONLY, fallback=0.4)
READERS = [legacy_reader, current_reader]
