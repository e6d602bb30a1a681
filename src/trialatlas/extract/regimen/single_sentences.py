"""A sentence of its own that says the dose before it is given once.

"St. Thomas solution ... with a dose of 20 ml per kg ... This solution is injected into the patient in a
single dose.": a sentence with no dose, whose subject points back ("This solution", "It", "The drug") and
which says the administration is single, makes the doses written before it (since the last such sentence)
that have no frequency of their own single administrations (the spec: once = "single dose"). A sentence
naming a drug of its own is left to passes._apply_named_frequency_sentences.
"""

from __future__ import annotations

import re

from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.passes import _Doc

_POINTS_BACK = re.compile(
    r"\s*(?:this|that|the|it|these)\b(?:\s+(?:solution|drug|dose|injection|infusion|medication|product|agent))?",
    re.IGNORECASE,
)
_SINGLE = re.compile(
    r"\b(?:in|as)\s+(?:a\s+|one\s+)?single\s+(?:dose|injection|infusion|administration|bolus|shot)\b",
    re.IGNORECASE,
)


def apply_single_dose_sentences(doc: _Doc, items: list[RegimenItem]) -> None:
    if "ingle" not in doc.text or not any(item.dose is not None and item.frequency is None for item in items):
        return
    since = 0
    for sentence in doc.sentences:
        if any(sentence.start <= item.start < sentence.end for item in items):
            continue
        if not (
            _POINTS_BACK.match(doc.text, sentence.start)
            and _SINGLE.search(doc.text, sentence.start, sentence.end)
            and not any(sentence.start <= m.start < sentence.end for m in doc.mentions)
        ):
            continue
        for item in items:
            if item.dose is not None and item.frequency is None and since <= item.start < sentence.start:
                item.frequency = "once"
        since = sentence.end
