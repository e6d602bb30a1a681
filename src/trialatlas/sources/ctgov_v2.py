"""ClinicalTrials.gov API v2 JSON: one study, a ``{"studies": [...]}`` page, JSONL, a JSON array of
studies, or the bulk ``ctg-studies.json.zip`` (the container layer unwraps the zip into one study a member).

JSONL is read a line at a time and a top-level array an element at a time, so memory stays flat.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import IO, Any, TypeVar

import orjson
from pydantic import ValidationError

from trialatlas.errors import RecordDataError
from trialatlas.model import (
    AgencyClass,
    Allocation,
    ArmGroupType,
    BioSpecRetention,
    ContactRole,
    DateType,
    InterventionModel,
    InterventionType,
    IpdInfoType,
    IpdSharing,
    Masking,
    ObservationalModel,
    OfficialRole,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    ReferenceType,
    ResponsiblePartyType,
    SamplingMethod,
    SecondaryIdType,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
    TimePerspective,
    Trial,
    WhoMasked,
    date_floor,
)
from trialatlas.model.results import Results, from_v2
from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    bounded_lines,
    cached_age,
    cached_date,
    cached_enum,
    error_from_exception,
    format_name,
    read_limits,
    read_whole,
    strip_bom,
)
from trialatlas.sources.textblocks import split_criteria
from trialatlas.text.registry_ids import is_nct_id

E = TypeVar("E", bound=StrEnum)
DOI = re.compile(r"\b(10\.\d{4,9}/[^\s;,\"<>]+)", re.IGNORECASE)
_CHUNK = 1 << 20
Json = dict[str, Any]


class StudyError(RecordDataError):
    """A study object that cannot become a trial."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if type(value) is str else str(value)).strip()
    return text or None


def _enum(enum_type: type[E], value: Any, warnings: list[str], where: str) -> E | None:
    result = cached_enum(enum_type, value)
    if result is None and value not in (None, ""):
        warnings.append(f"{where}: unknown value {value!r}")
    return result


def _enums(enum_type: type[E], values: Any, warnings: list[str], where: str) -> list[E]:
    out: list[E] = []
    for value in values or []:
        item = _enum(enum_type, value, warnings, where)
        if item is not None:
            out.append(item)
    return out


def _date_struct(struct: Any) -> Json | None:
    if not isinstance(struct, dict):
        return None
    date = cached_date(struct.get("date"))
    if date is None:
        return None
    return {"date": date, "type": cached_enum(DateType, struct.get("type"))}


def _strings(values: Any) -> list[str]:
    return [text for value in values or [] if (text := _text(value))]


def _mesh(module: Any, key: str) -> list[Json]:
    if not isinstance(module, dict):
        return []
    return [
        {"id": _text(m.get("id")), "term": term}
        for m in module.get(key) or []
        if isinstance(m, dict) and (term := _text(m.get("term")))
    ]


def _contact(data: dict[str, Any], warnings: list[str]) -> Json:
    return {
        "name": _text(data.get("name")),
        "role": _enum(ContactRole, data.get("role"), warnings, "contact role"),
        "phone": _text(data.get("phone")),
        "phone_ext": _text(data.get("phoneExt")),
        "email": _text(data.get("email")),
    }


# The mapper builds plain dicts and validates the whole trial once: pydantic builds the nested
# models in its core far faster than ~60 constructor calls a study from Python would. Each value
# is computed by the same expression, in the same order, as constructor calls would be.


