"""ClinicalTrials.gov legacy XML: one ``<clinical_study>`` element onto the trial model.

Mapping is one pass over each element's children into dicts (``findtext`` costs microseconds per
call, and a record has hundreds of values), and repeated spellings (statuses, roles, dates) are
coerced once per process. Reading the files (streaming, the locked-down parser, resynchronising
after a syntax error) is :mod:`trialatlas.sources.ctgov_xml`; the results section is
:mod:`trialatlas.sources.ctgov_xml_results`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from lxml import etree

from trialatlas import model as tm
from trialatlas.sources.base import cached_age, cached_date, cached_enum
from trialatlas.sources.ctgov_xml_results import map_results
from trialatlas.sources.textblocks import TextUnit, render_units, textblock_units
from trialatlas.text.criteria import criteria_lists

Element = etree._Element
Texts = dict[str, str]
Kids = dict[str, list[Element]]
E = TypeVar("E", bound=StrEnum)

_DOI = re.compile(r"10\.\d{4,9}/[^\s;,]+")

# Children of <clinical_study> that map into the model, or are derived there (counts, country
# lists, the download header); any other child is listed on the source record as unread.
_KNOWN = frozenset({
    "id_info", "brief_title", "acronym", "official_title", "sponsors", "source", "oversight_info",
    "brief_summary", "detailed_description", "overall_status", "last_known_status", "why_stopped",
    "start_date", "completion_date", "primary_completion_date", "phase", "study_type", "has_expanded_access",
    "study_design_info", "target_duration", "primary_outcome", "secondary_outcome", "other_outcome",
    "enrollment", "condition", "arm_group", "intervention", "biospec_retention", "biospec_descr",
    "eligibility", "overall_official", "overall_contact", "overall_contact_backup", "location", "link",
    "reference", "results_reference", "verification_date", "study_first_submitted",
    "study_first_submitted_qc", "study_first_posted", "results_first_submitted", "results_first_posted",
    "last_update_submitted", "last_update_posted", "responsible_party", "keyword", "condition_browse",
    "intervention_browse", "patient_data", "study_docs", "provided_document_section", "clinical_results",
    "required_header", "number_of_arms", "number_of_groups", "location_countries",
})  # fmt: skip
_OUTCOMES = (
    ("primary_outcome", tm.OutcomeKind.PRIMARY),
    ("secondary_outcome", tm.OutcomeKind.SECONDARY),
    ("other_outcome", tm.OutcomeKind.OTHER),
)
_SITE_PARTS = {"name": "facility", "city": "city", "state": "state", "zip": "zip", "country": "country"}
_CONTACT_TAGS = frozenset({"contact", "contact_backup", "investigator"})
_REFERENCES = (("reference", tm.ReferenceType.BACKGROUND), ("results_reference", tm.ReferenceType.RESULT))


# --- values -----------------------------------------------------------------------------------


def _scan(element: Element) -> tuple[Texts, Kids]:
    """An element's children in one pass: first non-blank text by tag, and all children by tag."""
    texts: Texts = {}
    kids: Kids = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments, entity references
        bucket = kids.get(tag)
        if bucket is not None:
            bucket.append(child)
            if tag in texts:
                continue
        else:
            kids[tag] = [child]
        text = child.text
        if text:
            text = text.strip()
            if text:
                texts[tag] = text.replace("\r", "") if "\r" in text else text
    return texts, kids


def _all(kids: Kids, tag: str) -> list[str]:
    """Every non-blank text of a repeated child."""
    out: list[str] = []
    for child in kids.get(tag, ()):
        text = child.text
        if text and (text := text.strip()):
            out.append(text.replace("\r", "") if "\r" in text else text)
    return out


def _yes(text: str | None) -> bool | None:
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("yes", "true", "accepts healthy volunteers"):
        return True
    return False if lowered in ("no", "false") else None


def _date_type(value: str | None) -> tm.DateType | None:
    if not value:
        return None
    if value.lower().startswith("estimate"):
        # Legacy "Estimate" on posting dates: v2 says ESTIMATED, as for "Anticipated" dates.
        return tm.DateType.ESTIMATED
    return cached_enum(tm.DateType, value)


def _person(texts: Texts) -> str | None:
    """A contact's name; current records hold it all in ``last_name``, older ones split it."""
    name = texts.get("last_name")
    if "first_name" in texts or "middle_name" in texts:
        name = " ".join(texts[t] for t in ("first_name", "middle_name", "last_name") if t in texts)
    degrees = texts.get("degrees")
    return f"{name}, {degrees}" if name and degrees else name


