"""Writing a trial back as a ClinicalTrials.gov API v2 study (``protocolSection`` with its modules).

The inverse of :mod:`trialatlas.sources.ctgov_v2`: a study read and written again gives back the same
value for every field the model holds. Empty values are left out, as the API leaves them out.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from trialatlas.model import Age, Contact, MeshTerm, PartialDate, Trial
from trialatlas.model.registries import identify, registry_name, registry_of
from trialatlas.model.results import as_v2


def _clean(value: Any) -> Any:
    """Drop ``None``, empty strings, lists and dicts, recursively; enums become their v2 spelling."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def _date(value: PartialDate | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"date": value.date, "type": value.type}


def _age(value: Age | None) -> str | None:
    return value.text if value is not None else None


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "role": contact.role,
        "phone": contact.phone,
        "phoneExt": contact.phone_ext,
        "email": contact.email,
    }


def _meshes(meshes: list[MeshTerm]) -> list[dict[str, Any]]:
    return [{"id": m.id, "term": m.term} for m in meshes]


def _registry_ids(trial: Trial) -> list[dict[str, Any]]:
    """The trial's ids in other registries (its own records there) that its secondary ids do not list,
    as ClinicalTrials.gov lists a trial's other registrations."""
    listed = {identified.id for s in trial.secondary_ids if (identified := identify(s.id))}
    return [
        {"id": registry_id, "type": "REGISTRY", "domain": registry_name(code), "link": None}
        for registry_id in trial.registry_ids
        if registry_id not in listed and (code := registry_of(registry_id))
    ]