def study_to_trial(study: dict[str, Any], location: str, raw: str | None = None) -> Trial:
    """Map one API v2 study object onto the trial model; raises :class:`StudyError` when it has no NCT id."""
    protocol = study.get("protocolSection")
    if not isinstance(protocol, dict):
        raise StudyError("not an API v2 study: no protocolSection")
    warnings: list[str] = []
    ident = protocol.get("identificationModule") or {}
    nct_id = _text(ident.get("nctId"))
    if nct_id is None:
        raise StudyError("record without an NCT id")
    if not is_nct_id(nct_id):
        raise StudyError(f"malformed NCT id {nct_id!r}")
    status_m = protocol.get("statusModule") or {}
    sponsor_m = protocol.get("sponsorCollaboratorsModule") or {}
    oversight_m = protocol.get("oversightModule")
    desc_m = protocol.get("descriptionModule") or {}
    cond_m = protocol.get("conditionsModule") or {}
    design_m = protocol.get("designModule") or {}
    arms_m = protocol.get("armsInterventionsModule") or {}
    outcomes_m = protocol.get("outcomesModule") or {}
    elig_m = protocol.get("eligibilityModule") or {}
    contacts_m = protocol.get("contactsLocationsModule") or {}
    refs_m = protocol.get("referencesModule") or {}
    ipd_m = protocol.get("ipdSharingStatementModule")
    derived = study.get("derivedSection") or {}
    org_info = ident.get("orgStudyIdInfo") or {}
    organization = ident.get("organization")
    expanded = status_m.get("expandedAccessInfo") or {}

    status: Json = {
        "overall_status": _enum(OverallStatus, status_m.get("overallStatus"), warnings, "overallStatus"),
        "last_known_status": _enum(
            OverallStatus, status_m.get("lastKnownStatus"), warnings, "lastKnownStatus"
        ),
        "why_stopped": _text(status_m.get("whyStopped")),
        "status_verified_date": cached_date(status_m.get("statusVerifiedDate")),
        "start_date": _date_struct(status_m.get("startDateStruct")),
        "primary_completion_date": _date_struct(status_m.get("primaryCompletionDateStruct")),
        "completion_date": _date_struct(status_m.get("completionDateStruct")),
        "study_first_submit_date": cached_date(status_m.get("studyFirstSubmitDate")),
        "study_first_submit_qc_date": cached_date(status_m.get("studyFirstSubmitQcDate")),
        "study_first_post_date": _date_struct(status_m.get("studyFirstPostDateStruct")),
        "results_first_submit_date": cached_date(status_m.get("resultsFirstSubmitDate")),
        "results_first_submit_qc_date": cached_date(status_m.get("resultsFirstSubmitQcDate")),
        "results_first_post_date": _date_struct(status_m.get("resultsFirstPostDateStruct")),
        "disp_first_submit_date": cached_date(status_m.get("dispFirstSubmitDate")),
        "disp_first_submit_qc_date": cached_date(status_m.get("dispFirstSubmitQcDate")),
        "disp_first_post_date": _date_struct(status_m.get("dispFirstPostDateStruct")),
        "last_update_submit_date": cached_date(status_m.get("lastUpdateSubmitDate")),
        "last_update_post_date": _date_struct(status_m.get("lastUpdatePostDateStruct")),
        "has_expanded_access": expanded.get("hasExpandedAccess"),
        "expanded_access_nct_id": _text(expanded.get("nctId")),
        "expanded_access_status": _enum(
            OverallStatus, expanded.get("statusForNctId"), warnings, "statusForNctId"
        ),
    }

    design_info = design_m.get("designInfo") or {}
    masking_info = design_info.get("maskingInfo") or {}
    enrollment_info = design_m.get("enrollmentInfo")
    bio_spec = design_m.get("bioSpec") or {}
    design: Json = {
        "study_type": _enum(StudyType, design_m.get("studyType"), warnings, "studyType"),
        "phases": _enums(Phase, design_m.get("phases"), warnings, "phases"),
        "enrollment": {
            "count": enrollment_info.get("count"),
            "type": _enum(DateType, enrollment_info.get("type"), warnings, "enrollment type"),
        }
        if isinstance(enrollment_info, dict)
        else None,
        "allocation": _enum(Allocation, design_info.get("allocation"), warnings, "allocation"),
        "intervention_model": _enum(
            InterventionModel, design_info.get("interventionModel"), warnings, "interventionModel"
        ),
        "intervention_model_description": _text(design_info.get("interventionModelDescription")),
        "primary_purpose": _enum(
            PrimaryPurpose, design_info.get("primaryPurpose"), warnings, "primaryPurpose"
        ),
        "masking": _enum(Masking, masking_info.get("masking"), warnings, "masking"),
        "who_masked": _enums(WhoMasked, masking_info.get("whoMasked"), warnings, "whoMasked"),
        "masking_description": _text(masking_info.get("maskingDescription")),
        "observational_model": _enum(
            ObservationalModel, design_info.get("observationalModel"), warnings, "observationalModel"
        ),
        "time_perspective": _enum(
            TimePerspective, design_info.get("timePerspective"), warnings, "timePerspective"
        ),
        "patient_registry": design_m.get("patientRegistry"),
        "target_duration": _text(design_m.get("targetDuration")),
        "bio_spec_retention": _enum(
            BioSpecRetention, bio_spec.get("retention"), warnings, "bioSpec retention"
        ),
        "bio_spec_description": _text(bio_spec.get("description")),
    }

    criteria_text = _text(elig_m.get("eligibilityCriteria"))
    inclusion, exclusion = split_criteria(criteria_text)
    eligibility: Json = {
        "criteria_text": criteria_text,
        "inclusion": inclusion,
        "exclusion": exclusion,
        "minimum_age": cached_age(elig_m.get("minimumAge")),
        "maximum_age": cached_age(elig_m.get("maximumAge")),
        "sex": _enum(Sex, elig_m.get("sex"), warnings, "sex"),
        "gender_based": elig_m.get("genderBased"),
        "gender_description": _text(elig_m.get("genderDescription")),
        "healthy_volunteers": elig_m.get("healthyVolunteers"),
        "std_ages": _enums(StandardAge, elig_m.get("stdAges"), warnings, "stdAges"),
        "study_population": _text(elig_m.get("studyPopulation")),
        "sampling_method": _enum(SamplingMethod, elig_m.get("samplingMethod"), warnings, "samplingMethod"),
    }

    outcomes: list[Json] = []
    for kind, key in _OUTCOME_KEYS:
        for item in outcomes_m.get(key) or []:
            measure = _text(item.get("measure"))
            if measure:
                outcomes.append(
                    {
                        "kind": kind,
                        "measure": measure,
                        "description": _text(item.get("description")),
                        "time_frame": _text(item.get("timeFrame")),
                    }
                )

    lead = sponsor_m.get("leadSponsor") or {}
    party = sponsor_m.get("responsibleParty")
    references: list[Json] = []
    for ref in refs_m.get("references") or []:
        citation = _text(ref.get("citation"))
        doi = DOI.search(citation) if citation else None
        references.append(
            {
                "citation": citation,
                "pmid": _text(ref.get("pmid")),
                "doi": doi.group(1).rstrip(".") if doi else None,
                "type": _enum(ReferenceType, ref.get("type"), warnings, "reference type"),
            }
        )
    large_docs = ((study.get("documentSection") or {}).get("largeDocumentModule") or {}).get(
        "largeDocs"
    ) or []
    condition_browse = derived.get("conditionBrowseModule")
    intervention_browse = derived.get("interventionBrowseModule")

    fields: Json = {
        "nct_id": nct_id,
        "org_study_id": _text(org_info.get("id")),
        "org_study_id_type": _enum(SecondaryIdType, org_info.get("type"), warnings, "orgStudyIdInfo type"),
        "org_study_id_link": _text(org_info.get("link")),
        "organization": {
            "name": _text(organization.get("fullName")),
            "agency_class": _enum(AgencyClass, organization.get("class"), warnings, "organization class"),
        }
        if isinstance(organization, dict)
        else None,
        "secondary_ids": [
            {
                "id": sid,
                "type": _enum(SecondaryIdType, item.get("type"), warnings, "secondary id type"),
                "domain": _text(item.get("domain")),
                "link": _text(item.get("link")),
            }
            for item in ident.get("secondaryIdInfos") or []
            if (sid := _text(item.get("id")))
        ],
        "nct_id_aliases": _strings(ident.get("nctIdAliases")),
        "acronym": _text(ident.get("acronym")),
        "brief_title": _text(ident.get("briefTitle")),
        "official_title": _text(ident.get("officialTitle")),
        "status": status,
        "design": design,
        "brief_summary": _text(desc_m.get("briefSummary")),
        "detailed_description": _text(desc_m.get("detailedDescription")),
        "conditions": _strings(cond_m.get("conditions")),
        "keywords": _strings(cond_m.get("keywords")),
        "condition_mesh": _mesh(condition_browse, "meshes"),
        "condition_mesh_ancestors": _mesh(condition_browse, "ancestors"),
        "intervention_mesh": _mesh(intervention_browse, "meshes"),
        "intervention_mesh_ancestors": _mesh(intervention_browse, "ancestors"),
        "arms": [
            {
                "label": label,
                "type": _enum(ArmGroupType, arm.get("type"), warnings, "arm type"),
                "description": _text(arm.get("description")),
                "intervention_names": _strings(arm.get("interventionNames")),
            }
            for arm in arms_m.get("armGroups") or []
            if (label := _text(arm.get("label")))
        ],
        "interventions": [
            {
                "type": _enum(InterventionType, item.get("type"), warnings, "intervention type"),
                "name": name,
                "description": _text(item.get("description")),
                "other_names": _strings(item.get("otherNames")),
                "arm_labels": _strings(item.get("armGroupLabels")),
            }
            for item in arms_m.get("interventions") or []
            if (name := _text(item.get("name")))
        ],
        "eligibility": eligibility,
        "outcomes": outcomes,
        "lead_sponsor": {
            "name": lead_name,
            "agency_class": _enum(AgencyClass, lead.get("class"), warnings, "lead sponsor class"),
        }
        if (lead_name := _text(lead.get("name")))
        else None,
        "collaborators": [
            {
                "name": name,
                "agency_class": _enum(AgencyClass, c.get("class"), warnings, "collaborator class"),
            }
            for c in sponsor_m.get("collaborators") or []
            if (name := _text(c.get("name")))
        ],
        "responsible_party": {
            "type": _enum(ResponsiblePartyType, party.get("type"), warnings, "responsible party type"),
            "investigator_full_name": _text(party.get("investigatorFullName")),
            "investigator_title": _text(party.get("investigatorTitle")),
            "investigator_affiliation": _text(party.get("investigatorAffiliation")),
            "old_name_title": _text(party.get("oldNameTitle")),
            "old_organization": _text(party.get("oldOrganization")),
        }
        if isinstance(party, dict)
        else None,
        "officials": [
            {
                "name": _text(o.get("name")),
                "role": _enum(OfficialRole, o.get("role"), warnings, "official role"),
                "affiliation": _text(o.get("affiliation")),
            }
            for o in contacts_m.get("overallOfficials") or []
        ],
        "central_contacts": [_contact(c, warnings) for c in contacts_m.get("centralContacts") or []],
        "locations": [
            {
                "facility": _text(loc.get("facility")),
                "status": _enum(OverallStatus, loc.get("status"), warnings, "location status"),
                "city": _text(loc.get("city")),
                "state": _text(loc.get("state")),
                "zip": _text(loc.get("zip")),
                "country": _text(loc.get("country")),
                "contacts": [_contact(c, warnings) for c in loc.get("contacts") or []],
                "geo": {"lat": geo["lat"], "lon": geo["lon"]}
                if isinstance(geo := loc.get("geoPoint"), dict) and "lat" in geo and "lon" in geo
                else None,
            }
            for loc in contacts_m.get("locations") or []
        ],
        "references": references,
        "see_also_links": [
            {"url": url, "label": _text(link.get("label"))}
            for link in refs_m.get("seeAlsoLinks") or []
            if (url := _text(link.get("url")))
        ],
        "available_ipds": [
            {
                "id": _text(i.get("id")),
                "type": _text(i.get("type")),
                "url": _text(i.get("url")),
                "comment": _text(i.get("comment")),
            }
            for i in refs_m.get("availIpds") or []
        ],
        "provided_documents": [
            {
                "type_abbrev": _text(d.get("typeAbbrev")),
                "label": _text(d.get("label")),
                "has_protocol": d.get("hasProtocol"),
                "has_sap": d.get("hasSap"),
                "has_icf": d.get("hasIcf"),
                "date": cached_date(d.get("date")),
                "upload_date": _text(d.get("uploadDate")),
                "filename": _text(d.get("filename")),
                "size": d.get("size"),
                "url": _document_url(nct_id, d.get("filename")),
            }
            for d in large_docs
        ],
        "oversight": {
            "has_dmc": oversight_m.get("oversightHasDmc"),
            "is_fda_regulated_drug": oversight_m.get("isFdaRegulatedDrug"),
            "is_fda_regulated_device": oversight_m.get("isFdaRegulatedDevice"),
            "is_unapproved_device": oversight_m.get("isUnapprovedDevice"),
            "is_ppsd": oversight_m.get("isPpsd"),
            "is_us_export": oversight_m.get("isUsExport"),
        }
        if isinstance(oversight_m, dict)
        else None,
        "ipd_sharing": {
            "ipd_sharing": _enum(IpdSharing, ipd_m.get("ipdSharing"), warnings, "ipdSharing"),
            "description": _text(ipd_m.get("description")),
            "info_types": _enums(IpdInfoType, ipd_m.get("infoTypes"), warnings, "ipd infoTypes"),
            "time_frame": _text(ipd_m.get("timeFrame")),
            "access_criteria": _text(ipd_m.get("accessCriteria")),
            "url": _text(ipd_m.get("url")),
        }
        if isinstance(ipd_m, dict)
        else None,
        "has_results": study.get("hasResults"),
        "results": _results(study.get("resultsSection"), warnings),
    }
    last_update = status["last_update_post_date"]
    fields["sources"] = [
        {
            "id": f"ctgov-v2:{location}#{nct_id}",
            "format": SourceFormat.CTGOV_V2_JSON,
            "location": location,
            "record_date": date_floor(
                (last_update["date"] if last_update else None) or status["last_update_submit_date"]
            ),
            "raw": raw if raw is not None else orjson.dumps(study).decode(),
            "warnings": warnings,
        }
    ]
    return Trial.model_validate(fields)


