"""Who runs a trial and where: the features that tie sister studies written in other words.

Extensions, sub-studies and a team's parallel studies often share few words with each other (another
drug, another disease) but are run by the same sponsor, led by the same investigators and held at the
same sites. A trial's ``who`` family (:mod:`trialatlas.related.features`) holds:

- ``s:`` its lead sponsor and collaborators, as organisations (parenthesised abbreviations dropped:
  "National Cancer Institute (NCI)" is "national cancer institute");
- ``p:`` its overall officials and its responsible investigator, as surname and first initial, so that
  "John A. Smith, MD", "Dr. John Smith" and "Smith J" are one person ("smith j"); a role or a service
  line given as an official ("Medical Monitor", "GSK Clinical Trials", a phone number) is no person;
- ``a:`` the officials' affiliations;
- ``f:`` its sites, as facility and city, less the names a sponsor gives every site it runs
  ("Novartis Investigative Site"); together they weigh as much as one sponsor, however many they are.

The index weighs each by its rarity among the trials that say who runs them (idf), so a big sponsor or
"Mayo Clinic" says little and a small investigator group much. The cue words are data
(``people.json``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from typing import Any

from trialatlas.model import Trial
from trialatlas.text.packaged import packaged_json

# Raw weights before idf: an official's affiliation says less than the sponsor (a university runs
# thousands of unrelated trials); the sites together weigh one (see module doc).
SPONSOR = 1.0
PERSON = 1.0
AFFILIATION = 0.5
SITES = 1.0
# A facility "name" longer than this is a sentence ("For additional information … call …").
_MAX_FACILITY_WORDS = 12
_PARENTHESISED = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[a-z]+")


@cache
def _cues() -> dict[str, Any]:
    raw: dict[str, Any] = packaged_json(__package__, "people.json")
    return {key: frozenset(values) for key, values in raw.items() if not key.startswith("_")}


def _plain(text: str) -> str:
    """Lower case, accents and apostrophes gone ("O'Brien" → "obrien", "Müller" → "muller")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.lower().replace("'", "").replace("`", "")


def organisation_words() -> frozenset[str]:
    """Words that make a capitalised name the name of who runs, funds or hosts a trial ("Unit",
    "Institute", "Trust"; data: ``people.json``)."""
    words: frozenset[str] = _cues()["organisation_words"]
    return words


def organisation_key(name: str | None) -> str | None:
    """An organisation's name as its words, without parenthesised abbreviations or punctuation."""
    if not name:
        return None
    words = _WORD.findall(_plain(_PARENTHESISED.sub(" ", name)))
    return " ".join(words) or None


def person_key(name: str | None) -> str | None:
    """A person's name as "surname initial", or ``None`` where it is not a person's name.

    "John A. Smith, MD", "Dr. John Smith" and "Smith J" all give "smith j"; "Smith, John" too. Names
    with digits or with a word of a role or an organisation ("Medical Monitor", "Pfizer CT.gov Call
    Center") are not people.
    """
    if not name or any(ch.isdigit() for ch in name):
        return None
    cues = _cues()
    parts = [part for part in name.split(",") if part.strip()]
    if not parts:
        return None
    first = _WORD.findall(_plain(parts[0]))
    rest = [_WORD.findall(_plain(part)) for part in parts[1:]]
    inverted = len(first) == 1 and bool(rest) and not all(w in cues["degrees"] for w in rest[0])
    # "Smith, John A.": surname first, given names after the comma.
    words = [*rest[0], *first] if inverted else first
    while words and words[0] in cues["titles"]:
        words = words[1:]
    while len(words) > 2 and words[-1] in cues["degrees"]:
        words = words[:-1]
    if not 2 <= len(words) <= 5 or any(w in cues["not_person"] for w in words):
        return None
    original = set(re.split(r"[\s.]+", parts[0]))
    if not inverted and len(words[-1]) <= 2 and words[-1].upper() in original:
        # "Smith J", "Corey L": surname, then initials (as PubMed writes authors).
        surname, initial = words[0], words[-1][0]
    else:
        surname, initial = words[-1], words[0][0]
    if len(surname) < 2:
        return None
    return f"{surname} {initial}"


def site_key(facility: str | None, city: str | None) -> str | None:
    """A site as "facility | city", or ``None`` for a generic or sentence-long facility name."""
    name = organisation_key(facility)
    if name is None or len(name.split()) > _MAX_FACILITY_WORDS:
        return None
    padded = f" {name} "
    if any(f" {generic} " in padded for generic in _cues()["generic_sites"]):
        return None
    place = organisation_key(city)
    return f"{name} | {place}" if place else name


def who_features(trial: Trial) -> dict[str, float]:
    """The trial's ``who`` features and their raw weights (see the module doc)."""
    bucket: dict[str, float] = {}

    def add(feature: str, weight: float) -> None:
        # One sponsor named twice (lead and collaborator) counts once.
        bucket[feature] = max(bucket.get(feature, 0.0), weight)

    sponsors = [trial.lead_sponsor, *trial.collaborators]
    for sponsor in sponsors:
        if sponsor is not None and (key := organisation_key(sponsor.name)) is not None:
            add(f"s:{key}", SPONSOR)
    people = [official.name for official in trial.officials]
    if trial.responsible_party is not None:
        people.append(trial.responsible_party.investigator_full_name)
    for person in people:
        if (key := person_key(person)) is not None:
            add(f"p:{key}", PERSON)
    affiliations = [official.affiliation for official in trial.officials]
    if trial.responsible_party is not None:
        affiliations.append(trial.responsible_party.investigator_affiliation)
    for affiliation in affiliations:
        if (key := organisation_key(affiliation)) is not None:
            add(f"a:{key}", AFFILIATION)
    sites = {key for loc in trial.locations if (key := site_key(loc.facility, loc.city)) is not None}
    for site in sites:
        add(f"f:{site}", SITES / math.sqrt(len(sites)))
    return bucket


def person_label(key: str) -> str:
    """How a reason names a person: "smith j" reads "J. Smith"."""
    surname, _, initial = key.rpartition(" ")
    return f"{initial.upper()}. {surname.title()}" if surname else key.title()


def who_reasons(shared: list[str]) -> list[str]:
    """Reasons from the ``who`` features two trials share (most telling first): the same sponsor, the
    same investigators, their institution, and how many sites they share."""
    out: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for feature in shared:
        kind, _, value = feature.partition(":")
        by_kind.setdefault(kind, []).append(value)
    if sponsors := by_kind.get("s"):
        out.append(f"same sponsor: {'; '.join(sponsors[:2])}")
    if people := by_kind.get("p"):
        noun = "investigator" if len(people) == 1 else "investigators"
        out.append(f"same {noun}: {', '.join(person_label(p) for p in people[:3])}")
    elif places := [p for p in by_kind.get("a", []) if p not in (sponsors or [])]:
        # An official's affiliation that is the shared sponsor ("Pfizer") says nothing more.
        out.append(f"investigators from {'; '.join(places[:2])}")
    if sites := by_kind.get("f"):
        count = len(sites)
        where = sites[0].replace(" | ", ", ")
        out.append(f"run at the same site: {where}" if count == 1 else f"run at {count} of the same sites")
    return out
