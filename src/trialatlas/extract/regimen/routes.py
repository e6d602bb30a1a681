"""The route of one dose: a route word bound to the drug it stands before ("oral MMF"), else the nearest
unclaimed route word in the dose's words (a specific route before a weak one such as "infusion"), else
the route its dosage form implies; two routes offered as alternatives ("IV or orally") give none. Then, over
all items, a route stated for a drug reaches its doses that state none (`_share_route_by_drug`)."""

from __future__ import annotations

import re

from trialatlas.extract.regimen import lexicon
from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.drugs import Mention
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.not_dose_items import vehicles
from trialatlas.extract.regimen.passes import _ADMINISTERED, _Doc, _unclaimed
from trialatlas.text.packaged import packaged_words

_ROUTE_OR = re.compile(r"\s*(?:or|/|and/or)\s*", re.IGNORECASE)
_BRACKET_GAP = re.compile(r"[\s()]*$")
_NEXT_STEP = re.compile(r"\bthen\b|\bfollowed\s+by\b|\bthereafter\b|;", re.IGNORECASE)
_JOINED = re.compile(r"\b(?:with|and|plus|or|along|together|combined|followed)\b|\+", re.IGNORECASE)
_PERIOD_NEXT = re.compile(r"\.?\s*(?:/|per\s)", re.IGNORECASE)
_LIST_BREAK = re.compile(r"[,;]")
_ROUTE_STRONG_WEAK = {"infusion", "infusions", "infused", "bolus", "venous", "drip infusion"}
# A product's contents introduced by a word of contents_words.txt ("..., including"), or a count of units
# followed by a bracket ("6 capsules of food supplement ... (558 mg EPA, 174 mg DHA ...)"), with nothing
# that starts another statement between.
_CONTENTS_CUE = re.compile(
    r"\b(?:"
    + "|".join(
        sorted(
            (re.escape(w).replace(r"\ ", r"\s+") for w in packaged_words(__package__, "contents_words.txt")),
            key=len,
            reverse=True,
        )
    )
    + r")\b[^.;()]*$",
    re.IGNORECASE,
)
# The bracket opens the count's own statement: no bracket closed, no heading or sentence between ("steroid (1
# pill/d) 6th~18th month: mycophenolate mofetil (1g/d)" starts another period's list).
_CONTENTS_BRACKET = re.compile(r"^[^().;:]*\(\s*$")
_COUNT_UNITS = frozenset({"tablets", "capsules"})


def _bind_routes(doc: _Doc) -> None:
    """A route word just before a drug name ("intravenous belimumab", "oral MMF") belongs to that drug,
    and to the same drug named again in brackets ("Bolus 5-FU (fluorouracil)")."""
    for start, end, route in doc.routes:
        for index, mention in enumerate(doc.mentions):
            # A comma or a semicolon between them ends the statement the route word closes ("metformin 1
            # g/day, BID, PO, Novolin 30R 12 U"): the next drug's name starts another.
            if 0 <= mention.start - end <= 2 and not _LIST_BREAK.search(doc.text, end, mention.start):
                doc.bound_routes[mention.start] = route
                doc.claimed.add(("route", start))
                following = doc.mentions[index + 1] if index + 1 < len(doc.mentions) else None
                if (
                    following is not None
                    and following.info.name == mention.info.name
                    and _BRACKET_GAP.match(doc.text, mention.end, following.start)
                ):
                    doc.bound_routes[following.start] = route
                break


