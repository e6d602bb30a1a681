"""Reading single values as registry pages show them: statuses, phases, counts, ages, places, citations.

Every page layout shows the same ClinicalTrials.gov values in its own spelling ("RECRUITING",
"Not yet recruiting", "Phase 1/Phase 2", "PHASE1, PHASE2", "270 participants", "18 Years to 60 Years");
these parsers accept all of them, and answer ``None`` rather than guess.
"""

from __future__ import annotations

import re

from trialatlas.model import (
    Age,
    DateType,
    Design,
    Eligibility,
    Enrollment,
    InterventionType,
    OverallStatus,
    Phase,
    Sex,
    StudyType,
    coerce_enum,
    coerce_phases,
    enum_key,
    parse_age,
)


def word_set(text: str, separator: str | None = None) -> frozenset[str]:
    """The words (or ``separator``-separated names) of a multi-line constant."""
    return frozenset(
        item.strip()
        for item in text.replace("\n", " " if separator is None else "").split(separator)
        if item.strip()
    )


DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/\S+)", re.IGNORECASE)
PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
MONTH_DATE = re.compile(
    r"^(?:\d{1,2}\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?\d{4}$",
    re.IGNORECASE,
)

# Status spellings pages use that are not the enum name in another case.
_STATUS_WORDS = {
    "UNKNOWN_STATUS": OverallStatus.UNKNOWN,
    "ACTIVE_NOT_RECRUITING": OverallStatus.ACTIVE_NOT_RECRUITING,
    "ACTIVE,_NOT_RECRUITING": OverallStatus.ACTIVE_NOT_RECRUITING,
}


def parse_status(text: str | None) -> OverallStatus | None:
    if not text:
        return None
    key = enum_key(text.strip().rstrip("."))
    if key in _STATUS_WORDS:
        return _STATUS_WORDS[key]
    return coerce_enum(OverallStatus, text.strip().rstrip("."))


# Display spellings of statuses, longest first, for finding one at the start of a table row.
STATUS_DISPLAY = sorted(
    [
        "Not yet recruiting",
        "Recruiting",
        "Enrolling by invitation",
        "Active, not recruiting",
        "Completed",
        "Suspended",
        "Terminated",
        "Withdrawn",
        "Unknown status",
        "Unknown",
        "Available",
        "No longer available",
        "Temporarily not available",
        "Approved for marketing",
        "Withheld",
    ]
    + [status.value for status in OverallStatus],
    key=len,
    reverse=True,
)

_PHASE_TOKEN = re.compile(
    r"(?:EARLY[_ ]?PHASE[_ ]?1|PHASE[_ ]?[0-4](?:/[0-4])?|PHASE[_ ]?I{1,3}V?|PHASE[_ ]?IV|N/?A|"
    r"NOT[_ ]APPLICABLE)",
    re.IGNORECASE,
)
_PHASE_TEXT = re.compile(
    rf"^\s*{_PHASE_TOKEN.pattern}(?:\s*(?:[|/,;&]|\band\b)?\s*{_PHASE_TOKEN.pattern})*\s*$", re.IGNORECASE
)


def is_phase_text(text: str) -> bool:
    return bool(_PHASE_TEXT.match(text))


def parse_phases(text: str | None) -> list[Phase]:
    """Phases from "PHASE4", "Phase 1/Phase 2", "PHASE1, PHASE2", "PHASE2 PHASE3", "N/A", "Early Phase 1"."""
    if not text:
        return []
    phases = coerce_phases(text)
    if phases:
        return phases
    found: list[Phase] = []
    for token in _PHASE_TOKEN.findall(text):
        for phase in coerce_phases(token.replace(" ", "_") if "/" not in token else token):
            if phase not in found:
                found.append(phase)
        if not found:
            # "PHASE2/3" spellings.
            match = re.match(r"PHASE[_ ]?(\d)/(\d)", token, re.IGNORECASE)
            if match:
                found.extend(coerce_phases(f"Phase {match[1]}/Phase {match[2]}"))
    return found


def parse_count(text: str | None) -> int | None:
    """A participant count from "270 participants", "230", "1,200 (Estimated)"."""
    if not text:
        return None
    match = re.match(r"^\s*(\d[\d,. ]*)", text)
    if not match:
        return None
    digits = re.sub(r"[,. ]", "", match[1])
    return int(digits) if digits.isdigit() else None


_ENROLLMENT_TYPE = re.compile(r"(estimated|anticipated|actual)", re.IGNORECASE)


def parse_enrollment(text: str, kind: DateType | None = None) -> Enrollment:
    """An enrollment from "270 participants (Actual)", "1,200 (Estimated)"; ``kind`` when the page
    says it apart from the count."""
    named = _ENROLLMENT_TYPE.search(text)
    return Enrollment(
        count=parse_count(text), type=kind or (coerce_enum(DateType, named[1]) if named else None)
    )


