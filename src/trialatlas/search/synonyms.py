"""Where query expansions come from, and which of them a query gets.

Four sources, all offline:

- the reviewed list shipped beside this module (``abbreviations.json``): clinical abbreviations with
  their senses, context cue words for the ambiguous ones, and synonym groups (spellings, lay terms);
- "long form (SHORT)" pairs learned from the stored texts themselves (:func:`find_abbreviations`,
  the Schwartz–Hearst algorithm), kept per trial by the index so that they follow the store;
- brand and generic drug names from the project's drug vocabulary (``trialatlas.text.drugs``: the
  ``drug-named-entity-recognition`` package's names and the curated additions), loaded into the index
  when it is built;
- the MeSH terms the records carry, paired by the index with the condition and intervention names
  they were assigned to.

:class:`Expander` turns one stretch of typed words into the phrases to search besides it. Expansions
are searched with less weight than the words typed (see ``query.py``), and an abbreviation with several
senses is expanded only to the senses the rest of the query agrees with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Protocol

from trialatlas.text.drugs import curated_drugs, drug_names, packaged_drug_names
from trialatlas.text.packaged import packaged_json
from trialatlas.text.words import STOP_WORDS, strip_accents

# --- normalisation ---------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^0-9a-z]+")


def norm(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: how expansions are looked up.

    It mirrors what the FTS5 ``unicode61 remove_diacritics 2`` tokenizer keeps of a text, so that a
    normalised phrase is matched by the same tokens the index holds.
    """
    if text.isascii():
        return _NON_WORD.sub(" ", text.lower()).strip()
    stripped = strip_accents(text).casefold()
    return _NON_WORD.sub(" ", stripped).strip()


def compact(text: str) -> str:
    """``norm`` without spaces: "FK-506", "FK 506" and "FK506" are one key."""
    return norm(text).replace(" ", "")


def cue_matches(cue: str, word: str) -> bool:
    """A cue word agrees with a query word: equal, or one a stem of the other ("transplant[ation]")."""
    if cue == word:
        return True
    if len(cue) >= 4 and len(word) >= 4:
        return word.startswith(cue) or cue.startswith(word)
    return False


# --- the reviewed list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sense:
    """One meaning of an abbreviation: its expansion, other names, and the words that point to it."""

    short: str
    expansion: str
    variants: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    default: bool = False
    exact_case: bool = False
    source: str = "reviewed"
    evidence: int = 0

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.expansion, *self.variants)

    def agrees_with(self, context: Sequence[str]) -> bool:
        """Whether a cue word, or a word of the expansion itself, is among the context words."""
        own = {word for phrase in self.phrases for word in norm(phrase).split() if word not in STOP_WORDS}
        cues = {norm(cue) for cue in self.cues} | own
        return any(cue_matches(cue, word) for cue in cues for word in context)


@dataclass(frozen=True)
class Reviewed:
    """The reviewed abbreviations and synonym groups, keyed by normalised (and compact) text."""

    senses: dict[str, tuple[Sense, ...]]
    by_phrase: dict[str, tuple[Sense, ...]]
    groups: dict[str, tuple[tuple[str, ...], ...]]

    def senses_of(self, key: str) -> tuple[Sense, ...]:
        return self.senses.get(key) or self.senses.get(key.replace(" ", ""), ())

    def senses_named(self, key: str) -> tuple[Sense, ...]:
        """Senses whose expansion or variant is this phrase (for long form → short form)."""
        return self.by_phrase.get(key, ())

    def group_members(self, key: str) -> tuple[str, ...]:
        members: dict[str, None] = {}
        for group in self.groups.get(key, ()):
            members.update((member, None) for member in group if norm(member) != key)
        return tuple(members)


def _load_reviewed(data: dict[str, Any]) -> Reviewed:
    senses: dict[str, list[Sense]] = {}
    by_phrase: dict[str, list[Sense]] = {}
    for short, entries in data["abbreviations"].items():
        for entry in entries:
            sense = Sense(
                short=short,
                expansion=entry["expansion"],
                variants=tuple(entry.get("variants", ())),
                cues=tuple(entry.get("cues", ())),
                default=bool(entry.get("default", False)),
                exact_case=bool(entry.get("exact_case", False)),
            )
            for key in {norm(short), compact(short)}:
                senses.setdefault(key, []).append(sense)
            for phrase in sense.phrases:
                by_phrase.setdefault(norm(phrase), []).append(sense)
    groups: dict[str, list[tuple[str, ...]]] = {}
    for group in data["synonyms"]:
        members = tuple(group)
        for member in members:
            groups.setdefault(norm(member), []).append(members)
    return Reviewed(
        {key: tuple(value) for key, value in senses.items()},
        {key: tuple(value) for key, value in by_phrase.items()},
        {key: tuple(value) for key, value in groups.items()},
    )