def _route(doc: _Doc, amount: Amount, pre_start: int, post_end: int, mention: Mention | None) -> str | None:
    text = doc.text

    def rank(span: lexicon.Span) -> int:
        word = text[span[0] : span[1]].lower()
        return 1 if word in _ROUTE_STRONG_WEAK else 2

    after = [
        span
        for span in _unclaimed(doc, "route", doc.routes, amount.end, post_end)
        # "Cyclophosphamide 2x60mg/kg + Cells intravenous (IV) + IL-2": a route after the next "+" is said
        # of what that "+" adds; one after "followed by" or "then", of what follows.
        if "+" not in text[amount.end : span[0]]
        and not _NEXT_STEP.search(text, amount.end, span[0])
        # "Prednisone 60 mg daily with methotrexate given intravenously": said of the other drug.
        and not _other_drug_between(doc, amount.end, span[0], mention)
        # "... every 6 hours or an IV dose of Morphine": the route names the next drug's administration.
        and not _said_of_next_drug(doc, span, mention)
    ]
    # "40mg p.o./ day": a route written inside the amount's words, between its unit and its period (not
    # the "sq" of "mg/sq m").
    after[:0] = [
        span
        for span in _unclaimed(doc, "route", doc.routes, amount.start + 1, amount.end)
        if span[1] <= amount.end and _PERIOD_NEXT.match(text, span[1])
    ]
    if mention is not None:
        bound = doc.bound_routes.get(mention.start)
        if bound is None:
            for other in doc.mentions:
                # "1500mg/d once daily oral Lapatinib": the drug named again, with its route, in the
                # dose's words.
                if (
                    other.info.name == mention.info.name
                    and other.start in doc.bound_routes
                    and pre_start <= other.start < post_end
                ):
                    bound = doc.bound_routes[other.start]
                    break
        if bound is not None:
            # "Intravenous MMF 1 g twice daily for 5 days, then 1.5 g orally": a route the dose's own words
            # state is this dose's, whatever route the drug's name was given first.
            own = next((span for span in after if rank(span) == 2), None)
            if own is None:
                return bound
            doc.claimed.add(("route", own[0]))
            return own[2]
    before = [
        span
        for span in _unclaimed(doc, "route", doc.routes, pre_start, amount.start)
        if not _said_of_part_before(doc, span, amount.start, mention)
        and not _said_of_next_drug(doc, span, mention)
    ]
    best: lexicon.Span | None = None
    for level in (2, 1):
        candidates = [s for s in after if rank(s) == level]
        if candidates:
            best = candidates[0]
            break
        candidates = [s for s in before if rank(s) == level]
        if candidates:
            best = candidates[-1]
            break
    if best is not None:
        doc.claimed.add(("route", best[0]))
        # "2 mg/kg intravenous every 12 hours continuous intravenous or by mouth (PO)": the route said
        # again in the dose's words with another offered beside it.
        alternative = next(
            (
                found
                for span in doc.routes
                if span[2] == best[2] and pre_start <= span[0] < post_end
                for found in [_alternative_route(doc, span)]
                if found is not None
            ),
            None,
        )
        if alternative is not None:
            # "8 mg IV or orally": either route, so neither is the dose's (the spec).
            doc.claimed.add(("route", alternative[0]))
            return None
        return best[2]
    forms = [
        s
        for s in doc.forms
        if pre_start <= s[0]
        and s[1] <= post_end
        and not (s[1] <= amount.start and _said_of_part_before(doc, s, amount.start, mention))
    ]
    if forms:
        doc.implied_routes.add(amount.start)
        return forms[0][2]
    return None


def _said_of_part_before(doc: _Doc, span: lexicon.Span, dose_start: int, mention: Mention | None) -> bool:
    """Whether a route or form word before a dose is said of another part of a "+" list: a "+" lies
    between them and another drug is named before the word in its part ("Empagliflozin 10 mg oral tablets
    + Vitamin D3 (2000 IU)"). A route heading the whole list ("Oral: A 10 mg + B 20 mg") names no drug
    before it, so it stays every part's."""
    text = doc.text
    if text.find("+", span[1], dose_start) < 0:
        return False
    part_start = text.rfind("+", 0, span[0]) + 1
    own = mention.info.name if mention is not None else None
    return any(part_start <= other.start < span[0] and other.info.name != own for other in doc.mentions)


# Between a route word and the drug it is said of: spacing, at most one bracketed short form
# ("subcutaneous (SQ) interleukin-2") and "(dose) of" ("an IV dose of Morphine", "IV infusion of the").
_ROUTE_TO_NAME = re.compile(
    r"\s*(?:\([^()]{1,12}\)\s*)?"
    r"(?:(?:(?:doses?|injections?|infusions?|bolus|push|administration)\s+)?of\s+(?:the\s+)?)?",
    re.IGNORECASE,
)


