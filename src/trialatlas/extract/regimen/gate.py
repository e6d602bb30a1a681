"""The item gate: a dose the parser is likely to have read wrong is left out and shown as unread.

A wrong item costs twice (a false dose shown, and the right one still missing); leaving it out costs
nothing more than the miss it already was. So every dosed item gets a score that its reading is right,
from what the parser already knows about it (how its drug was named and how far away, how crowded its
sentence is, which of its fields were stated or inferred, its unit and basis, and doubt words around
it such as "vial", "or", "if", "up to", "trough"), and an item scoring under the threshold is not
given as a dose: it is kept as an :class:`Unparsed` fragment, so the page, API and CLI show the text
as not read and the dose calculator never uses it.

The score is a logistic model whose coefficients are data (``gate_model.json``), trained on the
labelled tuning sets by ``bench/train_regimen_gate.py``; the file may instead hold a few hand-chosen
doubt rules (``"kind": "rules"``: an item showing any of the named signs is left out) when those did
better in cross-validation, or ``"kind": "off"``. The cue words are data too (``gate_cues.json``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from trialatlas.extract.regimen import naming
from trialatlas.extract.regimen.drugs import Mention
from trialatlas.extract.regimen.models import SPEC_FREQUENCIES, ParsedRegimen, RegimenItem, Unparsed
from trialatlas.extract.regimen.passes import _Doc
from trialatlas.text.packaged import packaged_json

MODEL_FILE = "gate_model.json"
REASON = "dose read with too little certainty to be given"

_UNIT_FEATURES = {
    "g": "unit_g",
    "mcg": "unit_mcg",
    "mL": "unit_ml",
    "IU": "unit_units",
    "units": "unit_units",
    "tablets": "unit_count",
    "capsules": "unit_count",
    "puffs": "unit_count",
    "drops": "unit_count",
    "cells": "unit_count",
}
_BASIS_FEATURES = {
    "day": "basis_day",
    "week": "basis_day",
    "kg": "basis_kg",
    "m2": "basis_m2",
    "total": "basis_total",
}

_CORE_FEATURES: tuple[str, ...] = (
    "drug_none",
    "drug_default",
    "drug_class",
    "drug_unknown",
    "drug_renamed",
    "drug_short",
    "drug_after",
    "drug_far",
    "drug_outside_sentence",
    "sentence_drugs",
    "sentence_doses",
    "text_doses",
    "text_drugs",
    "same_drug_doses",
    "same_dose_again",
    "freq_none",
    "freq_inferred",
    "freq_unlisted",
    "route_none",
    "schedule",
    "duration",
    "basis_day",
    "basis_kg",
    "basis_m2",
    "basis_body_rate",
    "basis_total",
    "unit_g",
    "unit_mcg",
    "unit_ml",
    "unit_units",
    "unit_count",
    "unit_other",
    "range",
    "role",
    "alternative",
    "conditioned",
    "capped",
    "pulse",
    "amount_log",
    "parenthesised",
    "text_long",
    "position",
    "lines",
    "first_in_sentence",
    "sentence_frequency_words",
    "sentence_frequency_unused",
    "freq_none_beside_words",
    "sentence_route_words",
    "route_none_beside_words",
    "text_frequency_words",
)


@dataclass(frozen=True)
class _Cues:
    before: tuple[tuple[str, re.Pattern[str]], ...]
    after: tuple[tuple[str, re.Pattern[str]], ...]
    sentence: tuple[tuple[str, re.Pattern[str]], ...]


@functools.cache
def _cues() -> _Cues:
    raw = packaged_json(__package__, "gate_cues.json")
    return _Cues(
        before=tuple((f"before_{name}", re.compile(rx, re.IGNORECASE)) for name, rx in raw["before"].items()),
        after=tuple((f"after_{name}", re.compile(rx, re.IGNORECASE)) for name, rx in raw["after"].items()),
        sentence=tuple(
            (f"sentence_{name}", re.compile(rx, re.IGNORECASE)) for name, rx in raw["sentence"].items()
        ),
    )


@functools.cache
def feature_names() -> tuple[str, ...]:
    """Every feature the gate reads of an item, in the order of its coefficients."""
    cues = _cues()
    cue_names = [name for group in (cues.before, cues.after, cues.sentence) for name, _ in group]
    # A sentence's schedule words beside a dose left with no frequency: the words were not read for it.
    unread = [f"freq_none_beside_{name}" for name, _ in cues.sentence]
    return _CORE_FEATURES + tuple(cue_names) + tuple(unread)


@dataclass(frozen=True)
class GateModel:
    """A trained gate: ``logistic`` (coefficients over standardised features and a threshold on the
    probability), ``rules`` (leave out an item showing any feature in ``rules``) or ``off``."""

    kind: str
    features: tuple[str, ...]
    coefficients: tuple[float, ...] = ()
    intercept: float = 0.0
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    threshold: float = 0.0
    rules: tuple[str, ...] = ()
    _weights: tuple[float, ...] = field(default=(), init=False, repr=False, compare=False)
    _offset: float = field(default=0.0, init=False, repr=False, compare=False)
    _rule_columns: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> GateModel:
        return cls(
            kind=str(raw["kind"]),
            features=tuple(raw["features"]),
            coefficients=tuple(float(c) for c in raw.get("coefficients", ())),
            intercept=float(raw.get("intercept", 0.0)),
            mean=tuple(float(m) for m in raw.get("mean", ())),
            scale=tuple(float(s) for s in raw.get("scale", ())),
            threshold=float(raw.get("threshold", 0.0)),
            rules=tuple(raw.get("rules", ())),
        )

    def __post_init__(self) -> None:
        # Standardising folded into the weights once: a score is then one dot product.
        if self.kind == "logistic":
            weights = tuple(w / s for w, s in zip(self.coefficients, self.scale, strict=True))
            offset = self.intercept - sum(w * m for w, m in zip(weights, self.mean, strict=True))
        else:
            weights, offset = (), 0.0
        object.__setattr__(self, "_weights", weights)
        object.__setattr__(self, "_offset", offset)
        object.__setattr__(self, "_rule_columns", tuple(self.features.index(name) for name in self.rules))

    def score(self, features: list[float]) -> float:
        """The probability that an item with these features is read right (under rules, 1.0 or 0.0)."""
        if self.kind == "rules":
            return 0.0 if any(features[column] for column in self._rule_columns) else 1.0
        if self.kind != "logistic":
            return 1.0
        z = self._offset + sum(map(operator.mul, features, self._weights))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def keeps(self, score: float) -> bool:
        """Whether an item of this score is given as a dose."""
        if self.kind == "rules":
            return score > 0.5
        return self.kind != "logistic" or score >= self.threshold


def ids_digest(ids: Iterable[str]) -> str:
    """A digest of the labelled texts a gate was trained on (``set/id``), to tell a stale model file."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