def _standard_ages(minimum: tm.Age | None, maximum: tm.Age | None) -> list[tm.StandardAge]:
    """ClinicalTrials.gov's age groups: child under 18, adult 18–64, older adult 65 and over."""
    low = minimum.years if minimum else 0.0
    high = maximum.years if maximum else float("inf")
    ages: list[tm.StandardAge] = []
    if low < 18:
        ages.append(tm.StandardAge.CHILD)
    if low < 65 and high >= 18:
        ages.append(tm.StandardAge.ADULT)
    if high >= 65:
        ages.append(tm.StandardAge.OLDER_ADULT)
    return ages


def _textblock(kids: Kids, tag: str) -> list[TextUnit]:
    found = kids.get(tag)
    if not found:
        return []
    text = found[0].findtext("textblock") or found[0].text  # public.xsd nests a <textblock>
    return textblock_units(text, hard_wrapped=True) if text else []


# --- mapping ----------------------------------------------------------------------------------
# The mapper builds plain dicts and validates the whole trial once: pydantic builds the nested
# models in its core far faster than ~40 constructor calls a record from Python would.

Json = dict[str, Any]


class _Mapper:
    """Maps one ``<clinical_study>`` element to the fields of a :class:`Trial`, noting unreadable values."""

    def __init__(self, element: Element) -> None:
        self.texts, self.kids = _scan(element)
        self.warnings: list[str] = []

    def pick(self, enum_type: type[E], texts: Texts, tag: str) -> E | None:
        text = texts.get(tag)
        if text is None:
            return None
        found = cached_enum(enum_type, text)
        if found is None:
            self.warnings.append(f"{tag}: unknown value {text!r}")
        return found

    def day(self, texts: Texts, tag: str) -> str | None:
        text = texts.get(tag)
        if text is None:
            return None
        found = cached_date(text)
        if found is None:
            self.warnings.append(f"{tag}: unreadable date {text!r}")
        return found

    def partial_date(self, tag: str) -> Json | None:
        value = self.day(self.texts, tag)
        return {"date": value, "type": _date_type(self.kids[tag][0].get("type"))} if value else None

    def status(self) -> Json:
        t = self.texts
        return {
            "overall_status": self.pick(tm.OverallStatus, t, "overall_status"),
            "last_known_status": self.pick(tm.OverallStatus, t, "last_known_status"),
            "why_stopped": t.get("why_stopped"),
            "status_verified_date": self.day(t, "verification_date"),
            "start_date": self.partial_date("start_date"),
            "primary_completion_date": self.partial_date("primary_completion_date"),
            "completion_date": self.partial_date("completion_date"),
            "study_first_submit_date": self.day(t, "study_first_submitted"),
            "study_first_submit_qc_date": self.day(t, "study_first_submitted_qc"),
            "study_first_post_date": self.partial_date("study_first_posted"),
            "results_first_submit_date": self.day(t, "results_first_submitted"),
            "results_first_post_date": self.partial_date("results_first_posted"),
            "last_update_submit_date": self.day(t, "last_update_submitted"),
            "last_update_post_date": self.partial_date("last_update_posted"),
            "has_expanded_access": _yes(t.get("has_expanded_access")),
        }

    def design(self) -> Json:
        t = self.texts
        study_type = t.get("study_type")
        registry: bool | None = None
        if study_type and "[patient registry]" in study_type.lower():
            t = {**t, "study_type": study_type[: study_type.index("[")].strip()}
            registry = True
        kind = self.pick(tm.StudyType, t, "study_type")
        if kind is tm.StudyType.OBSERVATIONAL and registry is None:
            registry = False
        enrollment = None
        if "enrollment" in self.kids:
            count = t.get("enrollment")
            enrollment = {
                "count": int(count) if count and count.isdigit() else None,
                "type": _date_type(self.kids["enrollment"][0].get("type")),
            }
        info = self.kids.get("study_design_info")
        d = _scan(info[0])[0] if info else {}
        masking, who = self.masking(d.get("masking"))
        return {
            "study_type": kind,
            "phases": tm.coerce_phases(t.get("phase")),
            "enrollment": enrollment,
            "allocation": self.pick(tm.Allocation, d, "allocation"),
            "intervention_model": self.pick(tm.InterventionModel, d, "intervention_model"),
            "intervention_model_description": d.get("intervention_model_description"),
            "primary_purpose": self.pick(tm.PrimaryPurpose, d, "primary_purpose"),
            "masking": masking,
            "who_masked": who,
            "masking_description": d.get("masking_description"),
            "observational_model": self.pick(tm.ObservationalModel, d, "observational_model"),
            "time_perspective": self.pick(tm.TimePerspective, d, "time_perspective"),
            "patient_registry": registry,
            "target_duration": t.get("target_duration"),
            "bio_spec_retention": self.pick(tm.BioSpecRetention, t, "biospec_retention"),
            "bio_spec_description": render_units(_textblock(self.kids, "biospec_descr")),
        }

    def masking(self, text: str | None) -> tuple[tm.Masking | None, list[tm.WhoMasked]]:
        """ "Double (Participant, Investigator)" → DOUBLE and who; "None (Open Label)" → NONE."""
        if text is None:
            return None, []
        if text.lower().startswith("none"):
            return tm.Masking.NONE, []
        level, _, roles = text.partition("(")
        named = [{"masking": r.strip()} for r in roles.rstrip(")").split(",") if r.strip()]
        who = [w for role in named if (w := self.pick(tm.WhoMasked, role, "masking"))]
        return self.pick(tm.Masking, {"masking": level.strip()}, "masking"), who

    def eligibility(self) -> Json:
        found = self.kids.get("eligibility")
        if not found:
            return {}
        e, kids = _scan(found[0])
        criteria_text = render_units(_textblock(kids, "criteria"))
        inclusion, exclusion = criteria_lists(criteria_text)
        minimum, maximum = cached_age(e.get("minimum_age")), cached_age(e.get("maximum_age"))
        return {
            "criteria_text": criteria_text,
            "inclusion": inclusion,
            "exclusion": exclusion,
            "minimum_age": minimum,
            "maximum_age": maximum,
            "sex": self.pick(tm.Sex, e, "gender"),
            "gender_based": _yes(e.get("gender_based")),
            "gender_description": e.get("gender_description"),
            "healthy_volunteers": _yes(e.get("healthy_volunteers")),
            "std_ages": _standard_ages(minimum, maximum),
            "study_population": render_units(_textblock(kids, "study_pop")),
            "sampling_method": self.pick(tm.SamplingMethod, e, "sampling_method"),
        }

    def arms_and_interventions(self) -> tuple[list[Json], list[Json]]:
        interventions: list[Json] = []
        shown_by_label: dict[str, list[str]] = {}
        for element in self.kids.get("intervention", ()):
            i, kids = _scan(element)
            name = i.get("intervention_name")
            if name is None:
                self.warnings.append("intervention: no intervention_name")
                continue
            labels = _all(kids, "arm_group_label")
            interventions.append(
                {
                    "type": self.pick(tm.InterventionType, i, "intervention_type"),
                    "name": name,
                    "description": i.get("description"),
                    "other_names": _all(kids, "other_name"),
                    "arm_labels": labels,
                }
            )
            # v2 lists an arm's interventions as "Drug: Tacrolimus", in the legacy display spelling.
            shown = f"{i['intervention_type']}: {name}" if "intervention_type" in i else name
            for label in labels:
                shown_by_label.setdefault(" ".join(label.split()).casefold(), []).append(shown)
        arms: list[Json] = []
        for element in self.kids.get("arm_group", ()):
            a = _scan(element)[0]
            arm_label = a.get("arm_group_label")
            if arm_label is None:
                self.warnings.append("arm_group: no arm_group_label")
                continue
            arms.append(
                {
                    "label": arm_label,
                    "type": self.pick(tm.ArmGroupType, a, "arm_group_type"),
                    "description": a.get("description"),
                    "intervention_names": shown_by_label.get(" ".join(arm_label.split()).casefold(), []),
                }
            )
        return arms, interventions

    def outcomes(self) -> list[Json]:
        outcomes: list[Json] = []
        for tag, kind in _OUTCOMES:
            for element in self.kids.get(tag, ()):
                o = _scan(element)[0]
                if "measure" not in o:
                    self.warnings.append(f"{tag}: no measure")
                    continue
                outcomes.append({"kind": kind, **_copy(o, _OUTCOME_FIELDS)})
        return outcomes

    def sponsors(self) -> tuple[Json | None, list[Json]]:
        found = self.kids.get("sponsors")
        kids = _scan(found[0])[1] if found else {}
        lead: Json | None = None
        collaborators: list[Json] = []
        for element in (*kids.get("lead_sponsor", ())[:1], *kids.get("collaborator", ())):
            s = _scan(element)[0]
            if "agency" in s:
                sponsor = {"name": s["agency"], "agency_class": self.pick(tm.AgencyClass, s, "agency_class")}
                if element.tag == "lead_sponsor":
                    lead = sponsor
                else:
                    collaborators.append(sponsor)
        return lead, collaborators

    def responsible_party(self) -> Json | None:
        found = self.kids.get("responsible_party")
        if not found:
            return None
        r = _scan(found[0])[0]
        return {
            "type": self.pick(tm.ResponsiblePartyType, r, "responsible_party_type"),
            **_copy(r, _PARTY_FIELDS),
        }

    def contact(self, element: Element, tag: str) -> Json:
        """A contact; ``*contact*`` elements have the CONTACT role, investigators their own."""
        c = _scan(element)[0]
        role = tm.ContactRole.CONTACT if "contact" in tag else self.pick(tm.ContactRole, c, "role")
        return {"name": _person(c), "role": role, **_copy(c, _CONTACT_FIELDS)}

    def officials(self) -> list[Json]:
        officials: list[Json] = []
        for element in self.kids.get("overall_official", ()):
            o = _scan(element)[0]
            role = self.pick(tm.OfficialRole, o, "role")
            officials.append({"name": _person(o), "role": role, "affiliation": o.get("affiliation")})
        return officials

    def locations(self) -> list[Json]:
        locations: list[Json] = []
        for element in self.kids.get("location", ()):
            site: Json = dict.fromkeys(("facility", "status", "city", "state", "zip", "country"))
            contacts: list[Json] = []
            for child in element:
                tag = child.tag
                if tag == "facility":
                    # One walk over name and address: sites are most of a record's elements.
                    for part in child.iter(*_SITE_PARTS):
                        text = part.text
                        if text and (text := text.strip()):
                            site[_SITE_PARTS[part.tag]] = text
                elif tag == "status":
                    site["status"] = self.pick(
                        tm.OverallStatus, {"status": (child.text or "").strip()}, "status"
                    )
                elif tag in _CONTACT_TAGS:
                    contacts.append(self.contact(child, tag))
            site["contacts"] = contacts
            locations.append(site)
        return locations

    def references(self) -> list[Json]:
        references: list[Json] = []
        for tag, kind in _REFERENCES:
            for element in self.kids.get(tag, ()):
                r = _scan(element)[0]
                citation = r.get("citation")
                doi = _DOI.search(citation) if citation else None
                references.append(
                    {
                        "citation": citation,
                        "pmid": r.get("PMID"),
                        "doi": doi.group(0).rstrip(".") if doi else None,
                        "type": kind,
                    }
                )
        return references

    def documents(self) -> tuple[list[Json], list[Json]]:
        """``provided_document_section`` (protocols, SAPs, consent forms) and ``study_docs`` (IPD)."""
        provided: list[Json] = []
        for section in self.kids.get("provided_document_section", ()):
            for element in section.iterchildren("provided_document"):
                d = _scan(element)[0]
                flags = [_yes(d.get(f"document_has_{x}")) for x in ("protocol", "sap", "icf")]
                # v2's abbreviation is the flags joined: Prot, SAP, ICF, Prot_SAP, Prot_SAP_ICF...
                abbrev = "_".join(n for n, flag in zip(("Prot", "SAP", "ICF"), flags, strict=True) if flag)
                url = d.get("document_url")
                provided.append(
                    {
                        "type_abbrev": abbrev or None,
                        "label": d.get("document_type"),
                        "has_protocol": flags[0],
                        "has_sap": flags[1],
                        "has_icf": flags[2],
                        "date": self.day(d, "document_date"),
                        "filename": url.rsplit("/", 1)[-1] if url else None,
                        "url": url,
                    }
                )
        ipds: list[Json] = []
        for section in self.kids.get("study_docs", ()):
            for element in section.iterchildren("study_doc"):
                d = _scan(element)[0]
                ipds.append(_copy(d, _IPD_FIELDS))
        return provided, ipds

    def ipd_sharing(self) -> Json | None:
        found = self.kids.get("patient_data")
        if not found:
            return None
        p, kids = _scan(found[0])
        types = [
            x
            for t in _all(kids, "ipd_info_type")
            if (x := self.pick(tm.IpdInfoType, {"ipd_info_type": t}, "ipd_info_type"))
        ]
        sharing = self.pick(tm.IpdSharing, p, "sharing_ipd")
        return {"ipd_sharing": sharing, "info_types": types, **_copy(p, _SHARING_FIELDS)}

    def oversight(self) -> Json | None:
        found = self.kids.get("oversight_info")
        if not found:
            return None
        o = _scan(found[0])[0]
        return {field: _yes(o.get(field)) for field in _OVERSIGHT_FIELDS}

    def links(self) -> list[Texts]:
        return [k for element in self.kids.get("link", ()) if "url" in (k := _scan(element)[0])]

    def mesh(self, tag: str) -> list[Json]:
        found = self.kids.get(tag)
        return [{"term": term} for term in _all(_scan(found[0])[1], "mesh_term")] if found else []