def _said_of_next_drug(doc: _Doc, span: lexicon.Span, mention: Mention | None) -> bool:
    """Whether a route word stands right before another drug's name ("oral MMF", as `_bind_routes` reads
    it; "an IV dose of Morphine"), so that a dose of a different drug, before or after it, does not take
    it."""
    following = next((m for m in doc.mentions if m.start >= span[1]), None)
    return (
        following is not None
        and (mention is None or following.info.name != mention.info.name)
        and _ROUTE_TO_NAME.fullmatch(doc.text, span[1], following.start) is not None
    )


def _other_drug_between(doc: _Doc, start: int, end: int, mention: Mention | None) -> bool:
    """Whether another drug (not the dose's, not a placebo or a vehicle), joined to the dose by "with",
    "and", "plus" or the like, is named between a dose and a route word after it: the route is then said
    of that drug ("60 mg daily with methotrexate given intravenously"; "50 μg dose of KTP-001 by
    intradiscal injection" names the dose's own drug)."""
    own = mention.info.name if mention is not None else None
    return any(
        start <= other.start < end
        and other.info.name != own
        and other.info.name != "placebo"
        and other.info.name not in vehicles()
        and _JOINED.search(doc.text, start, other.start) is not None
        for other in doc.mentions
    )


def _alternative_route(doc: _Doc, chosen: lexicon.Span) -> lexicon.Span | None:
    """The other route of "IV or orally", "PO/IV", if ``chosen`` is one of two offered."""
    for span in doc.routes:
        if span[2] == chosen[2]:
            continue
        gap = doc.text[chosen[1] : span[0]] if span[0] >= chosen[1] else doc.text[span[1] : chosen[0]]
        if _ROUTE_OR.fullmatch(gap):
            return span
    return None


_FORM_ATTACHED = re.compile(r"[ \t]*\(?[ \t]*$")
_DILUTED_IN = re.compile(r"\b(?:dilut|dissolv|reconstitut|suspend)\w*\s+(?:in|with)\b", re.IGNORECASE)


def _share_route_by_drug(doc: _Doc, items: list[RegimenItem]) -> None:
    """A route stated for a drug applies to all its doses (the spec), when the text gives it only one:
    with a dose, or with the drug's name ("intravenous belimumab", "ATV (capsule)")."""
    routes: dict[str | None, set[str]] = {}
    for item in items:
        if item.dose is not None and item.route is not None:
            routes.setdefault(item.drug, set()).add(item.route)
    for mention in doc.mentions:
        named = mention.name_as_written
        if named in routes or not any(item.drug == named and item.route is None for item in items):
            continue
        stated = {doc.bound_routes[mention.start]} if mention.start in doc.bound_routes else set()
        stated |= {
            form[2]
            for form in doc.forms
            if form[0] >= mention.end and _FORM_ATTACHED.match(doc.text, mention.end, form[0])
        }
        # "randomised to receive either MP pulses i. v. or cyclosporine A p. o.": a route word right after a
        # name that no dose took as its own is said of that drug.
        stated |= {
            route[2]
            for route in doc.routes
            if 0 <= route[0] - mention.end <= 3
            and not doc.text[mention.end : route[0]].strip()
            and ("route", route[0]) not in doc.claimed
        }
        if stated:
            routes.setdefault(named, set()).update(stated)
    for sentence in doc.sentences:
        # "Tocilizumab is given as an intravenous infusion": a sentence without a dose that names one drug
        # and one route states that drug's route.
        if any(sentence.start <= item.start < sentence.end for item in items):
            continue
        names: set[str | None] = {
            m.name_as_written
            for m in doc.mentions
            if sentence.start <= m.start < sentence.end
            # "diluted in physiologic saline containing 5% human serum albumin": what the drug is given in.
            and not _DILUTED_IN.search(doc.text, max(sentence.start, m.start - 80), m.start)
        }
        # "Viusid and Asbrip will be administered orally": products the vocabulary does not know, named
        # as written by the doses before, are named here too.
        lowered = doc.text[sentence.start : sentence.end].lower()
        names |= {
            item.drug
            for item in items
            if item.drug and item.drug_class is None and re.search(rf"\b{re.escape(item.drug)}\b", lowered)
        }
        said = {r[2] for r in doc.routes if sentence.start <= r[0] < sentence.end}
        # Every drug it names is one the text doses: a list of a protocol's drugs beside "intrathecal
        # injection chemotherapy" says nothing of the dosed drug's route. What a drug is diluted in, and
        # a placebo the text gives no dose, are given with it ("diluted in saline and infused
        # intravenously", "injections of either CELZ-201-DDT or placebo").
        dosed = {item.drug for item in items}
        names = {name for name in names if name in dosed or (name != "placebo" and name not in vehicles())}
        if not said and names & dosed:
            # "... whether they were receiving sugar pills or Geodon": with no route word, a dosage form
            # implies the route (the spec), in a sentence that names the dosed drug ("Patients also
            # receive premedication tablets" says nothing of an infused antibody's route).
            said = {f[2] for f in doc.forms if sentence.start <= f[0] < sentence.end}
        if (not names and len(dosed) == 1) or (dosed == {None} and len(names) == 1):
            # "The antibody was infused intravenously": a sentence naming no drug in a text that doses
            # one says how that drug is given. "A single administration of 6x10^6 cells ... six
            # intramuscular injections of either CELZ-201-DDT or placebo": in a text whose doses name no
            # drug, the one drug a sentence without a dose gives a route is what those doses are of.
            names = dosed
        elif not names and lexicon.EVERY_DOSED_DRUG.search(doc.text, sentence.start, sentence.end):
            # "Metformin 500 mg and glipizide 5 mg daily. Both drugs are given orally."
            names = dosed
        if (
            names
            and names <= dosed
            and len(said) == 1
            and _ADMINISTERED.search(doc.text, sentence.start, sentence.end)
        ):
            for name in names:
                if name not in routes and any(item.drug == name and item.route is None for item in items):
                    routes.setdefault(name, set()).update(said)
    for item in items:
        stated = routes.get(item.drug, set())
        if item.route is None and item.dose is not None and len(stated) == 1:
            item.route = next(iter(stated))