@cache
def reviewed() -> Reviewed:
    """The reviewed list shipped with trialatlas (read once)."""
    return _load_reviewed(packaged_json("trialatlas.search", "abbreviations.json"))


# --- Schwartz–Hearst -------------------------------------------------------------------------

# A parenthesised stretch short enough to be an abbreviation or a long form, with nothing nested.
_PAREN = re.compile(r"\(([^()\[\]]{1,120})\)")
# "(MMF; n = 20)", "(MMF, 2 g/day)": where the first part of a parenthesis ends.
_FIRST_PART_END = re.compile(r"[;,]\s")


@lru_cache(maxsize=65_536)
def _valid_short(short: str) -> bool:
    """Schwartz–Hearst's short-form test, tightened with an upper-case letter (drops "(e.g.)", "(ie)").
    Kept per string: the same few thousand forms recur across a whole registry."""
    if not 2 <= len(short) <= 10 or len(short.split()) > 2:
        return False
    if not short[0].isalnum() or not any(ch.isalpha() for ch in short):
        return False
    return any(ch.isupper() for ch in short)


def _best_long_form(short: str, long: str) -> str | None:
    """The shortest tail of ``long`` whose words hold the letters of ``short`` in order (Schwartz–Hearst).

    Characters are matched right to left; the first character of the short form must begin a word.
    """
    if short.isascii() and long.isascii():
        return _best_ascii_long_form(short, long)
    return _best_long_form_by_letter(short, long)