_YES = {"yes", "y", "true", "accepts healthy volunteers", "accepted"}
_NO = {"no", "n", "false", "does not accept healthy volunteers", "not accepted"}


def parse_bool(text: str | None) -> bool | None:
    if not text:
        return None
    value = text.strip().rstrip(".").lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


def parse_sex(text: str | None) -> Sex | None:
    if not text:
        return None
    value = text.strip().rstrip(".")
    if value.lower() in {"all", "both", "all sexes", "male and female", "female and male"}:
        return Sex.ALL
    return coerce_enum(Sex, value)


_AGE_IN_TEXT = re.compile(
    r"\d+(?:\.\d+)?\s*(?:years?|months?|weeks?|days?|hours?|minutes?|yrs?|mos?)\b", re.IGNORECASE
)


def is_age_text(text: str) -> bool:
    return bool(re.fullmatch(_AGE_IN_TEXT.pattern, text.strip(), re.IGNORECASE))


def parse_age_range(text: str | None) -> tuple[Age | None, Age | None]:
    """``(minimum, maximum)`` from "18 Years to 60 Years", "18 Years and older", "up to 17 Years"."""
    if not text:
        return None, None
    value = text.strip()
    lower = value.lower()
    ages = _AGE_IN_TEXT.findall(value)
    ranged = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|~|to)\s*(\d+(?:\.\d+)?)\s*([a-z]+)", lower)
    if ranged and not ages[1:]:
        unit = ranged[3]
        return parse_age(f"{ranged[1]} {unit}"), parse_age(f"{ranged[2]} {unit}")
    if len(ages) >= 2:
        return parse_age(ages[0]), parse_age(ages[1])
    if len(ages) == 1:
        age = parse_age(ages[0])
        before = lower[: lower.find(ages[0].lower())]
        if re.search(r"(up to|under|below|less than|n/a to|<|≤|maximum|max)\s*$", before.strip() + " ") or (
            "n/a" in before
        ):
            return None, age
        return age, None
    return None, None


_TYPE_DISPLAY = {
    InterventionType.BEHAVIORAL: "Behavioral",
    InterventionType.BIOLOGICAL: "Biological",
    InterventionType.COMBINATION_PRODUCT: "Combination Product",
    InterventionType.DEVICE: "Device",
    InterventionType.DIAGNOSTIC_TEST: "Diagnostic Test",
    InterventionType.DIETARY_SUPPLEMENT: "Dietary Supplement",
    InterventionType.DRUG: "Drug",
    InterventionType.GENETIC: "Genetic",
    InterventionType.PROCEDURE: "Procedure",
    InterventionType.RADIATION: "Radiation",
    InterventionType.OTHER: "Other",
}


def read_design_or_eligibility(
    name: str, value: str, design: Design, eligibility: Eligibility, kind: DateType | None = None
) -> bool:
    """Set the design or eligibility field every page layout labels alike (phase, study type,
    enrollment, sex, ages, healthy volunteers) from its value; False when ``name`` is not one."""
    if name == "phase":
        design.phases = parse_phases(value)
    elif name == "study_type":
        design.study_type = coerce_enum(StudyType, value)
    elif name == "enrollment":
        design.enrollment = parse_enrollment(value, kind)
    elif name == "sex":
        eligibility.sex = parse_sex(value)
    elif name == "ages":
        eligibility.minimum_age, eligibility.maximum_age = parse_age_range(value)
    elif name in {"minimum_age", "maximum_age"}:
        setattr(eligibility, name, parse_age(value))
    elif name == "healthy_volunteers":
        eligibility.healthy_volunteers = parse_bool(value)
    else:
        return False
    return True


def intervention_type_display(kind: InterventionType) -> str:
    return _TYPE_DISPLAY[kind]


def intervention_label(kind: InterventionType | None, name: str) -> str:
    """How ClinicalTrials.gov names an arm's intervention: "Drug: Tacrolimus"."""
    return f"{_TYPE_DISPLAY[kind]}: {name}" if kind else name


def parse_intervention_type(text: str | None) -> InterventionType | None:
    if not text:
        return None
    value = text.strip().rstrip(":").strip()
    found = coerce_enum(InterventionType, value)
    if found is None and value.lower() in {"biological/vaccine", "vaccine"}:
        return InterventionType.BIOLOGICAL
    return found


def doi_of(citation: str | None) -> str | None:
    if not citation:
        return None
    match = DOI.search(citation)
    return match[1].rstrip(".,;") if match else None


