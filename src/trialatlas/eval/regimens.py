"""Regimen parsing measured against labelled texts, beside a plain regex baseline in the same run.

Labels follow ``specs/regimen-items.md``: one item per stated dose, ``drug, amount_low, amount_high,
unit, basis, frequency, route``. Two item scores are reported:

- strict: an item counts only when all seven fields agree (null with null agreeing), each labelled
  item matched at most once;
- paired (looser): predicted and labelled items of one text that agree on amount and unit (the
  identity of a dose) are paired, best-agreeing first, whatever their other fields say.

Per field, over the paired items: a field is right when both sides give the same non-null value;
precision counts over predicted items that give the field, recall over labelled items that give it.
Texts are read by id from the shared records, so a label set holds ids and answers only: an arm's or
an intervention's description (``NCT…:arm:N``, ``NCT…:int:N``) or a passage of a trial's detailed
description in the descriptions dump (``NCT…:desc:S-E``, its sentences S to E, 0-based and inclusive),
or a text of a source the sampler never read (``ctgovxml:…``, ``ictrp:…``, ``ctis:…``, ``euctr:…``,
``isrctn:…``: other_sources.py).
"""

from __future__ import annotations

import functools
import lzma
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

import orjson

from trialatlas.config import shared_data_dir
from trialatlas.eval.other_sources import is_other_id, other_texts, trial_key
from trialatlas.extract.regimen.batch import export_text
from trialatlas.extract.regimen.clauses import sentences
from trialatlas.extract.regimen.context import TrialInterventions, trial_interventions


class Predictor(Protocol):
    """What reads one text into the scoring shape, given its trial's intervention names."""

    def __call__(self, text: str, *, interventions: TrialInterventions = ()) -> dict[str, Any]: ...


FIELDS: tuple[str, ...] = ("drug", "amount_low", "amount_high", "unit", "basis", "frequency", "route")

Item = dict[str, Any]

# Where labelled texts come from: an arm's or an intervention's description in the shared records.
SOURCE_FOLDERS = ("ctgov_legacy_xml_2023", "ctgov_api_v2_samples")


@functools.cache
def shared_descriptions(data_dir: Path) -> dict[str, str]:
    """Every arm and intervention description of the shared ClinicalTrials.gov records, by text id:
    ``NCT…:arm:N`` (the trial's N-th arm group) and ``NCT…:int:N`` (its N-th intervention)."""
    from trialatlas.model import Trial
    from trialatlas.sources import read_paths

    texts: dict[str, str] = {}
    for trial in read_paths([data_dir / folder for folder in SOURCE_FOLDERS]):
        if not isinstance(trial, Trial) or trial.nct_id is None:
            continue
        described = [("arm", [arm.description for arm in trial.arms])]
        described.append(("int", [intervention.description for intervention in trial.interventions]))
        for kind, descriptions in described:
            for position, description in enumerate(descriptions):
                if description:
                    texts.setdefault(f"{trial.nct_id}:{kind}:{position}", description)
    return texts


# Where description passages come from: the ~101k trials' detailed descriptions (its SOURCE.md).
DESCRIPTIONS_FOLDER = "ctgov_trial_descriptions_100k"
_PASSAGE_ID = re.compile(r"^(NCT\d{8}):desc:(\d+)-(\d+)$")
_LINE_NCT = re.compile(rb'"nct_id":\s*"(NCT\d{8})"')


@functools.cache
def dump_descriptions(data_dir: Path, wanted: frozenset[str] | None = None) -> dict[str, str]:
    """The detailed description of each trial of the descriptions dump by NCT number (only those in
    ``wanted`` when given: the dump is ~290 MB of text, read once per set of trials asked for)."""
    found: dict[str, str] = {}
    for part in sorted((data_dir / DESCRIPTIONS_FOLDER).glob("*.jsonl.xz")):
        with lzma.open(part, "rb") as lines:
            for line in lines:
                # Each line opens with its NCT number ('{"nct_id": "NCT…"'): skip unwanted lines unparsed.
                head = _LINE_NCT.search(line, 0, 64)
                if wanted is not None and (head is None or head.group(1).decode() not in wanted):
                    continue
                record = orjson.loads(line)
                if isinstance(record.get("description"), str) and record["description"].strip():
                    found.setdefault(record["nct_id"], record["description"])
    return found


# The dump's maker split each description into sentences at every period followed by a space, decimal
# points included, and re-joined them with spaces ("0. 5 mg" for the registry's "0.5 mg"); the decimal is
# re-joined before the text is split or read, as the registry wrote it.
_SPLIT_DECIMAL = re.compile(r"(?<=\d)\. (?=\d)")
# The dump also lost the micro sign of "µg", writing "1/2" in its place ("calcitriol 0.25 1/2g daily",
# "Clonidine (150 1/2g)"); it is written back before the text is read (R73 labels it mcg).
_LOST_MICRO = re.compile(r"(?<=\d) 1/2(?=g\b)")


