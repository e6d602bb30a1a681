"""Layout C: a bullet layout.

Labels and their values are bullets of their own ("- Registration Number" / "- NCT05789017"), grouped
under plain headings ("Recruitment & Eligibility", "Study & Design", "Trial Locations"). Long texts
follow their label as plain lines. Two tables, arms with their interventions ("Group Intervention
Description") and outcome measures ("Name Time Method"), are flattened into running text; the
inclusion and exclusion criteria sit under label-less bullets ("-").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from trialatlas.model import (
    Allocation,
    Arm,
    Eligibility,
    Intervention,
    InterventionModel,
    Location,
    Masking,
    Outcome,
    OutcomeKind,
    PartialDate,
    PrimaryPurpose,
    Sponsor,
    coerce_enum,
)
from trialatlas.sources.pages.common import (
    PageParse,
    PageReader,
    dedupe,
    heading_key,
    join_text,
    page_date,
    page_record_date,
)
from trialatlas.sources.pages.knowledge import MAX_NAME_WORDS, PageKnowledge
from trialatlas.sources.pages.tables import find_time_frames, split_cells, split_measure_description
from trialatlas.sources.pages.text import clean
from trialatlas.sources.pages.values import (
    FLAG,
    intervention_label,
    parse_intervention_type,
    parse_place,
    parse_status,
    read_design_or_eligibility,
)
from trialatlas.text.registry_ids import NCT_IN_TEXT

HEADINGS = ("recruitment & eligibility", "study & design", "trial locations", "sponsors & contacts")
LABELS = {
    "conditions": "conditions",
    "condition": "conditions",
    "interventions": "interventions",
    "intervention": "interventions",
    "keywords": "keywords",
    "registration number": "nct",
    "nct number": "nct",
    "other study id": "org_study_id",
    "lead sponsor": "lead_sponsor",
    "collaborators": "collaborators",
    "brief summary": "brief_summary",
    "detailed description": "detailed_description",
    "official title": "official_title",
    "acronym": "acronym",
    "status": "status",
    "recruitment status": "status",
    "phase": "phase",
    "sex": "sex",
    "gender": "sex",
    "age": "ages",
    "ages": "ages",
    "minimum age": "minimum_age",
    "maximum age": "maximum_age",
    "healthy volunteers": "healthy_volunteers",
    "accepts healthy volunteers": "healthy_volunteers",
    "target recruitment": "enrollment",
    "enrollment": "enrollment",
    "inclusion criteria": "inclusion",
    "exclusion criteria": "exclusion",
    "study type": "study_type",
    "study design": "design",
    "allocation": "allocation",
    "masking": "masking",
    "primary purpose": "primary_purpose",
    "arm && interventions": "arms",
    "arms & interventions": "arms",
    "arms and interventions": "arms",
    "primary outcome measures": "primary_outcomes",
    "secondary outcome measures": "secondary_outcomes",
    "other outcome measures": "other_outcomes",
    "locations": "locations",
    "start date": "start",
    "study start": "start",
    "primary completion date": "primary_completion",
    "completion date": "completion",
    "last updated": "last_updated",
}


@dataclass
class _Field:
    name: str
    heading: str
    values: list[str] = field(default_factory=list)


def _bullet(line: str) -> str | None:
    """The text of a bullet line ("" for a label-less "-"), else ``None``."""
    match = re.match(r"^[-*•]\s*(.*)$", line)
    return match[1].strip() if match else None


def _fields(lines: list[str]) -> tuple[list[str], list[_Field], list[str]]:
    """``(title lines, fields, headings seen)``: each label bullet with the lines up to the next label."""
    title: list[str] = []
    fields: list[_Field] = []
    headings: list[str] = []
    heading = ""
    blanks = 0
    for line in lines:
        key = heading_key(line)
        bullet = _bullet(line)
        if bullet is None and key in HEADINGS:
            heading = key
            headings.append(key)
            blanks = 0
            continue
        if bullet is not None and heading_key(bullet) in LABELS:
            fields.append(_Field(LABELS[heading_key(bullet)], heading))
            continue
        if bullet == "":
            # Label-less bullets in the eligibility block stand for the inclusion, then exclusion, criteria.
            blanks += 1
            name = (
                {1: "inclusion", 2: "exclusion"}.get(blanks, "unlabeled")
                if "eligib" in heading
                else "unlabeled"
            )
            fields.append(_Field(name, heading))
            continue
        if not fields:
            title.append(line)
            continue
        fields[-1].values.append(line if bullet is None else bullet)
    return title, fields, headings


class _Reader(PageReader):
    layout = "C"

    def __init__(self, lines: list[str], known: Callable[[], PageKnowledge]) -> None:
        super().__init__(lines)
        self.known = known
        self.intervention_names: list[str] = []

    def parse(self) -> PageParse:
        title, fields, headings = _fields(self.lines)
        if title:
            self.trial.brief_title = clean(title[0].lstrip("# "))
        inclusion: list[str] = []
        exclusion: list[str] = []
        for item in fields:
            if item.name == "interventions":
                self.intervention_names = [v for value in item.values if (v := clean(value))]
        for item in fields:
            values = item.values
            one = clean(values[0]) if values else None
            name = item.name
            if name == "inclusion":
                inclusion.extend(values)
            elif name == "exclusion":
                exclusion.extend(values)
            elif name == "arms":
                self._arms(values)
            elif name.endswith("_outcomes"):
                self._outcomes(values, coerce_enum(OutcomeKind, name.split("_")[0]) or OutcomeKind.OTHER)
            elif name == "locations":
                self._locations(values)
            elif name in {"brief_summary", "detailed_description"}:
                setattr(self.trial, name, join_text(values))
            elif name in {"conditions", "keywords"}:
                setattr(self.trial, name, dedupe([v for value in values if (v := clean(value))]))
            elif name == "interventions":
                continue
            elif one is not None:
                self._value(name, one, values)
        self._eligibility(inclusion, exclusion)
        self.nct_id_from_text(80)
        partial = "trial locations" not in headings
        if partial:
            last = headings[-1] if headings else (fields[-1].name if fields else "the title")
            self.warnings.append(f"page cut off: it ends in {last!r}, before the trial locations")
        return self.result(partial)

    def _value(self, name: str, one: str, values: list[str]) -> None:
        trial = self.trial
        design = trial.design
        elig = trial.eligibility
        if name == "nct":
            match = NCT_IN_TEXT.search(one)
            trial.nct_id = match[0] if match else trial.nct_id
        elif name == "org_study_id":
            trial.org_study_id = one
        elif name == "lead_sponsor":
            trial.lead_sponsor = Sponsor(name=one)
        elif name == "collaborators":
            trial.collaborators = [Sponsor(name=v) for value in values if (v := clean(value))]
        elif name in {"official_title", "acronym"}:
            setattr(trial, name, one)
        elif name == "status":
            trial.status.overall_status = parse_status(one)
        elif read_design_or_eligibility(name, one, design, elig):
            return
        elif name in {"design", "allocation", "masking", "primary_purpose"}:
            self._design(values)
        elif name in {"start", "primary_completion", "completion"}:
            date = page_date(one)
            if date:
                setattr(trial.status, f"{name}_date", PartialDate(date=date))
        elif name == "last_updated":
            self.record_date = page_record_date(one)
        else:
            self.not_read(name, f"value {one[:60]!r} under an unknown label not read")

    def _design(self, values: list[str]) -> None:
        design = self.trial.design
        for value in (part.strip() for v in values for part in re.split(r"[,;]", v)):
            if not value:
                continue
            if (allocation := coerce_enum(Allocation, value)) is not None:
                design.allocation = allocation
            elif (model := coerce_enum(InterventionModel, value)) is not None:
                design.intervention_model = model
            elif (purpose := coerce_enum(PrimaryPurpose, value)) is not None:
                design.primary_purpose = purpose
            elif (masking := coerce_enum(Masking, value.split("(")[0])) is not None:
                design.masking = masking
            else:
                self.not_read("design", f"study design value {value!r} not read")

    def _eligibility(self, inclusion: list[str], exclusion: list[str]) -> None:
        inc = _criteria_items(inclusion)
        exc = _criteria_items(exclusion)
        if not inc and not exc:
            return
        parts = []
        if inc:
            parts.append("Inclusion Criteria:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(inc, 1)))
        if exc:
            parts.append("Exclusion Criteria:\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(exc, 1)))
        elig: Eligibility = self.trial.eligibility
        elig.criteria_text = "\n\n".join(parts)
        elig.inclusion, elig.exclusion = inc, exc

    # -- tables --------------------------------------------------------------------------------------

    def _arms(self, values: list[str]) -> None:
        # Names the page lists, then names other records know that the table's text holds.
        names = self.intervention_names + _known_names_in(" ".join(values), self.known())
        rows = _arm_rows(values, names)
        if any(_run_on(label) or _run_on(name) for label, name, _ in rows):
            # A label or an intervention that runs over a sentence's end is cells not told apart: the
            # table stays unread (the page keeps its text) rather than arms made up of a guess.
            self.not_read("arms", "arms table: rows and cells not told apart; kept unread")
            self.trial.interventions = [Intervention(name=name) for name in self.intervention_names]
            return
        arms: dict[str, Arm] = {}
        interventions: dict[str, Intervention] = {}
        for label, name, description in rows:
            arm = arms.get(label)
            if arm is None:
                arm = arms[label] = Arm(label=label, description=description)
            if not name:
                continue
            kind = None
            match = re.match(r"^([A-Za-z /]+):\s*(.+)$", name)
            if match and parse_intervention_type(match[1]) is not None:
                kind, name = parse_intervention_type(match[1]), match[2].strip()
            item = interventions.get(name)
            if item is None:
                item = interventions[name] = Intervention(name=name, type=kind)
            if label not in item.arm_labels:
                item.arm_labels.append(label)
            arm.intervention_names.append(intervention_label(item.type, name))
        self.trial.arms = list(arms.values())
        listed = [Intervention(name=name) for name in self.intervention_names if name not in interventions]
        self.trial.interventions = list(interventions.values()) + listed
        if values and not rows:
            self.not_read("arms", "arms table not read")

    def _outcomes(self, values: list[str], kind: OutcomeKind) -> None:
        for measure, time_frame, description in _outcome_rows(values, self.known):
            self.trial.outcomes.append(
                Outcome(kind=kind, measure=measure, time_frame=time_frame, description=description)
            )
        if values and not any(o.kind == kind for o in self.trial.outcomes):
            self.not_read("outcomes", f"{kind.value.lower()} outcome table not read")

    def _locations(self, values: list[str]) -> None:
        locations: list[Location] = []
        pending: str | None = None
        for value in values:
            flagged = FLAG.match(value)
            place = FLAG.sub("", value).strip()
            status = parse_status(place)
            if status is not None and locations:
                locations[-1].status = status
            elif flagged or (pending is not None and "," in place):
                city, state, country = parse_place(place)
                locations.append(Location(facility=pending, city=city, state=state, country=country))
                pending = None
            else:
                if pending is not None:
                    locations.append(Location(facility=pending))
                pending = clean(value)
        if pending is not None:
            locations.append(Location(facility=pending))
        self.trial.locations = locations


def _run_on(cell: str) -> bool:
    """Does ``cell`` hold more than a label or a name can: a sentence's end inside, or many words?"""
    return len(cell.split()) > 14 or bool(re.search(r"[a-z)]{2}[.;] [A-Z]", cell))