@functools.cache
def shipped_model() -> GateModel:
    """The gate the package ships (``gate_model.json``); "off" when there is none yet."""
    source = resources.files(__package__).joinpath(MODEL_FILE)
    if not source.is_file():
        return GateModel(kind="off", features=feature_names())
    raw = json.loads(source.read_text("utf-8"))
    if tuple(raw["features"]) != feature_names():
        # Coefficients of another feature list would be read against the wrong features (the gate's
        # test fails until bench/train_regimen_gate.py is run again).
        return GateModel(kind="off", features=feature_names())
    return GateModel.from_json(raw)


def judge(doc: _Doc, result: ParsedRegimen, model: GateModel | None) -> None:
    """Score every dosed item of ``result`` (noted on the item) and, when ``model`` is given, move the
    items it doubts out of ``result.items`` into ``result.unparsed``. A gate switched off reads nothing."""
    if model is not None and model.kind == "off":
        return
    dosed = [item for item in result.items if item.dose is not None and item.status == "parsed"]
    if not dosed:
        return
    names = feature_names()
    doubted: list[RegimenItem] = []
    per_sentence: dict[int, tuple[bool, ...]] = {}
    for index, item in enumerate(dosed):
        features = _features(doc, item, index, dosed, names, per_sentence)
        score = model.score(features) if model is not None else None
        item.note_gate(features, score)
        if model is not None and score is not None and not model.keeps(score):
            doubted.append(item)
    if not doubted:
        return
    gone = {id(item) for item in doubted}
    result.items = [item for item in result.items if id(item) not in gone]
    for item in doubted:
        start = _fragment_start(doc, item)
        result.unparsed.append(
            Unparsed(text=doc.text[start : item.end].strip(), reason=REASON, start=start, end=item.end)
        )
    result.unparsed.sort(key=lambda fragment: fragment.start)


def _fragment_start(doc: _Doc, item: RegimenItem) -> int:
    """Where the doubted dose's words begin: at its drug's name when that comes shortly before it."""
    sentence = doc.sentence_of(item.start)
    mention = _mention_of(doc, item, sentence.start, sentence.end)
    if mention is not None and mention.start < item.start and item.start - mention.start <= 80:
        return mention.start
    return item.start


def _mention_of(doc: _Doc, item: RegimenItem, start: int, end: int) -> Mention | None:
    """The mention the item's drug was read from: the nearest one with its surface, in the sentence."""
    if not item.drug_text:
        return None
    best: Mention | None = None
    for mention in doc.mentions:
        if (
            mention.surface == item.drug_text
            and start <= mention.start < end
            and (best is None or abs(mention.start - item.start) < abs(best.start - item.start))
        ):
            best = mention
    return best


