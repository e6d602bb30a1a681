"""EU Clinical Trials Register protocol records, as ctrdata stores them (fields named by EudraCT section
code: ``a2_eudract_number``, ``a3_full_title_of_the_trial``, ``b1_sponsor``, ``dimp``, ``e3_principal_
inclusion_criteria``, ``f11_trial_has_subjects_under_18``, …).

Each record is one member state's version of the protocol (``2016-004489-24-DE``); all of them are
keyed by the trial's EudraCT number (``EUCTR2016-004489-24``), so a trial's member-state records merge
into one trial, each kept as its own source record. Results sections, when present, say only that
results exist (the model holds protocol content).
"""

from __future__ import annotations

import re
from typing import Any

from trialatlas.model.enums import (
    AgencyClass,
    Allocation,
    DateType,
    InterventionModel,
    InterventionType,
    Masking,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    SecondaryIdType,
    Sex,
    SourceFormat,
    StandardAge,
    StudyType,
)
from trialatlas.model.registries import identify, registry_name
from trialatlas.model.trial import (
    Design,
    Eligibility,
    Enrollment,
    Intervention,
    Location,
    Outcome,
    SecondaryId,
    Sponsor,
    StatusInfo,
    Trial,
)
from trialatlas.model.values import PartialDate, age_limits_of_groups
from trialatlas.sources.base import Blob
from trialatlas.sources.documents import (
    Document,
    DocumentReader,
    as_list,
    block,
    count_of,
    country_name,
    drug_name,
    iso_date,
    labelled,
    section,
    split_countries,
    text,
    yes,
)
from trialatlas.sources.textblocks import break_inline_numbering, split_criteria

_MARKERS = (b'"a2_eudract_number"', b'"x5_trial_status"', b'"a3_full_title_of_the_trial"', b'"dimp"')
_MEMBER_STATE = re.compile(r"(\d{4}-\d{6}-\d{2})-([A-Z]{2}|3RD)\b")

# x5_trial_status / p_end_of_trial_status; "Ongoing" says nothing of recruitment, so it is absent.
_STATUS = {
    "completed": OverallStatus.COMPLETED,
    "prematurely ended": OverallStatus.TERMINATED,
    "temporarily halted": OverallStatus.SUSPENDED,
    "suspended by ca": OverallStatus.SUSPENDED,
    "not authorised": OverallStatus.WITHDRAWN,
    "prohibited by ca": OverallStatus.WITHDRAWN,
}
_PHASES = (
    ("e71_human_pharmacology_phase_i", Phase.PHASE1),
    ("e72_therapeutic_exploratory_phase_ii", Phase.PHASE2),
    ("e73_therapeutic_confirmatory_phase_iii", Phase.PHASE3),
    ("e74_therapeutic_use_phase_iv", Phase.PHASE4),
)
_PURPOSES = (
    ("e63_therapy", PrimaryPurpose.TREATMENT),
    ("e62_prophylaxis", PrimaryPurpose.PREVENTION),
    ("e61_diagnosis", PrimaryPurpose.DIAGNOSTIC),
)
_SPONSOR_CLASS = {"commercial": AgencyClass.INDUSTRY, "non-commercial": AgencyClass.OTHER}


def _first(document: Document, *keys: str) -> Any:
    for key in keys:
        if key in document and document[key] not in (None, ""):
            return document[key]
    return None


def _design(document: Document) -> Design:
    design = Design(study_type=StudyType.INTERVENTIONAL)
    design.phases = [phase for key, phase in _PHASES if yes(document.get(key))]
    randomised = yes(document.get("e811_randomised"))
    if randomised is not None:
        design.allocation = Allocation.RANDOMIZED if randomised else Allocation.NON_RANDOMIZED
    if yes(document.get("e814_double_blind")):
        design.masking = Masking.DOUBLE
    elif yes(document.get("e813_single_blind")):
        design.masking = Masking.SINGLE
    elif yes(document.get("e812_open")):
        design.masking = Masking.NONE
    models = [
        m
        for key, m in (
            ("e815_parallel_group", InterventionModel.PARALLEL),
            ("e816_cross_over", InterventionModel.CROSSOVER),
        )
        if yes(document.get(key))
    ]
    if len(models) == 1:
        design.intervention_model = models[0]
    purposes = [p for key, p in _PURPOSES if yes(document.get(key))]
    if len(purposes) == 1:  # several scopes at once name no single primary purpose
        design.primary_purpose = purposes[0]
    planned = count_of(document.get("f422_in_the_whole_clinical_trial"), "f422_in_the_whole_clinical_trial")
    if planned is not None:
        design.enrollment = Enrollment(count=planned, type=DateType.ESTIMATED)
    return design