def _known_names_in(text: str, knowledge: PageKnowledge) -> list[str]:
    """The intervention names ``knowledge`` holds that ``text`` spells out, as the text spells them."""
    words = text.split()
    found: list[str] = []
    for start in range(len(words)):
        for end in range(min(len(words), start + MAX_NAME_WORDS), start, -1):
            name = " ".join(words[start:end])
            if knowledge.is_intervention(name):
                found.append(name)
                break
    return dedupe(found)


def _criteria_items(lines: list[str]) -> list[str]:
    """Criteria items from text that lost its list markup: "first; 2. second 3. third"."""
    items: list[str] = []
    for line in lines:
        text = clean(line) or ""
        cuts = [0]
        number = 2
        # The list's numbers survive in the text: cut before "2.", then "3." after it, and so on.
        while match := re.compile(rf"(?:^|\s){number}[.)]\s+(?=\S)").search(text, cuts[-1]):
            cuts.append(match.start())
            number += 1
        cuts.append(len(text))
        for start, end in itertools.pairwise(cuts):
            item = (
                re.sub(r"^\s*1[.)]\s+", "", text[start:end].strip())
                if start == 0
                else text[start:end].strip()
            )
            item = re.sub(r"^\d{1,2}[.)]\s+", "", item).strip().rstrip(";").strip()
            if item:
                items.append(item)
    return items


