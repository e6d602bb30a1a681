"""EU Clinical Trials Information System (CTIS) records, as its public API gives them and ctrdata stores
them: ``ctNumber``, ``ctStatus``, ``trialPhase``, ``ageGroup``, ``gender``, ``trialCountries``, and the
authorised protocol in ``authorizedPartI`` (products, conditions, criteria, end points, sponsors).

The API's shape has changed over the years (``trialCountries`` as ``"NL:Authorised"`` text or a list of
``"Belgium:4"``; dates ISO or ``15/09/2025``; ``ctStatus`` as text or a code): each is read where it is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from trialatlas.model.enums import (
    AgencyClass,
    DateType,
    InterventionType,
    OutcomeKind,
    OverallStatus,
    Phase,
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
from trialatlas.model.values import PartialDate, age_limits_of_groups, date_floor
from trialatlas.sources.base import Blob
from trialatlas.sources.documents import (
    Document,
    DocumentReader,
    as_list,
    block,
    count_of,
    country_name,
    dig,
    drug_name,
    iso_date,
    section,
    text,
)
from trialatlas.sources.textblocks import split_criteria

_MARKERS = (b'"ctNumber"', b'"ctStatus"', b'"authorizedPartI"', b'"trialPhase"')
_STATUS = {
    "authorised, not started": OverallStatus.NOT_YET_RECRUITING,
    "ongoing, recruiting": OverallStatus.RECRUITING,
    "ongoing, recruitment ended": OverallStatus.ACTIVE_NOT_RECRUITING,
    "ongoing, not yet recruiting": OverallStatus.NOT_YET_RECRUITING,
    "ended": OverallStatus.COMPLETED,
    "halted": OverallStatus.SUSPENDED,
    "cancelled": OverallStatus.WITHDRAWN,
    "withdrawn": OverallStatus.WITHDRAWN,
}
_PHASE = re.compile(r"Phase\s+(IV|I{1,3})\b", re.IGNORECASE)
_ROMAN = {"I": Phase.PHASE1, "II": Phase.PHASE2, "III": Phase.PHASE3, "IV": Phase.PHASE4}
_AGE_GROUPS = (
    (re.compile(r"0-17|in utero|newborn|infant|child|adolescent", re.I), StandardAge.CHILD),
    (re.compile(r"18-64", re.I), StandardAge.ADULT),
    (re.compile(r"65\+|65-84|85\+", re.I), StandardAge.OLDER_ADULT),
)
_COUNTRY = re.compile(r"^\s*([^:]+?)\s*:")


def _phases(value: Any) -> list[Phase]:
    found = [_ROMAN[m.upper()] for m in _PHASE.findall(text(value) or "")]
    return list(dict.fromkeys(found))


def _countries(document: Document) -> list[str]:
    names: list[str] = []
    for item in as_list(document.get("trialCountries")):
        for part in str(item).split(","):
            match = _COUNTRY.match(part)
            if match and (name := country_name(match[1])):
                names.append(name)
    return list(dict.fromkeys(names))


def _products(part_one: Document) -> list[Intervention]:
    """Products: the active substance as the name (placebos keep their product name), the product's
    names as other names, and form, route, strength and maximum doses as the description."""
    found: dict[str, Intervention] = {}
    for product in as_list(part_one.get("products")):
        if not isinstance(product, dict):
            continue
        info = section(product, "productDictionaryInfo")
        product_name = (
            text(product.get("productName")) or text(product.get("nameDisplay")) or text(info.get("prodName"))
        )
        substance = text(product.get("jsonActiveSubstanceNames")) or text(info.get("activeSubstanceName"))
        names = [n for n in (drug_name(substance) if substance else None, product_name) if n]
        if not names:
            continue
        dose_unit = (text(product.get("doseUom")) or "").split(" ")[0]
        details = [
            f"Pharmaceutical form: {form}"
            if (form := text(product.get("pharmaceuticalFormDisplay")) or text(info.get("pharmForm")))
            else "",
            f"Route: {', '.join(str(r) for r in as_list(product.get('routes')))}"
            if product.get("routes")
            else "",
            f"Strength: {strength}" if (strength := text(info.get("strength"))) else "",
            f"Maximum daily dose: {amount} {dose_unit}".strip()
            if (amount := text(product.get("maxDailyDoseAmount")))
            else "",
            f"Maximum total dose: {total} {(text(product.get('doseUomTotal')) or '').split(' ')[0]}".strip()
            if (total := text(product.get("maxTotalDoseAmount")))
            else "",
        ]
        unique = list(dict.fromkeys(names))
        key = unique[0].casefold() + "|" + (product_name or "").casefold()
        if key not in found:
            found[key] = Intervention(
                type=InterventionType.DRUG,
                name=unique[0],
                other_names=unique[1:],
                description="; ".join(d for d in details if d) or None,
            )
    return list(found.values())


def _criteria(information: Document) -> Eligibility:
    eligibility = Eligibility()
    criteria = section(information, "eligibilityCriteria")
    blocks: list[str] = []
    for key, item_key, heading in (
        ("principalInclusionCriteria", "principalInclusionCriteria", "Inclusion Criteria:"),
        ("principalExclusionCriteria", "principalExclusionCriteria", "Exclusion Criteria:"),
    ):
        items = sorted(
            (c for c in as_list(criteria.get(key)) if isinstance(c, dict)),
            key=lambda c: int(c.get("number") or 0),
        )
        lines = [f"{i}. {body}" for i, c in enumerate(items, start=1) if (body := block(c.get(item_key)))]
        if lines:
            blocks.append(heading + "\n" + "\n".join(lines))
    if blocks:
        eligibility.criteria_text = "\n\n".join(blocks)
        eligibility.inclusion, eligibility.exclusion = split_criteria(eligibility.criteria_text)
    return eligibility


def build_trial(document: Document) -> Trial:
    number = text(document.get("ctNumber"))
    own = identify(number)
    if number is None or own is None or own.registry != "ctis":
        raise ValueError(f"ctNumber: not a CTIS trial number {number!r}")
    part_one = section(document, "authorizedPartI")
    identifiers = section(part_one, "trialDetails", "clinicalTrialIdentifiers")
    information = section(part_one, "trialDetails", "trialInformation")
    duration = section(information, "trialDuration")

    status = StatusInfo(overall_status=_STATUS.get((text(document.get("ctStatus")) or "").lower()))
    if start := iso_date(
        duration.get("estimatedRecruitmentStartDate"), "trialDuration.estimatedRecruitmentStartDate"
    ):
        status.start_date = PartialDate(date=start, type=DateType.ESTIMATED)
    if end := iso_date(
        duration.get("estimatedGlobalEndDate") or duration.get("estimatedEndDate"),
        "trialDuration.estimatedGlobalEndDate",
    ):
        status.completion_date = PartialDate(date=end, type=DateType.ESTIMATED)
    if updated := iso_date(document.get("lastUpdated"), "lastUpdated"):
        status.last_update_post_date = PartialDate(date=updated)

    design = Design(study_type=StudyType.INTERVENTIONAL, phases=_phases(document.get("trialPhase")))
    enrolled = count_of(document.get("totalNumberEnrolled"), "totalNumberEnrolled")
    if enrolled is not None:
        design.enrollment = Enrollment(count=enrolled, type=DateType.ESTIMATED)

    eligibility = _criteria(information)
    ages = text(document.get("ageGroup")) or ""
    eligibility.std_ages = [group for pattern, group in _AGE_GROUPS if pattern.search(ages)]
    eligibility.minimum_age, eligibility.maximum_age = age_limits_of_groups(eligibility.std_ages)
    gender = (text(document.get("gender")) or "").lower()
    female, male = "female" in gender, "male" in gender.replace("female", "")
    if female or male:
        eligibility.sex = Sex.ALL if female and male else Sex.FEMALE if female else Sex.MALE

    conditions = [
        name
        for c in as_list(part_one.get("medicalConditions"))
        if isinstance(c, dict) and (name := text(c.get("medicalCondition")))
    ]
    for term in as_list(dig(information, "medicalCondition", "meddraConditionTerms")):
        if isinstance(term, dict) and (name := text(term.get("termName"))):
            conditions.append(name)
    sponsors = [s for s in as_list(part_one.get("sponsors")) if isinstance(s, dict)]
    sponsors.sort(key=lambda s: not s.get("primary"))
    sponsor_list = [
        Sponsor(
            name=name,
            agency_class={"commercial": AgencyClass.INDUSTRY, "non-commercial": AgencyClass.OTHER}.get(
                (text(s.get("commercial")) or "").lower()
            ),
        )
        for s in sponsors
        if (name := text(dig(s, "organisation", "name")))
    ]
    secondary: list[SecondaryId] = []
    eudract = text(dig(document, "eudraCtInfo", "eudraCtCode"))
    if eudract:
        secondary.append(
            SecondaryId(id=eudract, type=SecondaryIdType.EUDRACT_NUMBER, domain=registry_name("euctr"))
        )
    for key in ("nctNumber", "isrctnNumber", "whoUtn"):
        value = text(
            dig(
                part_one,
                "trialDetails",
                "clinicalTrialIdentifiers",
                "secondaryIdentifyingNumbers",
                key,
                "number",
            )
        )
        if value and (linked := identify(value)):
            secondary.append(
                SecondaryId(id=value, type=SecondaryIdType.REGISTRY, domain=registry_name(linked.registry))
            )
    outcomes = [
        Outcome(kind=kind, measure=measure)
        for key, kind in (
            ("primaryEndPoints", OutcomeKind.PRIMARY),
            ("secondaryEndPoints", OutcomeKind.SECONDARY),
        )
        for point in as_list(dig(information, "endPoint", key))
        if isinstance(point, dict) and (measure := text(point.get("endPoint")))
    ]
    title = text(identifiers.get("publicTitle")) or text(document.get("title"))
    return Trial(
        registry_ids=[own.id],
        acronym=text(identifiers.get("shortTitle")),
        brief_title=title,
        official_title=text(identifiers.get("fullTitle")) or title,
        brief_summary=block(dig(information, "trialObjective", "mainObjective")),
        secondary_ids=secondary,
        status=status,
        design=design,
        conditions=list(dict.fromkeys(conditions)),
        keywords=[t for t in (text(document.get("therapeuticAreas")),) if t],
        interventions=_products(part_one),
        eligibility=eligibility,
        outcomes=outcomes,
        lead_sponsor=sponsor_list[0] if sponsor_list else None,
        collaborators=sponsor_list[1:],
        locations=[Location(country=name) for name in _countries(document)],
    )


class CtisReader(DocumentReader):
    name = "ctis-json"
    format = SourceFormat.CTIS_JSON
    registry = "ctis"
    ctrname = b"CTIS"
    markers = _MARKERS

    def build(self, blob: Blob, document: Document) -> tuple[Trial, str]:
        trial = build_trial(document)
        return trial, trial.registry_ids[0]

    def record_date(self, trial: Trial) -> dt.date | None:
        updated = trial.status.last_update_post_date
        return date_floor(updated.date) if updated else None


READER = CtisReader()
