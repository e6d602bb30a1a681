"""Layout A's label tables, value shapes and block parsers (arms, interventions, contacts).

Split from :mod:`trialatlas.sources.pages.layout_a` to keep each module readable; nothing here knows
about sections, only about the lines of one section.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

from trialatlas.model import (
    Arm,
    ArmGroupType,
    Contact,
    ContactRole,
    DateType,
    InterventionType,
    Masking,
    PartialDate,
    ProvidedDocument,
    StandardAge,
    StudyType,
    WhoMasked,
    coerce_enum,
)
from trialatlas.sources.pages.common import dedupe, heading_key, join_text, page_date
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import (
    COUNTRIES,
    ISO_DATE,
    MONTH_DATE,
    is_age_text,
    is_phase_text,
    parse_intervention_type,
    parse_sex,
    parse_status,
)


def inline(line: str, *labels: str) -> str | None:
    """The value of a "Label value" / "Label: value" line, "" when the label has no value, else ``None``."""
    for label in labels:
        match = re.match(rf"^{re.escape(label)}\b\s*:?\s*(.*)$", line, re.IGNORECASE)
        if match:
            return match[1].strip()
    return None


def partial_date(value: str) -> PartialDate | None:
    kind: DateType | None = None
    match = re.search(r"\((estimated|anticipated|actual)\)\s*$", value, re.IGNORECASE)
    if match:
        kind = coerce_enum(DateType, match[1])
        value = value[: match.start()].strip()
    date = page_date(value)
    return PartialDate(date=date, type=kind) if date else None


def is_date(value: str) -> bool:
    bare = re.sub(r"\s*\((estimated|anticipated|actual)\)\s*$", "", value, flags=re.IGNORECASE)
    return bool(ISO_DATE.match(bare) or MONTH_DATE.match(bare))


# -- label tables ------------------------------------------------------------------------------------


def pairs(
    lines: list[str], field_of: Callable[[str], str | None], multi: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str | None, str]]:
    """``(field, value)`` pairs from "Label" / "value" line pairs; bare values come with field ``None``."""
    pairs: list[tuple[str | None, str]] = []
    index = 0
    while index < len(lines):
        label = field_of(lines[index])
        if label is not None:
            values: list[str] = []
            index += 1
            while index < len(lines) and field_of(lines[index]) is None:
                values.append(lines[index])
                index += 1
                if label not in multi:
                    break
            pairs.extend((label, value) for value in values or [""])
            continue
        pairs.append((None, lines[index]))
        index += 1
    return pairs


_BASIC_LABELS = {
    "recruitment status": "status",
    "overall status": "status",
    "status": "status",
    "clinical phase": "phase",
    "phase": "phase",
    "phases": "phase",
    "study phase": "phase",
    "total enrollment": "enrollment",
    "enrollment": "enrollment",
    "estimated enrollment": "enrollment",
    "actual enrollment": "enrollment",
    "study classification": "study_type",
    "study type": "study_type",
    "study start date": "start",
    "start date": "start",
    "primary completion date": "primary_completion",
    "study completion date": "completion",
    "completion date": "completion",
    "first posted": "first_post",
    "study first posted": "first_post",
    "why stopped": "why_stopped",
    "reason stopped": "why_stopped",
}


def basic_field(line: str) -> str | None:
    return _BASIC_LABELS.get(heading_key(line))


def basic_shape(value: str) -> str | None:
    if parse_status(value) is not None:
        return "status"
    if is_phase_text(value):
        return "phase"
    if re.match(r"^\d[\d,]*\s+participants?\b", value, re.IGNORECASE):
        return "enrollment"
    if coerce_enum(StudyType, value) is not None:
        return "study_type"
    if is_date(value):
        return "date"
    return None


_DESIGN_LABELS = {
    "allocation method": "allocation",
    "allocation": "allocation",
    "intervention model": "intervention_model",
    "primary study purpose": "primary_purpose",
    "primary purpose": "primary_purpose",
    "blinding strategy": "masking",
    "masking": "masking",
    "masked roles": "who_masked",
    "who masked": "who_masked",
    "masked parties": "who_masked",
    "observational model": "observational_model",
    "time perspective": "time_perspective",
    "model description": "intervention_model_description",
    "intervention model description": "intervention_model_description",
    "masking description": "masking_description",
    "blinding description": "masking_description",
    "target duration": "target_duration",
    "patient registry": "patient_registry",
    "biospecimen retention": "bio_spec_retention",
    "biospecimen description": "bio_spec_description",
}


def design_field(line: str) -> str | None:
    return _DESIGN_LABELS.get(heading_key(line))


def masking_of(value: str) -> tuple[Masking | None, list[WhoMasked]]:
    match = re.match(r"^\s*([A-Za-z_ ]+?)\s*(?:\((.*)\))?\s*$", value)
    if not match:
        return coerce_enum(Masking, value), []
    who = [
        w for part in re.split(r"[,;|]", match[2] or "") if (w := coerce_enum(WhoMasked, part)) is not None
    ]
    return coerce_enum(Masking, match[1]), who


def design_enum_value(enum: type, value: str) -> object:
    if enum is Masking:
        return masking_of(value)[0]
    return coerce_enum(enum, value)


_ELIGIBILITY_LABELS = {
    "minimum eligible age": "minimum_age",
    "minimum age": "minimum_age",
    "maximum eligible age": "maximum_age",
    "maximum age": "maximum_age",
    "eligible sex": "sex",
    "sex": "sex",
    "gender": "sex",
    "accepts healthy volunteers": "healthy_volunteers",
    "healthy volunteers": "healthy_volunteers",
    "standard age groups": "std_ages",
    "age groups": "std_ages",
    "sampling method": "sampling_method",
    "study population": "study_population",
    "gender description": "gender_description",
    "gender based": "gender_based",
}


def eligibility_field(line: str) -> str | None:
    return _ELIGIBILITY_LABELS.get(heading_key(line))


def eligibility_shape(value: str) -> str | None:
    if is_age_text(value):
        return "age"
    if parse_sex(value) is not None and value.strip().upper() in {"ALL", "FEMALE", "MALE", "BOTH"}:
        return "sex"
    if value.strip() in {"Yes", "No", "YES", "NO", "true", "false"}:
        return "healthy_volunteers"
    parts = [p for p in re.split(r"[,;| ]+", value.strip()) if p]
    if parts and all(coerce_enum(StandardAge, p) is not None for p in parts):
        return "std_ages"
    if value.strip().upper() in {"PROBABILITY_SAMPLE", "NON_PROBABILITY_SAMPLE"}:
        return "sampling_method"
    return None


# -- arms and interventions ----------------------------------------------------------------------------

ParsedIntervention = tuple[str, InterventionType | None, str | None, list[str]]


def type_line(line: str) -> InterventionType | bool | None:
    value = inline(line, "Intervention Type")
    if value is None:
        return False
    return parse_intervention_type(value)


def interventions_labeled(lines: list[str]) -> list[ParsedIntervention]:
    """``(name, type, description, description lines)`` from "name / description… / Intervention Type X"."""
    anchors = [i for i, line in enumerate(lines) if type_line(line) is not False]
    if not anchors:
        return interventions_bare(lines)
    parsed: list[ParsedIntervention] = []
    start = 0
    for anchor in anchors:
        block = lines[start:anchor]
        start = anchor + 1
        if not block:
            continue
        kind = type_line(lines[anchor])
        desc = block[1:]
        parsed.append(
            (
                clean(block[0]) or "",
                kind if isinstance(kind, InterventionType) else None,
                join_text(desc),
                desc,
            )
        )
    return parsed


def is_name_shape(line: str) -> bool:
    return (
        len(line) <= 100
        and len(line.split()) <= 14
        and not line.rstrip().endswith((".", ":", ";", ","))
        and not re.match(r"^(?:[-*•]|\d+[.)])\s", line)
    )


_DOSING = re.compile(
    r"\d\s*(?:mg|g|mcg|µg|ug|ml|units?|iu|%|days?|weeks?|hours?|times|cycles?)\b|"
    r"\b(?:given|administered|receives?|received|daily|orally|by mouth|infusion|injected|dose|twice|once)\b",
    re.IGNORECASE,
)


def interventions_bare(lines: list[str]) -> list[ParsedIntervention]:
    """Bare "name / description…" blocks: a name is a short line that does not read as a sentence."""
    parsed: list[ParsedIntervention] = []
    name: str | None = None
    desc: list[str] = []
    for index, line in enumerate(lines):
        # A short title-like line right after a name is the next name: names without descriptions are
        # common, while descriptions are sentences.
        next_name = is_name_shape(line) and (
            desc or name is None or (len(line) <= 60 and not _DOSING.search(line))
        )
        if index == 0 or next_name:
            if name is not None:
                parsed.append((name, None, join_text(desc), desc))
            name, desc = clean(line) or "", []
        else:
            desc.append(line)
    if name is not None:
        parsed.append((name, None, join_text(desc), desc))
    return parsed


def arm_type_line(line: str) -> ArmGroupType | bool | None:
    value = inline(line, "Group Type", "Arm Type")
    if value is None:
        return False
    return coerce_enum(ArmGroupType, value)


class _InterventionIndex:
    """The interventions parsed so far, by cleaned name, for matching the blocks printed under arms.

    Interventions of one name and one description cannot be told apart, so only the first of each
    is kept as a candidate (the match picks the first of equals anyway): a page that repeats a
    block thousands of times is matched in linear, not quadratic, time.
    """

    def __init__(self, parsed: list[ParsedIntervention]) -> None:
        self.parsed = parsed
        self._by_name: dict[str | None, dict[tuple[str | None, ...], int]] = {}
        for number, item in enumerate(parsed):
            self._add(number, item)

    def _add(self, number: int, item: ParsedIntervention) -> None:
        name, _, _, desc_lines = item
        descriptions = self._by_name.setdefault(name, {})
        descriptions.setdefault(tuple(clean(line) for line in desc_lines), number)

    def append(self, item: ParsedIntervention) -> int:
        self.parsed.append(item)
        self._add(len(self.parsed) - 1, item)
        return len(self.parsed) - 1

    def candidates(self, name: str | None) -> list[tuple[int, tuple[str | None, ...]]]:
        found = self._by_name.get(name, {})
        return sorted((number, desc) for desc, number in found.items())


def _match_intervention(
    cleaned: list[str | None], index: int, interventions: _InterventionIndex, lines: list[str]
) -> tuple[int | None, InterventionType | None, int] | None:
    """The intervention block printed at ``lines[index]`` under an arm: ``(its index, its type, lines used)``.

    The block is the intervention's name, an optional "Intervention Type" line, and its description
    exactly as the "Interventions" section printed it; interventions may share a name, so the
    description decides which one it is. A named, typed block matching none comes back with index ``None``.
    ``cleaned`` holds ``clean`` of every line, computed once.
    """
    name = cleaned[index]
    typed = index + 1 < len(lines) and type_line(lines[index + 1]) is not False
    start = index + (2 if typed else 1)
    best: tuple[int, int] | None = None
    for number, desc_lines in interventions.candidates(name):
        matched = 0
        while (
            matched < len(desc_lines)
            and start + matched < len(lines)
            and cleaned[start + matched] == desc_lines[matched]
        ):
            matched += 1
        if matched < len(desc_lines) and not typed:
            continue  # a bare block is recognised only by its whole description
        if best is None or matched > best[1]:
            best = (number, matched)
    kind = type_line(lines[index + 1]) if typed else None
    kind = kind if isinstance(kind, InterventionType) else None
    if best is not None:
        return best[0], kind, start - index + best[1]
    if typed:
        return None, kind, 2
    return None


def split_arm_lines(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Arms from lines of labels and descriptions with nothing to separate them.

    Labels are short and do not read as sentences; a description is longer than its label. When every
    other line fits, the lines are label/description pairs; otherwise an arm starts at each label-like
    line that follows a description-like one.
    """
    if not lines:
        return []
    if len(lines) % 2 == 0 and all(
        is_name_shape(lines[i]) and len(lines[i]) < len(lines[i + 1]) for i in range(0, len(lines), 2)
    ):
        return [(lines[i], [lines[i + 1]]) for i in range(0, len(lines), 2)]
    arms: list[tuple[str, list[str]]] = [(lines[0], [])]
    for previous, line in itertools.pairwise(lines):
        if is_name_shape(line) and not is_name_shape(previous):
            arms.append((line, []))
        else:
            arms[-1][1].append(line)
    return arms