_ARM_HEADER = re.compile(r"^\s*group\s+intervention\s+description\s*", re.IGNORECASE)
_LABEL_TAIL = re.compile(r"^(?:[IVX]{1,4}|[A-Z]|\d{1,3}[A-Za-z]?|[a-z])[:.)]?$")


def _arm_rows(values: list[str], names: list[str]) -> list[tuple[str, str, str | None]]:
    """``(arm label, intervention, arm description)`` rows of the flattened arms table.

    A row is the arm's label, one of its interventions and the arm's description, run together. Rows of
    one arm share their label and description; labels of a table often share a pattern ("Arm A", "Arm
    B"); an intervention is often named in its arm's label. Known intervention names (from the page's
    "Interventions" list) settle the split outright.
    """
    lines = [_ARM_HEADER.sub("", value).strip() for value in values]
    lines = [line for line in lines if line]
    rows: list[tuple[str, str, str | None]] = []
    if lines and all(split_cells(line) is not None for line in lines):
        for line in lines:
            cells = (split_cells(line) or []) + ["", ""]
            rows.append((cells[0], cells[1], clean(cells[2])))
        return rows
    texts = [row for line in lines for row in _split_arm_rows(line)]
    first_words = {row.split()[0] for row in texts if row.split()}
    shared_word = next(iter(first_words)) if len(first_words) == 1 and len(texts) > 1 else None
    grouped = _group_rows(texts)
    known = list(names) + [name for _, name, _ in grouped.values() if name]
    for index, text in enumerate(texts):
        if index in grouped:
            label, name, description = grouped[index]
            rows.append((label, name, clean(description)))
            continue
        label, name, loose = _split_row(text, known, shared_word)
        rows.append((label, name, clean(loose)))
    return rows