def trial_to_study(trial: Trial) -> dict[str, Any]:
    """The trial as an API v2 study object (``protocolSection``, ``derivedSection`` MeSH, ``hasResults``,
    ``resultsSection``)."""
    status, design = trial.status, trial.design
    elig = trial.eligibility
    masking_info = {
        "masking": design.masking,
        "maskingDescription": design.masking_description,
        "whoMasked": design.who_masked,
    }
    party = trial.responsible_party
    oversight = trial.oversight
    ipd = trial.ipd_sharing
    protocol: dict[str, Any] = {
        "identificationModule": {
            "nctId": trial.nct_id,
            "nctIdAliases": trial.nct_id_aliases,
            "orgStudyIdInfo": {
                "id": trial.org_study_id,
                "type": trial.org_study_id_type,
                "link": trial.org_study_id_link,
            },
            "secondaryIdInfos": [
                {"id": s.id, "type": s.type, "domain": s.domain, "link": s.link} for s in trial.secondary_ids
            ]
            + _registry_ids(trial),
            "organization": {"fullName": trial.organization.name, "class": trial.organization.agency_class}
            if trial.organization
            else None,
            "briefTitle": trial.brief_title,
            "officialTitle": trial.official_title,
            "acronym": trial.acronym,
        },
        "statusModule": {
            "statusVerifiedDate": status.status_verified_date,
            "overallStatus": status.overall_status,
            "lastKnownStatus": status.last_known_status,
            "whyStopped": status.why_stopped,
            "expandedAccessInfo": {
                "hasExpandedAccess": status.has_expanded_access,
                "nctId": status.expanded_access_nct_id,
                "statusForNctId": status.expanded_access_status,
            },
            "startDateStruct": _date(status.start_date),
            "primaryCompletionDateStruct": _date(status.primary_completion_date),
            "completionDateStruct": _date(status.completion_date),
            "studyFirstSubmitDate": status.study_first_submit_date,
            "studyFirstSubmitQcDate": status.study_first_submit_qc_date,
            "studyFirstPostDateStruct": _date(status.study_first_post_date),
            "resultsFirstSubmitDate": status.results_first_submit_date,
            "resultsFirstSubmitQcDate": status.results_first_submit_qc_date,
            "resultsFirstPostDateStruct": _date(status.results_first_post_date),
            "dispFirstSubmitDate": status.disp_first_submit_date,
            "dispFirstSubmitQcDate": status.disp_first_submit_qc_date,
            "dispFirstPostDateStruct": _date(status.disp_first_post_date),
            "lastUpdateSubmitDate": status.last_update_submit_date,
            "lastUpdatePostDateStruct": _date(status.last_update_post_date),
        },
        "sponsorCollaboratorsModule": {
            "responsibleParty": {
                "type": party.type,
                "investigatorFullName": party.investigator_full_name,
                "investigatorTitle": party.investigator_title,
                "investigatorAffiliation": party.investigator_affiliation,
                "oldNameTitle": party.old_name_title,
                "oldOrganization": party.old_organization,
            }
            if party
            else None,
            "leadSponsor": {"name": trial.lead_sponsor.name, "class": trial.lead_sponsor.agency_class}
            if trial.lead_sponsor
            else None,
            "collaborators": [{"name": c.name, "class": c.agency_class} for c in trial.collaborators],
        },
        "oversightModule": {
            "oversightHasDmc": oversight.has_dmc,
            "isFdaRegulatedDrug": oversight.is_fda_regulated_drug,
            "isFdaRegulatedDevice": oversight.is_fda_regulated_device,
            "isUnapprovedDevice": oversight.is_unapproved_device,
            "isPpsd": oversight.is_ppsd,
            "isUsExport": oversight.is_us_export,
        }
        if oversight
        else None,
        "descriptionModule": {
            "briefSummary": trial.brief_summary,
            "detailedDescription": trial.detailed_description,
        },
        "conditionsModule": {"conditions": trial.conditions, "keywords": trial.keywords},
        "designModule": {
            "studyType": design.study_type,
            "patientRegistry": design.patient_registry,
            "targetDuration": design.target_duration,
            "phases": design.phases,
            "designInfo": {
                "allocation": design.allocation,
                "interventionModel": design.intervention_model,
                "interventionModelDescription": design.intervention_model_description,
                "primaryPurpose": design.primary_purpose,
                "observationalModel": design.observational_model,
                "timePerspective": design.time_perspective,
                "maskingInfo": masking_info,
            },
            "bioSpec": {"retention": design.bio_spec_retention, "description": design.bio_spec_description},
            "enrollmentInfo": {"count": design.enrollment.count, "type": design.enrollment.type}
            if design.enrollment
            else None,
        },
        "armsInterventionsModule": {
            "armGroups": [
                {
                    "label": a.label,
                    "type": a.type,
                    "description": a.description,
                    "interventionNames": a.intervention_names,
                }
                for a in trial.arms
            ],
            "interventions": [
                {
                    "type": i.type,
                    "name": i.name,
                    "description": i.description,
                    "armGroupLabels": i.arm_labels,
                    "otherNames": i.other_names,
                }
                for i in trial.interventions
            ],
        },
        "outcomesModule": {
            key: [
                {"measure": o.measure, "description": o.description, "timeFrame": o.time_frame}
                for o in trial.outcomes
                # An outcome of unknown kind is written as "other" rather than dropped.
                if (o.kind.value if o.kind else "OTHER") == kind
            ]
            for kind, key in (
                ("PRIMARY", "primaryOutcomes"),
                ("SECONDARY", "secondaryOutcomes"),
                ("OTHER", "otherOutcomes"),
            )
        },
        "eligibilityModule": {
            "eligibilityCriteria": elig.criteria_text or _criteria_from_lists(elig.inclusion, elig.exclusion),
            "healthyVolunteers": elig.healthy_volunteers,
            "sex": elig.sex,
            "genderBased": elig.gender_based,
            "genderDescription": elig.gender_description,
            "minimumAge": _age(elig.minimum_age),
            "maximumAge": _age(elig.maximum_age),
            "stdAges": elig.std_ages,
            "studyPopulation": elig.study_population,
            "samplingMethod": elig.sampling_method,
        },
        "contactsLocationsModule": {
            "centralContacts": [_contact(c) for c in trial.central_contacts],
            "overallOfficials": [
                {"name": o.name, "affiliation": o.affiliation, "role": o.role} for o in trial.officials
            ],
            "locations": [
                {
                    "facility": loc.facility,
                    "status": loc.status,
                    "city": loc.city,
                    "state": loc.state,
                    "zip": loc.zip,
                    "country": loc.country,
                    "contacts": [_contact(c) for c in loc.contacts],
                    "geoPoint": {"lat": loc.geo.lat, "lon": loc.geo.lon} if loc.geo else None,
                }
                for loc in trial.locations
            ],
        },
        "referencesModule": {
            "references": [
                {"pmid": r.pmid, "type": r.type, "citation": r.citation} for r in trial.references
            ],
            "seeAlsoLinks": [{"label": link.label, "url": link.url} for link in trial.see_also_links],
            "availIpds": [
                {"id": i.id, "type": i.type, "url": i.url, "comment": i.comment} for i in trial.available_ipds
            ],
        },
        "ipdSharingStatementModule": {
            "ipdSharing": ipd.ipd_sharing,
            "description": ipd.description,
            "infoTypes": ipd.info_types,
            "timeFrame": ipd.time_frame,
            "accessCriteria": ipd.access_criteria,
            "url": ipd.url,
        }
        if ipd
        else None,
    }
    study: dict[str, Any] = {"protocolSection": protocol}
    if trial.provided_documents:
        study["documentSection"] = {
            "largeDocumentModule": {
                "largeDocs": [
                    {
                        "typeAbbrev": d.type_abbrev,
                        "hasProtocol": d.has_protocol,
                        "hasSap": d.has_sap,
                        "hasIcf": d.has_icf,
                        "label": d.label,
                        "date": d.date,
                        "uploadDate": d.upload_date,
                        "filename": d.filename,
                        "size": d.size,
                    }
                    for d in trial.provided_documents
                ]
            }
        }
    study["derivedSection"] = {
        "conditionBrowseModule": {
            "meshes": _meshes(trial.condition_mesh),
            "ancestors": _meshes(trial.condition_mesh_ancestors),
        },
        "interventionBrowseModule": {
            "meshes": _meshes(trial.intervention_mesh),
            "ancestors": _meshes(trial.intervention_mesh_ancestors),
        },
    }
    study["hasResults"] = trial.has_results
    if trial.results is not None:
        study["resultsSection"] = as_v2(trial.results)
    cleaned: dict[str, Any] = _clean(study)
    # An empty-but-present protocolSection keeps the output recognisable as a v2 study.
    cleaned.setdefault("protocolSection", {})
    return cleaned


def _criteria_from_lists(inclusion: list[str], exclusion: list[str]) -> str | None:
    if not inclusion and not exclusion:
        return None
    parts = []
    if inclusion:
        parts.append("Inclusion Criteria:\n\n" + "\n".join(f"* {c}" for c in inclusion))
    if exclusion:
        parts.append("Exclusion Criteria:\n\n" + "\n".join(f"* {c}" for c in exclusion))
    return "\n\n".join(parts)