ArmRow = tuple[Arm, list[int]]


def parse_groups(lines: list[str], parsed: list[ParsedIntervention]) -> list[ArmRow]:
    """Arms of the "Study Groups" section, each with the indices (in ``parsed``) of its interventions.

    The site prints an arm's label and description, its "Group Type" (labelled version only), then its
    interventions as the "Interventions" section printed them. Interventions not in ``parsed`` are
    appended to it.
    """
    arms: list[ArmRow] = []
    own: list[str] = []
    cleaned = [clean(line) for line in lines]
    interventions = _InterventionIndex(parsed)

    def close() -> None:
        for label, desc in split_arm_lines(own):
            arms.append((Arm(label=clean(label) or label, description=join_text(desc)), []))
        own.clear()

    index = 0
    while index < len(lines):
        arm_type = arm_type_line(lines[index])
        if arm_type is not False:
            kind = arm_type if isinstance(arm_type, ArmGroupType) else None
            if own:
                arms.append(
                    (Arm(label=clean(own[0]) or own[0], type=kind, description=join_text(own[1:])), [])
                )
                own.clear()
            elif arms:
                arms[-1][0].type = kind
            index += 1
            continue
        found = _match_intervention(cleaned, index, interventions, lines) if (arms or own) else None
        if found is not None:
            close()
            number, item_type, used = found
            if number is None:
                number = interventions.append((cleaned[index] or "", item_type, None, []))
            if arms:
                arms[-1][1].append(number)
            index += used
            continue
        own.append(lines[index])
        index += 1
    close()
    return arms