def _shared_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many words two rows share at their start, and then at their end (never overlapping)."""
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def _group_rows(rows: list[str]) -> dict[int, tuple[str, str, str]]:
    """Rows of one arm: same label and description around short intervention names (the rows of one
    arm need not be next to each other: the site orders rows by intervention, as seed 004 shows)."""
    found: dict[int, tuple[str, str, str]] = {}
    for index, other in itertools.combinations(range(len(rows)), 2):
        a, b = rows[index].split(), rows[other].split()
        prefix, suffix = _shared_ends(a, b)
        middle_a, middle_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
        short = all(
            0 < len(m) <= 10 and not any(w.endswith(".") for w in m[:-1]) for m in (middle_a, middle_b)
        )
        if prefix >= 1 and suffix >= 3 and short:
            label = " ".join(a[:prefix])
            description = " ".join(a[len(a) - suffix :])
            found.setdefault(index, (label, " ".join(middle_a), description))
            found.setdefault(other, (label, " ".join(middle_b), description))
    return found


def _split_row(text: str, names: list[str], shared_word: str | None) -> tuple[str, str, str | None]:
    """``(label, intervention, description)`` of one row run together."""
    words = text.split()
    # "R115777 R115777 300mg/dose…": the arm is named after its intervention.
    for size in range(min(8, len(words) // 2), 0, -1):
        if [w.lower() for w in words[:size]] == [w.lower() for w in words[size : 2 * size]]:
            rest = " ".join(words[2 * size :])
            return " ".join(words[:size]), " ".join(words[size : 2 * size]), rest or None
    head, description = _head_and_description(text, names)
    label, name = _label_and_intervention(head, names, shared_word)
    rest_words = name.split()
    # "001 Gemcitabine with R115777 Gemcitabine with R115777 R115777 200 mg…": the description repeats
    # the intervention's name.
    for size in range(min(8, len(rest_words) // 2), 0, -1):
        if rest_words[:size] == rest_words[size : 2 * size]:
            tail = " ".join(rest_words[size:])
            return label, " ".join(rest_words[:size]), f"{tail} {description or ''}".strip() or None
    return label, name, description


def _head_and_description(text: str, names: list[str]) -> tuple[str, str | None]:
    for name in sorted(names, key=len, reverse=True):
        at = text.find(f" {name} ")
        if at >= 0:
            cut = at + len(name) + 1
            return text[:cut].strip(), text[cut:].strip() or None
    head, description = _intervention_and_description(text)
    return head, description


def _label_and_intervention(head: str, names: list[str], shared_word: str | None) -> tuple[str, str]:
    words = head.split()
    if not words:
        return "", ""
    for name in sorted(names, key=len, reverse=True):
        if head.endswith(" " + name):
            return head[: -len(name)].strip(), name
    if shared_word is not None and words[0] == shared_word:
        size = 1
        while size < len(words) - 1 and size < 3 and _LABEL_TAIL.match(words[size]):
            size += 1
        size = _with_parenthesis(words, size)
        if size < len(words):
            return " ".join(words[:size]), " ".join(words[size:])
    if ":" in head:
        label, _, name = head.partition(":")
        if label.strip() and name.strip():
            return label.strip(), name.strip()
    # An intervention is often named in its arm's label ("Placebo Placebo", "Drug X 10 mg Drug X").
    for cut in range(1, len(words)):
        if words[cut].lower() == words[0].lower() and len(words) - cut <= cut + 1:
            return " ".join(words[:cut]), " ".join(words[cut:])
    size = 1
    while size < len(words) - 1 and size < 3 and _LABEL_TAIL.match(words[size]):
        size += 1
    if size < len(words) and (_LABEL_TAIL.match(words[size - 1]) or len(words) == 2):
        size = _with_parenthesis(words, size)
        if size < len(words):
            return " ".join(words[:size]), " ".join(words[size:])
    return head, ""


def _with_parenthesis(words: list[str], size: int) -> int:
    """A label's size taken over the bracketed words that follow it ("Arm I (celecoxib)"), where they
    close before the last word."""
    if size < len(words) and words[size].startswith("("):
        for end in range(size, len(words) - 1):
            if ")" in words[end]:
                return end + 1
    return size


def _split_arm_rows(line: str) -> list[str]:
    """Rows a save ran together on one line.

    A row starts where the first row's label comes back: its first word after a sentence ("Arm I …
    Arm II …"), or the whole of a label of several words anywhere ("Patients with CML cyclophosphamide
    … Patients with CML filgrastim …": an arm's rows repeat its label). Then a description read twice
    (the shared tail of rows with one label) ends a row wherever else it is read.
    """
    words = line.split()
    if not words:
        return []
    starts = {0}
    for index, word in enumerate(words):
        if index and word == words[0] and words[index - 1].endswith((".", ";", ")")):
            following = words[index + 1] if index + 1 < len(words) else ""
            if _LABEL_TAIL.match(following) or following[:1].isupper():
                starts.add(index)
    label = _repeated_prefix(words)
    if label > 1:
        starts.update(_occurrences(words, words[:label]))
    bounds = [*sorted(starts), len(words)]
    rows = [words[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    return [" ".join(row) for row in _split_after_descriptions(rows)]


def _occurrences(words: list[str], phrase: list[str]) -> list[int]:
    """Where ``phrase`` starts again in ``words`` (after its first place, not overlapping)."""
    found: list[int] = []
    index = len(phrase)
    while index <= len(words) - len(phrase):
        if words[index : index + len(phrase)] == phrase:
            found.append(index)
            index += len(phrase)
        else:
            index += 1
    return found


def _repeated_prefix(words: list[str]) -> int:
    """How many of the first words come back, all together, later in the line (0: none)."""
    best = 0
    for size in range(1, min(12, len(words) // 2) + 1):
        if _occurrences(words, words[:size]):
            best = size
        else:
            break
    return best


def _split_after_descriptions(rows: list[list[str]]) -> list[list[str]]:
    """Rows cut again after a description that two rows with one label end with, where a third row
    runs on past it into the next row ("Arm 1 radiation therapy <description of arm 1> Arm 2 …")."""
    for _ in range(4):
        tails: list[list[str]] = []
        for a, b in itertools.combinations(rows, 2):
            prefix, suffix = _shared_ends(a, b)
            middles = (len(a) - prefix - suffix, len(b) - prefix - suffix)
            # One arm's two rows: a label, a short intervention name each, and the same description.
            if prefix >= 1 and suffix >= 3 and all(0 < m <= 10 for m in middles):
                tails.append(a[len(a) - suffix :])
        cut: list[list[str]] = []
        changed = False
        for row in rows:
            for tail in sorted(tails, key=len, reverse=True):
                at = next(
                    (
                        i
                        for i in range(1, len(row) - len(tail))
                        if row[i : i + len(tail)] == tail and row[i + len(tail)][:1].isupper()
                    ),
                    None,
                )
                if at is not None:
                    end = at + len(tail)
                    cut += [row[:end], row[end:]]
                    changed = True
                    break
            else:
                cut.append(row)
        rows = cut
        if not changed:
            break
    return rows


def _intervention_and_description(text: str) -> tuple[str, str | None]:
    """Label and intervention are the words before the description's first sentence."""
    words = text.split()
    connectors = {"and", "of", "or", "with", "plus", "+", "&", "/", "in", "the", "for", "vs", "-"}
    for index in range(1, len(words) - 1):
        word, following = words[index], words[index + 1]
        if (
            word[:1].isupper()
            and word[1:].islower()
            and following.islower()
            and following.isalpha()
            and following not in connectors
        ):
            return " ".join(words[:index]), clean(" ".join(words[index:]))
    return text, None