def description_sentences(description: str) -> list[str]:
    """A description's sentences as the regimen parser splits them (clauses.sentences), which the
    ``S-E`` of a passage id count, after the dump's split decimals are re-joined."""
    description = _LOST_MICRO.sub(" µ", _SPLIT_DECIMAL.sub(".", description))
    return [description[span.start : span.end].strip() for span in sentences(description)]


def passage_text(description: str, first: int, last: int) -> str:
    """Sentences ``first`` to ``last`` (inclusive) of a description, joined by single spaces."""
    chosen = description_sentences(description)[first : last + 1]
    if len(chosen) != last - first + 1:
        raise IndexError(f"sentences {first}-{last} run past the description's {len(chosen)}")
    return " ".join(chosen)


def _passages(ids: list[str], data_dir: Path) -> dict[str, str]:
    """The text of each passage id (``NCT…:desc:S-E``) of ``ids``; the dump is read only when there is one."""
    parsed = {text_id: _PASSAGE_ID.match(text_id) for text_id in ids}
    wanted = frozenset(match.group(1) for match in parsed.values() if match)
    if not wanted:
        return {}
    descriptions = dump_descriptions(data_dir, wanted)
    texts: dict[str, str] = {}
    for text_id, match in parsed.items():
        if match and match.group(1) in descriptions:
            texts[text_id] = passage_text(
                descriptions[match.group(1)], int(match.group(2)), int(match.group(3))
            )
    return texts


@functools.cache
def shared_interventions(data_dir: Path) -> dict[str, list[list[str]]]:
    """Each shared trial's interventions by NCT number, each as its name followed by its other names: the
    context a text of that trial is read in (context.py)."""
    from trialatlas.model import Trial
    from trialatlas.sources import read_paths

    listed: dict[str, list[list[str]]] = {}
    for trial in read_paths([data_dir / folder for folder in SOURCE_FOLDERS]):
        if isinstance(trial, Trial) and trial.nct_id is not None and trial.nct_id not in listed:
            listed[trial.nct_id] = trial_interventions(trial)
    return listed


def load_labelled(path: Path, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Labelled texts: ``{"id", "items"}`` lines, each text given inline (``"text"``) or, when not,
    read by its id from the shared records in ``data_dir`` (default: the configured shared data), so
    that a labelled set holds labels only, never copies of the registry's text. A passage id
    (``NCT…:desc:S-E``) is read from the descriptions dump, which is opened only for a set that holds
    one. A text read from the shared records also gets its trial's intervention names
    (``"interventions"``), as a stored trial's texts are read with them."""
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    if all("text" in row for row in rows):
        return rows
    data = data_dir or shared_data_dir()
    _read_other_sources(rows, data)
    passages = _passages([str(row["id"]) for row in rows if "text" not in row], data)
    texts = (
        shared_descriptions(data)
        if any(row["id"] not in passages for row in rows if "text" not in row)
        else {}
    )
    listed = shared_interventions(data) if texts or passages else {}
    for row in rows:
        if "text" not in row:
            try:
                row["text"] = passages[row["id"]] if row["id"] in passages else texts[row["id"]]
            except KeyError:
                raise ValueError(f"{path}: no shared record gives the text {row['id']!r}") from None
            row.setdefault("interventions", listed.get(str(row["id"]).split(":", 1)[0], []))
    return rows


def _read_other_sources(rows: list[dict[str, Any]], data: Path) -> None:
    """Give the rows whose ids name a source the sampler never read (other_sources.py) their texts and
    their trials' intervention names; the shared ClinicalTrials.gov folders are not opened for them."""
    other = [row for row in rows if "text" not in row and is_other_id(str(row["id"]))]
    if not other:
        return
    texts, listed = other_texts(data)
    for row in other:
        text_id = str(row["id"])
        if text_id not in texts:
            raise ValueError(f"no shared record gives the text {text_id!r}")
        row["text"] = texts[text_id]
        row.setdefault("interventions", listed.get(trial_key(text_id), []))


# The plain baseline: a number and a dose unit, with a per-kg/m²/day suffix; nothing else is read.
_BASELINE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*(mg|g|mcg|µg|ug|IU|units?|mL)\b"
    r"(?:\s*/\s*(kg|m2|day|d)\b)?",
    re.IGNORECASE,
)
_BASELINE_UNITS = {"µg": "mcg", "ug": "mcg", "iu": "IU", "unit": "units", "ml": "mL"}
_BASELINE_BASIS = {"kg": "kg", "m2": "m2", "day": "day", "d": "day"}


def baseline_export(text: str, *, interventions: TrialInterventions = ()) -> dict[str, Any]:
    """What a regex that knows only "number unit[/basis]" finds: no drug, frequency or route."""
    items: list[Item] = []
    for match in _BASELINE.finditer(text):
        low = float(match.group(1))
        high = float(match.group(2)) if match.group(2) else low
        unit = match.group(3)
        unit = _BASELINE_UNITS.get(unit.lower(), unit.lower() if unit.lower() in {"mg", "g", "mcg"} else unit)
        basis = _BASELINE_BASIS.get((match.group(4) or "").lower(), "dose")
        items.append(
            {
                "drug": None,
                "amount_low": low,
                "amount_high": high,
                "unit": unit,
                "basis": basis,
                "frequency": "QD" if basis == "day" else None,
                "route": None,
            }
        )
    return {"items": items, "unparsed": []}


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return str(a).strip().lower() == str(b).strip().lower()


