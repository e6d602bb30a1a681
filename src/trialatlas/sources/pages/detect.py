"""Telling the page layouts apart, and how sure the guess is.

Each layout is recognised by the headings and labels its site prints on every page, whatever the trial:
the share of a layout's markers found in the page is its score. A trial-like page of no known layout
(an NCT id and the vocabulary of a trial record) still scores, lower, for the generic reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialatlas.sources.pages.common import heading_key
from trialatlas.text.registry_ids import NCT_IN_TEXT

# Markers are matched against whole lines, as headings (see ``heading_key``), unless they end with "…",
# which marks a line prefix.
_MARKERS: dict[str, tuple[str, ...]] = {
    "A": (
        "nct id…",
        "last updated…",
        "basic information",
        "brief summary",
        "detailed description",
        "study design",
        "study groups",
        "interventions",
        "other intervention names",
        "eligibility criteria",
        "sponsors",
        "responsible party",
        "principal investigators",
        "locations",
        "countries",
        "other identifiers",
        "related clinical trials",
        "more related trials",
        "get a concise snapshot of the trial…",
        "review each arm or cohort in the study…",
        "check the participation requirements…",
        "meet the organizations funding or collaborating…",
    ),
    "B": (
        "clinical trial details…",
        "administrative data",
        "nct number…",
        "other study id #…",
        "study information",
        "clinical trial summary",
        "description",
        "recruitment information / eligibility",
        "accepts healthy volunteers…",
        "age group…",
        "related conditions & mesh terms",
        "country where clinical trial is conducted",
        "type measure description time frame…",
        "see also",
        "lead sponsor collaborator",
        "est. completion date…",
    ),
    "C": (
        "registration number",
        "lead sponsor",
        "recruitment & eligibility",
        "study & design",
        "arm && interventions",
        "target recruitment",
        "primary outcome measures",
        "secondary outcome measures",
        "trial locations",
        "locations",
        "study type",
        "brief summary",
        "detailed description",
        "conditions",
    ),
}
# Markers only one layout prints; one of them must be present for the layout to be claimed.
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "A": (
        "nct id…",
        "get a concise snapshot of the trial…",
        "basic information",
        "study groups",
        "more related trials",
        "related clinical trials",
        "review each arm or cohort in the study…",
    ),
    "B": (
        "clinical trial details…",
        "administrative data",
        "other study id #…",
        "recruitment information / eligibility",
        "type measure description time frame…",
    ),
    "C": ("registration number", "recruitment & eligibility", "arm && interventions", "study & design"),
}
_TRIAL_WORDS = re.compile(
    r"\b(inclusion criteria|exclusion criteria|eligibility|recruiting|enrollment|enrolment|phase|sponsor|"
    r"intervention|primary outcome|study type|condition|randomi[sz]ed|placebo|participants|trial)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detection:
    layout: str
    confidence: float
    scores: dict[str, float]


def _present(marker: str, keys: set[str], prefixes: list[str]) -> bool:
    if marker.endswith("…"):
        stem = marker[:-1]
        return any(key.startswith(stem) for key in prefixes)
    return marker in keys


def detect_layout(lines: list[str]) -> Detection:
    """The layout of a page's lines; ``layout`` is "A", "B", "C", "generic" or "none"."""
    keys: set[str] = set()
    prefixes: list[str] = []
    for line in lines:
        key = heading_key(line)
        keys.add(key)
        prefixes.append(line.strip().lstrip("-* ").casefold())
    scores: dict[str, float] = {}
    for layout, markers in _MARKERS.items():
        found = sum(_present(m, keys, prefixes) for m in markers)
        signed = any(_present(m, keys, prefixes) for m in _SIGNATURES[layout])
        scores[layout] = found / len(markers) if signed else 0.0
    best = max(scores, key=lambda name: scores[name])
    if scores[best] >= 0.1:
        # A quarter of a layout's markers is already a near-certain match: no other page prints them; a
        # page cut off early still shows its layout's signature and first markers.
        confidence = min(0.99, 0.6 + scores[best])
        return Detection(best, round(confidence, 3), scores)
    text = "\n".join(lines[:400])
    has_nct = bool(NCT_IN_TEXT.search(text))
    vocabulary = len({m.group(1).lower() for m in _TRIAL_WORDS.finditer(text)})
    # Without an NCT id there is nothing to store a generic page under: it is not claimed.
    generic = min(0.55, 0.35 + 0.03 * vocabulary) if has_nct and vocabulary >= 2 else 0.0
    scores["generic"] = generic
    if generic:
        return Detection("generic", round(generic, 3), scores)
    return Detection("none", 0.0, scores)