def _results(section: Any, warnings: list[str]) -> Results | None:
    if not isinstance(section, dict) or not section:
        return None
    try:
        return from_v2(section)
    except ValidationError as exc:
        # A malformed results section costs the results, not the trial: shown as "not read", never guessed.
        error = error_from_exception("resultsSection", exc)
        warnings.append(f"resultsSection not read: {error.field or ''} {error.reason}".replace("  ", " "))
        return None


_OUTCOME_KEYS = (
    (OutcomeKind.PRIMARY, "primaryOutcomes"),
    (OutcomeKind.SECONDARY, "secondaryOutcomes"),
    (OutcomeKind.OTHER, "otherOutcomes"),
)


def _document_url(nct_id: str, filename: Any) -> str | None:
    name = _text(filename)
    if not name:
        return None
    # ClinicalTrials.gov serves provided documents under the last two digits of the NCT id.
    return f"https://cdn.clinicaltrials.gov/large-docs/{nct_id[-2:]}/{nct_id}/{name}"


def _study_result(study: Any, location: str, raw: str | None) -> ReadResult:
    if not isinstance(study, dict):
        return RecordError(location, f"not an API v2 study: a JSON {_json_type(study)}, not an object")
    where = location
    protocol = study.get("protocolSection")
    ident = protocol.get("identificationModule") if isinstance(protocol, dict) else None
    nct = ident.get("nctId") if isinstance(ident, dict) else None
    if isinstance(nct, str) and is_nct_id(nct) and "#" not in location:
        where = f"{location}#{nct}"
    if raw is not None and len(raw) > read_limits().record_bytes:
        return RecordError(where, _too_large())
    try:
        return study_to_trial(study, location, raw)
    except StudyError as exc:
        return RecordError(where, str(exc))
    except Exception as exc:  # a value of the wrong JSON type somewhere: find which, and say so
        return _mapping_error(study, where, exc)


