"""Batch parsing in the scoring shape, and precision/recall per field against labelled texts.

An input line is ``{"id": ..., "text": ...}`` (an optional ``"name"``, the intervention's name, is used
as the drug of doses whose text names none); an output line is ``{"id": ..., "items": [...],
"unparsed": [...]}`` with one flat item per stated dose.

Scoring pairs predicted and labelled items of one text that agree on amount and unit (the identity
of a dose), best-agreeing first. A field is then right when both sides give the same non-null value:
precision counts over predicted items that give the field, recall over labelled items that give it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from trialatlas.config import shared_data_dir
from trialatlas.extract.regimen.parse import parse_regimen

FIELDS: tuple[str, ...] = ("drug", "amount_low", "amount_high", "unit", "basis", "frequency", "route")

Item = dict[str, Any]


def export_text(text: str, name: str | None = None) -> dict[str, Any]:
    """The scoring shape of one text: its dosed items and the fragments it could not read."""
    parsed = parse_regimen(text, default_drug=name)
    return {
        "items": [item.export() for item in parsed.items if item.dose is not None],
        "unparsed": [fragment.text for fragment in parsed.unparsed],
    }


def parse_jsonl(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """One output record per input line (blank lines skipped)."""
    for line in lines:
        if not line.strip():
            continue
        record = orjson.loads(line)
        name = record.get("name") or record.get("intervention_name")
        yield {"id": record.get("id"), **export_text(str(record.get("text") or ""), name)}


def parse_file(source: Path, target: Path) -> int:
    """``parse-regimens``: read ``source`` JSONL, write ``target`` JSONL; the number of records written."""
    count = 0
    with source.open("rb") as handle, target.open("wb") as out:
        for record in parse_jsonl(handle):
            out.write(orjson.dumps(record) + b"\n")
            count += 1
    return count


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


def load_labelled(path: Path, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Labelled texts: ``{"id", "items"}`` lines, each text given inline (``"text"``) or, when not,
    read by its id from the shared records in ``data_dir`` (default: the configured shared data), so
    that a labelled set holds labels only, never copies of the registry's text."""
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    if all("text" in row for row in rows):
        return rows
    texts = shared_descriptions(data_dir or shared_data_dir())
    for row in rows:
        if "text" not in row:
            try:
                row["text"] = texts[row["id"]]
            except KeyError:
                raise ValueError(f"{path}: no shared record gives the text {row['id']!r}") from None
    return rows


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return str(a).strip().lower() == str(b).strip().lower()


def _agreement(pred: Item, gold: Item) -> int:
    return sum(
        1 for f in FIELDS if _same(pred.get(f), gold.get(f)) or (pred.get(f) is None and gold.get(f) is None)
    )


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


def evaluate(
    labelled: list[dict[str, Any]],
    predict: Callable[[str], dict[str, Any]] = export_text,
) -> dict[str, Any]:
    """Item and per-field precision/recall, exact-item rate, and how often the parser said "unparsed"."""
    tp = dict.fromkeys(FIELDS, 0)
    n_pred = dict.fromkeys(FIELDS, 0)
    n_gold = dict.fromkeys(FIELDS, 0)
    paired = predicted_total = gold_total = exact = 0
    texts_unparsed = fragments = 0
    missed_in_flagged = missed = 0
    errors: list[dict[str, Any]] = []
    for record in labelled:
        output = predict(str(record["text"]))
        predicted: list[Item] = output["items"]
        gold: list[Item] = record.get("items", [])
        if output.get("unparsed"):
            texts_unparsed += 1
            fragments += len(output["unparsed"])
        pairs = pair_items(predicted, gold)
        paired += len(pairs)
        predicted_total += len(predicted)
        gold_total += len(gold)
        for field in FIELDS:
            n_pred[field] += sum(1 for p in predicted if p.get(field) is not None)
            n_gold[field] += sum(1 for g in gold if g.get(field) is not None)
        wrong: list[str] = []
        for i, j in pairs:
            pred, truth = predicted[i], gold[j]
            if all(
                _same(pred.get(f), truth.get(f)) or (pred.get(f) is None and truth.get(f) is None)
                for f in FIELDS
            ):
                exact += 1
            for field in FIELDS:
                if _same(pred.get(field), truth.get(field)):
                    tp[field] += 1
                elif pred.get(field) is not None or truth.get(field) is not None:
                    wrong.append(f"{field}: {pred.get(field)!r} != {truth.get(field)!r}")
        unmatched_gold = len(gold) - len(pairs)
        missed += unmatched_gold
        if unmatched_gold and output.get("unparsed"):
            missed_in_flagged += unmatched_gold
        if wrong or unmatched_gold or len(predicted) != len(pairs):
            errors.append(
                {
                    "id": record.get("id"),
                    "wrong": wrong,
                    "missed": unmatched_gold,
                    "extra": len(predicted) - len(pairs),
                }
            )
    fields = {
        field: {
            "precision": _ratio(tp[field], n_pred[field]),
            "recall": _ratio(tp[field], n_gold[field]),
            "f1": _f1(_ratio(tp[field], n_pred[field]), _ratio(tp[field], n_gold[field])),
            "support": n_gold[field],
        }
        for field in FIELDS
    }
    return {
        "texts": len(labelled),
        "gold_items": gold_total,
        "predicted_items": predicted_total,
        "items": {
            "precision": _ratio(paired, predicted_total),
            "recall": _ratio(paired, gold_total),
            "exact_item_rate": _ratio(exact, gold_total),
        },
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


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
