"""The fields of WHO ICTRP export rows and the readers of their values, registry by registry.

The 62 documented fields (and the search portal's other spellings of them), and what each registry
writes in them: dates as ``14/03/2019``, ``2019-04-02`` or ``May 17, 2019``; ages as ``18 Years``,
``18Y`` or ``>= 20age old``; designs as ``Allocation: Randomized. Intervention model: …`` or EU CTR's
``Randomised: yes<br>Open: no``; conditions, interventions and outcomes as ``;``/``<br>`` lists in each
registry's shape. The spellings are data (``ictrp_vocab.json``). Row to trial: :mod:`.ictrp`.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from typing import Any

from trialatlas.model.enums import (
    AgeUnit,
    Allocation,
    DateType,
    InterventionModel,
    InterventionType,
    Masking,
    OutcomeKind,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    Sex,
    StudyType,
    coerce_enum,
    coerce_phases,
)
from trialatlas.model.trial import (
    Design,
    Intervention,
    Outcome,
)
from trialatlas.model.values import Age, PartialDate, age_unit, normalize_date
from trialatlas.sources.ctgov_csv import parse_intervention
from trialatlas.text.packaged import packaged_json

# The fields of the export, in WHO's documented order (the order of a header-less export).
FIELDS: tuple[str, ...] = (
    "TrialID",
    "SecondaryIDs",
    "public_title",
    "Scientific_title",
    "url",
    "Public_Contact_Firstname",
    "Public_Contact_Lastname",
    "Public_Contact_Address",
    "Public_Contact_Email",
    "Public_Contact_Tel",
    "Public_Contact_Affiliation",
    "Scientific_Contact_Firstname",
    "Scientific_Contact_Lastname",
    "Scientific_Contact_Address",
    "Scientific_Contact_Email",
    "Scientific_Contact_Tel",
    "Scientific_Contact_Affiliation",
    "study_type",
    "study_design",
    "phase",
    "Date_registration",
    "Date_enrollement",
    "Target_size",
    "Recruitment_status",
    "Primary_sponsor",
    "Secondary_sponsors",
    "Source_Support",
    "Countries",
    "Conditions",
    "Interventions",
    "Agemin",
    "Agemax",
    "Gender",
    "Inclusion_Criteria",
    "Exclusion_Criteria",
    "Primary_Outcome",
    "Secondary_Outcomes",
    "Bridging_flag",
    "Bridged_type",
    "Childs",
    "type_enrolment",
    "Retrospective_flag",
    "results_actual_enrollment",
    "results_url_link",
    "results_summary",
    "results_date_posted",
    "results_date_first_publication",
    "results_baseline_char",
    "results_participant_flow",
    "results_adverse_events",
    "results_outcome_measures",
    "results_url_protocol",
    "results_IPD_plan",
    "results_IPD_description",
    "results_date_completed",
    "results_yes_no",
    "Ethics_Status",
    "Ethics_Approval_Date",
    "Ethics_Contact_Name",
    "Ethics_Contact_Address",
    "Ethics_Contact_Phone",
    "Ethics_Contact_Email",
)
_DOCUMENTED_BY_LOWER = {name.lower(): name for name in FIELDS}


def field_name(name: str) -> str:
    """The documented name of a column or element, whatever its case or portal spelling."""
    lower = name.strip().lower()
    return _DOCUMENTED_BY_LOWER.get(lower) or vocabulary()["field_aliases"].get(lower) or name.strip()


# Fields the model has no place for: listed as unread when they hold something.
UNMAPPED = (
    "Public_Contact_Address",
    "Scientific_Contact_Address",
    "Source_Support",
    "Retrospective_flag",
    "results_actual_enrollment",
    "results_summary",
    "results_date_first_publication",
    "results_baseline_char",
    "results_participant_flow",
    "results_adverse_events",
    "results_outcome_measures",
    "Ethics_Status",
    "Ethics_Approval_Date",
    "Ethics_Contact_Name",
    "Ethics_Contact_Address",
    "Ethics_Contact_Phone",
    "Ethics_Contact_Email",
)


@functools.cache
def vocabulary() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("trialatlas.sources", "ictrp_vocab.json")
    return data


@functools.cache
def _design_cues() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    return {
        facet: [(re.compile(pattern, re.IGNORECASE), value) for pattern, value in cues]
        for facet, cues in vocabulary()["design_cues"].items()
    }


def vocab_key(text: str) -> str:
    return " ".join(text.split()).strip(" .;:").lower()


@dataclass
class IctrpRow:
    """One export row by field name, collecting what could not be read."""

    values: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = html.unescape(value).strip()
        if vocab_key(value) in _null_values():
            return None
        return value

    def warn(self, name: str, value: str, reason: str) -> None:
        self.warnings.append(f"{name}: {reason} {value[:80]!r}")


@functools.cache
def _null_values() -> frozenset[str]:
    return frozenset(vocabulary()["null_values"])


# --- splitting ----------------------------------------------------------------------------------------

BR = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)


def lines_of(text: str) -> list[str]:
    """The lines of a field whose registry joined them with ``<br>``."""
    return [line.strip() for line in BR.sub("\n", text).split("\n") if line.strip()]


def split_list(text: str, separators: str = ";") -> list[str]:
    """A ``;``-joined (and ``<br>``-joined) list, ignoring separators inside brackets."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in BR.sub("\n", text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if (char in separators or char == "\n") and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