# ClinicalTrials.gov country names; those with a comma must be known to split "City, State, Country".
COUNTRIES = word_set(
    """Afghanistan|Albania|Algeria|American Samoa|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|Aruba|
    Australia|Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bermuda|
    Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Brunei Darussalam|Bulgaria|Burkina Faso|Burundi|
    Cambodia|Cameroon|Canada|Cape Verde|Cayman Islands|Central African Republic|Chad|Chile|China|Colombia|
    Comoros|Congo|Congo, The Democratic Republic of the|Cook Islands|Costa Rica|Côte D'Ivoire|Cote D'Ivoire|
    Croatia|Cuba|Curaçao|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|
    Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|Faroe Islands|Fiji|Finland|
    Former Serbia and Montenegro|Former Yugoslavia|France|French Guiana|French Polynesia|Gabon|Gambia|Georgia|
    Germany|Ghana|Gibraltar|Greece|Greenland|Grenada|Guadeloupe|Guam|Guatemala|Guinea|Guinea-Bissau|Guyana|
    Haiti|Holy See (Vatican City State)|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|
    Iran, Islamic Republic of|Iraq|Ireland|Israel|Italy|Jamaica|Japan|Jersey|Jordan|Kazakhstan|Kenya|Kiribati|
    Korea, Democratic People's Republic of|Korea, Republic of|Kosovo|Kuwait|Kyrgyzstan|
    Lao People's Democratic Republic|Latvia|Lebanon|Lesotho|Liberia|Libya|Libyan Arab Jamahiriya|
    Liechtenstein|Lithuania|Luxembourg|Macao|Macau|Macedonia, The Former Yugoslav Republic of|
    Madagascar|Malawi|
    Malaysia|Maldives|Mali|Malta|Marshall Islands|Martinique|Mauritania|Mauritius|Mayotte|Mexico|
    Micronesia, Federated States of|Moldova, Republic of|Monaco|Mongolia|Montenegro|Montserrat|Morocco|
    Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|Netherlands Antilles|New Caledonia|New Zealand|
    Nicaragua|Niger|Nigeria|North Macedonia|Northern Mariana Islands|Norway|Oman|Pakistan|Palau|
    Palestinian Territories, Occupied|Palestinian Territory, occupied|Panama|Papua New Guinea|Paraguay|Peru|
    Philippines|Poland|Portugal|Puerto Rico|Qatar|Réunion|Reunion|Romania|Russian Federation|Russia|Rwanda|
    Saint Kitts and Nevis|Saint Lucia|Saint Vincent and the Grenadines|Samoa|San Marino|
    Sao Tome and Principe|Saudi Arabia|Senegal|Serbia|Serbia and Montenegro|Seychelles|Sierra Leone|
    Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Sudan|Spain|Sri Lanka|Sudan|
    Suriname|Swaziland|Sweden|Switzerland|Syrian Arab Republic|Taiwan|Tajikistan|
    Tanzania|Tanzania, United Republic of|Thailand|Timor-Leste|Togo|Tonga|Trinidad and Tobago|Tunisia|
    Turkey|Türkiye|Turkmenistan|Uganda|Ukraine|United Arab Emirates|United Kingdom|United States|
    United States Minor Outlying Islands|Uruguay|Uzbekistan|Vanuatu|Venezuela|Viet Nam|Vietnam|
    Virgin Islands (U.S.)|Yemen|Zambia|Zimbabwe|South Korea|Korea|Iran|Moldova""",
    "|",
)
_COUNTRIES_LONGEST_FIRST = sorted(COUNTRIES, key=len, reverse=True)


def leading_country(text: str) -> tuple[str | None, str]:
    """``(country, rest)`` when ``text`` starts with a country name, else ``(None, text)``."""
    for country in _COUNTRIES_LONGEST_FIRST:
        if text.startswith(country) and (len(text) == len(country) or not text[len(country)].isalnum()):
            return country, text[len(country) :].lstrip(" ,\t")
    return None, text


def parse_place(text: str) -> tuple[str | None, str | None, str | None]:
    """``(city, state, country)`` from "Beijing, Beijing Municipality, China", "Seoul, Korea, Republic of"."""
    value = text.strip().strip(",").strip()
    country: str | None = None
    for name in _COUNTRIES_LONGEST_FIRST:
        if value == name or value.endswith(", " + name) or value.endswith("," + name):
            country = name
            value = value[: len(value) - len(name)].rstrip().rstrip(",")
            break
    parts = [part.strip() for part in value.split(",")] if value else []
    if country is None and parts:
        country = parts.pop() or None
    city = parts[0] or None if parts else None
    state = ", ".join(part for part in parts[1:] if part) or None
    return city, state, country


# Regional-indicator flag emoji that some pages print before a location ("🇨🇳Beijing, China").
FLAG = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