def _eligibility(document: Document) -> Eligibility:
    eligibility = Eligibility()
    female, male = yes(document.get("f21_female")), yes(document.get("f22_male"))
    if female is not None and male is not None and (female or male):
        eligibility.sex = Sex.ALL if female and male else Sex.FEMALE if female else Sex.MALE
    answers = [
        (yes(document.get(key)), group)
        for key, group in (
            ("f11_trial_has_subjects_under_18", StandardAge.CHILD),
            ("f12_adults_1864_years", StandardAge.ADULT),
            ("f13_elderly_65_years", StandardAge.OLDER_ADULT),
        )
    ]
    eligibility.std_ages = [group for answer, group in answers if answer]
    if all(answer is not None for answer, _ in answers):  # all three answered: the groups bound the ages
        eligibility.minimum_age, eligibility.maximum_age = age_limits_of_groups(eligibility.std_ages)
    healthy = yes(document.get("f31_healthy_volunteers"))
    eligibility.healthy_volunteers = healthy
    inclusion = block(document.get("e3_principal_inclusion_criteria"))
    exclusion = block(document.get("e4_principal_exclusion_criteria"))
    inclusion = break_inline_numbering(inclusion) if inclusion else None
    exclusion = break_inline_numbering(exclusion) if exclusion else None
    parts = []
    if inclusion:
        parts.append(f"Inclusion Criteria:\n{inclusion}")
    if exclusion:
        parts.append(f"Exclusion Criteria:\n{exclusion}")
    if parts:
        eligibility.criteria_text = "\n\n".join(parts)
        eligibility.inclusion, eligibility.exclusion = split_criteria(eligibility.criteria_text)
    return eligibility


def _unit(value: Any) -> str:
    """ "mg/ml milligrams/millilitre" → "mg/ml" (EU units carry their spelled-out name)."""
    return str(value or "").split(" ")[0]


def _products(document: Document) -> list[Intervention]:
    """The investigational products (``dimp``): the substance's INN as the name, product and trade
    names as other names, form, route, strength and role as the description."""
    found: dict[str, Intervention] = {}
    for product in as_list(document.get("dimp")):
        if not isinstance(product, dict):
            continue
        details = [d for d in as_list(product.get("d38_imp_identification_details")) if isinstance(d, dict)]
        substances = list(
            dict.fromkeys(drug_name(n) for d in details if (n := text(d.get("d38_inn__proposed_inn"))))
        )
        product_names = [
            n
            for n in (
                text(product.get("d31_product_name")),
                text(product.get("d2111_trade_name")),
                text(product.get("d32_product_code")),
            )
            if n
        ]
        if len(substances) == 1:
            # One substance: its INN names the intervention, the product's names are other names for it.
            others = [drug_name(n) for d in details if (n := text(d.get("d393_other_descriptive_name")))]
            names = [*substances, *product_names, *others]
        else:
            # A product of several substances (a fibrin sealant, a fixed combination) is named by the
            # product; its substances are not other names of one another.
            names = product_names or [" + ".join(substances)]
        unique = list({n.casefold(): n for n in reversed(names)}.values())[::-1]
        if not unique:
            continue
        # Each concentration follows the substance it is of; with several substances it says which.
        strengths: list[str] = []
        current = ""
        for detail in details:
            current = drug_name(text(detail.get("d38_inn__proposed_inn")) or "") or current
            amount = text(detail.get("d3103_concentration_number"))
            if amount:
                strength = f"{amount} {_unit(detail.get('d3101_concentration_unit'))}".strip()
                strengths.append(f"{current} {strength}" if len(substances) > 1 and current else strength)
        description = labelled(
            ("Role", text(product.get("d12_and_d13_imp_role"))),
            ("Pharmaceutical form", text(product.get("d34_pharmaceutical_form"))),
            ("Route", text(product.get("d37_routes_of_administration_for_this_imp"))),
            ("Active substances", ", ".join(substances) if len(substances) > 1 else None),
            ("Concentration", ", ".join(strengths)),
        )
        key = unique[0].casefold()
        if key in found:  # the same product listed for another role or member state
            continue
        found[key] = Intervention(
            type=InterventionType.DRUG,
            name=unique[0],
            other_names=unique[1:],
            description=description or None,
        )
    return list(found.values())


def _outcomes(document: Document) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for measure_key, time_key, kind in (
        ("e51_primary_end_points", "e511_timepoints_of_evaluation_of_this_end_point", OutcomeKind.PRIMARY),
        (
            "e52_secondary_end_points",
            "e521_timepoints_of_evaluation_of_this_end_point",
            OutcomeKind.SECONDARY,
        ),
    ):
        measure = text(document.get(measure_key))
        if measure:
            outcomes.append(Outcome(kind=kind, measure=measure, time_frame=text(document.get(time_key))))
    return outcomes