# --- dates ---------------------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
# "Mar-16": a month and a two-digit year, as spreadsheets rewrite "March 2016".
_MONTH_YY = re.compile(r"^([A-Za-z]{3})-(\d{2})$")
_SQL_SERVER = re.compile(r"^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*[AP]M)?$")
# The export writes this for "no date".
PLACEHOLDER_YEAR = "1900"


def ictrp_date(text: str | None) -> str | None:
    """An ISO partial date from an ICTRP date: day first when slashed (WHO's and its registries' order)."""
    if not text:
        return None
    raw = text.strip()
    if match := _DMY.match(raw):
        raw = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    elif match := _YMD.match(raw):
        raw = f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"
    elif match := _MONTH_YY.match(raw):
        raw = f"{match[1]} 20{match[2]}"
    elif match := _SQL_SERVER.match(raw):
        raw = f"{match[1]} {match[2]}, {match[3]}"
    normal = normalize_date(raw)
    if normal is None or normal.startswith(PLACEHOLDER_YEAR):
        return None
    return normal


def field_date(row: IctrpRow, name: str, kind: DateType | None = None) -> PartialDate | None:
    value = row.get(name)
    if value is None:
        return None
    normal = ictrp_date(value)
    if normal is None:
        if not value.startswith(PLACEHOLDER_YEAR) and PLACEHOLDER_YEAR not in value:
            row.warn(name, value, "unreadable date")
        return None
    return PartialDate(date=normal, type=kind)


# --- ages, sex, status, phase, design ----------------------------------------------------------------

_AGE = re.compile(
    r"^(?P<op>>=|≥|=>|<=|≤|=<|>|<)?\s*(?P<n>\d+(?:\.\d+)?)\s*\(?\s*(?P<unit>years?|yrs?|y|months?|m|weeks?|w|days?|d"
    r"|hours?|h|age)?(?:\(s\))?\)?(?:\s*(?:-?\s*old|of age))?\s*$",
    re.IGNORECASE,
)
_NO_LIMIT = re.compile(
    r"^(?:0\s+)?(?:n/a\s*)?\(?(?:no\s+(?:limit|maximum(?:\s+age)?|minimum(?:\s+age)?)|none|no age limit)\)?$",
    re.I,
)


def ictrp_age(text: str | None, *, bound: str) -> tuple[Age | None, str | None]:
    """``(age, problem)``: "18 Years", "18Y", "18" (years), "19(Year)", ">= 20age old", "no limit" (None).

    A strict bound ("< 80") is off by one from the model's inclusive limits in a unit we cannot tell,
    so it is reported, not guessed.
    """
    if not text or _NO_LIMIT.match(text.strip()):
        return None, None
    match = _AGE.match(text.strip())
    if match is None:
        return None, "unreadable age"
    op = match["op"] or ""
    if op in {">", "<"}:
        return None, "strict age bound"
    if (op in {"<=", "≤", "=<"} and bound == "min") or (op in {">=", "≥", "=>"} and bound == "max"):
        return None, "age bound on the wrong side"
    unit_word = (match["unit"] or "y").lower()
    unit = AgeUnit.YEARS if unit_word == "age" else age_unit(unit_word)
    return (Age(value=float(match["n"]), unit=unit), None) if unit is not None else (None, "unreadable age")


_SEX_FLAGS = re.compile(r"(female|male)\s*:\s*(yes|no)", re.IGNORECASE)


