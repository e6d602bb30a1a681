"""Controlled vocabularies of the trial model, spelled as ClinicalTrials.gov API v2 spells them.

Readers of other formats (legacy XML, CSV, scraped pages) map their spellings onto these through
:func:`coerce_enum`, which knows the legacy display forms ("Not yet recruiting", "Phase 1/Phase 2",
"Active Comparator") so that every reader shares one normaliser.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import TypeVar

from trialatlas.text.packaged import packaged_json


class OverallStatus(StrEnum):
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"
    UNKNOWN = "UNKNOWN"


OPEN_STATUSES = frozenset(
    {OverallStatus.RECRUITING, OverallStatus.NOT_YET_RECRUITING, OverallStatus.ENROLLING_BY_INVITATION}
)


class Phase(StrEnum):
    NA = "NA"
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"


class StudyType(StrEnum):
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"
    EXPANDED_ACCESS = "EXPANDED_ACCESS"


class DateType(StrEnum):
    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class Allocation(StrEnum):
    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class InterventionModel(StrEnum):
    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class PrimaryPurpose(StrEnum):
    TREATMENT = "TREATMENT"
    PREVENTION = "PREVENTION"
    DIAGNOSTIC = "DIAGNOSTIC"
    ECT = "ECT"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE"
    SCREENING = "SCREENING"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH"
    BASIC_SCIENCE = "BASIC_SCIENCE"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY"
    OTHER = "OTHER"


class Masking(StrEnum):
    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class WhoMasked(StrEnum):
    PARTICIPANT = "PARTICIPANT"
    CARE_PROVIDER = "CARE_PROVIDER"
    INVESTIGATOR = "INVESTIGATOR"
    OUTCOMES_ASSESSOR = "OUTCOMES_ASSESSOR"


class ObservationalModel(StrEnum):
    COHORT = "COHORT"
    CASE_CONTROL = "CASE_CONTROL"
    CASE_ONLY = "CASE_ONLY"
    CASE_CROSSOVER = "CASE_CROSSOVER"
    ECOLOGIC_OR_COMMUNITY = "ECOLOGIC_OR_COMMUNITY"
    FAMILY_BASED = "FAMILY_BASED"
    DEFINED_POPULATION = "DEFINED_POPULATION"
    NATURAL_HISTORY = "NATURAL_HISTORY"
    OTHER = "OTHER"


class TimePerspective(StrEnum):
    PROSPECTIVE = "PROSPECTIVE"
    RETROSPECTIVE = "RETROSPECTIVE"
    CROSS_SECTIONAL = "CROSS_SECTIONAL"
    OTHER = "OTHER"


class BioSpecRetention(StrEnum):
    NONE_RETAINED = "NONE_RETAINED"
    SAMPLES_WITH_DNA = "SAMPLES_WITH_DNA"
    SAMPLES_WITHOUT_DNA = "SAMPLES_WITHOUT_DNA"


class ArmGroupType(StrEnum):
    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class InterventionType(StrEnum):
    BEHAVIORAL = "BEHAVIORAL"
    BIOLOGICAL = "BIOLOGICAL"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DEVICE = "DEVICE"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    DRUG = "DRUG"
    GENETIC = "GENETIC"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    OTHER = "OTHER"


class Sex(StrEnum):
    ALL = "ALL"
    FEMALE = "FEMALE"
    MALE = "MALE"


class StandardAge(StrEnum):
    CHILD = "CHILD"
    ADULT = "ADULT"
    OLDER_ADULT = "OLDER_ADULT"


class AgeUnit(StrEnum):
    YEARS = "YEARS"
    MONTHS = "MONTHS"
    WEEKS = "WEEKS"
    DAYS = "DAYS"
    HOURS = "HOURS"
    MINUTES = "MINUTES"


class SamplingMethod(StrEnum):
    PROBABILITY_SAMPLE = "PROBABILITY_SAMPLE"
    NON_PROBABILITY_SAMPLE = "NON_PROBABILITY_SAMPLE"


class AgencyClass(StrEnum):
    NIH = "NIH"
    FED = "FED"
    OTHER_GOV = "OTHER_GOV"
    INDIV = "INDIV"
    INDUSTRY = "INDUSTRY"
    NETWORK = "NETWORK"
    AMBIG = "AMBIG"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class SponsorRole(StrEnum):
    """Not a v2 enum: v2 places sponsors by module key (leadSponsor / collaborators)."""

    LEAD = "LEAD"
    COLLABORATOR = "COLLABORATOR"


class ResponsiblePartyType(StrEnum):
    SPONSOR = "SPONSOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR"


class OfficialRole(StrEnum):
    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"


class ContactRole(StrEnum):
    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"
    CONTACT = "CONTACT"


class ReferenceType(StrEnum):
    BACKGROUND = "BACKGROUND"
    RESULT = "RESULT"
    DERIVED = "DERIVED"


class SecondaryIdType(StrEnum):
    NIH = "NIH"
    FDA = "FDA"
    VA = "VA"
    CDC = "CDC"
    AHRQ = "AHRQ"
    SAMHSA = "SAMHSA"
    OTHER_GRANT = "OTHER_GRANT"
    EUDRACT_NUMBER = "EUDRACT_NUMBER"
    CTIS = "CTIS"
    REGISTRY = "REGISTRY"
    OTHER = "OTHER"


class OutcomeKind(StrEnum):
    PRIMARY = "PRIMARY"
    SECONDARY = "SECONDARY"
    OTHER = "OTHER"


class IpdSharing(StrEnum):
    YES = "YES"
    NO = "NO"
    UNDECIDED = "UNDECIDED"


class IpdInfoType(StrEnum):
    STUDY_PROTOCOL = "STUDY_PROTOCOL"
    SAP = "SAP"
    ICF = "ICF"
    CSR = "CSR"
    ANALYTIC_CODE = "ANALYTIC_CODE"


class SourceFormat(StrEnum):
    CTGOV_V2_JSON = "ctgov-v2-json"
    CTGOV_XML = "ctgov-xml"
    CTGOV_CSV_LEGACY = "ctgov-csv-legacy"
    CTGOV_CSV = "ctgov-csv"
    DESCRIPTIONS_JSONL = "descriptions-jsonl"
    TRIALGPT_JSONL = "trialgpt-jsonl"
    REGISTRY_PAGE = "registry-page"
    TRIALATLAS_JSON = "trialatlas-json"
    ICTRP_CSV = "ictrp-csv"
    ICTRP_XML = "ictrp-xml"
    EUCTR_JSON = "euctr-json"
    CTIS_JSON = "ctis-json"
    ISRCTN_JSON = "isrctn-json"


E = TypeVar("E", bound=StrEnum)

# Display spellings that do not reduce to the v2 name by upper-casing and joining words.
_ALIASES: dict[str, str] = {
    "N/A": "NA",
    "NOT_APPLICABLE": "NA",
    "EARLY_PHASE_1": "EARLY_PHASE1",
    "PHASE_0": "EARLY_PHASE1",
    "PHASE_1": "PHASE1",
    "PHASE_2": "PHASE2",
    "PHASE_3": "PHASE3",
    "PHASE_4": "PHASE4",
    "PHASE_I": "PHASE1",
    "PHASE_II": "PHASE2",
    "PHASE_III": "PHASE3",
    "PHASE_IV": "PHASE4",
    "I": "PHASE1",
    "II": "PHASE2",
    "III": "PHASE3",
    "IV": "PHASE4",
    "NON-RANDOMIZED": "NON_RANDOMIZED",
    "NONRANDOMIZED": "NON_RANDOMIZED",
    "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
    "PARALLEL_ASSIGNMENT": "PARALLEL",
    "CROSSOVER_ASSIGNMENT": "CROSSOVER",
    "FACTORIAL_ASSIGNMENT": "FACTORIAL",
    "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    "NONE_(OPEN_LABEL)": "NONE",
    "OPEN_LABEL": "NONE",
    "ACTIVE,_NOT_RECRUITING": "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION": "ENROLLING_BY_INVITATION",
    "UNKNOWN_STATUS": "UNKNOWN",
    "AVAILABLE_FOR_EXPANDED_ACCESS": "AVAILABLE",
    "EXPANDED_ACCESS": "EXPANDED_ACCESS",
    "ANTICIPATED": "ESTIMATED",
    "BOTH": "ALL",
    "OUTCOMES_ASSESSOR": "OUTCOMES_ASSESSOR",
    "CASE-CONTROL": "CASE_CONTROL",
    "CASE-ONLY": "CASE_ONLY",
    "CASE-CROSSOVER": "CASE_CROSSOVER",
    "ECOLOGIC_OR_COMMUNITY_STUDIES": "ECOLOGIC_OR_COMMUNITY",
    "ECOLOGIC_OR_COMMUNITY": "ECOLOGIC_OR_COMMUNITY",
    "CROSS-SECTIONAL": "CROSS_SECTIONAL",
    "EDUCATIONAL/COUNSELING/TRAINING": "OTHER",
    "SUPPORTIVE": "SUPPORTIVE_CARE",
    "U.S._FED": "FED",
    "U.S._FEDERAL": "FED",
    "OTHER_U.S._FEDERAL_AGENCY": "FED",
    "INDIVIDUAL": "INDIV",
    "PRINCIPAL_INVESTIGATOR": "PRINCIPAL_INVESTIGATOR",
    "SPONSOR-INVESTIGATOR": "SPONSOR_INVESTIGATOR",
    "SAMPLES_WITH_DNA": "SAMPLES_WITH_DNA",
    "PROBABILITY_SAMPLE": "PROBABILITY_SAMPLE",
    "NON-PROBABILITY_SAMPLE": "NON_PROBABILITY_SAMPLE",
    "GENE_TRANSFER": "GENETIC",
    "DIAGNOSTIC_TEST": "DIAGNOSTIC_TEST",
    "RADIATION": "RADIATION",
    "STUDY_PROTOCOL": "STUDY_PROTOCOL",
    "STATISTICAL_ANALYSIS_PLAN_(SAP)": "SAP",
    "INFORMED_CONSENT_FORM_(ICF)": "ICF",
    "CLINICAL_STUDY_REPORT_(CSR)": "CSR",
    "ANALYTIC_CODE": "ANALYTIC_CODE",
}

_SPACES = re.compile(r"[\s\u00a0]+")


@cache
def _code_labels() -> dict[str, str]:
    raw = packaged_json("trialatlas.model", "enum_labels.json")
    return {code: text for code, text in raw.items() if not code.startswith("_")}


def code_label(code: str) -> str | None:
    """How a registry code reads when its words alone would not do (INDIV: "Individual"), else None."""
    return _code_labels().get(code)


def enum_key(text: str) -> str:
    """The v2-style key of a display spelling ("Not yet recruiting" → NOT_YET_RECRUITING)."""
    key = _SPACES.sub("_", text.strip()).upper()
    return _ALIASES.get(key, key)


def coerce_enum(enum_type: type[E], value: object) -> E | None:
    """Map a registry spelling onto ``enum_type``; ``None`` when it is blank or not a known spelling."""
    if value is None:
        return None
    if isinstance(value, enum_type):
        return value
    text = str(value).strip()
    if not text:
        return None
    key = enum_key(text)
    try:
        return enum_type(key)
    except ValueError:
        pass
    key = key.replace("-", "_").replace(",", "").replace("/", "_")
    try:
        return enum_type(_ALIASES.get(key, key))
    except ValueError:
        return None


def coerce_phases(text: str | None) -> list[Phase]:
    """Phases from any spelling: "Phase 1/Phase 2", "PHASE1|PHASE2", "Phase 2/3", "N/A", "Early Phase 1"."""
    if not text:
        return []
    raw = text.strip()
    if enum_key(raw) == "NA":
        return [Phase.NA]
    if raw.upper().replace(" ", "") in {"PHASE1/2", "PHASE1/PHASE2", "PHASEI/II"}:
        return [Phase.PHASE1, Phase.PHASE2]
    if raw.upper().replace(" ", "") in {"PHASE2/3", "PHASE2/PHASE3", "PHASEII/III"}:
        return [Phase.PHASE2, Phase.PHASE3]
    phases: list[Phase] = []
    for part in re.split(r"[|/,;]|\band\b", raw):
        phase = coerce_enum(Phase, part)
        if phase is not None and phase not in phases:
            phases.append(phase)
    return phases