_OUTCOME_HEADER = re.compile(r"^\s*name\s+time\s+method\s*", re.IGNORECASE)


def _outcome_rows(
    values: list[str], known: Callable[[], PageKnowledge] = PageKnowledge.empty
) -> list[tuple[str, str | None, str | None]]:
    """``(measure, time frame, description)`` rows of the flattened "Name Time Method" table."""
    lines = [_OUTCOME_HEADER.sub("", value).strip() for value in values]
    lines = [line for line in lines if line]
    rows: list[tuple[str, str | None, str | None]] = []
    if lines and all(split_cells(line) is not None for line in lines):
        for line in lines:
            cells = (split_cells(line) or []) + ["", "", ""]
            if cells[0]:
                rows.append((clean(cells[0]) or cells[0], clean(cells[1]), clean(cells[2])))
        return rows
    # A line ends a row; a line may hold more than one row when the save ran them together.
    for line in lines:
        rows.extend(_outcome_line(line, known))
    return [row for row in rows if row[0]]


def _outcome_line(
    text: str, known: Callable[[], PageKnowledge] = PageKnowledge.empty
) -> list[tuple[str, str | None, str | None]]:
    spans = find_time_frames(text)
    repeated = _repeated_known_frames(text, known) if len(spans) > 1 else []
    if repeated:
        # A time frame other records name that this table repeats ("Up to 5 years" in every row) is a
        # cell wherever it stands: it replaces the shape-read spans it overlaps.
        spans = sorted(repeated + [(a, b) for a, b in spans if not any(a < d and c < b for c, d in repeated)])
    if not spans:
        measure, description = split_measure_description(text)
        return [(clean(measure) or "", None, clean(description))]
    rows: list[tuple[str, str | None, str | None]] = []
    measure_start = 0
    for number, (start, end) in enumerate(spans):
        if number + 1 < len(spans):
            description, next_measure_at = _split_between(text[end : spans[number + 1][0]])
            following = end + next_measure_at
        else:
            description, following = text[end:], len(text)
        measure = text[measure_start:start]
        if not measure.strip() and rows:
            # Two time frames in a row: the second belongs to the previous row ("Baseline 12 months").
            previous = rows.pop()
            rows.append((previous[0], f"{previous[1]} {text[start:end]}".strip(), clean(description)))
        else:
            rows.append((clean(measure) or "", clean(text[start:end]), clean(description)))
        measure_start = following
    return rows