def ictrp_sex(text: str | None) -> Sex | None:
    if not text:
        return None
    flags = {sex.lower(): answer.lower() == "yes" for sex, answer in _SEX_FLAGS.findall(text)}
    if flags:
        female, male = flags.get("female", False), flags.get("male", False)
        return Sex.ALL if female and male else Sex.FEMALE if female else Sex.MALE if male else None
    value = vocabulary()["sex"].get(vocab_key(text))
    return Sex(value) if value else None


def ictrp_status(text: str | None) -> OverallStatus | None:
    if not text:
        return None
    value = vocabulary()["status"].get(vocab_key(text))
    return OverallStatus(value) if value else None


def ictrp_study_type(text: str | None) -> StudyType | None:
    if not text:
        return None
    value = vocabulary()["study_type"].get(vocab_key(text))
    return StudyType(value) if value else coerce_enum(StudyType, text)


_EU_PHASE = re.compile(r"\(Phase (I{1,3}|IV)\):\s*(yes|no)", re.IGNORECASE)
_ROMAN = {"I": Phase.PHASE1, "II": Phase.PHASE2, "III": Phase.PHASE3, "IV": Phase.PHASE4}


def ictrp_phases(text: str | None) -> tuple[list[Phase], bool]:
    """``(phases, understood)`` from "Phase 2/Phase 3", "2-3", "IIIb", EU CTR's "(Phase II): yes" flags."""
    if not text:
        return [], True
    flags = _EU_PHASE.findall(text)
    if flags:
        return [_ROMAN[roman.upper()] for roman, answer in flags if answer.lower() == "yes"], True
    table: dict[str, list[str] | None] = vocabulary()["phase"]
    key = vocab_key(text)
    if key in table:
        listed = table[key]
        return ([Phase(p) for p in listed] if listed else []), listed is not None
    phases = coerce_phases(re.sub(r"\s*\(.*\)\s*$", "", text).replace("/ ", "/"))
    return phases, bool(phases)


_LABELLED = re.compile(
    r"(Allocation|Intervention model|Primary purpose|Study design purpose|Purpose|Masking|Assignment"
    r"|Observational model|Time perspective)\s*:\s*(.*?)(?=(?:[.;]\s*|\s+)(?:Allocation|Intervention model"
    r"|Primary purpose|Study design purpose|Purpose|Masking|Assignment|Control|Observational model"
    r"|Time perspective)\s*:|[.;]?\s*$)",
    re.IGNORECASE,
)
_FACETS: dict[str, tuple[str, type[Any]]] = {
    "allocation": ("allocation", Allocation),
    "intervention model": ("intervention_model", InterventionModel),
    "assignment": ("intervention_model", InterventionModel),
    "primary purpose": ("primary_purpose", PrimaryPurpose),
    "purpose": ("primary_purpose", PrimaryPurpose),
    "study design purpose": ("primary_purpose", PrimaryPurpose),
    "masking": ("masking", Masking),
}


def _cue(facet: str, text: str) -> str | None:
    for pattern, value in _design_cues()[facet]:
        if pattern.search(text):
            return value
    return None


def parse_design(text: str | None, design: Design) -> None:
    """Allocation, intervention model, purpose and masking out of a design text: labelled parts
    ("Allocation: Randomized. Masking: None (Open Label).") by the model's vocabulary, then the
    vocabulary's cue words for the facets still unknown ("randomized controlled trial, open(masking not
    used), parallel assignment", EU CTR's "Randomised: yes<br>Open: no")."""
    if not text:
        return
    flat = " ".join(lines_of(text))
    for label, value in _LABELLED.findall(flat):
        target = _FACETS.get(label.lower())
        if target is None:
            continue
        attribute, enum_type = target
        if getattr(design, attribute) is not None:
            continue
        base = value.split("(")[0].strip() if attribute == "masking" else value.strip()
        found = coerce_enum(enum_type, base)
        if found is None:
            cue = _cue(attribute, value)
            found = enum_type(cue) if cue else None
        if found is not None:
            setattr(design, attribute, found)
    exclusive = set(vocabulary()["exclusive_facets"])
    for attribute, enum_type in (
        ("allocation", Allocation),
        ("intervention_model", InterventionModel),
        ("masking", Masking),
        ("primary_purpose", PrimaryPurpose),
    ):
        if getattr(design, attribute) is not None:
            continue
        if attribute in exclusive:
            named = {value for pattern, value in _design_cues()[attribute] if pattern.search(flat)}
            if len(named) == 1:
                setattr(design, attribute, enum_type(named.pop()))
        elif cue := _cue(attribute, flat):
            setattr(design, attribute, enum_type(cue))


# --- conditions, interventions, outcomes ----------------------------------------------------------------