def _share_with_contents(doc: _Doc, items: list[RegimenItem]) -> None:
    """A product's route and schedule reach the doses of its components listed after it (the spec: a route
    stated for a drug applies to its doses; a form implies a route): "1 tablet twice a day of Triomune30®,
    including NVP 200 mg, 3TC 150 mg and D4T 30mg" gives all three oral and BID; "Injection of 2 cc
    placebo containing 0.1cc sodium bicarbonate ... and 1 cc of lidocaine into the vastus lateralis": the
    route said once at the end is every content's, and the product's."""
    text = doc.text
    index = 0
    while index < len(items) - 1:
        product = items[index]
        sentence = doc.sentence_of(product.start)
        gap = text[product.end : items[index + 1].start]
        counted = product.dose is not None and product.dose.unit in _COUNT_UNITS
        bracket = counted and _CONTENTS_BRACKET.search(gap) is not None
        if items[index + 1].start >= sentence.end or not (bracket or _CONTENTS_CUE.search(gap)):
            index += 1
            continue
        # The list runs to the closing bracket, or to what starts another statement ("then", ";").
        end = _closing_bracket(text, items[index + 1].start, sentence.end) if bracket else sentence.end
        contents: list[RegimenItem] = []
        cursor = index + 1
        while cursor < len(items) and items[cursor].start < end:
            between = text[(contents[-1] if contents else product).end : items[cursor].start]
            if contents and _NEXT_STEP.search(between):
                break
            contents.append(items[cursor])
            cursor += 1
        group = [product, *contents]
        routes = {i.route for i in group if i.route is not None}
        for item in group:
            if item.route is None and len(routes) == 1:
                item.route = next(iter(routes))
        if product.frequency is not None:
            for item in contents:
                item.frequency = item.frequency or product.frequency
        index = cursor


def _closing_bracket(text: str, start: int, limit: int) -> int:
    """Where the bracket open at ``start`` closes ("(558 mg EPA (eicosapentaenoic acid), 60 mg GLA)" holds a
    bracket of its own), else ``limit``."""
    depth = 1
    for position in range(start, limit):
        if text[position] == "(":
            depth += 1
        elif text[position] == ")":
            depth -= 1
            if depth == 0:
                return position
    return limit