def prefix_score(text: str, name: str) -> int:
    a, b = text.casefold(), name.casefold()
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def segment_names(line: str, names: list[str]) -> list[str] | None:
    """One line of other names, one per intervention in order, cut where capitalised words start a name."""
    tokens = line.split()
    starts = [i for i, token in enumerate(tokens) if i == 0 or token[:1].isupper() or token[:1].isdigit()]
    count = len(names)
    if len(starts) < count or count < 2:
        return None
    best: tuple[int, tuple[int, ...]] | None = None
    inner = starts[1:]
    if math.comb(len(inner), count - 1) > 5000:
        return None
    for cut in itertools.combinations(inner, count - 1):
        bounds = (0, *cut)
        score = sum(prefix_score(" ".join(tokens[b:]), name) for b, name in zip(bounds, names, strict=True))
        if best is None or score > best[0]:
            best = (score, bounds)
    if best is None:
        return None
    bounds = (*best[1], len(tokens))
    return [" ".join(tokens[bounds[i] : bounds[i + 1]]) for i in range(count)]


# -- small parsers -----------------------------------------------------------------------------------


def items_of(lines: list[str]) -> list[str]:
    return dedupe([value for line in lines if (value := clean(line.lstrip("-*• ")))])


def is_place(line: str, following: str) -> bool:
    if "," not in line:
        return False
    last = line.rsplit(",", 1)[1].strip()
    whole_tail = any(line.endswith(country) for country in COUNTRIES if "," in country)
    return (
        last in COUNTRIES
        or whole_tail
        or inline(following, "Site Status") is not None
        or bool(re.match(r"^[^,]+,\s*[^,]*,\s*[^,]+$", line) and len(line) < 80)
    )