# Model field → legacy tag, for the parts that are copied as they are.
_OUTCOME_FIELDS = {"measure": "measure", "description": "description", "time_frame": "time_frame"}
_CONTACT_FIELDS = {"phone": "phone", "phone_ext": "phone_ext", "email": "email"}
_IPD_FIELDS = {"id": "doc_id", "type": "doc_type", "url": "doc_url", "comment": "doc_comment"}
_PARTY_FIELDS = {
    "investigator_full_name": "investigator_full_name", "investigator_title": "investigator_title",
    "investigator_affiliation": "investigator_affiliation", "old_name_title": "name_title",
    "old_organization": "organization",
}  # fmt: skip
_SHARING_FIELDS = {
    "description": "ipd_description", "time_frame": "ipd_time_frame",
    "access_criteria": "ipd_access_criteria", "url": "ipd_url",
}  # fmt: skip
_OVERSIGHT_FIELDS = (
    "has_dmc", "is_fda_regulated_drug", "is_fda_regulated_device", "is_unapproved_device", "is_ppsd",
    "is_us_export",
)  # fmt: skip


def _copy(texts: Texts, fields: dict[str, str]) -> Json:
    return {key: texts.get(tag) for key, tag in fields.items()}


def map_trial(element: Element, source_id: str, location: str, raw: str | None) -> tm.Trial:
    """The trial of one ``<clinical_study>`` element, with its source record (NCT id already checked)."""
    m = _Mapper(element)
    t, kids = m.texts, m.kids
    ids, id_kids = _scan(kids["id_info"][0]) if "id_info" in kids else ({}, {})
    lead, collaborators = m.sponsors()
    arms, interventions = m.arms_and_interventions()
    provided, ipds = m.documents()
    organization = None
    if "source" in t:
        # <source> became v2's organization; its class is known only when it is the lead sponsor.
        same = lead is not None and lead["name"] == t["source"]
        organization = {"name": t["source"], "agency_class": lead["agency_class"] if lead and same else None}
    status = m.status()
    fields: Json = {
        "nct_id": ids.get("nct_id"),
        "org_study_id": ids.get("org_study_id"),
        "organization": organization,
        "secondary_ids": [{"id": value} for value in _all(id_kids, "secondary_id")],
        "nct_id_aliases": _all(id_kids, "nct_alias"),
        "acronym": t.get("acronym"),
        "brief_title": t.get("brief_title"),
        "official_title": t.get("official_title"),
        "status": status,
        "design": m.design(),
        "brief_summary": render_units(_textblock(kids, "brief_summary")),
        "detailed_description": render_units(_textblock(kids, "detailed_description")),
        "conditions": _all(kids, "condition"),
        "keywords": _all(kids, "keyword"),
        "condition_mesh": m.mesh("condition_browse"),
        "intervention_mesh": m.mesh("intervention_browse"),
        "arms": arms,
        "interventions": interventions,
        "eligibility": m.eligibility(),
        "outcomes": m.outcomes(),
        "lead_sponsor": lead,
        "collaborators": collaborators,
        "responsible_party": m.responsible_party(),
        "officials": m.officials(),
        "central_contacts": [
            m.contact(el, tag)
            for tag in ("overall_contact", "overall_contact_backup")
            for el in kids.get(tag, ())
        ],
        "locations": m.locations(),
        "references": m.references(),
        "see_also_links": [{"url": k["url"], "label": k.get("description")} for k in m.links()],
        "available_ipds": ipds,
        "provided_documents": provided,
        "oversight": m.oversight(),
        "ipd_sharing": m.ipd_sharing(),
        "has_results": "clinical_results" in kids,
        "results": map_results(kids["clinical_results"][0], m.warnings)
        if "clinical_results" in kids
        else None,
    }
    last_update = status["last_update_post_date"]
    fields["sources"] = [
        {
            "id": source_id,
            "format": tm.SourceFormat.CTGOV_XML,
            "location": location,
            "record_date": tm.date_floor(
                last_update["date"] if last_update else status["last_update_submit_date"]
            ),
            "raw": raw,
            "unread_fields": sorted(tag for tag in kids if tag not in _KNOWN),
            "warnings": m.warnings,
        }
    ]
    return tm.Trial.model_validate(fields)
