"""The one trial model every reader fills and every service reads.

It holds what ClinicalTrials.gov API v2 ``protocolSection`` holds (plus the MeSH terms of
``derivedSection`` and the posted results of ``resultsSection``, see :mod:`trialatlas.model.results`),
and what third-party registry pages show beyond it (related trials, DOIs),
with provenance: which source record gave each top-level field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.errors import RecordDataError
from trialatlas.model.enums import (
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
    WhoMasked,
)
from trialatlas.model.registries import CTGOV, registry_of
from trialatlas.model.results import Results
from trialatlas.model.values import Age, PartialDate
from trialatlas.text.registry_ids import NCT_ID

# A count a registry states (enrollment, a document's size): never negative, and no larger than a
# 32-bit SQL INTEGER holds (PostgreSQL's), so a hostile 20-digit value fails its own record's
# validation, never the store's batch.
MAX_COUNT = 2**31 - 1
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Organization(_Part):
    name: str | None = None
    agency_class: AgencyClass | None = None


class SecondaryId(_Part):
    id: str
    type: SecondaryIdType | None = None
    domain: str | None = Field(default=None, description="Who issued the id (the registry or funder).")
    link: str | None = None


class StatusInfo(_Part):
    overall_status: OverallStatus | None = None
    last_known_status: OverallStatus | None = None
    why_stopped: str | None = None
    status_verified_date: str | None = None
    start_date: PartialDate | None = None
    primary_completion_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    study_first_submit_date: str | None = None
    study_first_submit_qc_date: str | None = None
    study_first_post_date: PartialDate | None = None
    results_first_submit_date: str | None = None
    results_first_submit_qc_date: str | None = None
    results_first_post_date: PartialDate | None = None
    last_update_submit_date: str | None = None
    last_update_post_date: PartialDate | None = None
    disp_first_submit_date: str | None = None
    disp_first_submit_qc_date: str | None = None
    disp_first_post_date: PartialDate | None = None
    has_expanded_access: bool | None = None
    expanded_access_nct_id: str | None = None
    expanded_access_status: OverallStatus | None = None


class Enrollment(_Part):
    count: Count | None = None
    type: DateType | None = None


class Design(_Part):
    study_type: StudyType | None = None
    phases: list[Phase] = Field(default_factory=list)
    enrollment: Enrollment | None = None
    allocation: Allocation | None = None
    intervention_model: InterventionModel | None = None
    intervention_model_description: str | None = None
    primary_purpose: PrimaryPurpose | None = None
    masking: Masking | None = None
    who_masked: list[WhoMasked] = Field(default_factory=list)
    masking_description: str | None = None
    observational_model: ObservationalModel | None = None
    time_perspective: TimePerspective | None = None
    patient_registry: bool | None = None
    target_duration: str | None = None
    bio_spec_retention: BioSpecRetention | None = None
    bio_spec_description: str | None = None


class MeshTerm(_Part):
    id: str | None = None
    term: str


class Arm(_Part):
    label: str
    type: ArmGroupType | None = None
    description: str | None = None
    intervention_names: list[str] = Field(
        default_factory=list, description='As the registry writes them: "Drug: Tacrolimus".'
    )


class Intervention(_Part):
    type: InterventionType | None = None
    name: str
    description: str | None = None
    other_names: list[str] = Field(default_factory=list)
    arm_labels: list[str] = Field(default_factory=list)


class Eligibility(_Part):
    criteria_text: str | None = None
    inclusion: list[str] = Field(default_factory=list)
    exclusion: list[str] = Field(default_factory=list)
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    sex: Sex | None = None
    gender_based: bool | None = None
    gender_description: str | None = None
    healthy_volunteers: bool | None = None
    std_ages: list[StandardAge] = Field(default_factory=list)
    study_population: str | None = None
    sampling_method: SamplingMethod | None = None


class Outcome(_Part):
    kind: OutcomeKind | None = Field(default=None, description="None where the source does not say.")
    measure: str
    description: str | None = None
    time_frame: str | None = None


class Sponsor(_Part):
    name: str
    agency_class: AgencyClass | None = None


class ResponsibleParty(_Part):
    type: ResponsiblePartyType | None = None
    investigator_full_name: str | None = None
    investigator_title: str | None = None
    investigator_affiliation: str | None = None
    old_name_title: str | None = None
    old_organization: str | None = None


class Official(_Part):
    name: str | None = None
    role: OfficialRole | None = None
    affiliation: str | None = None


class Contact(_Part):
    name: str | None = None
    role: ContactRole | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


class GeoPoint(_Part):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class Location(_Part):
    facility: str | None = None
    status: OverallStatus | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    contacts: list[Contact] = Field(default_factory=list)
    geo: GeoPoint | None = None


class Reference(_Part):
    citation: str | None = None
    pmid: str | None = None
    doi: str | None = None
    type: ReferenceType | None = None


class Link(_Part):
    url: str
    label: str | None = None


class AvailableIpd(_Part):
    id: str | None = None
    type: str | None = None
    url: str | None = None
    comment: str | None = None


class ProvidedDocument(_Part):
    type_abbrev: str | None = None
    label: str | None = None
    has_protocol: bool | None = None
    has_sap: bool | None = None
    has_icf: bool | None = None
    date: str | None = None
    upload_date: str | None = None
    filename: str | None = None
    size: Count | None = None
    url: str | None = None


class Oversight(_Part):
    has_dmc: bool | None = None
    is_fda_regulated_drug: bool | None = None
    is_fda_regulated_device: bool | None = None
    is_unapproved_device: bool | None = None
    is_ppsd: bool | None = None
    is_us_export: bool | None = None


class IpdSharingStatement(_Part):
    ipd_sharing: IpdSharing | None = None
    description: str | None = None
    info_types: list[IpdInfoType] = Field(default_factory=list)
    time_frame: str | None = None
    access_criteria: str | None = None
    url: str | None = None


class RelatedTrial(_Part):
    """A trial the source itself lists as related ("See also", "Related Clinical Trials")."""

    nct_id: str
    title: str | None = None
    status: OverallStatus | None = None
    phases: list[Phase] = Field(default_factory=list)
    relation: str | None = Field(default=None, description="How the source labelled the list.")


class SourceRecord(_Part):
    """One record a trial was read from: enough to find it again and to re-read it."""

    id: str = Field(description="Stable id of the record: format, location and position.")
    format: SourceFormat
    location: str = Field(description="File path (and member or line) or URL the record came from.")
    record_date: dt.date | None = Field(
        default=None, description="When the source last changed the record (its last-update date)."
    )
    partial: bool = Field(default=False, description="The record shows only part of the trial.")
    layout: str | None = None
    confidence: float | None = None
    raw: str | None = Field(default=None, description="The record as the source gave it.")
    unread_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    registry: str | None = Field(
        default=None, description="Code of the registry the record belongs to (ctgov, euctr, ctis, isrctn…)."
    )
    registry_id: str | None = Field(
        default=None, description="The record's id as its registry spells it (EUCTR2016-004489-24-DE)."
    )
    url: str | None = Field(
        default=None, description="The registry's page of the record, as the record names it."
    )

    @property
    def record_name(self) -> str:
        """The record as a person finds it again: its file's name and its place in the file (never the
        server's directories), or its URL."""
        where, _, inner = self.location.partition("#")
        if "://" in where:
            return self.location
        name = where.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or where
        return f"{name}, {inner}" if inner else name