def _mapping_error(study: dict[str, Any], where: str, exc: Exception) -> RecordError:
    """The error for a study the mapper failed on, naming the field it failed at.

    Mapping runs untracked (it is the hot path); only when it fails is it run again over a view of
    the study that records each key it reads, so the error names the last field reached.
    """
    if type(exc).__name__ == "ValidationError":
        return error_from_exception(where, exc)
    trail = _Trail()
    try:
        study_to_trial(_Tracked(study, "", trail), where)
    except Exception as again:  # the same failure, now with the path it happened at
        exc = again
    field = trail.misused or (trail.read[-1] if trail.read else None)
    if isinstance(exc, (AttributeError, TypeError)) and field is not None:
        return RecordError(where, "a value of the wrong JSON type (the schema says otherwise)", field)
    return error_from_exception(where, exc, field)


def _too_large() -> str:
    return f"record larger than the {read_limits().record_bytes:,}-byte limit: refused"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


class _Trail:
    """The paths a tracked mapping read, and the value it misused (an attribute a string lacks)."""

    def __init__(self) -> None:
        self.read: list[str] = []
        self.misused: str | None = None


class _Misuse:
    """Mixed into tracked values: asking one for a method its JSON type lacks marks its path."""

    _path: str
    _trail: _Trail

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            self._trail.misused = self._path
        raise AttributeError(name)


