"""Diseases by their ICD-10-CM names: a packaged vocabulary read where the hand vocabulary is silent.

The hand vocabulary (``vocab/conditions.json``) knows a few hundred conditions with what the verdicts
need of them (courses, classes, the lab values that define them). Criteria and notes name thousands
more: "adenomyosis", "hemochromatosis", "sarcoidosis". ICD-10-CM's tabular list, shipped offline
inside the ``simple-icd-10-cm`` package (the public-domain CDC release), gives each code its title,
its inclusion terms (the synonyms the classification files under it) and its place in the hierarchy
(code → parent code → section). This module turns it into condition entries:

* one concept per code (``icd:N80.03``) and per section (``icd:N80-N98``), named by its title and
  inclusion terms, cleaned of the classification's own words ("NOS", ", unspecified", bracketed
  remarks) and kept only when a note or criterion could write them (short, not a catch-all "Other …",
  not a combination "… with …");
* ``broader``: its parent code or section, and the hand concept its own name is (a code titled
  "Endometriosis" is the hand vocabulary's endometriosis, so "adenomyosis" — filed under it — counts
  as endometriosis, and every malignant neoplasm as a cancer).

Only the chapters of diseases and findings are read (codes A00–R99): injuries, external causes and
the factors of chapter 21 ("personal history of", "screening for") are not conditions a patient has.
The entries are built on first use and kept in the cache folder (:mod:`trialatlas.text.built`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from trialatlas.text.built import built
from trialatlas.text.packaged import packaged_json

PACKAGE = "simple_icd_10_cm"
_CHAPTERS = re.compile(r"^[A-R]")


@cache
def _rules() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("trialatlas.extract.criteria", "vocab", "disease_codes.json")
    return data


def _tabular() -> ET.Element | None:
    """The package's tabular list, or None when the package is not installed."""
    try:
        folder = resources.files(f"{PACKAGE}.data")
    except ModuleNotFoundError:
        return None
    files = sorted(
        (f for f in folder.iterdir() if f.name.startswith("icd10c-tabular") and f.name.endswith(".xml")),
        key=lambda f: f.name,
    )
    if not files:
        return None
    with files[-1].open("rb") as handle:
        return ET.parse(handle).getroot()


_BRACKETS = re.compile(r"\s*[\[(][^\])]*[\])]")
_SPACES = re.compile(r"\s+")


def clean_name(title: str) -> str | None:
    """A title or inclusion term as a note would write it, or None when none would."""
    rules = _rules()
    name = _BRACKETS.sub("", title)
    name = re.sub(rules["drop_suffix"], "", name, flags=re.IGNORECASE)
    name = _SPACES.sub(" ", name).strip(" ,;:-")
    lowered = name.lower()
    if not name or any(ch.isdigit() for ch in name) or "," in name or "/" in name:
        return None
    if re.search(rules["skip"], lowered):
        return None
    words = lowered.split()
    if len(words) > rules["max_words"]:
        return None
    if len(words) == 1 and (len(lowered) < rules["min_single_word"] or lowered in rules["common_words"]):
        return None
    return lowered


_NOS = re.compile(r"\s+NOS\s*$")


def _names(node: ET.Element) -> list[str]:
    title = node.findtext("desc") or ""
    terms = [note.text or "" for term in node.findall("inclusionTerm") for note in term.findall("note")]
    title_words = set(re.findall(r"[a-z]+", title.lower()))
    names: list[str] = []
    for text in [title, *terms]:
        # "Arthritis NOS" is filed under "Unspecified osteoarthritis": the general word the coder
        # is sent here with is not this code's concept, so a term whose last word the title lacks
        # is left out (a patient with rheumatoid arthritis has arthritis, not this osteoarthritis).
        last = re.findall(r"[a-z]+", _NOS.sub("", text).lower())[-1:]
        if _NOS.search(text) and not set(last) <= title_words:
            continue
        name = clean_name(text)
        if not name:
            continue
        # "Cushing's syndrome" is as often written "Cushing syndrome".
        for variant in (name, name.replace("'s ", " ")):
            if variant not in names:
                names.append(variant)
    return names