_MEDDRA_TERM = re.compile(r"Term:\s*(.+?)\s*(?:System Organ Class:|Classification code|Level:|$)", re.I)
_CODE_PREFIX = re.compile(r"^-?\s*[A-Z]\d{2}(?:\.?\d{1,2})?\s*(?:-\s*|\s+)(?=\D)")
_ONLY_CODE = re.compile(r"^-?\s*[A-Z]\d{2}(?:\.?\d{1,3})?$")
_HEALTH_CONDITION = re.compile(r"Health Condition \d+:\s*", re.IGNORECASE)
_THERAPEUTIC_AREA = re.compile(r"^Therapeutic area:", re.IGNORECASE)


def parse_conditions(text: str | None) -> tuple[list[str], list[str]]:
    """``(conditions, keywords)``: ``;``/``<br>`` lists, MedDRA blocks (their term), ICD codes dropped
    ("Q214- Aortopulmonary septal defect"), therapeutic areas as keywords."""
    if not text:
        return [], []
    conditions: list[str] = []
    keywords: list[str] = []
    for part in split_list(_HEALTH_CONDITION.sub("\n", text)):
        if _THERAPEUTIC_AREA.match(part):
            keywords.append(part.split(":", 1)[1].strip())
            continue
        if "MedDRA" in part:
            term = _MEDDRA_TERM.search(part)
            before = part.split("MedDRA", 1)[0].strip()
            conditions.extend(x for x in (before, term[1] if term else "") if x)
            continue
        if _ONLY_CODE.match(part):
            continue
        conditions.append(_CODE_PREFIX.sub("", part).strip(" -"))
    return unique([c for c in conditions if c]), unique(keywords)


_TYPED = re.compile(
    r"^(?:Drug|Device|Biological|Procedure|Behavioral|Behavioural|Radiation|Dietary Supplement"
    r"|Genetic|Combination Product|Diagnostic Test|Other)\s*:",
    re.IGNORECASE,
)
_NUMBERED_INTERVENTION = re.compile(r"(?:^|\n)\s*((?:Control\s+)?Intervention\s*\d+)\s*:\s*", re.IGNORECASE)
_EU_PRODUCT_FIELD = re.compile(
    r"^(Product Name|Product Code|INN or Proposed INN|Other descriptive name|Pharmaceutical Form"
    r"|CAS Number|Current Sponsor code|Trade Name|Concentration unit|Concentration type|Concentration number"
    r"|Route of administration)\s*:\s*(.*)$",
    re.IGNORECASE,
)
GROUP_ITEM = re.compile(r"^([^:]{1,60}):(.+)$")


def parse_interventions(text: str | None, row: IctrpRow) -> list[Intervention]:
    """Interventions in each registry's shape; free text that shows no structure stays one value."""
    if not text:
        return []
    lines = lines_of(text)
    if any(_EU_PRODUCT_FIELD.match(line) for line in lines):
        return _eu_products(text)
    flat = "\n".join(lines)
    if _NUMBERED_INTERVENTION.search(flat):
        pieces = _NUMBERED_INTERVENTION.split(flat)
        found: list[Intervention] = []
        for label, body in zip(pieces[1::2], pieces[2::2], strict=False):
            name, sep, description = body.partition(":")
            if not sep or len(name) > 80:
                name, description = body, ""
            found.append(
                Intervention(
                    name=" ".join(name.split()),
                    description=" ".join(description.split()) or None,
                    arm_labels=[" ".join(label.split())],
                )
            )
        return found
    parts = split_list(text)
    if parts and all(_TYPED.match(part) for part in parts):
        return _unique_interventions([parse_intervention(part) for part in parts])
    if parts and all(GROUP_ITEM.match(part) for part in parts) and len(parts) > 1:
        # ChiCTR: "intervention group:Coenzyme Q10 400mg;placebo:placebo;" (group: what it receives).
        items = [GROUP_ITEM.match(part) for part in parts]
        return [Intervention(name=m[2].strip(), arm_labels=[m[1].strip()]) for m in items if m]
    if parts and all(len(part) <= 100 for part in parts):
        return _unique_interventions([Intervention(name=part) for part in parts])
    row.warnings.append("Interventions: free text that names no separate interventions, kept as one value")
    return [Intervention(name=" ".join(" ".join(lines).split()))]


def _unique_interventions(items: list[Intervention]) -> list[Intervention]:
    seen: set[tuple[str | None, str]] = set()
    out: list[Intervention] = []
    for item in items:
        key = (item.type.value if item.type else None, item.name.casefold())
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