def _best_long_form_by_letter(short: str, long: str) -> str | None:
    """:func:`_best_long_form` for any text: each letter lower-cased on its own, as compared."""
    s_index = len(short) - 1
    l_index = len(long) - 1
    while s_index >= 0:
        current = short[s_index].lower()
        if not current.isalnum():
            s_index -= 1
            continue
        while l_index >= 0 and (
            long[l_index].lower() != current or (s_index == 0 and l_index > 0 and long[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = long.rfind(" ", 0, l_index + 1) + 1
    return long[start:]


def _best_ascii_long_form(short: str, long: str) -> str | None:
    """:func:`_best_long_form` of ASCII strings (lower-cased whole, each letter found by ``rfind``):
    a fifth of building the search index went to comparing letter by letter."""
    lowered = long.lower()
    l_index = len(long) - 1
    for s_index in range(len(short) - 1, -1, -1):
        current = short[s_index].lower()
        if not current.isalnum():
            continue
        l_index = lowered.rfind(current, 0, l_index + 1)
        if s_index == 0:  # the first letter must begin a word
            while l_index > 0 and long[l_index - 1].isalnum():
                l_index = lowered.rfind(current, 0, l_index)
        if l_index < 0:
            return None
        l_index -= 1
    start = long.rfind(" ", 0, l_index + 1) + 1
    return long[start:]


def _last_words(text: str, count: int) -> list[str]:
    """The last ``count`` whitespace-separated words of ``text`` (its tail only is split)."""
    return text.rsplit(None, count)[-count:]


def find_abbreviations(text: str) -> list[tuple[str, str]]:
    """``(short form, long form)`` pairs a text defines as "long form (SF)" or "SF (long form)"."""
    pairs: list[tuple[str, str]] = []
    for match in _PAREN.finditer(text):
        inside = match.group(1).strip()
        # "(MMF; n = 20)", "(MMF, 2 g/day)": the short form is the first part.
        first = _FIRST_PART_END.split(inside, maxsplit=1)[0].strip()
        before = text[max(0, match.start() - 300) : match.start()]
        if _valid_short(first):
            window = min(len(first) + 5, len(first) * 2)
            candidate = " ".join(_last_words(before, window))
            long = _best_long_form(first, candidate)
            if long and _good_pair(first, long):
                pairs.append((first, long))
        elif len(inside.split()) > 1:
            # The reverse order, "SF (long form)": the word just before the parenthesis.
            words = _last_words(before, 1)
            if words:
                short = words[-1].strip(".,;:")
                if _valid_short(short):
                    long = _best_long_form(short, inside)
                    if long and _good_pair(short, long):
                        pairs.append((short, long))
    return pairs


def _good_pair(short: str, long: str) -> bool:
    long_words = long.split()
    if len(long) <= len(short) or len(long_words) < 1:
        return False
    if short.lower() in long.lower().split():
        return False
    # A long form must be words, not numbers or a clause ("versus", "and") of the sentence.
    if not any(ch.isalpha() for ch in long) or long_words[0].lower() in STOP_WORDS:
        return False
    return len(long_words) <= min(len(short) + 5, len(short) * 2)


# --- the drug vocabulary ---------------------------------------------------------------------


def usable_drug_name(name: str) -> bool:
    """Names worth searching: no inverted forms ("anhydrous, tacrolimus"), no short or common words."""
    if "," in name:
        return False
    key = norm(name)
    return len(key) >= 4 and key not in STOP_WORDS and any(ch.isalpha() for ch in key)


DrugRow = tuple[str, str, int]
# The rows of the last vocabulary seen (its two parts, compared by identity: both are read once).
_drug_rows_of: tuple[object, object, tuple[DrugRow, ...]] | None = None


def drug_rows() -> tuple[DrugRow, ...]:
    """``(name, generic, is a brand)`` rows of the vocabulary worth searching, normalised; made once
    per vocabulary (normalising its ~110,000 names cost seconds of every index build)."""
    global _drug_rows_of
    vocabulary = (curated_drugs(), packaged_drug_names())
    known = _drug_rows_of
    if known is not None and known[0] is vocabulary[0] and known[1] is vocabulary[1]:
        return known[2]
    keys: dict[str, str | None] = {}

    def usable(name: str) -> str | None:
        if name not in keys:
            keys[name] = norm(name) if usable_drug_name(name) else None
        return keys[name]

    rows: list[DrugRow] = []
    for drug in drug_names():
        a, b = usable(drug.name), usable(drug.generic)
        if a and b:
            rows.append((a, b, int(drug.brand)))
    _drug_rows_of = (*vocabulary, tuple(rows))
    return _drug_rows_of[2]


# --- expansion -------------------------------------------------------------------------------


class Lexicon(Protocol):
    """What the index knows that expansions need (every key is :func:`norm`-alised)."""

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        """Per key, ``(kind, alternative, number of trials)`` learned from the stored texts.

        Kinds: ``abbr`` (key is a short form, alternative its long form), ``abbr_of`` (the reverse),
        ``mesh`` (a condition or intervention name and the MeSH term given to it, both ways).
        """
        ...

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """Per key that names a drug, the other names of that drug (generic first)."""
        ...

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        """How many trials hold ``phrase`` together with every context word."""
        ...


@dataclass
class Expansion:
    """The phrases searched besides a stretch of typed words, and why."""

    typed: str
    phrases: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, phrase: str, source: str) -> None:
        key = norm(phrase)
        if not key or key == norm(self.typed) or any(norm(p) == key for p in self.phrases):
            return
        self.phrases.append(phrase)
        self.sources.append(source)


MAX_NGRAM = 5
MAX_PHRASES = 10
MAX_DRUG_NAMES = 6
# A learned long form counts as a sense when this many trials define it, and this share of them.
MIN_LEARNED_TRIALS = 2
MIN_LEARNED_SHARE = 0.1
# Without context words, a learned sense is taken alone only when it is this dominant.
DOMINANT_SHARE = 0.75
# A learned MeSH pairing counts when this many trials make it, and this share of the pairings of
# the same name (a name listed beside several conditions is paired with all of their terms).
MIN_MESH_TRIALS = 3
MESH_SHARE = 0.3
# Senses whose co-occurrence with the context is at least this share of the best one agree.
COOCCURRENCE_SHARE = 0.25


class Expander:
    """Decides the expansions of a query, given the reviewed list and what the index learned."""

    def __init__(self, lexicon: Lexicon | None, vocabulary: Reviewed | None = None) -> None:
        self.lexicon = lexicon
        self.vocabulary = vocabulary or reviewed()

    def segment(self, words: Sequence[str]) -> list[tuple[int, int]]:
        """Split a run of typed words into ``[start, end)`` stretches, longest known phrase first."""
        keys = [norm(word) for word in words]
        candidates: set[str] = set()
        for start in range(len(keys)):
            for end in range(start + 2, min(len(keys), start + MAX_NGRAM) + 1):
                candidates.add(" ".join(keys[start:end]))
        known = self._known(candidates)
        spans: list[tuple[int, int]] = []
        start = 0
        while start < len(keys):
            end = start + 1
            for stop in range(min(len(keys), start + MAX_NGRAM), start + 1, -1):
                if " ".join(keys[start:stop]) in known:
                    end = stop
                    break
            spans.append((start, end))
            start = end
        return spans

    def _known(self, keys: set[str]) -> set[str]:
        vocabulary = self.vocabulary
        found = {
            key
            for key in keys
            if vocabulary.senses_of(key) or vocabulary.senses_named(key) or vocabulary.groups.get(key)
        }
        rest = sorted(keys - found)
        if rest and self.lexicon is not None:
            found.update(self.lexicon.drugs(rest))
            found.update(key for key, rows in self.lexicon.learned(rest).items() if rows)
        return found

    def expand(self, typed: str, context: Sequence[str]) -> Expansion:
        """The expansions of one stretch of typed words; ``context`` holds the query's other words."""
        key = norm(typed)
        result = Expansion(typed)
        if not key:
            return result
        learned = self.lexicon.learned([key]).get(key, []) if self.lexicon else []
        self._abbreviation(typed, key, context, learned, result)
        self._long_form(key, learned, result)
        for member in self.vocabulary.group_members(key):
            result.add(member, "synonym")
        if self.lexicon is not None:
            names = self.lexicon.drugs([key]).get(key, [])
            for name in names[:MAX_DRUG_NAMES]:
                result.add(name, "drug vocabulary")
        self._mesh(key, learned, result)
        self._spellings(typed, result)
        del result.phrases[MAX_PHRASES:]
        del result.sources[MAX_PHRASES:]
        return result

    def _abbreviation(
        self,
        typed: str,
        key: str,
        context: Sequence[str],
        learned: list[tuple[str, str, int]],
        result: Expansion,
    ) -> None:
        senses = [s for s in self.vocabulary.senses_of(key) if not s.exact_case or _typed_as(typed, s.short)]
        blocked = {norm(s.expansion) for s in self.vocabulary.senses_of(key) if s not in senses}
        definitions = sorted(
            ((alt, n) for kind, alt, n in learned if kind == "abbr" and alt not in blocked),
            key=lambda item: (-item[1], item[0]),
        )
        total = sum(n for _, n in definitions)
        for alternative, count in definitions:
            if count < MIN_LEARNED_TRIALS or count < MIN_LEARNED_SHARE * total:
                continue
            same = next((i for i, sense in enumerate(senses) if _same_sense(alternative, sense)), None)
            if same is not None:
                # A spelling of a sense already known adds evidence, not a sense.
                sense = senses[same]
                senses[same] = Sense(**{**sense.__dict__, "evidence": sense.evidence + count})
                continue
            senses.append(Sense(short=typed, expansion=alternative, source="learned", evidence=count))
        if not senses:
            return
        chosen = self._choose(senses, context, total)
        for sense in senses:
            if sense in chosen:
                for phrase in sense.phrases:
                    result.add(phrase, f"{sense.source} abbreviation")
            else:
                result.skipped.append(sense.expansion)

    def _choose(self, senses: list[Sense], context: Sequence[str], total: int) -> list[Sense]:
        if len(senses) == 1:
            return senses
        words = [norm(word) for word in context if norm(word) and norm(word) not in STOP_WORDS]
        if words:
            agreeing = [sense for sense in senses if sense.agrees_with(words)]
            if agreeing:
                return agreeing
            if self.lexicon is not None:
                counts = [self.lexicon.cooccurrence(norm(sense.expansion), words) for sense in senses]
                best = max(counts)
                if best > 0:
                    return [s for s, n in zip(senses, counts, strict=True) if n >= COOCCURRENCE_SHARE * best]
            return []
        defaults = [sense for sense in senses if sense.default]
        if defaults:
            return defaults
        if total and all(sense.source == "learned" for sense in senses):
            top = max(senses, key=lambda sense: sense.evidence)
            if top.evidence >= DOMINANT_SHARE * total:
                return [top]
        return []

    def _long_form(self, key: str, learned: list[tuple[str, str, int]], result: Expansion) -> None:
        """Typed words that spell out an abbreviation also find texts that only use the abbreviation."""
        for sense in self.vocabulary.senses_named(key):
            if norm(sense.expansion) != key:
                result.add(sense.expansion, "reviewed long form")
            if _safe_short(sense.short, self.vocabulary):
                result.add(sense.short, "reviewed long form")
        shorts = [
            alternative
            for kind, alternative, count in learned
            if kind == "abbr_of" and count >= MIN_LEARNED_TRIALS and len(alternative.replace(" ", "")) >= 3
        ]
        if not shorts or self.lexicon is None:
            return
        definitions = self.lexicon.learned(shorts)
        for short in shorts:
            if self.vocabulary.senses_of(short) and not _safe_short(short, self.vocabulary):
                continue
            # Only a short form that mostly means these words: "breast cancer (BRCA)" is written,
            # but BRCA mostly names the genes.
            senses = [(alt, n) for kind, alt, n in definitions.get(short, []) if kind == "abbr"]
            total = sum(n for _, n in senses)
            mine = sum(n for alt, n in senses if alt == key)
            if total and mine >= DOMINANT_SHARE * total:
                result.add(short, "learned long form")

    @staticmethod
    def _mesh(key: str, learned: list[tuple[str, str, int]], result: Expansion) -> None:
        """The MeSH term most often given for a name (and the reverse), never a broader or narrower
        wording of the same words ("lupus nephritis" → "nephritis" would find every nephritis)."""
        words = set(key.split())
        mesh = [
            (alt, count)
            for kind, alt, count in learned
            if kind == "mesh" and not (words <= set(alt.split()) or set(alt.split()) <= words)
        ]
        total = sum(count for _, count in mesh)
        for alternative, count in mesh:
            if count >= MIN_MESH_TRIALS and count >= MESH_SHARE * total:
                result.add(alternative, "MeSH")

    @staticmethod
    def _spellings(typed: str, result: Expansion) -> None:
        """ "FK506" also as "FK 506" and the reverse: registries write codes both ways."""
        key = norm(typed)
        if " " in key and len(key) <= 12 and any(ch.isdigit() for ch in key):
            result.add(key.replace(" ", ""), "spelling")
        elif " " not in key and re.fullmatch(r"[a-z]+\d+[a-z]*", key):
            split = re.sub(r"(?<=[a-z])(?=\d)", " ", key)
            result.add(split, "spelling")


def _typed_as(typed: str, short: str) -> bool:
    return compact(typed) == compact(short) and typed.replace("-", "").upper() == typed.replace("-", "")


def _same_sense(alternative: str, sense: Sense) -> bool:
    """The same meaning: equal to a name of the sense, or sharing most words with one ("systemic lupus
    erythematosus" / "systemic lupus erythematous", "mycophenolate mofetil therapy")."""
    words = set(alternative.split())
    for phrase in sense.phrases:
        other = set(norm(phrase).split())
        if other == words or (other and len(words & other) * 2 > max(len(words), len(other))):
            return True
    return False


def _safe_short(short: str, vocabulary: Reviewed) -> bool:
    """A short form is added to a long form's search only when it cannot mean much else there:
    at least three characters, and not a short form with several reviewed senses or a case-only one."""
    if len(compact(short)) < 3:
        return False
    senses = vocabulary.senses_of(norm(short))
    return len(senses) <= 1 and not any(sense.exact_case for sense in senses)


def learned_pairs(texts: Iterable[str]) -> list[tuple[str, str]]:
    """Normalised ``(short, long)`` pairs defined in any of ``texts``, once each."""
    seen: dict[tuple[str, str], None] = {}
    for text in texts:
        if text and "(" in text:
            for short, long in find_abbreviations(text):
                pair = (norm(short), norm(long))
                if pair[0] and pair[1]:
                    seen[pair] = None
    return list(seen)