def _title(text: str) -> str:
    """A title lower-cased without its bracketed remarks: what a code's link to the hand vocabulary
    is read from, even where it is too long or too listed to be a name ("malignant neoplasms of
    lymphoid, hematopoietic and related tissue" is a kind of cancer)."""
    return _SPACES.sub(" ", _BRACKETS.sub("", text)).strip().lower()


def _entries(root: ET.Element) -> dict[str, dict[str, Any]]:
    """Concept → names and parent, for every section and code of the chapters read."""
    entries: dict[str, dict[str, Any]] = {}

    def walk(node: ET.Element, parent: str | None) -> None:
        for child in node.findall("diag"):
            code = child.findtext("name") or ""
            concept = f"icd:{code}"
            entries[concept] = {
                "names": _names(child),
                "broader": [parent] if parent else [],
                "title": _title(child.findtext("desc") or ""),
            }
            walk(child, concept)

    for chapter in root.findall("chapter"):
        for section in chapter.findall("section"):
            first = section.get("id", "")
            if not _CHAPTERS.match(first) or first in _rules()["skip_sections"]:
                continue
            # A section of one category ("C50") is not that category's code.
            concept = f"icd:{first}" if "-" in first else f"icd:{first}-{first}"
            title = (section.findtext("desc") or "").strip()
            name = clean_name(title)
            entries[concept] = {"names": [name] if name else [], "broader": [], "title": _title(title)}
            walk(section, concept)
    return entries


def link_to(entries: dict[str, dict[str, Any]], concept_of: Callable[[str], str | None]) -> None:
    """Add to each entry the hand concept one of its names is, or opens with ("endometriosis of
    uterus" → endometriosis): the hand vocabulary's hierarchy then continues the code's."""
    openers = re.compile(_rules()["head_of"])
    # A bare generic head ("lesion of ulnar nerve") says too little to be a hand concept.
    generic = frozenset(_rules()["common_words"])
    for entry in entries.values():
        linked: set[str] = set()
        for name in [*entry["names"], entry.pop("title", "")]:
            if not name:
                continue
            concept = concept_of(name)
            if concept is None:
                head = openers.split(name, maxsplit=1)[0]
                concept = concept_of(head) if head != name and head not in generic else None
            if concept is not None:
                linked.add(concept)
        entry["broader"] = [*entry["broader"], *sorted(linked)]
    for concept, codes in _rules()["links"].items():
        for code in codes:
            if f"icd:{code}" in entries:
                entries[f"icd:{code}"]["broader"].append(concept)


def _build(
    concept_of: Callable[[str], str | None], read_elsewhere: Callable[[str], bool]
) -> dict[str, dict[str, Any]]:
    root = _tabular()
    if root is None:
        return {}
    entries = _entries(root)
    for entry in entries.values():
        entry["names"] = [name for name in entry["names"] if not read_elsewhere(name)]
    link_to(entries, concept_of)
    return entries


def disease_codes(
    concept_of: Callable[[str], str | None], read_elsewhere: Callable[[str], bool]
) -> dict[str, dict[str, Any]]:
    """The ICD-10-CM entries (built once and kept), linked through ``concept_of`` (the hand
    vocabulary's lookup of a whole name) to the hand concepts, without the names another vocabulary
    reads (``read_elsewhere``: "tuberculosis" is an infection); empty without the package."""
    return built("disease-codes", lambda: _build(concept_of, read_elsewhere))


def names_of(entries: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for concept, entry in entries.items():
        for name in entry["names"]:
            yield name, concept


__all__ = ["PACKAGE", "clean_name", "disease_codes", "link_to", "names_of"]