BLANK_LINE = re.compile(r"(?:<br\s*/?\s*>\s*){2,}", re.IGNORECASE)


def _eu_products(text: str) -> list[Intervention]:
    """EU CTR products: "Product Name: X<br>INN or Proposed INN: Y<br>Pharmaceutical Form: Z", a blank
    line between products (the same product is listed once per role; it is kept once)."""
    products: list[dict[str, str]] = []
    for block in BLANK_LINE.split(text):
        current: dict[str, str] = {}
        for line in lines_of(block):
            match = _EU_PRODUCT_FIELD.match(line)
            if match is not None and match[2].strip():
                current.setdefault(match[1].lower(), match[2].strip())
        if current:
            products.append(current)
    out: list[Intervention] = []
    for product in products:
        names = [
            product.get(k) for k in ("inn or proposed inn", "product name", "trade name", "product code")
        ]
        present = unique([n for n in names if n])
        if not present:
            continue
        details = [
            f"{k.capitalize()}: {v}"
            for k, v in product.items()
            if k not in {"inn or proposed inn", "product name", "trade name", "product code"}
        ]
        out.append(
            Intervention(
                type=InterventionType.DRUG,
                name=present[0],
                other_names=present[1:],
                description="; ".join(details) or None,
            )
        )
    return _unique_interventions(out)


_TIME_IN_BRACKETS = re.compile(r"^(.*?)\s*\[\s*(?:time\s*frame|timepoints?)?\s*:?\s*(.*?)\]\s*$", re.I | re.S)
_TIMEPOINT = re.compile(r"\s*Time\s*points?(?:\(s\))?(?: of evaluation of this end point)?\s*:\s*", re.I)
_BULLET = re.compile(r"^(?:[•·*\-–]+|\d{1,2}[.)]|\(\d{1,2}\))\s*")
_EU_ENDPOINT = re.compile(
    r"^(?:Main Objective|Secondary Objective|Primary end point\(s\)|Secondary end point\(s\))\s*:\s*", re.I
)


_EU_ENDPOINTS = re.compile(r"(?:^|;)\s*(Primary|Secondary) end point\(s\)\s*:\s*", re.IGNORECASE)
_EU_SECTION = re.compile(
    r"(?:^|;)\s*(Main Objective|Secondary Objective|Primary end point\(s\)|Secondary end point\(s\)"
    r"|Timepoint\(s\) of evaluation of this end point)\s*:\s*",
    re.IGNORECASE,
)


def _eu_outcomes(text: str, kind: OutcomeKind) -> list[Outcome]:
    """EU CTR's "Primary end point(s): …;Timepoint(s) of evaluation of this end point: …": the end
    points' text is one value (its lines mix headings, measures and notes), with its time points."""
    pieces = _EU_SECTION.split(text)
    measure = time_frame = None
    for label, body in zip(pieces[1::2], pieces[2::2], strict=False):
        clean = " ".join(" ".join(lines_of(body)).split()).strip(" ;") or None
        if label.lower().endswith("end point(s)"):
            measure = clean
        elif label.lower().startswith("timepoint"):
            time_frame = clean
    return [Outcome(kind=kind, measure=measure, time_frame=time_frame)] if measure else []


def parse_outcomes(text: str | None, kind: OutcomeKind) -> list[Outcome]:
    """Outcome measures of a ``;``/``<br>`` list, each with the time frame it states
    ("measure [time frame]", "measureTimepoint: time frame")."""
    if not text:
        return []
    if _EU_ENDPOINTS.search(text):
        return _eu_outcomes(text, kind)
    outcomes: list[Outcome] = []
    for part in split_list(text):
        part = _BULLET.sub("", part).strip()
        if _EU_ENDPOINT.match(part):
            if part.lower().startswith(("main objective", "secondary objective")):
                continue
            part = _EU_ENDPOINT.sub("", part)
        time_frame = None
        if match := _TIME_IN_BRACKETS.match(part):
            part, time_frame = match[1], match[2]
        elif _TIMEPOINT.search(part):
            if _TIMEPOINT.match(part) and outcomes and outcomes[-1].time_frame is None:
                outcomes[-1] = outcomes[-1].model_copy(
                    update={"time_frame": _TIMEPOINT.sub("", part, count=1)}
                )
                continue
            part, time_frame = _TIMEPOINT.split(part, maxsplit=1)
        part = " ".join(part.split())
        if part:
            outcomes.append(Outcome(kind=kind, measure=part, time_frame=(time_frame or "").strip() or None))
    return outcomes
