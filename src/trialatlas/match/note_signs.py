"""Measurements a note places without a value: signs ("tachycardic", "afebrile") and panels called normal."""

from __future__ import annotations

import re

from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.extract.criteria.vocab import analyte_matcher
from trialatlas.match.patient_model import PatientMeasurement, PatientProfile, evidence_at

# Findings that state where a measurement lies without giving it: "tachycardic" is a fast heart rate,
# "afebrile" a normal temperature. Negated ("no fever"), the measurement is normal.
_SIGNS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), analyte, quality)
    for pattern, analyte, quality in (
        (r"tachycardi\w*", "heart_rate", "high"),
        (r"bradycardi\w*", "heart_rate", "low"),
        (r"tachypn\w*", "respiratory_rate", "high"),
        (r"bradypn\w*", "respiratory_rate", "low"),
        (r"hypotensi(?:on|ve)", "sbp", "low"),
        (r"afebrile", "temperature", "normal"),
        (r"febrile|fevers?|pyrexi\w*", "temperature", "high"),
        (r"hypox(?:ia|ic|emia|aemia)|desaturat\w*", "spo2", "low"),
        (r"an(?:a)?emi(?:a|c)", "hemoglobin", "low"),
        (r"leukocytosis|leucocytosis", "wbc", "high"),
        (r"leu[ck]openi(?:a|c)", "wbc", "low"),
        (r"thrombocytopeni(?:a|c)", "platelets", "low"),
        (r"thrombocytosis", "platelets", "high"),
        (r"neutropeni(?:a|c)", "anc", "low"),
        (r"hypokal(?:a)?emi(?:a|c)", "potassium", "low"),
        (r"hyperkal(?:a)?emi(?:a|c)", "potassium", "high"),
        (r"hyponatr(?:a)?emi(?:a|c)", "sodium", "low"),
        (r"hypernatr(?:a)?emi(?:a|c)", "sodium", "high"),
        (r"hypoglyc(?:a)?emi(?:a|c)", "glucose", "low"),
        (r"hyperglyc(?:a)?emi(?:a|c)", "glucose", "high"),
        (r"hypercalc(?:a)?emi(?:a|c)", "calcium", "high"),
        (r"hypocalc(?:a)?emi(?:a|c)", "calcium", "low"),
        (r"hypoalbumin(?:a)?emi(?:a|c)", "albumin", "low"),
        (r"obes(?:e|ity)", "bmi", "high"),
    )
)
# A panel reported normal as a whole vouches for each of its values.
_PANELS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), members)
    for pattern, members in (
        (
            r"\b(?:complete\s+blood\s+(?:cell\s+)?count|CBC|blood\s+counts?|hemogram|full\s+blood\s+count)\b",
            ("hemoglobin", "hematocrit", "wbc", "platelets", "anc"),
        ),
        (
            r"\b(?:biochemical\s+profile|biochemistry|(?:basic|comprehensive)\s+metabolic\s+panel|BMP|CMP|"
            r"electrolytes|renal\s+function(?:\s+tests)?|chemistry\s+panel)\b",
            ("creatinine", "urea", "sodium", "potassium", "glucose", "calcium"),
        ),
        (
            r"\b(?:liver\s+function\s+tests?|LFTs?|liver\s+enzymes|hepatic\s+panel)\b",
            ("alt", "ast", "alp", "bilirubin", "albumin"),
        ),
        (
            r"\b(?:vital\s+signs|vitals)\b",
            ("heart_rate", "respiratory_rate", "sbp", "dbp", "temperature"),
        ),
        (r"\b(?:coagulation\s+(?:profile|studies|tests)|clotting\s+screen)\b", ("inr", "ptt")),
    )
)
_NORMAL_WORDS = re.compile(
    r"\b(?:(?:are|is|were|was)\s+(?:all\s+)?(?:within\s+normal\s+limits|normal|unremarkable|stable)|"
    r"(?:within\s+normal\s+limits|WNL|unremarkable)|normal)\b",
    re.IGNORECASE,
)

# A list of named tests the sentence then calls normal ("hemoglobin, hematocrit and TSH are within
# normal limits"): the verb phrase after the list.
_LIST_NORMAL = re.compile(
    r"\b(?:are|were|is|was)\s+(?:all\s+)?(?:within\s+(?:the\s+)?normal\s+(?:limits|range)|normal|unremarkable)\b",
    re.IGNORECASE,
)


def read_signs(profile: PatientProfile, index: int, sentence: str) -> None:
    """Measurements a note places without a value: signs ("tachycardic") and panels called normal."""
    known = {m.analyte for m in profile.measurements if m.value is not None}
    for pattern, analyte, quality in _SIGNS:
        match = pattern.search(sentence)
        if match is None or analyte in known:
            continue
        context = note_context_of(sentence, *match.span())
        if context.family is not None or context.hypothetical is not None:
            continue
        profile.measurements.append(
            PatientMeasurement(
                name=match.group(0),
                analyte=analyte,
                qualitative="normal" if context.negated else quality,
                evidence=evidence_at(index, sentence, *match.span()),
            )
        )
    _read_named_normal(profile, index, sentence, known)
    for pattern, members in _PANELS:
        match = pattern.search(sentence)
        if match is None:
            continue
        near = sentence[match.start() : match.end() + 60]
        normal = _NORMAL_WORDS.search(near)
        if normal is None or re.search(r"\b(?:ab|not\s+)normal\b", near, re.IGNORECASE):
            continue
        for analyte in members:
            if analyte not in known:
                profile.measurements.append(
                    PatientMeasurement(
                        name=match.group(0),
                        analyte=analyte,
                        qualitative="normal",
                        evidence=evidence_at(index, sentence, match.start(), match.end()),
                    )
                )


def _read_named_normal(profile: PatientProfile, index: int, sentence: str, known: set[str | None]) -> None:
    """Tests named in a list the sentence calls normal, each read as normal: only a list with no
    number in it ("Hb 9.0 g/dL and platelets are normal" gives the haemoglobin a value of its own) and
    ending at the verb, so a test named after it ("normal, except for a low sodium") is not vouched for."""
    verb = _LIST_NORMAL.search(sentence)
    if verb is None or re.search(r"\b(?:ab|not\s+)normal\b", sentence[verb.start() : verb.end() + 20], re.I):
        return
    mentions = analyte_matcher().find(sentence[: verb.start()])
    if not mentions or re.search(r"\d", sentence[mentions[0].start : verb.start()]):
        return
    if note_context_of(sentence, mentions[0].start, mentions[-1].end).negated:
        return
    for mention in mentions:
        if mention.concept in known:
            continue
        known.add(mention.concept)
        profile.measurements.append(
            PatientMeasurement(
                name=mention.text,
                analyte=mention.concept,
                qualitative="normal",
                evidence=evidence_at(index, sentence, mention.start, mention.end),
            )
        )