# Top-level fields that carry registry content; provenance is tracked for each of them.
CONTENT_FIELDS: tuple[str, ...] = (
    "org_study_id",
    "org_study_id_type",
    "org_study_id_link",
    "organization",
    "secondary_ids",
    "nct_id_aliases",
    "acronym",
    "brief_title",
    "official_title",
    "status",
    "design",
    "brief_summary",
    "detailed_description",
    "conditions",
    "keywords",
    "condition_mesh",
    "condition_mesh_ancestors",
    "intervention_mesh",
    "intervention_mesh_ancestors",
    "arms",
    "interventions",
    "eligibility",
    "outcomes",
    "lead_sponsor",
    "collaborators",
    "responsible_party",
    "officials",
    "central_contacts",
    "locations",
    "references",
    "see_also_links",
    "available_ipds",
    "provided_documents",
    "oversight",
    "ipd_sharing",
    "related_trials",
    "has_results",
    "results",
)


class Trial(_Part):
    """A clinical trial, whichever registry or page it was read from."""

    nct_id: str | None = Field(default=None, pattern=NCT_ID.pattern)
    org_study_id: str | None = None
    org_study_id_type: SecondaryIdType | None = None
    org_study_id_link: str | None = None
    organization: Organization | None = None
    secondary_ids: list[SecondaryId] = Field(default_factory=list)
    nct_id_aliases: list[str] = Field(default_factory=list)
    registry_ids: list[str] = Field(
        default_factory=list,
        description=(
            "Canonical ids of the trial's own records in registries other than ClinicalTrials.gov "
            "(EUCTR2016-004489-24, ISRCTN96912679, ChiCTR1900022258); the first keys a trial with no NCT id."
        ),
    )
    acronym: str | None = None
    brief_title: str | None = None
    official_title: str | None = None

    status: StatusInfo = Field(default_factory=StatusInfo)
    design: Design = Field(default_factory=Design)

    brief_summary: str | None = None
    detailed_description: str | None = None
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    condition_mesh: list[MeshTerm] = Field(default_factory=list)
    condition_mesh_ancestors: list[MeshTerm] = Field(default_factory=list)
    intervention_mesh: list[MeshTerm] = Field(default_factory=list)
    intervention_mesh_ancestors: list[MeshTerm] = Field(default_factory=list)

    arms: list[Arm] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    outcomes: list[Outcome] = Field(default_factory=list)

    lead_sponsor: Sponsor | None = None
    collaborators: list[Sponsor] = Field(default_factory=list)
    responsible_party: ResponsibleParty | None = None
    officials: list[Official] = Field(default_factory=list)
    central_contacts: list[Contact] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)

    references: list[Reference] = Field(default_factory=list)
    see_also_links: list[Link] = Field(default_factory=list)
    available_ipds: list[AvailableIpd] = Field(default_factory=list)
    provided_documents: list[ProvidedDocument] = Field(default_factory=list)
    oversight: Oversight | None = None
    ipd_sharing: IpdSharingStatement | None = None
    related_trials: list[RelatedTrial] = Field(default_factory=list)
    has_results: bool | None = None
    results: Results | None = Field(
        default=None, description="Posted results, where the source carries them."
    )

    is_partial: bool = Field(
        default=False, description="The source shows only part of the record (CSV rows, description dumps)."
    )
    sources: list[SourceRecord] = Field(default_factory=list)
    field_sources: dict[str, str] = Field(
        default_factory=dict, description="Top-level content field → id of the source record that gave it."
    )

    @property
    def key(self) -> str:
        """The store key: the NCT id, else the first registry id it was read under, else the org study id
        (pages of other registries may show neither)."""
        if self.nct_id:
            return self.nct_id
        if self.registry_ids:
            return self.registry_ids[0]
        if self.org_study_id:
            return f"ORG:{self.org_study_id}"
        raise RecordDataError("a trial needs an NCT id or an org study id to be stored")

    @property
    def title(self) -> str:
        return self.brief_title or self.official_title or self.acronym or (self.nct_id or "")

    @property
    def record_date(self) -> dt.date | None:
        """The newest date any of its sources was last changed."""
        dates = [s.record_date for s in self.sources if s.record_date]
        return max(dates) if dates else None

    @property
    def registries(self) -> list[str]:
        """Codes of the registries holding a record of the trial (its NCT id counts as ClinicalTrials.gov)."""
        codes = {CTGOV} if self.nct_id else set()
        for registry_id in self.registry_ids:
            if code := registry_of(registry_id):
                codes.add(code)
        return sorted(codes)

    def age_limit_text(self, which: Literal["minimum", "maximum"]) -> str:
        """An age limit as shown to a reader: "18 Years"; "no limit" where ClinicalTrials.gov sets none
        (its "N/A"); "not stated" where the eligibility comes from another registry's record, which
        names no limit (an ISRCTN record without ``lowerAgeLimit`` says nothing about one)."""
        age = self.eligibility.minimum_age if which == "minimum" else self.eligibility.maximum_age
        if age is not None:
            return age.text
        # The records the eligibility was read from (any record, where none gave a part of it).
        ids = {v for k, v in self.field_sources.items() if k.split(".")[0] == "eligibility"}
        records = [s for s in self.sources if s.id in ids] or self.sources
        if not records or any(s.registry in (None, CTGOV) for s in records):
            return "no limit"
        return "not stated"

    @property
    def countries(self) -> list[str]:
        return sorted({loc.country for loc in self.locations if loc.country})

    def filled_fields(self) -> list[str]:
        """The content fields that hold something (used for provenance and for partial-record merges)."""
        return [name for name in CONTENT_FIELDS if _has_content(getattr(self, name))]


def _has_content(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, BaseModel):
        return any(_has_content(getattr(value, f)) for f in type(value).model_fields)
    if isinstance(value, list | dict | str):
        return bool(value)
    return True
