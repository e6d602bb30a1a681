"""ISRCTN registry records (ISRCTN's XML turned into JSON, as ctrdata stores them): ``isrctn``,
``trialDescription``, ``externalRefs``, ``trialDesign``, ``participants``, ``conditions``,
``interventions``, ``results``.

A repeated XML element is a list and a single one an object; both are read. ISRCTN names sponsors and
funders only by id in these records, so the trial has no sponsor from them. Its free-text design
("Single-centre randomized double-blind two-arm pilot study") is read by the same cue vocabulary as
WHO ICTRP's designs.
"""

from __future__ import annotations

import re

from trialatlas.model.enums import (
    DateType,
    InterventionType,
    IpdSharing,
    OutcomeKind,
    OverallStatus,
    PrimaryPurpose,
    SecondaryIdType,
    SourceFormat,
    StandardAge,
    StudyType,
    coerce_enum,
    coerce_phases,
)
from trialatlas.model.registries import identify, registry_name
from trialatlas.model.trial import (
    Design,
    Eligibility,
    Enrollment,
    Intervention,
    IpdSharingStatement,
    Location,
    Outcome,
    SecondaryId,
    StatusInfo,
    Trial,
)
from trialatlas.model.values import PartialDate, parse_age
from trialatlas.sources.base import Blob
from trialatlas.sources.documents import (
    Document,
    DocumentReader,
    as_list,
    block,
    count_of,
    dig,
    iso_date,
    section,
    text,
)
from trialatlas.sources.ictrp_fields import ictrp_sex, parse_design
from trialatlas.sources.textblocks import split_criteria

_MARKERS = (b'"isrctn"', b'"trialDescription"', b'"externalRefs"', b'"trialDesign"')
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s*")
_AGE_RANGES = {
    "neonate": [StandardAge.CHILD],
    "child": [StandardAge.CHILD],
    "adult": [StandardAge.ADULT],
    "senior": [StandardAge.OLDER_ADULT],
    "mixed": [],
    "all": [StandardAge.CHILD, StandardAge.ADULT, StandardAge.OLDER_ADULT],
}
_STATUS_OVERRIDE = {"stopped": OverallStatus.TERMINATED, "suspended": OverallStatus.SUSPENDED}


def _outcomes(value: object, kind: OutcomeKind) -> list[Outcome]:
    """A numbered list ("1. All-cause mortality …\\n2. …") is one outcome per item; other text is one."""
    content = block(value)
    if not content:
        return []
    lines = [line for line in content.split("\n") if line.strip()]
    if len(lines) > 1 and all(_NUMBERED.match(line) for line in lines):
        return [Outcome(kind=kind, measure=_NUMBERED.sub("", line).strip()) for line in lines]
    return [Outcome(kind=kind, measure=" ".join(content.split()))]


def _interventions(document: Document) -> list[Intervention]:
    found: list[Intervention] = []
    for item in as_list(dig(document, "interventions", "intervention")):
        if not isinstance(item, dict):
            continue
        kind = coerce_enum(InterventionType, text(item.get("interventionType")) or "")
        description = block(item.get("description"))
        names = [n.strip() for n in (text(item.get("drugNames")) or "").split(",") if n.strip()]
        if names:
            found.extend(Intervention(type=kind, name=name, description=description) for name in names)
        elif description:
            found.append(Intervention(type=kind, name=" ".join(description.split())))
    return found