class _Tracked(_Misuse, dict[str, Any]):
    """A study object that records the path of every key read from it (and from the values inside
    it): used only to name the field a failed mapping stopped at."""

    def __init__(self, data: dict[str, Any], path: str, trail: _Trail) -> None:
        super().__init__(data)
        self._path = path
        self._trail = trail

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}" if self._path else str(key)
        self._trail.read.append(path)
        return _tracked(value, path, self._trail)

    def get(self, key: str, default: Any = None) -> Any:
        return self._wrap(key, super().get(key, default))

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, super().__getitem__(key))

    def __iter__(self) -> Iterator[str]:
        self._trail.misused = self._path  # an object iterated as if it were an array
        return super().__iter__()


class _TrackedList(_Misuse, list[Any]):
    def __init__(self, data: list[Any], path: str, trail: _Trail) -> None:
        super().__init__(data)
        self._path = path
        self._trail = trail

    def __iter__(self) -> Iterator[Any]:
        for index, value in enumerate(super().__iter__()):
            path = f"{self._path}[{index}]"
            self._trail.read.append(path)
            yield _tracked(value, path, self._trail)


class _TrackedStr(_Misuse, str):
    _path = ""
    _trail = _Trail()


class _TrackedInt(_Misuse, int):
    _path = ""
    _trail = _Trail()