def _secondary_ids(document: Document, eudract: str) -> list[SecondaryId]:
    ids: list[SecondaryId] = []
    candidates = [
        _first(
            document,
            "a52_us_nct_clinicaltrialsgov_registry_number",
            "a52_us_nct_clinicaltrials_gov_registry_number",
        ),
        document.get("a51_isrctn_international_standard_randomised_controlled_trial_number"),
        document.get("a53_who_universal_trial_reference_number_utrn"),
        section(document, "trialInformation").get("usctnIdentifier"),
    ]
    for value in [*candidates, *str(document.get("a54_other_identifiers") or "").split(",")]:
        value_text = text(value)
        if not value_text or value_text.upper() == eudract.upper():
            continue
        linked = identify(value_text)
        if linked is not None:
            kind = SecondaryIdType.REGISTRY
            ids.append(SecondaryId(id=value_text, type=kind, domain=registry_name(linked.registry)))
        else:
            ids.append(SecondaryId(id=value_text, type=SecondaryIdType.OTHER))
    unique: dict[str, SecondaryId] = {}
    for item in ids:
        unique.setdefault(item.id.upper(), item)
    return list(unique.values())


def build_trial(document: Document, member_state: str | None) -> Trial:
    eudract = text(_first(document, "a2_eudract_number", "eudractNumber"))
    if eudract is None:
        raise ValueError("a2_eudract_number: missing")
    own = identify(eudract)
    if own is None or own.registry != "euctr":
        raise ValueError(f"a2_eudract_number: not a EudraCT number {eudract!r}")
    status_text = (text(_first(document, "p_end_of_trial_status", "x5_trial_status")) or "").lower()
    end = iso_date(
        document.get("p_date_of_the_global_end_of_the_trial"), "p_date_of_the_global_end_of_the_trial"
    )
    status = StatusInfo(
        overall_status=_STATUS.get(status_text),
        study_first_submit_date=iso_date(
            document.get("x6_date_on_which_this_record_was_first_entered_in_the_eudract_database"),
            "x6_date_on_which_this_record_was_first_entered_in_the_eudract_database",
        ),
        completion_date=PartialDate(date=end, type=DateType.ACTUAL) if end else None,
    )
    start = (
        iso_date(
            document.get("trialInformation", {}).get("recruitmentStartDate"),
            "trialInformation.recruitmentStartDate",
        )
        if isinstance(document.get("trialInformation"), dict)
        else None
    )
    if start:
        status.start_date = PartialDate(date=start, type=DateType.ACTUAL)
    sponsors = [s for s in as_list(document.get("b1_sponsor")) if isinstance(s, dict)]
    sponsor_list = [
        Sponsor(
            name=name,
            agency_class=_SPONSOR_CLASS.get((text(s.get("b31_and_b32_status_of_the_sponsor")) or "").lower()),
        )
        for s in sponsors
        if (name := text(s.get("b11_name_of_sponsor")))
    ]
    conditions = [c for c in (text(document.get("e11_medical_conditions_being_investigated")),) if c]
    for term in as_list(document.get("e12_meddra_classification")):
        if isinstance(term, dict) and (name := text(term.get("e12_term"))) and name not in conditions:
            conditions.append(name)
    keywords = [
        k
        for k in (
            text(document.get("e111_medical_condition_in_easily_understood_language")),
            text(document.get("e112_therapeutic_area")),
        )
        if k
    ]
    countries: list[str] = []
    concerned = text(document.get("a1_member_state_concerned"))
    if concerned:
        countries.append(country_name(concerned.split(" - ")[0]) or concerned.split(" - ")[0])
    planned = text(document.get("e863_trial_sites_planned_in"))
    if planned:
        countries.extend(split_countries(planned))
    return Trial(
        registry_ids=[own.id],
        org_study_id=text(document.get("a41_sponsors_protocol_code_number")),
        secondary_ids=_secondary_ids(document, eudract),
        acronym=text(document.get("a32_name_or_abbreviated_title_of_the_trial_where_available")),
        brief_title=text(
            document.get(
                "a31_title_of_the_trial_for_lay_people_in_easily_understood_ie_nontechnical_language"
            )
        )
        or text(document.get("a3_full_title_of_the_trial")),
        official_title=text(document.get("a3_full_title_of_the_trial")),
        brief_summary=block(document.get("e21_main_objective_of_the_trial")),
        status=status,
        design=_design(document),
        conditions=conditions,
        keywords=keywords,
        interventions=_products(document),
        eligibility=_eligibility(document),
        outcomes=_outcomes(document),
        lead_sponsor=sponsor_list[0] if sponsor_list else None,
        collaborators=sponsor_list[1:],
        locations=[Location(country=c) for c in dict.fromkeys(countries)],
        has_results=True if isinstance(document.get("endPoints"), dict) else None,
    )


class EuctrReader(DocumentReader):
    name = "euctr-json"
    format = SourceFormat.EUCTR_JSON
    registry = "euctr"
    ctrname = b"EUCTR"
    markers = _MARKERS

    def build(self, blob: Blob, document: Document) -> tuple[Trial, str]:
        # The member state's record id: ctrdata's _id, else the file's name ("2016-004489-24-DE.json").
        named = _MEMBER_STATE.search(str(document.get("_id") or "")) or _MEMBER_STATE.search(blob.name)
        member_state = named[2] if named else None
        trial = build_trial(document, member_state)
        eudract = trial.registry_ids[0].removeprefix("EUCTR")
        return trial, f"EUCTR{eudract}-{member_state}" if member_state else f"EUCTR{eudract}"


READER = EuctrReader()