def _agree(a: Any, b: Any) -> bool:
    return _same(a, b) or (a is None and b is None)


def _agreement(pred: Item, gold: Item) -> int:
    return sum(1 for f in FIELDS if _agree(pred.get(f), gold.get(f)))


def pair_items(predicted: list[Item], gold: list[Item]) -> list[tuple[int, int]]:
    """Pairs (predicted index, gold index) of the same dose, best agreement first."""
    candidates = [
        (_agreement(p, g), i, j)
        for i, p in enumerate(predicted)
        for j, g in enumerate(gold)
        if _same(p.get("amount_low"), g.get("amount_low")) and _same(p.get("unit"), g.get("unit"))
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in candidates:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        pairs.append((i, j))
    return pairs


def _key(item: Item) -> tuple[str, ...]:
    """An item with every field spelt one way, for the strict multiset comparison."""
    parts: list[str] = []
    for field in FIELDS:
        value = item.get(field)
        if isinstance(value, int | float):
            parts.append(f"{float(value):.6g}")
        else:
            parts.append("" if value is None else str(value).strip().lower())
    return tuple(parts)


def strict_matches(predicted: list[Item], gold: list[Item]) -> int:
    """How many labelled items the prediction states exactly (every field), each counted once."""
    overlap = Counter(map(_key, predicted)) & Counter(map(_key, gold))
    return sum(overlap.values())


def evaluate(
    labelled: list[dict[str, Any]],
    predict: Predictor = export_text,
) -> dict[str, Any]:
    """Strict and paired item precision/recall/F1, per-field scores, and how often "unparsed" was said."""
    tp = dict.fromkeys(FIELDS, 0)
    n_pred = dict.fromkeys(FIELDS, 0)
    n_gold = dict.fromkeys(FIELDS, 0)
    paired = predicted_total = gold_total = strict = 0
    texts_unparsed = fragments = 0
    missed_in_flagged = missed = 0
    errors: list[dict[str, Any]] = []
    for record in labelled:
        output = predict(str(record["text"]), interventions=record.get("interventions") or ())
        predicted: list[Item] = output["items"]
        gold: list[Item] = record.get("items", [])
        if output.get("unparsed"):
            texts_unparsed += 1
            fragments += len(output["unparsed"])
        pairs = pair_items(predicted, gold)
        paired += len(pairs)
        predicted_total += len(predicted)
        gold_total += len(gold)
        exact = strict_matches(predicted, gold)
        strict += exact
        for field in FIELDS:
            n_pred[field] += sum(1 for p in predicted if p.get(field) is not None)
            n_gold[field] += sum(1 for g in gold if g.get(field) is not None)
        wrong: list[str] = []
        for i, j in pairs:
            pred, truth = predicted[i], gold[j]
            for field in FIELDS:
                if _same(pred.get(field), truth.get(field)):
                    tp[field] += 1
                elif pred.get(field) is not None or truth.get(field) is not None:
                    wrong.append(f"{field}: {pred.get(field)!r} != {truth.get(field)!r}")
        unmatched_gold = len(gold) - len(pairs)
        missed += unmatched_gold
        if unmatched_gold and output.get("unparsed"):
            missed_in_flagged += unmatched_gold
        if exact != len(gold) or len(predicted) != len(gold):
            errors.append(
                {
                    "id": record.get("id"),
                    "wrong": wrong,
                    "missed": unmatched_gold,
                    "extra": len(predicted) - len(pairs),
                }
            )
    fields = {
        field: _prf(tp[field], n_pred[field], n_gold[field]) | {"support": n_gold[field]} for field in FIELDS
    }
    return {
        "texts": len(labelled),
        "gold_items": gold_total,
        "predicted_items": predicted_total,
        "strict": _prf(strict, predicted_total, gold_total),
        "items": _prf(paired, predicted_total, gold_total) | {"exact_item_rate": _ratio(strict, gold_total)},
        "fields": fields,
        "unparsed": {
            "texts_with_unparsed": texts_unparsed,
            "rate": _ratio(texts_unparsed, len(labelled)),
            "fragments": fragments,
            "missed_items_in_flagged_texts": missed_in_flagged,
            "missed_items": missed,
        },
        "errors": errors,
    }


def compare_with_baseline(labelled: list[dict[str, Any]]) -> dict[str, Any]:
    """The parser and the regex baseline scored on the same texts in the same run (errors left out)."""
    parser = evaluate(labelled)
    baseline = evaluate(labelled, baseline_export)
    parser.pop("errors")
    baseline.pop("errors")
    return {"parser": parser, "baseline": baseline}


def _prf(hits: int, predicted: int, gold: int) -> dict[str, float]:
    precision, recall = _ratio(hits, predicted), _ratio(hits, gold)
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