def _repeated_known_frames(text: str, known: Callable[[], PageKnowledge]) -> list[tuple[int, int]]:
    """Character spans of a time frame other records name that stands at least twice in ``text``, each
    followed by a new cell (a capitalised word, or the end). The words every place has before it
    belong to it too ("Up to" before each "16 weeks"); words that differ ("Time to progression") not."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    words = [token for _, _, token in tokens]
    knowledge = known()
    for index in range(len(words)):
        for end in range(min(len(words), index + 10), index + 1, -1):
            phrase = words[index:end]
            if not any(ch.isdigit() for ch in "".join(phrase)) or not knowledge.is_time_frame(
                " ".join(phrase)
            ):
                continue
            size = len(phrase)
            places = [
                i
                for i in range(len(words) - size + 1)
                if words[i : i + size] == phrase and (i + size == len(words) or words[i + size][:1].isupper())
            ]
            if len(places) < 2:
                continue
            before = 0
            while before < 4 and all(
                i - before - 1 >= 0 and words[i - before - 1] == words[places[0] - before - 1] for i in places
            ):
                before += 1
            return [(tokens[i - before][0], tokens[i + size - 1][1]) for i in places]
    return []


def _split_between(text: str) -> tuple[str, int]:
    """``(description of one row, offset where the next row's measure starts)``."""
    if "\n" in text.strip():
        cut = text.rstrip().rfind("\n")
        return text[:cut], cut + 1
    boundaries = [m.end() for m in re.finditer(r"[.;:!?]\s+(?=[A-Z(])", text)]
    if boundaries:
        cut = boundaries[-1]
        return text[:cut], cut
    return "", 0


def parse_layout_c(lines: list[str], known: Callable[[], PageKnowledge] = PageKnowledge.empty) -> PageParse:
    return _Reader(lines, known).parse()