def build_trial(document: Document) -> Trial:
    number = text(document.get("isrctn"))
    own = identify(f"ISRCTN{number}") if number else None
    if own is None:
        raise ValueError(f"isrctn: not an ISRCTN number {number!r}")
    description = section(document, "trialDescription")
    refs = section(document, "externalRefs")
    trial_design = section(document, "trialDesign")
    participants = section(document, "participants")

    secondary: list[SecondaryId] = []
    candidates = [
        refs.get("eudraCTNumber"),
        refs.get("clinicalTrialsGovNumber"),
        refs.get("irasNumber"),
        *as_list(dig(refs, "secondaryNumbers", "secondaryNumber")),
    ]
    protocol = text(refs.get("protocolSerialNumber"))
    for value in candidates:
        value_text = text(value)
        if not value_text or value_text == protocol or any(s.id == value_text for s in secondary):
            continue
        linked = identify(value_text)
        if linked is not None and linked.registry == "euctr":
            secondary.append(
                SecondaryId(id=value_text, type=SecondaryIdType.EUDRACT_NUMBER, domain=registry_name("euctr"))
            )
        elif linked is not None:
            secondary.append(
                SecondaryId(
                    id=value_text, type=SecondaryIdType.REGISTRY, domain=registry_name(linked.registry)
                )
            )
        else:
            secondary.append(SecondaryId(id=value_text, type=SecondaryIdType.OTHER))

    design = Design(study_type=coerce_enum(StudyType, text(trial_design.get("primaryStudyDesign")) or ""))
    design_text = " ".join(
        t
        for t in (text(trial_design.get("studyDesign")), text(trial_design.get("secondaryStudyDesign")))
        if t
    )
    parse_design(design_text or None, design)
    trial_type = text(dig(trial_design, "trialTypes", "trialType"))
    if trial_type:
        design.primary_purpose = coerce_enum(PrimaryPurpose, trial_type) or design.primary_purpose
    phases = [
        p
        for item in as_list(dig(document, "interventions", "intervention"))
        if isinstance(item, dict)
        for p in coerce_phases(text(item.get("phase")))
    ]
    design.phases = list(dict.fromkeys(phases))
    final = count_of(participants.get("totalFinalEnrolment"), "participants.totalFinalEnrolment")
    target = count_of(participants.get("targetEnrolment"), "participants.targetEnrolment")
    if final is not None:
        design.enrollment = Enrollment(count=final, type=DateType.ACTUAL)
    elif target is not None:
        design.enrollment = Enrollment(count=target, type=DateType.ESTIMATED)

    status = StatusInfo(
        overall_status=_STATUS_OVERRIDE.get(
            (
                text(trial_design.get("overallStatusOverride"))
                or text(participants.get("recruitmentStatusOverride"))
                or ""
            ).lower()
        ),
        why_stopped=text(trial_design.get("reasonAbandoned")),
    )
    if start := iso_date(participants.get("recruitmentStart"), "participants.recruitmentStart"):
        status.start_date = PartialDate(date=start)
    if end := iso_date(trial_design.get("overallEndDate"), "trialDesign.overallEndDate"):
        status.completion_date = PartialDate(date=end)

    inclusion, exclusion = block(participants.get("inclusion")), block(participants.get("exclusion"))
    eligibility = Eligibility(
        minimum_age=parse_age(text(participants.get("lowerAgeLimit"))),
        maximum_age=parse_age(text(participants.get("upperAgeLimit"))),
        sex=ictrp_sex(text(participants.get("gender"))),
        std_ages=_AGE_RANGES.get((text(participants.get("ageRange")) or "").lower(), []),
        healthy_volunteers=(
            True
            if (text(dig(participants, "participantTypes", "participantType")) or "").lower()
            == "healthy volunteer"
            else None
        ),
    )
    parts = [
        f"Inclusion Criteria:\n{inclusion}" if inclusion else "",
        f"Exclusion Criteria:\n{exclusion}" if exclusion else "",
    ]
    criteria_text = "\n\n".join(p for p in parts if p)
    if criteria_text:
        eligibility.criteria_text = criteria_text
        eligibility.inclusion, eligibility.exclusion = split_criteria(criteria_text)

    countries = [str(c) for c in as_list(dig(participants, "recruitmentCountries", "country")) if text(c)]
    centres = [c for c in as_list(dig(participants, "trialCentres", "trialCentre")) if isinstance(c, dict)]
    locations = [
        Location(
            facility=text(c.get("name")),
            city=text(c.get("city")),
            state=text(c.get("state")),
            zip=text(c.get("zip")),
            country=text(c.get("country")),
        )
        for c in centres
    ]
    listed = {loc.country for loc in locations}
    locations.extend(Location(country=c) for c in dict.fromkeys(countries) if c not in listed)
    conditions = [c for c in (text(dig(document, "conditions", "condition", "description")),) if c]
    keywords = [
        k
        for k in (
            text(dig(document, "conditions", "condition", "diseaseClass1")),
            text(dig(document, "conditions", "condition", "diseaseClass2")),
        )
        if k
    ]
    ipd = text(dig(document, "results", "ipdSharingStatement"))
    plan = text(dig(document, "miscellaneous", "ipdSharingPlan"))
    return Trial(
        registry_ids=[own.id],
        org_study_id=protocol,
        secondary_ids=secondary,
        acronym=text(description.get("acronym")),
        brief_title=text(description.get("title")),
        official_title=text(description.get("scientificTitle")),
        brief_summary=block(description.get("plainEnglishSummary")),
        detailed_description=block(description.get("studyHypothesis")),
        status=status,
        design=design,
        conditions=conditions,
        keywords=keywords,
        interventions=_interventions(document),
        eligibility=eligibility,
        outcomes=[
            *_outcomes(description.get("primaryOutcome"), OutcomeKind.PRIMARY),
            *_outcomes(description.get("secondaryOutcome"), OutcomeKind.SECONDARY),
        ],
        locations=locations,
        ipd_sharing=IpdSharingStatement(ipd_sharing=coerce_enum(IpdSharing, plan or ""), description=ipd)
        if (ipd or plan)
        else None,
        has_results=True
        if (text(dig(document, "results", "publicationStage")) or "").lower() == "results"
        else None,
    )


class IsrctnReader(DocumentReader):
    name = "isrctn-json"
    format = SourceFormat.ISRCTN_JSON
    registry = "isrctn"
    ctrname = b"ISRCTN"
    markers = _MARKERS

    def build(self, blob: Blob, document: Document) -> tuple[Trial, str]:
        trial = build_trial(document)
        return trial, trial.registry_ids[0]


READER = IsrctnReader()
