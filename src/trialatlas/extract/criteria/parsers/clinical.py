"""Infection, medication, procedure and condition rules (vocabulary mentions plus the words around them)."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.drugs import DrugMention, drug_classes, find_drugs
from trialatlas.extract.criteria.logic import EXAMPLES
from trialatlas.extract.criteria.qualifiers import (
    ClassList,
    Dose,
    course_of,
    elliptic_names,
    exempt_routes_after,
    find_classes,
    find_dose,
    is_class_token,
    is_equivalence_reference,
    mention_course,
    qualifier_vocab,
    route_mentions,
    routes_before,
    shared_head_names,
)
from trialatlas.extract.criteria.registry import CriterionContext, register
from trialatlas.extract.criteria.rules import (
    ConditionRule,
    DoseLimit,
    InfectionRule,
    MedicationRule,
    ProcedureRule,
    Rule,
    Window,
)
from trialatlas.extract.criteria.vocab import (
    Matcher,
    Mention,
    broader_concepts,
    condition_matcher,
    infection_matcher,
    procedure_matcher,
)

_LIST_GAP = re.compile(
    r"^(?:[\s,;/]|\band/or\b|\bor\b|\band\b|\bnor\b|\bas\s+well\s+as\b|\bother\b|\([^()]{1,40}\)|\betc\.?)*$",
    re.IGNORECASE,
)
_INFECTION_STATUS = (
    (re.compile(r"\b(?:sero-?positive|positive|reactive|detectable|carrier)\b", re.I), "positive"),
    (re.compile(r"\b(?:active|acute|uncontrolled|current|ongoing)\b", re.I), "active"),
    (re.compile(r"\b(?:chronic|latent)\b", re.I), "chronic"),
)


def _groups(mentions: list[DrugMention], text: str) -> list[list[DrugMention]]:
    """Mentions joined into lists ("tacrolimus, MMF, cyclosporine A or rituximab")."""
    groups: list[list[DrugMention]] = []
    for mention in mentions:
        if groups and _LIST_GAP.match(text[groups[-1][-1].end : mention.start]):
            groups[-1].append(mention)
        else:
            groups.append([mention])
    return groups


# A test's result written against its name ("HIV-negative", "HBsAg-positive", "anti-HCV-seronegative"):
# the hyphen joins two words, not one name, so the result is read as the word after its own test.
_RESULT_HYPHEN = re.compile(
    r"(?<=[A-Za-z0-9])-(?=(?:sero-?)?(?:negative|positive|reactive|nonreactive|non-reactive)\b)", re.I
)


# A negative result joined to its own test ("HIV-negative", "HIV seronegative", "(HBsAg-)"): the test's
# own result. NegEx reads no cue there (a hyphenated "negative" is a word's own, as in "triple-negative
# breast cancer"), and a result written apart ("HIV negative") is left to its cue.
_OWN_NEGATIVE = re.compile(r"-(?:sero-?)?negative\b|\s*sero-?negative\b|-(?=\s*[,;)]|\s*$)", re.I)


def _results_apart(text: str) -> str:
    """``text`` with the hyphen between a test and its result read as a space of the same length."""
    return _RESULT_HYPHEN.sub(" ", text) if "-" in text else text


def infection_mentions(text: str) -> list[Mention]:
    """The infections a text names, in a criterion as in a note, with those a list leaves implicit
    ("Hepatitis B and C") and those written against their result ("HIV-negative"; the spans are the
    text's own)."""
    matcher = infection_matcher()
    read = _results_apart(text)
    return with_elliptic(read, matcher.find(read), matcher)


@register("infection", priority=40)
def parse_infection(context: CriterionContext) -> list[Rule]:
    text = context.text
    rules: list[Rule] = []
    mentions = [m for m in infection_mentions(text) if not context.is_claimed(m.start, m.end)]
    seen: set[str] = set()
    for mention in mentions:
        # "Hepatitis B surface antigen or / and Hepatitis B e antigen": one rule per pathogen and clause;
        # a test's own negative result is another ("HIV-positive … or HIV-seronegative": either).
        own = _OWN_NEGATIVE.match(text, mention.end)
        clause = text[max(0, mention.start - 60) : mention.end + 60]
        key = f"{mention.concept}:{_clause_index(text, mention.start)}:{own is not None}"
        context.claim(mention.start, mention.end)
        if key in seen:
            continue
        seen.add(key)
        status = "any"
        for pattern, label in _INFECTION_STATUS:
            if pattern.search(clause):
                status = label
                break
        # The result joined to its test is read with it ("HIV-negative" as a whole).
        end = own.end() if own is not None else mention.end
        context.claim(mention.start, end)
        rule = InfectionRule(
            span=context.span(mention.start, end),
            pathogen=mention.concept,
            status=status,
            name=mention.text,
        )
        if own is not None:
            # "HIV-negative, HBsAg-": each test is denied by its own result (the cue names its test,
            # so two results are never read as one negation over both).
            rule.negated = True
            rule.negation_cue = f"{mention.text} {own.group(0).strip(' -').lower() or 'negative'}"
        rules.append(rule)
    return rules


def with_elliptic(text: str, mentions: list[Mention], matcher: Matcher) -> list[Mention]:
    """The mentions plus those a list leaves implicit: "Hepatitis B and C" names hepatitis C too."""
    extra: list[Mention] = []
    for mention in mentions:
        for start, end, name in elliptic_names(text, mention.start, mention.end):
            concept = matcher.concept_of(name)
            if concept is not None and not any(m.start <= start < m.end for m in mentions):
                extra.append(Mention(start, end, text[start:end], concept))
    return sorted([*mentions, *extra], key=lambda m: m.start) if extra else mentions


def _clause_index(text: str, position: int) -> int:
    return len(re.findall(r"[.;]\s", text[:position]))


_ALLERGY = re.compile(r"\b(?:allerg\w*|hypersensitiv\w*|anaphyla\w*|sensiti[sz]ed|sensitivity)\b", re.I)
_INTOLERANCE = re.compile(
    r"\b(?:intoleran\w*|contraindicat\w*|not\s+tolerate\w*|(?:inability|unable)\s+to\s+tolerate|adverse\s+reaction)",
    re.I,
)
_FAILURE = re.compile(
    r"\b(?:fail\w*\s+to\s+respond|failure|refractory|resistan\w*|inadequate\s+response|non-?respon\w*)", re.I
)
# "Discontinued an antidepressant less than 1 month ago": the stop is asked about, not the taking.
_DISCONTINUED = re.compile(r"\b(?:discontinu\w*|stopped|ceased)\b", re.I)
_STABLE = re.compile(r"\bstable\s+(?:dose|regimen|medication|treatment)", re.I)
_CURRENT = re.compile(
    r"\b(?:current(?:ly)?|concurrent\w*|ongoing|concomitant|receiving|taking|on\s+(?:a\s+)?|"
    r"under\s+treatment|treated\s+with|requiring|require[sd]?|need\s+of|use\s+of|using)\b",
    re.I,
)


# "Steroid resistant nephrotic syndrome", "insulin dependent diabetes", "platinum sensitive disease":
# the drug names a kind of the disease that follows, read as the condition's qualifier, not as a
# requirement about the patient's medicines.
_DISEASE_KIND = re.compile(
    r"\s*-?\s*(?:dependent|resistant|sensitive|refractory|responsive)\s+[A-Za-z]", re.IGNORECASE
)


def _dose_limit_before(text: str, start: int) -> DoseLimit | None:
    """A dose threshold written before the drug it limits ("greater than 1 mg/kg/day of prednisone",
    "at least 10 mg daily of methotrexate"): the dose must end right before "of" and the drug, in the
    same clause."""
    clause = max(text.rfind(";", 0, start), text.rfind(". ", 0, start), text.rfind(",", 0, start), 0)
    window = max(clause, start - 60)
    last: Dose | None = None
    position = window
    while (dose := find_dose(text, position, start)) is not None:
        last, position = dose, dose.end
    if last is None or last.operator is None or not _OF_DRUG.fullmatch(text, last.end, start):
        return None
    return DoseLimit(
        operator=last.operator,
        mg=last.mg,
        basis=last.basis,
        daily=last.daily,
        text=text[last.start : last.end].strip(),
        equivalent_of=None,
        end=None,
    )


_OF_DRUG = re.compile(r"\s+of\s+(?:the\s+)?(?:oral\s+|intravenous\s+|systemic\s+)?", re.IGNORECASE)


def _dose_limit(text: str, end: int) -> DoseLimit | None:
    """A dose threshold right after the drugs ("corticosteroids > 20 mg/m²/day", "prednisone at a dose
    of at least 0.5 mg/kg", "steroids (>10 mg prednisone or equivalent/day)"): without an operator a
    dose is a description, not a limit."""
    stop = re.search(r"[;.]\s|\b(?:or|and)\s+(?=[a-z]{3})(?!equivalent)", text[end : end + 45], re.IGNORECASE)
    limit = end + (stop.start() if stop else 45)
    dose = find_dose(text, end, min(len(text), limit))
    if dose is None or dose.operator is None:
        return None
    daily, dose_end = dose.daily, dose.end
    reference = None
    equivalent = _EQUIVALENT.match(text, dose.end)
    drugs = [m.drug for m in find_drugs(equivalent["drug"]) if m.drug is not None] if equivalent else []
    if equivalent is not None and not equivalent["equivalent"]:
        # Only a drug other doses are counted in: "≥ 1000 mg/m2 cisplatin" after gemcitabine is not.
        drugs = [d for d in drugs if is_equivalence_reference(d)]
    # "> 10 mg prednisone/day" as much as "> 10 mg prednisone or equivalent": the drug named in the
    # dose is the unit the dose is counted in, not a second drug asked about.
    if equivalent is not None and (drugs or equivalent["equivalent"]):
        reference = drugs[0] if drugs else None
        daily = daily or bool(equivalent["daily"])
        dose_end = equivalent.end()
    return DoseLimit(
        operator=dose.operator,
        mg=dose.mg,
        basis=dose.basis,
        daily=daily,
        text=text[dose.start : dose_end].strip(),
        equivalent_of=reference,
        end=dose_end,
    )


_EQUIVALENT = re.compile(
    r"\s*(?:of\s+)?(?P<drug>[A-Za-z]+)(?P<equivalent>\s+or\s+(?:its\s+)?(?:equivalent|equivalent\s+dose)s?"
    r"|\s*-\s*equivalents?(?:\s+dose)?)?"
    r"(?:\s*(?P<daily>/\s*d(?:ay)?\b|per\s+day|daily|a\s+day))?",
    re.IGNORECASE,
)


# "Abuse alcohol or drugs", "are abusing drugs or alcohol", "actively abuse substances": a verb of
# abuse with its objects is the condition the noun phrase names ("alcohol abuse", "drug abuse"), each
# object composed with the verb's noun; its present tense asks about now. "Abuse of alcohol" is the noun.
_ABUSE_VERB = re.compile(r"\b(?:abus|misus)(?:e|es|ing)\b(?P<of>\s+of)?", re.IGNORECASE)
_ABUSED_ITEM = re.compile(
    r"\s*(?:,\s*)?(?:(?:and/or|or|and|nor)\s+)?(?:(?:other|illicit|illegal|street|recreational)\s+)?"
    r"(?P<word>[A-Za-z]+)",
    re.IGNORECASE,
)


def _abused_objects(text: str) -> list[tuple[int, int, str, str, bool]]:
    """The objects of each verb of abuse: (start, end, the composed name, its concept, said in the
    present tense). The list ends at the first word that composes to no known condition."""
    matcher = condition_matcher()
    found: list[tuple[int, int, str, str, bool]] = []
    for verb in _ABUSE_VERB.finditer(text):
        noun = "misuse" if verb.group(0).lower().startswith("misus") else "abuse"
        position = verb.end()
        while (item := _ABUSED_ITEM.match(text, position)) is not None:
            word = item["word"].lower()
            singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
            name = next(
                (n for n in (f"{singular} {noun}", f"{word} {noun}") if matcher.concept_of(n) is not None),
                None,
            )
            if name is None:
                break
            concept = matcher.concept_of(name)
            assert concept is not None
            found.append((item.start("word"), item.end("word"), name, concept, verb["of"] is None))
            position = item.end()
    return found


def _in_abuse_objects(text: str, start: int, end: int) -> bool:
    return (
        any(s <= start and end <= e for s, e, *_ in _abused_objects(text))
        if "abus" in text.lower() or ("misus" in text.lower())
        else False
    )


@register("medication", priority=50)
def parse_medication(context: CriterionContext) -> list[Rule]:
    text = context.text
    mentions = [
        m
        for m in find_drugs(text)
        if not context.is_claimed(m.start, m.end)
        and not _DISEASE_KIND.match(text, m.end)
        # The drugs one abuses ("abuse alcohol or drugs") are a condition, not medicines taken.
        and not _in_abuse_objects(text, m.start, m.end)
    ]
    rules: list[Rule] = []
    counted_in = 0  # the end of the last dose whose reference drug ("10 mg prednisone/day") is claimed
    for group in _groups(mentions, text):
        start, end = group[0].start, group[-1].end
        if start < counted_in:
            continue
        clause_start = max(text.rfind(";", 0, start), text.rfind(". ", 0, start), 0)
        lead = text[clause_start:start]
        around = text[clause_start : min(len(text), end + 40)]
        relation = "exposure"
        if _ALLERGY.search(lead) or _ALLERGY.search(text[end : end + 25]):
            relation = "allergy"
        elif _INTOLERANCE.search(lead) or _INTOLERANCE.search(text[end : end + 25]):
            relation = "intolerance"
        elif _FAILURE.search(lead):
            relation = "failure"
        elif _DISCONTINUED.search(lead):
            relation = "discontinued"
        elif _STABLE.search(around):
            relation = "stable_dose"
        elif _CURRENT.search(lead[-40:]):
            relation = "current"
        names = [m.drug for m in group if m.drug is not None]
        class_names = [m.drug_class for m in group if m.drug_class is not None]
        drug_class = class_names[0] if class_names else None
        if drug_class is None and len(names) == 1:
            classes_of_drug = drug_classes(names[0])
            drug_class = classes_of_drug[0] if classes_of_drug else None
        for mention in group:
            context.claim(mention.start, mention.end)
        dose = _dose_limit(text, end) or _dose_limit_before(text, start)
        if dose is not None and dose.equivalent_of is not None and dose.end is not None:
            counted_in = dose.end
            context.claim(end, dose.end)
        exempt, exempt_end = exempt_routes_after(text, end)
        if exempt:
            context.claim(end, exempt_end)
        # The route may be before the medicine or inside a class's own name ("systemic corticosteroids").
        routes = list(routes_before(text, start))
        routes += [r for _, _, named in route_mentions(text, start, end) for r in named if r not in routes]
        rules.append(
            MedicationRule(
                span=context.span(start, end),
                name=text[start:end],
                drugs=list(dict.fromkeys(names)),
                drug_class=drug_class,
                named_classes=list(dict.fromkeys(class_names)),
                relation=relation,
                dose=dose,
                routes=routes,
                exempt_routes=list(exempt),
            )
        )
    return rules


@register("procedure", priority=60)
def parse_procedure(context: CriterionContext) -> list[Rule]:
    rules: list[Rule] = []
    for mention in procedure_matcher().find(context.text):
        if context.is_claimed(mention.start, mention.end):
            continue
        context.claim(mention.start, mention.end)
        rules.append(
            ProcedureRule(
                span=context.span(mention.start, mention.end), name=mention.text, concept=mention.concept
            )
        )
    return rules


_QUALIFIERS = re.compile(
    r"\b(?:active|severe|malignant|moderate|mild|uncontrolled|unstable|stable|chronic|acute|recurrent|significant|"
    r"clinically\s+significant|secondary|primary|known|newly\s+diagnosed|confirmed|documented|symptomatic|"
    r"advanced|metastatic|invasive|untreated|refractory|progressive|serious|major|decompensated|"
    r"(?:poorly|inadequately|badly|not\s+(?:well\s+)?)\s*controlled)\b",
    re.IGNORECASE,
)
# "Poorly controlled diabetes" asks what "uncontrolled diabetes" does (one qualifier, one opposite).
_UNCONTROLLED = re.compile(r"(?:poorly|inadequately|badly|not\s+(?:well\s+)?)\s*controlled", re.IGNORECASE)


def _qualifier(word: str) -> str:
    return "uncontrolled" if _UNCONTROLLED.fullmatch(word) else " ".join(word.lower().split())


_MODIFIER_WORD = re.compile(r"[A-Za-z][\w-]*")
_PRE_MODIFIER = re.compile(r"(?:[A-Za-z][\w-]*\s+)?[A-Za-z][\w-]*\s*$")
_CAUSE_WORDS = re.compile(r"cause|etiology|origin", re.IGNORECASE)


def _trailing_words(lead: str) -> list[str]:
    """The (up to two) words right before a name: "steroid-resistant" in "… steroid-resistant "."""
    match = _PRE_MODIFIER.search(lead)
    return _MODIFIER_WORD.findall(match.group(0)) if match else []


_NOT_MODIFIERS = frozenset(
    [
        # Words of an exception or example cue ("other than allergy", "except asthma", "such as
        # gout") end the modifiers: "than" is no kind of allergy.
        "than",
        "except",
        "excluding",
        "unless",
        "including",
        "such",
        "like",
        "a",
        "an",
        "the",
        "of",
        "with",
        "without",
        # The negating prefix ("non-diabetic", "non diabetic") is the negation's cue, not a kind.
        "non",
        "non-",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "who",
        "which",
        "that",
        "patients",
        "patient",
        "subjects",
        "subject",
        "participants",
        "history",
        "diagnosis",
        "diagnosed",
        "known",
        "documented",
        "confirmed",
        "evidence",
        "presence",
        "any",
        "other",
        "current",
        "currently",
        "previous",
        "prior",
        "past",
        "existing",
        "pre-existing",
        "concomitant",
        "clinical",
        "clinically",
        "suspected",
        "suffering",
        "from",
        "including",
        "such",
        "e.g",
        "i.e",
        "no",
        "not",
        "none",
        "free",
        "newly",
        "from",
        "those",
        "individuals",
        "people",
        "persons",
        "women",
        "men",
        "female",
        "male",
        "children",
        "adults",
        "age",
        "years",
        "signs",
        "symptoms",
    ]
)
_CAUSE_OF = re.compile(
    r"(?P<word>[A-Za-z][\w-]*)\s+(?:causes?|etiology|aetiology|origin)\s+(?:of|for)\s*$", re.I
)
_FREE_CONDITION = re.compile(
    r"\b(?:history\s+of|diagnos(?:is|ed)\s+(?:of|with)|patients?\s+with|subjects?\s+with|presence\s+of|suffering\s+from|"
    r"evidence\s+of|known|confirmed|documented)\s+(?P<name>[a-z][a-z\- ']{3,60}?)"
    r"(?=\s*(?:[,;.()]|\bor\b|\band\b|\bwith\b|\bwho\b|\bthat\b|\bwithin\b|\bin\b|\bdefined\b|\bas\b|$))",
    re.IGNORECASE,
)


def _head_of_claimed(context: CriterionContext, mention: Mention) -> bool:
    """Whether a generic head noun ends a list another parser read: "Hepatitis B or C infection" is
    two infections, not two infections and an infection of any kind."""
    if mention.concept not in _HEAD_CONCEPTS:
        return False
    before = context.text[: mention.start].rstrip(" -")
    return any(end == len(before) for _, end in context.claimed)


_HEAD_CONCEPTS = frozenset({"infection"})
# "smoking cessation therapy", "tuberculosis prophylaxis": a condition's name inside the name of what
# treats or prevents it is not the condition.
_NAMES_A_TREATMENT = re.compile(
    r"\s*(?:cessation|prophylaxis|prevention|vaccines?|vaccination|screening\s+program|medications?|drugs?)\b",
    re.IGNORECASE,
)
_HAS_OBJECT = frozenset({"allergy"})
_OBJECT = re.compile(
    r"\s+(?:to|against|towards)\s+(?:the\s+|an?\s+)?(?P<object>[A-Za-z][\w-]+)"
    r"(?!\s*(?:,|/|\bor\b|\band\b|\w))",
    re.IGNORECASE,
)
_CLASS_HINT = re.compile(r"class|type|stage|grade|categor", re.IGNORECASE)


def _clause_start(text: str, position: int) -> int:
    cut = max(text.rfind(";", 0, position), text.rfind(". ", 0, position), text.rfind("(", 0, position))
    return cut + 1 if cut >= 0 else 0


def class_owners(text: str, mentions: list[Mention], classes: list[ClassList]) -> dict[int, ClassList]:
    """Which condition each class list belongs to: the nearest mention in its clause, within 50
    characters, the one after it first ("classes I, II and VI LN"), a list inside a name ("type 2
    diabetes") belonging to no other."""
    owners: dict[int, ClassList] = {}
    for found in classes:
        if any(m.start <= found.start and found.end <= m.end for m in mentions):
            continue
        best: tuple[int, int] | None = None
        for position, mention in enumerate(mentions):
            if mention.start >= found.end:
                gap = text[found.end : mention.start]
            elif mention.end <= found.start:
                gap = text[mention.end : found.start]
            else:
                continue
            if len(gap) > 50 or re.search(r"[;.]\s|[;.]$", gap):
                continue
            distance = len(gap) if mention.start >= found.end else len(gap) + 1
            if best is None or distance < best[0]:
                best = (distance, position)
        if best is not None and best[1] not in owners:
            owners[best[1]] = found
    return owners


def _carry_stage_along_list(
    text: str, mentions: list[Mention], owners: dict[int, ClassList], rules: list[Rule]
) -> None:
    """A stage written once before a list of cancers is each one's: "stage IIIC or IV ovarian
    epithelial carcinoma, peritoneal carcinoma, or fallopian tube carcinoma" asks stage IIIC or IV of
    all three, so a stage II fallopian tube carcinoma does not meet it."""
    for position, owned in owners.items():
        if owned.kind != "stage" or owned.end > mentions[position].start:
            continue
        for following in range(position + 1, len(mentions)):
            gap = text[mentions[following - 1].end : mentions[following].start]
            rule = rules[following] if following < len(rules) else None
            if (
                following in owners
                or _LIST_GAP.match(gap) is None
                or ";" in gap  # a new clause
                or not isinstance(rule, ConditionRule)
                or rule.concept is None
                or "cancer" not in broader_concepts(rule.concept)
            ):
                break
            rule.classes, rule.class_kind = list(owned.values), owned.kind


@cache
def _other_staging() -> re.Pattern[str]:
    """Staging systems of things other than a cancer, right before a stage (``other_stagings``)."""
    words = "|".join(qualifier_vocab()["other_stagings"])
    return re.compile(rf"(?<![\w-])(?:{words})\s*(?:\([^()]{{0,12}}\)\s*)?$", re.IGNORECASE)


# The words that may follow a stage naming no condition: "Stage III or IV disease".
_STAGED_HEAD = re.compile(r"\s*(?:disease|cancer|tumou?rs?|malignancy)\b", re.IGNORECASE)


def _stages_of_the_disease(
    context: CriterionContext, mentions: list[Mention], classes: list[ClassList], owners: dict[int, ClassList]
) -> list[Rule]:
    """A stage list that no condition owns ("Stage III or IV disease", "FIGO stage III-IV") stages the
    disease under study, which a trial's stage criteria are about: a cancer. It is read as the stage
    of the patient's cancer, so a kidney disease's "stage 3" never answers it, and a patient whose
    cancer is not staged is unknown. Grades and classes are left alone: they grade many things."""
    owned = {id(found) for found in owners.values()}
    rules: list[Rule] = []
    for found in classes:
        if found.kind != "stage" or id(found) in owned:
            continue
        if any(m.start <= found.start and found.end <= m.end for m in mentions):
            continue
        if context.is_claimed(found.start, found.end):
            continue
        if _other_staging().search(context.text, max(0, found.start - 30), found.start):
            continue  # "Tanner stage II-IV": another thing's stage, not the cancer's
        end = found.end
        head = _STAGED_HEAD.match(context.text, end)
        if head is not None:
            end = head.end()
        context.claim(found.start, end)
        rules.append(
            ConditionRule(
                span=context.span(found.start, end),
                name=f"stage {', '.join(found.values)} cancer",
                concept="cancer",
                classes=list(found.values),
                class_kind="stage",
            )
        )
    return rules


def _shared_heads(context: CriterionContext, mentions: list[Mention], rules: list[Rule]) -> list[Rule]:
    """The conditions a list names by sharing a condition's head ("cardiac, renal or hepatic
    disease", "alcohol or drug abuse"): each a copy of that condition's rule (its qualifiers, course
    and context) for the concept the vocabulary knows by the composed name. A word of the list that
    already is a mention, or whose composed name the vocabulary does not know, adds nothing."""
    matcher = condition_matcher()
    extra: list[Rule] = []
    for mention, rule in zip(mentions, rules, strict=False):
        for start, end, names in shared_head_names(context.text, mention.start, mention.end):
            if context.is_claimed(start, end):
                continue
            found = next(((name, c) for name in names if (c := matcher.concept_of(name)) is not None), None)
            if found is None:
                continue
            context.claim(start, end)
            extra.append(
                rule.model_copy(
                    update={"span": context.span(start, end), "name": found[0], "concept": found[1]}
                )
            )
    return extra


def _abuse_by_verb(context: CriterionContext) -> list[Rule]:
    """The conditions a verb of abuse names with its objects ("Abuse alcohol or drugs")."""
    lowered = context.text.lower()
    if "abus" not in lowered and "misus" not in lowered:
        return []
    rules: list[Rule] = []
    for start, end, name, concept, present in _abused_objects(context.text):
        if context.is_claimed(start, end):
            continue
        context.claim(start, end)
        span = context.span(start, end)
        rules.append(
            ConditionRule(
                span=span,
                name=name,
                concept=concept,
                # "Abuse alcohol": the present tense asks about now, as "current alcohol abuse" does.
                window=Window(span=span, relation="current") if present else None,
            )
        )
    return rules


def _course_of_the_examples_head(text: str, position: int) -> frozenset[str]:
    """The course of the class a list of examples illustrates, for an example that states none: "SLE
    with active vital organ disease, including … lupus nephritis" asks for active nephritis."""
    sentence = max(text.rfind(";", 0, position), text.rfind(". ", 0, position)) + 1
    cues = list(EXAMPLES.finditer(text, sentence, position))
    if not cues:
        return frozenset()
    return course_of(text[sentence : cues[0].start()])


@register("condition", priority=70)
def parse_condition(context: CriterionContext) -> list[Rule]:
    text = context.text
    rules: list[Rule] = _abuse_by_verb(context)
    mentions = [
        m
        for m in condition_matcher().find(text)
        if not context.is_claimed(m.start, m.end)
        and not _head_of_claimed(context, m)
        and not _NAMES_A_TREATMENT.match(text, m.end)
    ]
    # "Lupus encephalopathy", "diabetic nephropathy": a name written straight before another (a space
    # between, no comma or conjunction) modifies it; the compound is one disease, named by its head
    # (the last name), and the modifier stays among the head's qualifiers, not a disease of its own.
    mentions = [
        m
        for m, after in zip(mentions, [*mentions[1:], None][: len(mentions)], strict=True)
        if after is None or after.start <= m.end or text[m.end : after.start] != " "
    ]
    classes = find_classes(text) if _CLASS_HINT.search(text) else []
    owners = class_owners(text, mentions, classes)
    previous_end = 0
    for position, mention in enumerate(mentions):
        lead = text[max(0, mention.start - 40) : mention.start]
        # The course ("previous history of treatment and relapse of") is read back to the clause's start
        # or the previous condition, whichever is nearer: a list's items do not share it.
        course_start = max(previous_end, mention.start - 60, _clause_start(text, mention.start))
        course = sorted(
            mention_course(
                text[course_start : mention.end],
                mention.start - course_start,
                len(text[course_start : mention.end]),
                mention.concept,
            )
        )
        previous_end = mention.end
        if not course:
            course = sorted(_course_of_the_examples_head(text, mention.start))
        qualifiers = [_qualifier(q.group(0)) for q in _QUALIFIERS.finditer(lead)][-3:]
        # The words right before the name modify it ("steroid-resistant nephrotic syndrome").
        # Only words joined to the name count: a preposition or article before it ends the modifiers
        # ("Seen at the Medical Center for stroke"), and verb forms ("presenting with", "reported")
        # say what happened, not what kind of condition it is.
        for word in reversed(_trailing_words(lead)):
            lowered = word.lower()
            if lowered in _NOT_MODIFIERS or (
                lowered.endswith(("ing", "ed", "ly")) and not lowered.startswith(("un", "non"))
            ):
                break
            if lowered not in qualifiers:
                qualifiers.append(lowered)
        # "A traumatic cause of dyspnea" is about the cause: the patient's dyspnea must be traumatic.
        cause = _CAUSE_OF.search(lead) if _CAUSE_WORDS.search(lead) else None
        if cause and cause["word"].lower() not in _NOT_MODIFIERS:
            qualifiers.append(cause["word"].lower())
        # "Allergy to iodine": what the patient reacts to is part of what is asked; a shellfish
        # allergy is not it. Only a single object no other rule read (a drug's allergy is its own
        # atom) and no list ("to shellfish or iodine" stays the allergy it was).
        if mention.concept in _HAS_OBJECT:
            target = _OBJECT.match(text, mention.end)
            if target and not context.is_claimed(*target.span("object")):
                qualifiers.append(target["object"].lower())
        # "type V LN": class words are read as the class set below, not as qualifiers of the name.
        qualifiers = [q for q in qualifiers if not is_class_token(q)]
        owned = owners.get(position)
        if owned is not None:
            # "Grade 2 or higher neuropathy": the words of the class list are not qualifiers.
            listed = text[owned.start : owned.end].lower()
            qualifiers = [q for q in qualifiers if q not in listed]
        context.claim(mention.start, mention.end)
        rules.append(
            ConditionRule(
                span=context.span(mention.start, mention.end),
                name=mention.text,
                concept=mention.concept,
                qualifiers=qualifiers,
                classes=list(owned.values) if owned else [],
                class_kind=owned.kind if owned else None,
                course=course,
            )
        )
    rules.extend(_shared_heads(context, mentions, rules))
    _carry_stage_along_list(text, mentions, owners, rules)
    rules.extend(_stages_of_the_disease(context, mentions, classes, owners))
    if rules or context.claimed:
        return rules
    for match in _FREE_CONDITION.finditer(text):
        start, end = match.span("name")
        if context.is_claimed(start, end):
            continue
        context.claim(start, end)
        rules.append(ConditionRule(span=context.span(start, end), name=match["name"].strip(), confidence=0.4))
    return rules


__all__ = ["infection_mentions", "parse_condition", "parse_infection", "parse_medication", "parse_procedure"]