class _TrackedFloat(_Misuse, float):
    _path = ""
    _trail = _Trail()


def _tracked(value: Any, path: str, trail: _Trail) -> Any:
    kind = type(value)
    if kind is dict:
        return _Tracked(value, path, trail)
    if kind is list:
        return _TrackedList(value, path, trail)
    scalar = {str: _TrackedStr, int: _TrackedInt, float: _TrackedFloat}.get(kind)
    if scalar is None:
        return value
    wrapped = scalar(value)
    wrapped._path = path
    wrapped._trail = trail
    return wrapped


class CtgovV2Reader:
    """Reader of ClinicalTrials.gov API v2 study JSON in every shape the API and website give it."""

    name = "ctgov-v2-json"

    def sniff(self, head: bytes, name: str) -> float:
        sample = strip_bom(head).lstrip()
        if sample[:1] not in (b"{", b"["):
            return 0.0
        if b'"protocolSection"' in sample:
            return 0.95
        if re.match(rb'\{\s*"studies"\s*:', sample):
            return 0.9
        return 0.0

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        with blob.open() as stream:
            first = strip_bom(stream.read(_CHUNK))
            rest_of_line = b"" if not first or first.endswith(b"\n") else stream.readline()
            head = first + rest_of_line
            stripped = head.lstrip()
            if stripped.startswith(b"["):
                yield from self._read_array(blob.name, head, stream)
            elif _looks_like_jsonl(blob.name, head):
                yield from self._read_lines(blob.name, head, stream)
            else:
                yield from self._read_document(blob.name, head + read_whole(stream))

    def _read_document(self, location: str, data: bytes) -> Iterator[ReadResult]:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield RecordError(location, f"malformed JSON: {exc}")
            return
        except RecursionError as exc:
            yield error_from_exception(location, exc)
            return
        if isinstance(document, dict) and isinstance(document.get("studies"), list):
            for index, study in enumerate(document["studies"], start=1):
                yield _study_result(study, f"{location}#study {index}", None)
        else:
            yield _study_result(document, location, data.decode("utf-8", "replace"))

    def _read_lines(self, location: str, head: bytes, stream: IO[bytes]) -> Iterator[ReadResult]:
        lines = head.splitlines(keepends=True)
        # The head chunk ends on a line break (it was read up to one), so every line in it is whole.
        number = 0
        for line in _chain_lines(lines, stream):
            number += 1
            where = f"{location}#line {number}"
            if line is None:
                yield RecordError(where, _too_large())
                continue
            if not line.strip():
                continue
            try:
                study = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield RecordError(where, f"malformed JSON: {exc}")
                continue
            except RecursionError as exc:
                yield error_from_exception(where, exc)
                continue
            # orjson accepted it, so it is UTF-8.
            yield _study_result(study, where, line.decode("utf-8").strip())

    def _read_array(self, location: str, head: bytes, stream: IO[bytes]) -> Iterator[ReadResult]:
        decoder = json.JSONDecoder()
        utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            buffer = utf8.decode(head)
        except UnicodeDecodeError as exc:
            yield RecordError(location, f"not UTF-8: {exc}")
            return
        position = buffer.index("[") + 1
        index = 0
        eof = False
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,":
                position += 1
            if position < len(buffer) and buffer[position] == "]":
                return
            try:
                value, end = decoder.raw_decode(buffer, position)
            except RecursionError as exc:
                # Where an element nested this deep ends cannot be found: the ones before it stand.
                yield error_from_exception(f"{location}#study {index + 1}", exc)
                return
            except json.JSONDecodeError as exc:
                if len(buffer) - position > read_limits().record_bytes:
                    yield RecordError(f"{location}#study {index + 1}", _too_large())
                    return
                if eof:
                    yield RecordError(
                        f"{location}#study {index + 1}", f"malformed or truncated JSON: {exc.msg}"
                    )
                    return
                chunk = stream.read(_CHUNK)
                eof = not chunk
                try:
                    buffer = buffer[position:] + utf8.decode(chunk, final=eof)
                except UnicodeDecodeError as decode_exc:
                    yield RecordError(f"{location}#study {index + 1}", f"not UTF-8: {decode_exc}")
                    return
                position = 0
                continue
            index += 1
            yield _study_result(value, f"{location}#study {index}", None)
            position = end


def _looks_like_jsonl(name: str, head: bytes) -> bool:
    if format_name(name).endswith((".jsonl", ".ndjson")):
        return True
    first_line, _, rest = head.lstrip().partition(b"\n")
    if not rest.lstrip().startswith(b"{"):
        return False
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return False
    return True


def _chain_lines(lines: list[bytes], stream: IO[bytes]) -> Iterator[bytes | None]:
    yield from lines
    yield from bounded_lines(stream)


READER = CtgovV2Reader()
