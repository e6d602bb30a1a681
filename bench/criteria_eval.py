"""Measure the criteria parser against Chia and the criterion judge against TrialGPT expert labels.

Prints one JSON object:

* ``chia``: F1 (span-overlap matching) of measurement names, measurement+value pairs, measurement +
  value + unit (number and unit also right), time windows, and negation cues / negated mentions, against
  the expert BRAT annotations of the 1,000 Chia trials (``chia_without_scope.zip``, read in place);
* ``judge``: accuracy of ``trialatlas judge`` on the TrialGPT criterion annotations beside GPT-4's
  answers in the same file and the majority-label baselines, overall and on the committed tuning and
  sealed parts (``labels/judge_split_patients.json``, split by a hash of the patient id).

Usage: ``python bench/criteria_eval.py [--chia-limit N] [--skip-chia] [--skip-judge]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.extract.criteria import Criterion, parse_criterion, split_criteria
from trialatlas.extract.criteria.negation import negation_cues
from trialatlas.extract.criteria.rules import MeasurementRule
from trialatlas.extract.criteria.temporal import find_windows

Spans = list[tuple[int, int]]
SPLIT_FILE = Path(__file__).parent / "labels" / "judge_split_patients.json"


@dataclass
class Score:
    true_positive_pred: int = 0
    predicted: int = 0
    true_positive_gold: int = 0
    gold: int = 0

    def as_dict(self) -> dict[str, float | int]:
        precision = self.true_positive_pred / self.predicted if self.predicted else 0.0
        recall = self.true_positive_gold / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass
class Entity:
    kind: str
    spans: Spans
    text: str


@dataclass
class Document:
    text: str
    kind: str
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)


def _overlaps(a: Spans, b: Spans) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def read_chia(path: Path, limit: int | None) -> list[Document]:
    documents: list[Document] = []
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".ann"))
        for name in names[: limit or None]:
            txt_name = name[:-4] + ".txt"
            if txt_name not in archive.namelist():
                continue
            text = archive.read(txt_name).decode("utf-8")
            doc = Document(text=text, kind="exclusion" if name.endswith("_exc.ann") else "inclusion")
            for line in archive.read(name).decode("utf-8").splitlines():
                parts = line.split("\t")
                if line.startswith("T") and len(parts) >= 3:
                    kind, _, offsets = parts[1].partition(" ")
                    spans: Spans = []
                    for piece in offsets.split(";"):
                        start, end = piece.split()
                        spans.append((int(start), int(end)))
                    doc.entities[parts[0]] = Entity(kind, spans, parts[2])
                elif line.startswith("R") and len(parts) >= 2:
                    relation, arg1, arg2 = parts[1].split()[:3]
                    doc.relations.append((relation, arg1.split(":")[1], arg2.split(":")[1]))
            documents.append(doc)
    return documents


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_UNIT_LETTERS = re.compile(r"\d\s*(?:[a-zA-Zµμ%/°]|x\s*10)", re.IGNORECASE)


def _value_unit_correct(rule: MeasurementRule, gold_value: str) -> bool:
    numbers = {float(n.replace(",", "")) for n in _NUMBER.findall(gold_value.replace(",", ""))}
    if rule.value is not None and rule.value not in numbers:
        return False
    if rule.value is None and rule.qualitative is None:
        return False
    gold_has_unit = bool(_UNIT_LETTERS.search(gold_value)) and not re.search(
        r"uln|upper limit|normal", gold_value, re.I
    )
    if rule.unit is None:
        return not gold_has_unit or rule.uln_multiple
    compact_gold = re.sub(r"\s", "", gold_value.lower())
    compact_unit = re.sub(r"\s", "", rule.unit.lower())
    return compact_unit in compact_gold


def evaluate_chia(limit: int | None) -> dict[str, object]:
    path = shared_data_dir() / "chia" / "chia_without_scope.zip"
    documents = read_chia(path, limit)
    names = Score()
    pairs = Score()
    strict = Score()
    windows_all = Score()
    windows_quantified = Score()
    cues = Score()
    negated = Score()
    criteria_count = 0
    started = time.perf_counter()
    for doc in documents:
        predicted_rules: list[tuple[MeasurementRule, Criterion]] = []
        predicted_windows: list[tuple[Spans, bool]] = []
        predicted_cues: list[Spans] = []
        predicted_negated: list[Spans] = []
        for criterion in split_criteria(doc.text, default=doc.kind):  # type: ignore[arg-type]
            criteria_count += 1
            parsed = parse_criterion(criterion)
            for rule in parsed.rules:
                span = [(rule.span.source_start or 0, rule.span.source_end or 0)]
                if isinstance(rule, MeasurementRule):
                    predicted_rules.append((rule, criterion))
                if rule.negated:
                    predicted_negated.append(span)
            for window in find_windows(criterion.text):
                predicted_windows.append(
                    ([criterion.source_span(window.start, window.end)], window.amount is not None)
                )
            for cue in negation_cues(criterion.text):
                predicted_cues.append([criterion.source_span(cue.start, cue.end)])
        measurements = {k: e for k, e in doc.entities.items() if e.kind == "Measurement"}
        value_pairs = [
            (measurements[a], doc.entities[b])
            for relation, a, b in doc.relations
            if relation == "Has_value" and a in measurements and b in doc.entities
        ]
        temporal = [e for e in doc.entities.values() if e.kind == "Temporal"]
        quantified_gold = [
            e for e in temporal if re.search(r"\d|one|two|three|four|five|six|twelve", e.text, re.I)
        ]
        negation_gold = [e for e in doc.entities.values() if e.kind == "Negation"]
        negated_ids = {a for relation, a, _ in doc.relations if relation == "Has_negation"}
        negated_gold = [doc.entities[i] for i in negated_ids if i in doc.entities]

        def name_span(rule: MeasurementRule, criterion: Criterion) -> Spans:
            return [criterion.source_span(rule.name_span.start, rule.name_span.end)]

        def value_span(rule: MeasurementRule, criterion: Criterion) -> Spans:
            if rule.value_span is None:
                return []
            return [criterion.source_span(rule.value_span.start, rule.value_span.end)]

        _tally(names, [name_span(r, c) for r, c in predicted_rules], [e.spans for e in measurements.values()])
        pair_pred = [(name_span(r, c), value_span(r, c), r) for r, c in predicted_rules]
        pairs.predicted += len(pair_pred)
        strict.predicted += len(pair_pred)
        pairs.gold += len(value_pairs)
        strict.gold += len(value_pairs)
        for m_spans, v_spans, rule in pair_pred:
            hits = [
                (m, v) for m, v in value_pairs if _overlaps(m_spans, m.spans) and _overlaps(v_spans, v.spans)
            ]
            if hits:
                pairs.true_positive_pred += 1
                if any(_value_unit_correct(rule, v.text) for _, v in hits):
                    strict.true_positive_pred += 1
        for m, v in value_pairs:
            hits = [
                r
                for m_spans, v_spans, r in pair_pred
                if _overlaps(m_spans, m.spans) and _overlaps(v_spans, v.spans)
            ]
            if hits:
                pairs.true_positive_gold += 1
                if any(_value_unit_correct(r, v.text) for r in hits):
                    strict.true_positive_gold += 1
        _tally(windows_all, [s for s, _ in predicted_windows], [e.spans for e in temporal])
        _tally(windows_quantified, [s for s, q in predicted_windows if q], [e.spans for e in quantified_gold])
        _tally(cues, predicted_cues, [e.spans for e in negation_gold])
        _tally(negated, predicted_negated, [e.spans for e in negated_gold])
    elapsed = time.perf_counter() - started
    return {
        "documents": len(documents),
        "criteria": criteria_count,
        "criteria_per_second": round(criteria_count / elapsed, 1) if elapsed else None,
        "matching": "a prediction and an annotation match when their character spans overlap",
        "measurement_name": names.as_dict(),
        "measurement_value_pair": pairs.as_dict(),
        "measurement_value_unit": strict.as_dict(),
        "temporal_window_all": windows_all.as_dict(),
        "temporal_window_quantified": windows_quantified.as_dict(),
        "negation_cue": cues.as_dict(),
        "negated_mention": negated.as_dict(),
    }


def _tally(score: Score, predicted: list[Spans], gold: list[Spans]) -> None:
    score.predicted += len(predicted)
    score.gold += len(gold)
    score.true_positive_pred += sum(1 for p in predicted if any(_overlaps(p, g) for g in gold))
    score.true_positive_gold += sum(1 for g in gold if any(_overlaps(p, g) for p in predicted))


def evaluate_judge(path: Path) -> dict[str, object]:
    from trialatlas.match.judge import judge_annotations, load_annotations

    pairs = load_annotations(path)
    started = time.perf_counter()
    predictions = judge_annotations(pairs)
    elapsed = time.perf_counter() - started
    labelled = [(p, r) for p, r in zip(pairs, predictions, strict=True) if p.get("expert_eligibility")]
    correct = sum(1 for p, r in labelled if r.eligibility == p["expert_eligibility"])
    gpt4 = sum(1 for p, _ in labelled if p.get("gpt4_eligibility") == p["expert_eligibility"])
    labels = Counter(p["expert_eligibility"] for p, _ in labelled)
    majority_label, majority_count = labels.most_common(1)[0]
    by_type: dict[str, Counter[str]] = {}
    for p, _ in labelled:
        by_type.setdefault(p["criterion_type"], Counter())[p["expert_eligibility"]] += 1
    per_type_majority = sum(counter.most_common(1)[0][1] for counter in by_type.values())
    confusion: Counter[str] = Counter(f"{p['expert_eligibility']} -> {r.eligibility}" for p, r in labelled)
    n = len(labelled)
    # The committed split (by a hash of the patient id): rules are tuned on errors of the tuning part
    # only; the sealed part is reported, never looked into.
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    part_of = {str(i): name for name in ("tuning", "sealed") for i in split[name]}
    parts: dict[str, dict[str, int]] = {}
    # Confusion counts per part are aggregates: the sealed part's may be printed, its pairs never.
    part_confusion: dict[str, Counter[str]] = {}
    for p, r in labelled:
        name = part_of.get(str(p.get("annotation_id")), "unsplit")
        part_confusion.setdefault(name, Counter())[f"{p['expert_eligibility']} -> {r.eligibility}"] += 1
        tally = parts.setdefault(name, {"pairs": 0, "rules": 0, "gpt4": 0, "confident_wrong": 0})
        tally["pairs"] += 1
        tally["rules"] += r.eligibility == p["expert_eligibility"]
        tally["gpt4"] += p.get("gpt4_eligibility") == p["expert_eligibility"]
        # A decided label that is wrong (not a "not enough information" either side) misleads a clinician.
        tally["confident_wrong"] += (
            r.eligibility != p["expert_eligibility"] and r.eligibility != "not enough information"
        )
    return {
        "pairs": n,
        "accuracy": round(correct / n, 4) if n else None,
        "breakdown": _breakdown(labelled, part_of),
        "by_part": {
            name: {
                "pairs": t["pairs"],
                "accuracy": round(t["rules"] / t["pairs"], 4),
                "gpt4_accuracy": round(t["gpt4"] / t["pairs"], 4),
                "confident_wrong": t["confident_wrong"],
                "confusion": {
                    cell: count
                    for cell, count in part_confusion[name].most_common()
                    if cell.split(" -> ")[0] != cell.split(" -> ")[1]
                },
            }
            for name, t in parts.items()
        },
        "gpt4_accuracy": round(gpt4 / n, 4) if n else None,
        "majority_baseline": {"label": majority_label, "accuracy": round(majority_count / n, 4)},
        "majority_by_criterion_type_baseline": round(per_type_majority / n, 4),
        "seconds": round(elapsed, 2),
        "confusion": dict(confusion.most_common()),
    }


def _breakdown(labelled: list[tuple[dict[str, Any], Any]], part_of: dict[str, str]) -> dict[str, object]:
    """Counts only, per part: agreement and the wrong cells by criterion side, by the kinds of the
    criterion's atoms and by what decided the label (the rules or the silence convention). The sealed
    part's counts may be printed, never its pairs."""
    from trialatlas.extract.criteria import parse_text
    from trialatlas.match.judge import atom_kind

    out: dict[str, dict[str, dict[str, Counter[str]]]] = {}
    for p, r in labelled:
        part = part_of.get(str(p.get("annotation_id")), "unsplit")
        side = "exclusion" if str(p["criterion_type"]).lower().startswith("excl") else "inclusion"
        text = p.get("criterion_text") or ""
        kinds = sorted({atom_kind(rule).split(":")[0] for rule in parse_text(text, side)}) or ["none"]
        cell = (
            "agree"
            if r.eligibility == p["expert_eligibility"]
            else f"{p['expert_eligibility']} -> {r.eligibility}"
        )
        keys = {
            "side": side,
            "atoms": "+".join(kinds),
            "branch": f"{side}:{r.branch or 'error'}",
        }
        for axis, key in keys.items():
            out.setdefault(part, {}).setdefault(axis, {}).setdefault(key, Counter())[cell] += 1
    return {
        part: {
            axis: {key: dict(c.most_common()) for key, c in sorted(groups.items())}
            for axis, groups in axes.items()
        }
        for part, axes in out.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--chia-limit", type=int, default=None, help="Read only the first N annotation files."
    )
    parser.add_argument("--skip-chia", action="store_true")
    parser.add_argument("--skip-judge", action="store_true")
    parser.add_argument(
        "--annotations",
        type=Path,
        default=shared_data_dir() / "trialgpt_benchmarks" / "criterion_annotations" / "dev.json",
    )
    args = parser.parse_args(argv)
    report: dict[str, object] = {}
    if not args.skip_chia:
        report["chia"] = evaluate_chia(args.chia_limit)
    if not args.skip_judge:
        report["judge"] = evaluate_judge(args.annotations)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
