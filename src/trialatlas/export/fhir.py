"""A trial as a FHIR R4 ``ResearchStudy``, with its sponsor, sites, investigators and enrolment group
contained in it, so the resource stands alone (no server to resolve references against).

R4 has no slot for some registry facts (the exact registry status, collaborators, the recruitment
status of each site); those travel as extensions under :data:`EXTENSION_BASE` rather than being lost
or squeezed into a field that means something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialatlas.model import (
    AgencyClass,
    MeshTerm,
    OfficialRole,
    OutcomeKind,
    OverallStatus,
    PartialDate,
    Phase,
    SecondaryIdType,
    Sex,
    Trial,
)

CTGOV_SYSTEM = "https://clinicaltrials.gov"
MESH_SYSTEM = "urn:oid:2.16.840.1.113883.6.177"
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
OBJECTIVE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
PRIMARY_PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
EXTENSION_BASE = "https://trialatlas.invalid/fhir/StructureDefinition"

# R4 ResearchStudy.status is required and has no "unknown": a v2 UNKNOWN study is mapped through its
# last known status, and the registry's own word is kept in an extension.
_STATUS: dict[OverallStatus, str] = {
    OverallStatus.NOT_YET_RECRUITING: "approved",
    OverallStatus.RECRUITING: "active",
    OverallStatus.ENROLLING_BY_INVITATION: "active",
    OverallStatus.ACTIVE_NOT_RECRUITING: "closed-to-accrual",
    OverallStatus.SUSPENDED: "temporarily-closed-to-accrual",
    OverallStatus.TERMINATED: "administratively-completed",
    OverallStatus.COMPLETED: "completed",
    OverallStatus.WITHDRAWN: "withdrawn",
    OverallStatus.AVAILABLE: "active",
    OverallStatus.TEMPORARILY_NOT_AVAILABLE: "temporarily-closed-to-accrual",
    OverallStatus.NO_LONGER_AVAILABLE: "closed-to-accrual",
    OverallStatus.APPROVED_FOR_MARKETING: "completed",
    OverallStatus.WITHHELD: "in-review",
}

_PRIMARY_PURPOSE = {
    "TREATMENT": "treatment",
    "PREVENTION": "prevention",
    "DIAGNOSTIC": "diagnostic",
    "SUPPORTIVE_CARE": "supportive-care",
    "SCREENING": "screening",
    "HEALTH_SERVICES_RESEARCH": "health-services-research",
    "BASIC_SCIENCE": "basic-science",
    "DEVICE_FEASIBILITY": "device-feasibility",
}

_OBJECTIVE = {
    OutcomeKind.PRIMARY: "primary",
    OutcomeKind.SECONDARY: "secondary",
    OutcomeKind.OTHER: "exploratory",
}

_ORG_TYPE = {
    AgencyClass.INDUSTRY: ("bus", "Non-Healthcare Business or Corporation"),
    AgencyClass.NIH: ("govt", "Government"),
    AgencyClass.FED: ("govt", "Government"),
    AgencyClass.OTHER_GOV: ("govt", "Government"),
}


def fhir_status(trial: Trial) -> str:
    status = trial.status.overall_status
    if status is OverallStatus.UNKNOWN or status is None:
        status = trial.status.last_known_status
    return _STATUS.get(status, "active") if status is not None else "active"


def fhir_phase(phases: list[Phase]) -> dict[str, Any]:
    """R4 has one phase per study: PHASE1+PHASE2 is the combined code ``phase-1-phase-2``."""
    codes = {
        frozenset(): "n-a",
        frozenset({Phase.NA}): "n-a",
        frozenset({Phase.EARLY_PHASE1}): "early-phase-1",
        frozenset({Phase.PHASE1}): "phase-1",
        frozenset({Phase.PHASE1, Phase.PHASE2}): "phase-1-phase-2",
        frozenset({Phase.PHASE2}): "phase-2",
        frozenset({Phase.PHASE2, Phase.PHASE3}): "phase-2-phase-3",
        frozenset({Phase.PHASE3}): "phase-3",
        frozenset({Phase.PHASE4}): "phase-4",
    }
    code = codes.get(frozenset(phases), "n-a")
    text = ", ".join(phases) if phases else "Not applicable"
    return {"coding": [{"system": PHASE_SYSTEM, "code": code}], "text": text}


def _date(value: PartialDate | None) -> str | None:
    # FHIR dateTime accepts YYYY, YYYY-MM and YYYY-MM-DD: registry precision survives as is.
    return value.date if value is not None else None


def _concept(text: str, meshes: Sequence[MeshTerm] = ()) -> dict[str, Any]:
    lowered = text.casefold()
    coding = [
        {"system": MESH_SYSTEM, "code": m.id, "display": m.term}
        for m in meshes
        if m.id and m.term.casefold() == lowered
    ]
    return {"coding": coding, "text": text} if coding else {"text": text}


def _identifiers(trial: Trial) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if trial.nct_id:
        out.append({"use": "official", "system": CTGOV_SYSTEM, "value": trial.nct_id})
    if trial.org_study_id:
        org = trial.organization.name if trial.organization and trial.organization.name else None
        entry: dict[str, Any] = {"use": "secondary", "value": trial.org_study_id}
        if org:
            entry["assigner"] = {"display": org}
        out.append(entry)
    for secondary in trial.secondary_ids:
        entry = {"use": "secondary", "value": secondary.id}
        if secondary.type is SecondaryIdType.EUDRACT_NUMBER:
            entry["system"] = "https://www.clinicaltrialsregister.eu"
        if secondary.type or secondary.domain:
            entry["type"] = {"text": str(secondary.type or secondary.domain)}
        if secondary.domain:
            entry["assigner"] = {"display": secondary.domain}
        out.append(entry)
    return out


def _eligibility_group(trial: Trial) -> dict[str, Any]:
    """The enrolment as a contained Group whose characteristics are the eligibility criteria."""
    elig = trial.eligibility
    characteristics: list[dict[str, Any]] = []
    if elig.minimum_age or elig.maximum_age:
        age_range: dict[str, Any] = {}
        if elig.minimum_age:
            age_range["low"] = {
                "value": elig.minimum_age.years,
                "unit": "a",
                "system": "http://unitsofmeasure.org",
                "code": "a",
            }
        if elig.maximum_age:
            age_range["high"] = {
                "value": elig.maximum_age.years,
                "unit": "a",
                "system": "http://unitsofmeasure.org",
                "code": "a",
            }
        characteristics.append({"code": {"text": "Age"}, "valueRange": age_range, "exclude": False})
    if elig.sex in (Sex.FEMALE, Sex.MALE):
        gender = "female" if elig.sex is Sex.FEMALE else "male"
        characteristics.append(
            {
                "code": {"text": "Sex"},
                "valueCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": gender}],
                    "text": gender,
                },
                "exclude": False,
            }
        )
    if elig.healthy_volunteers is not None:
        characteristics.append(
            {
                "code": {"text": "Accepts healthy volunteers"},
                "valueBoolean": elig.healthy_volunteers,
                "exclude": False,
            }
        )
    for text in elig.inclusion:
        characteristics.append(
            {
                "code": {"text": "Inclusion criterion"},
                "valueCodeableConcept": {"text": text},
                "exclude": False,
            }
        )
    for text in elig.exclusion:
        characteristics.append(
            {"code": {"text": "Exclusion criterion"}, "valueCodeableConcept": {"text": text}, "exclude": True}
        )
    if not elig.inclusion and not elig.exclusion and elig.criteria_text:
        characteristics.append(
            {
                "code": {"text": "Eligibility criteria"},
                "valueCodeableConcept": {"text": elig.criteria_text},
                "exclude": False,
            }
        )
    group: dict[str, Any] = {
        "resourceType": "Group",
        "id": "enrollment",
        "type": "person",
        "actual": False,
    }
    enrollment = trial.design.enrollment
    if enrollment and enrollment.count is not None:
        group["quantity"] = enrollment.count
    if elig.study_population:
        group["name"] = elig.study_population[:200]
    if characteristics:
        group["characteristic"] = characteristics
    return group


def _organization(ident: str, name: str, agency: AgencyClass | None) -> dict[str, Any]:
    org: dict[str, Any] = {"resourceType": "Organization", "id": ident, "name": name}
    if agency is not None and agency in _ORG_TYPE:
        code, display = _ORG_TYPE[agency]
        org["type"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": code,
                        "display": display,
                    }
                ]
            }
        ]
    if agency is not None:
        org["extension"] = [{"url": f"{EXTENSION_BASE}/agency-class", "valueCode": agency.value}]
    return org


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": f"{EXTENSION_BASE}/{name}", **value}


def trial_to_fhir(trial: Trial) -> dict[str, Any]:
    """The trial as a FHIR R4 ResearchStudy resource (a JSON-ready dict)."""
    status, design = trial.status, trial.design
    contained: list[dict[str, Any]] = []
    study: dict[str, Any] = {"resourceType": "ResearchStudy", "id": _fhir_id(trial.key)}
    extensions: list[dict[str, Any]] = []
    if status.overall_status is not None:
        extensions.append(_ext("registry-status", valueCode=status.overall_status.value))

    study["identifier"] = _identifiers(trial)
    if trial.title:
        study["title"] = trial.title
    study["status"] = fhir_status(trial)
    purpose = _PRIMARY_PURPOSE.get(str(design.primary_purpose)) if design.primary_purpose else None
    if purpose:
        study["primaryPurposeType"] = {
            "coding": [{"system": PRIMARY_PURPOSE_SYSTEM, "code": purpose}],
            "text": str(design.primary_purpose),
        }
    study["phase"] = fhir_phase(design.phases)
    categories = [{"text": str(design.study_type)}] if design.study_type else []
    if design.allocation:
        categories.append({"text": f"Allocation: {design.allocation}"})
    if design.intervention_model:
        categories.append({"text": f"Intervention model: {design.intervention_model}"})
    if design.masking:
        categories.append({"text": f"Masking: {design.masking}"})
    if categories:
        study["category"] = categories
    if trial.interventions:
        study["focus"] = [_concept(i.name, trial.intervention_mesh) for i in trial.interventions]
    if trial.conditions:
        study["condition"] = [_concept(c, trial.condition_mesh) for c in trial.conditions]
    contacts = [
        {
            "name": c.name,
            "telecom": [
                *([{"system": "phone", "value": c.phone}] if c.phone else []),
                *([{"system": "email", "value": c.email}] if c.email else []),
            ],
        }
        for c in trial.central_contacts
        if c.name or c.phone or c.email
    ]
    if contacts:
        study["contact"] = [{k: v for k, v in c.items() if v} for c in contacts]
    related = [
        {
            "type": "citation",
            "citation": ref.citation,
            **({"url": f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/"} if ref.pmid else {}),
        }
        for ref in trial.references
        if ref.citation
    ]
    related += [
        {"type": "documentation", "url": link.url, **({"label": link.label} if link.label else {})}
        for link in trial.see_also_links
    ]
    if related:
        study["relatedArtifact"] = related
    if trial.keywords:
        study["keyword"] = [{"text": k} for k in trial.keywords]
    if trial.countries:
        study["location"] = [{"text": c} for c in trial.countries]
    if trial.brief_summary:
        study["description"] = trial.brief_summary
    group = _eligibility_group(trial)
    contained.append(group)
    study["enrollment"] = [{"reference": "#enrollment"}]
    start, end = _date(status.start_date), _date(status.completion_date)
    if start or end:
        study["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    if trial.lead_sponsor:
        contained.append(_organization("sponsor", trial.lead_sponsor.name, trial.lead_sponsor.agency_class))
        study["sponsor"] = {"reference": "#sponsor", "display": trial.lead_sponsor.name}
    for number, collaborator in enumerate(trial.collaborators, start=1):
        ident = f"collaborator-{number}"
        contained.append(_organization(ident, collaborator.name, collaborator.agency_class))
        extensions.append(
            _ext("collaborator", valueReference={"reference": f"#{ident}", "display": collaborator.name})
        )
    investigators = [o for o in trial.officials if o.name and o.role is OfficialRole.PRINCIPAL_INVESTIGATOR]
    if investigators:
        pi = investigators[0]
        practitioner: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": "pi",
            "name": [{"text": pi.name}],
        }
        contained.append(practitioner)
        study["principalInvestigator"] = {"reference": "#pi", "display": pi.name}
    sites: list[dict[str, Any]] = []
    for number, loc in enumerate(trial.locations, start=1):
        ident = f"site-{number}"
        resource: dict[str, Any] = {"resourceType": "Location", "id": ident}
        if loc.facility:
            resource["name"] = loc.facility
        address = {
            k: v
            for k, v in (
                ("city", loc.city),
                ("state", loc.state),
                ("postalCode", loc.zip),
                ("country", loc.country),
            )
            if v
        }
        if address:
            resource["address"] = address
        if loc.geo:
            resource["position"] = {"latitude": loc.geo.lat, "longitude": loc.geo.lon}
        if loc.status:
            resource["extension"] = [_ext("site-recruitment-status", valueCode=loc.status.value)]
        contained.append(resource)
        sites.append({"reference": f"#{ident}", **({"display": loc.facility} if loc.facility else {})})
    if sites:
        study["site"] = sites
    if status.why_stopped:
        study["reasonStopped"] = {"text": status.why_stopped}
    arms = [
        {
            "name": arm.label,
            **({"type": {"text": str(arm.type)}} if arm.type else {}),
            **({"description": arm.description} if arm.description else {}),
        }
        for arm in trial.arms
    ]
    if arms:
        study["arm"] = arms
    objectives = [
        {
            "name": outcome.measure,
            **(
                {"type": {"coding": [{"system": OBJECTIVE_SYSTEM, "code": _OBJECTIVE[outcome.kind]}]}}
                if outcome.kind
                else {}
            ),
        }
        for outcome in trial.outcomes
    ]
    if objectives:
        study["objective"] = objectives
    if extensions:
        study["extension"] = extensions
    study["contained"] = contained
    return _ordered(study)


# FHIR JSON puts resourceType, id, contained and extension first; readers do not care, people do.
_HEAD = ("resourceType", "id", "contained", "extension")


def _ordered(resource: dict[str, Any]) -> dict[str, Any]:
    return {**{k: resource[k] for k in _HEAD if k in resource}, **resource}


def _fhir_id(key: str) -> str:
    """FHIR ids are ``[A-Za-z0-9\\-.]{1,64}``; an ``ORG:`` key is not one."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in key)
    return cleaned[:64] or "trial"


__all__ = ["fhir_phase", "fhir_status", "trial_to_fhir"]