def contacts_of(lines: list[str]) -> list[Contact]:
    contacts: list[Contact] = []
    for line in lines:
        if (role := inline(line, "Role")) is not None and contacts:
            contacts[-1].role = coerce_enum(ContactRole, role) or (
                ContactRole.CONTACT if role.lower() in {"primary", "backup", "contact"} else None
            )
        elif "@" in line and contacts and " " not in line.strip():
            contacts[-1].email = line.strip()
        elif re.fullmatch(r"[+()\d][\d\s().+/-]{5,}(?:\s*(?:ext\.?|x)\s*\d+)?", line.strip()) and contacts:
            phone, _, ext = re.sub(r"\s*(?:ext\.?|x)\s*", "\x00", line.strip(), count=1).partition("\x00")
            contacts[-1].phone = phone.strip()
            contacts[-1].phone_ext = ext.strip() or None
        elif value := clean(line):
            contacts.append(Contact(name=value))
    return contacts


_DOCUMENT_KINDS = (
    ("study protocol", "Prot"),
    ("statistical analysis plan", "SAP"),
    ("informed consent form", "ICF"),
)


def document_of(label: str) -> ProvidedDocument:
    lower = label.lower()
    parts = [abbrev for name, abbrev in _DOCUMENT_KINDS if name in lower]
    return ProvidedDocument(
        label=clean(label),
        type_abbrev="_".join(parts) or None,
        has_protocol="Prot" in parts,
        has_sap="SAP" in parts,
        has_icf="ICF" in parts,
    )