def _features(
    doc: _Doc,
    item: RegimenItem,
    index: int,
    dosed: list[RegimenItem],
    names: tuple[str, ...],
    per_sentence: dict[int, tuple[bool, ...]],
) -> list[float]:
    text = doc.text
    dose = item.dose
    assert dose is not None
    sentence = doc.sentence_of(item.start)
    values = dict.fromkeys(names, 0.0)
    mention = _mention_of(doc, item, sentence.start, sentence.end)
    outside = mention is None and item.drug_text is not None
    if outside:
        mention = _mention_of(doc, item, 0, len(text))
    values["drug_none"] = float(item.drug is None)
    values["drug_default"] = float(item.drug is not None and not item.drug_text)
    if item.drug_text:
        written = " ".join(item.drug_text.lower().split())
        values["drug_class"] = float(
            item.drug == item.drug_class or naming.kept_as_written(item.drug_text) is not None
        )
        values["drug_renamed"] = float(item.drug is not None and not item.drug.startswith(written))
        values["drug_short"] = float(len(written) <= 4)
    values["drug_outside_sentence"] = float(outside)
    if mention is not None:
        values["drug_unknown"] = float(not mention.known)
        values["drug_after"] = float(mention.start >= item.end)
        gap = text[mention.end : item.start] if mention.end <= item.start else text[item.end : mention.start]
        values["drug_far"] = math.log1p(len(gap.split()))
    in_sentence = [m for m in doc.mentions if sentence.start <= m.start < sentence.end]
    values["sentence_drugs"] = math.log1p(len({m.info.name for m in in_sentence}))
    sentence_doses = [other for other in dosed if sentence.start <= other.start < sentence.end]
    values["sentence_doses"] = math.log1p(len(sentence_doses))
    values["first_in_sentence"] = float(bool(sentence_doses) and sentence_doses[0] is item)
    values["text_doses"] = math.log1p(len(dosed))
    values["text_drugs"] = math.log1p(len({m.info.name for m in doc.mentions}))
    same = [other for other in dosed if other is not item and other.drug == item.drug]
    values["same_drug_doses"] = math.log1p(len(same))
    values["same_dose_again"] = float(any(other.dose == dose for other in same))
    values["freq_none"] = float(item.frequency is None)
    values["freq_inferred"] = float(item.frequency is not None and not item.frequency_text)
    values["freq_unlisted"] = float(item.frequency is not None and item.frequency not in SPEC_FREQUENCIES)
    values["route_none"] = float(item.route is None)
    values["schedule"] = float(item.schedule is not None)
    values["duration"] = float(item.duration is not None)
    basis_feature = _BASIS_FEATURES.get(dose.basis)
    if basis_feature is not None:
        values[basis_feature] = 1.0
    elif dose.basis != "dose":
        values["basis_body_rate"] = 1.0
    if dose.unit != "mg":
        values[_UNIT_FEATURES.get(dose.unit, "unit_other")] = 1.0
    values["range"] = float(dose.is_range)
    values["role"] = float(item.role is not None)
    values["alternative"] = float(item.alternative_group is not None)
    values["conditioned"] = float(bool(item.conditions))
    values["capped"] = float(item.max_dose is not None)
    values["pulse"] = float(item.pulse)
    values["amount_log"] = max(-3.0, min(7.0, math.log10(dose.low))) if dose.low > 0 else -3.0
    values["parenthesised"] = float(
        text[max(0, item.start - 2) : item.start].strip().endswith("(")
        or text[item.end : item.end + 2].strip().startswith(")")
    )
    values["text_long"] = math.log1p(len(text) / 100)
    values["position"] = index / (len(dosed) - 1) if len(dosed) > 1 else 0.0
    values["lines"] = float("\n" in text.strip())
    # Frequency and route words of the sentence: a dose left without one beside such words is a sign
    # that the words were read for another dose, or not read at all.
    freqs = [f for f in doc.freqs if sentence.start <= f[0] < sentence.end]
    values["sentence_frequency_words"] = float(bool(freqs))
    values["sentence_frequency_unused"] = float(
        any(f[0] not in doc.used_freqs and ("freq", f[0]) not in doc.claimed for f in freqs)
    )
    values["freq_none_beside_words"] = float(item.frequency is None and bool(freqs))
    routes = any(sentence.start <= r[0] < sentence.end for r in doc.routes)
    values["sentence_route_words"] = float(routes)
    values["route_none_beside_words"] = float(item.route is None and routes)
    values["text_frequency_words"] = math.log1p(len(doc.freqs))
    before = text[max(sentence.start, item.start - 60) : item.start]
    after = text[item.end : min(len(text), item.end + 40)]
    cues = _cues()
    for name, pattern in cues.before:
        values[name] = float(pattern.search(before) is not None)
    for name, pattern in cues.after:
        values[name] = float(pattern.search(after) is not None)
    # A sentence's own cue words are looked for once, for all its doses.
    found_in_sentence = per_sentence.get(sentence.start)
    if found_in_sentence is None:
        words = text[sentence.start : sentence.end]
        found_in_sentence = tuple(pattern.search(words) is not None for _, pattern in cues.sentence)
        per_sentence[sentence.start] = found_in_sentence
    for (name, _), found in zip(cues.sentence, found_in_sentence, strict=True):
        values[name] = float(found)
        values[f"freq_none_beside_{name}"] = float(found and item.frequency is None)
    return [values[name] for name in names]
