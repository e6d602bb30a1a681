"""How well the judge's convention holds on patients it was not read from: cross-validation by patient
inside the TUNING part of the TrialGPT development labels (the sealed part is never opened here).

A convention is the judge's silence table (atom kind -> "absent" / "open"), its cue lists and its
decisive branches (``trialatlas.match.judge.Conventions``). Its *data-driven parts* are re-decided on
the training folds of every split and scored on the held-out patients:

* ``fixed``: the convention as written (read off all 216 pairs, so an in-sample figure), by fold;
* ``redecided``: every silence entry, every switch and every cue list entry decided on the training
  folds (the choice that earns strictly more training pairs than the neutral one, else the neutral:
  a switch off, a cue entry out, a silence entry "open", the table's own default), then the whole
  convention so decided judged on the held-out patients — the honest estimate for new patients;
  ``redecided_keep`` is the same with ties kept as written (the optimistic variant);
* candidate conventions (simpler, or keyed by a feature every pair has), decided the same way, each
  beside ``fixed`` on the same folds, with the paired difference's mean and spread and whether the
  feature's choice flips between folds.

Folds are by patient: ``--folds 0`` (default) leaves one patient out at a time (11 folds), ``--folds K``
hashes the patient id into K folds.

Usage: ``python bench/judge_cv.py [--folds K] [--candidates]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from trialatlas.config import shared_data_dir
from trialatlas.extract.criteria import ParsedCriterion, parse_text
from trialatlas.extract.criteria.registry import combine_mode
from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.extract.criteria.vocab import broader_concepts
from trialatlas.match.judge import SWITCHES, Conventions, RuleJudge, _overlap, default_conventions
from trialatlas.match.verdict import evaluate_criterion
from trialatlas.text.packaged import packaged_json

SPLIT_FILE = Path(__file__).parent / "labels" / "judge_split_patients.json"
ANNOTATIONS = Path("trialgpt_benchmarks") / "criterion_annotations" / "dev.json"


def tuning_pairs() -> list[dict[str, Any]]:
    """The tuning part only: the sealed part's pairs are filtered out before anything reads them."""
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    tuning = {str(i) for i in split["tuning"]}
    pairs = json.loads((shared_data_dir() / ANNOTATIONS).read_text(encoding="utf-8"))
    return [pair for pair in pairs if str(pair["annotation_id"]) in tuning]


def patient_folds(patients: Sequence[str], folds: int) -> dict[str, int]:
    """Each patient's fold: one patient a fold (``folds`` 0), else a hash of the id modulo ``folds``."""
    ordered = sorted(set(patients))
    if folds <= 0:
        return {p: i for i, p in enumerate(ordered)}
    return {p: int(hashlib.sha256(p.encode()).hexdigest()[:8], 16) % folds for p in ordered}


Labels = list[str]


class Bench:
    """The tuning pairs, the judge (one profile cache for every convention) and its labels by convention."""

    def __init__(self, pairs: list[dict[str, Any]], folds: int) -> None:
        self.pairs = pairs
        self.expert = [str(p["expert_eligibility"]) for p in pairs]
        fold_of = patient_folds([p["patient_id"] for p in pairs], folds)
        self.fold = [fold_of[p["patient_id"]] for p in pairs]
        self.folds = sorted(set(self.fold))
        self.judge = RuleJudge()
        self._cache: dict[str, Labels] = {}

    def labels(self, conventions: Conventions) -> Labels:
        key = repr(
            (
                sorted(conventions.silence.items()),
                conventions.plans,
                conventions.fit_for,
                sorted(conventions.cut_off_endings),
                sorted(conventions.off),
                conventions.included_share,
                conventions.open_share,
            )
        )
        if key not in self._cache:
            self.judge.conventions = conventions
            self._cache[key] = [
                self.judge.judge(p["note"], p["criterion_text"], p["criterion_type"]).eligibility
                for p in self.pairs
            ]
        return self._cache[key]

    def right(self, labels: Labels, fold: int, held: bool) -> int:
        """Pairs right among the held-out fold (``held``) or among the other folds."""
        return sum(
            label == expert
            for label, expert, f in zip(labels, self.expert, self.fold, strict=True)
            if (f == fold) == held
        )

    def size(self, fold: int) -> int:
        return sum(f == fold for f in self.fold)


@dataclass
class Unit:
    """One data-driven part of a convention: its neutral choice, the written one, and how each reads."""

    name: str
    neutral: Conventions
    written: Conventions
    apply: Callable[[Conventions, bool], Conventions]  # True: the written choice


def units(base: Conventions) -> list[Unit]:
    """Every silence entry, switch and cue list entry of the written convention."""
    found: list[Unit] = []
    for kind, state in sorted(base.silence.items()):
        if state == "open":
            continue  # "open" is the table's default for a kind it does not name: nothing was read

        def silence(c: Conventions, written: bool, kind: str = kind) -> Conventions:
            return c.but(silence={**c.silence, kind: "absent" if written else "open"})

        found.append(Unit(f"silence:{kind}", silence(base, False), base, silence))
    for switch in SWITCHES:

        def toggle(c: Conventions, written: bool, switch: str = switch) -> Conventions:
            return c.but(off=c.off - {switch} if written else c.off | {switch})

        found.append(Unit(f"switch:{switch}", toggle(base, False), base, toggle))
    for field_name in ("plans", "fit_for"):
        for cue in getattr(base, field_name):

            def cue_list(
                c: Conventions, written: bool, field: str = field_name, cue: str = cue
            ) -> Conventions:
                # The entries in their written order, with or without this one.
                kept = set(getattr(c, field)) - {cue} | ({cue} if written else set())
                return c.but(**{field: tuple(x for x in getattr(base, field) if x in kept)})

            found.append(Unit(f"{field_name}:{cue}", cue_list(base, False), base, cue_list))
    for ending in sorted(base.cut_off_endings):

        def endings(c: Conventions, written: bool, ending: str = ending) -> Conventions:
            rest = c.cut_off_endings - {ending}
            return c.but(cut_off_endings=rest | {ending} if written else rest)

        found.append(Unit(f"cut_off_endings:{ending}", endings(base, False), base, endings))
    return found


def spread(values: Sequence[float]) -> float:
    return round(statistics.pstdev(values), 4) if len(values) > 1 else 0.0


def summary(bench: Bench, by_fold: dict[int, Labels]) -> dict[str, Any]:
    """Pooled held-out accuracy, the mean and spread of per-fold accuracies."""
    right = sum(bench.right(by_fold[f], f, True) for f in bench.folds)
    per_fold = [bench.right(by_fold[f], f, True) / bench.size(f) for f in bench.folds]
    return {
        "accuracy": round(right / len(bench.pairs), 4),
        "right": right,
        "fold_mean": round(statistics.mean(per_fold), 4),
        "fold_spread": spread(per_fold),
    }


def supporters(bench: Bench, written: Labels, neutral: Labels, fold: int) -> int:
    """How many training patients the written choice gets more pairs right for than the neutral one."""
    gain: Counter[str] = Counter()
    for i, pair in enumerate(bench.pairs):
        if bench.fold[i] != fold:
            expert = bench.expert[i]
            gain[pair["patient_id"]] += (written[i] == expert) - (neutral[i] == expert)
    return sum(1 for value in gain.values() if value > 0)


def redecide(
    bench: Bench, base: Conventions, keep_ties: bool, min_patients: int = 1
) -> tuple[dict[int, Labels], dict[str, Any]]:
    """Each unit decided on the training folds (against the neutral choice; with ``min_patients``
    above 1, kept only when that many training patients gain by it), the convention so decided
    judged on the held-out fold; with the units dropped by fold."""
    written_labels = bench.labels(base)
    unit_list = units(base)
    neutral_labels = {u.name: bench.labels(u.neutral) for u in unit_list}
    by_fold: dict[int, Labels] = {}
    dropped: dict[str, list[int]] = {}
    for fold in bench.folds:
        conventions = base
        for unit in unit_list:
            gain = bench.right(written_labels, fold, False) - bench.right(
                neutral_labels[unit.name], fold, False
            )
            enough = min_patients <= 1 or (
                supporters(bench, written_labels, neutral_labels[unit.name], fold) >= min_patients
            )
            if enough and (gain > 0 or (gain == 0 and keep_ties)):
                continue
            conventions = unit.apply(conventions, False)
            if neutral_labels[unit.name] != written_labels:
                dropped.setdefault(unit.name, []).append(fold)
        by_fold[fold] = bench.labels(conventions)
    effective = {
        u.name: sum(a != b for a, b in zip(neutral_labels[u.name], written_labels, strict=True))
        for u in unit_list
    }
    return by_fold, {
        "units_that_change_a_pair": sum(1 for n in effective.values() if n),
        "dropped_in_folds": {name: folds for name, folds in sorted(dropped.items())},
    }


# --- candidate conventions keyed by features every pair has ------------------------------------------

_HISTORY = re.compile(r"\b(?:history|known|diagnos\w*|prior|previous\w*|past)\b", re.IGNORECASE)
_CURRENT = re.compile(r"\b(?:active|current\w*|acute|uncontrolled|ongoing|untreated)\b", re.IGNORECASE)
_GENERIC = frozenset({"cancer", "infection"})


@cache
def _organ_words() -> dict[str, frozenset[str]]:
    """Each organ's words (``organ_cancers.json``'s adjectives and nouns: the vocabulary's own)."""
    organs = packaged_json("trialatlas.extract.criteria", "vocab/organ_cancers.json")["organs"]
    return {name: frozenset(w.lower() for w in o["adjectives"] + o["nouns"]) for name, o in organs.items()}


def same_organ(pair: dict[str, Any]) -> str:
    """Whether the criterion and the note name one organ (by the organ vocabulary's words)."""
    criterion = set(re.findall(r"[a-z]+", pair["criterion_text"].lower()))
    note = set(re.findall(r"[a-z]+", pair["note"].lower()))
    for organ_words in _organ_words().values():
        if criterion & organ_words and note & organ_words:
            return "same organ"
    return "other"


def related_to_note(pair: dict[str, Any], bench: Bench) -> str:
    """Whether a condition the exclusion names falls under the same broader concept (below the most
    general ones) as a condition the note gives the patient: a sibling of the note's problem."""
    kind = "exclusion" if pair["criterion_type"].startswith("excl") else "inclusion"
    profile = bench.judge.profile(pair["note"])
    note: set[str] = set()
    for condition in profile.conditions:
        if condition.concept and condition.present and not condition.family:
            note |= broader_concepts(condition.concept)
    for rule in parse_text(pair["criterion_text"], kind):
        if (
            isinstance(rule, ConditionRule)
            and rule.concept
            and (broader_concepts(rule.concept) & note) - _GENERIC
        ):
            return "related"
    return "unrelated"


def undecided(bench: Bench) -> list[bool]:
    """Whether the rules alone leave each pair undecided (the judge's convention then answers)."""
    flags: list[bool] = []
    for pair in bench.pairs:
        kind = "exclusion" if pair["criterion_type"].startswith("excl") else "inclusion"
        rules = parse_text(pair["criterion_text"], kind)
        criterion = ParsedCriterion(
            index=0,
            kind=kind,
            text=pair["criterion_text"],
            rules=rules,
            combine=combine_mode(pair["criterion_text"], kind, rules),
        )
        profile = bench.judge.profile(pair["note"])
        status = evaluate_criterion(criterion, profile, pregnancy_inapplicable=True).status
        flags.append(status == "unknown")
    return flags


def mixed(
    bench: Bench, options: dict[str, Labels], key: Sequence[str], default: str
) -> tuple[dict[int, Labels], dict[str, list[str]]]:
    """Per fold, for each feature value, the option that gets most training pairs of that value right
    (ties: ``default``); the held-out pairs labelled by their value's option. Returns the labels by
    fold and the option chosen for each value in every fold (a value whose choice flips is noise)."""
    by_fold: dict[int, Labels] = {}
    chosen: dict[str, list[str]] = {}
    for fold in bench.folds:
        pick: dict[str, str] = {}
        for value in sorted(set(key)):
            scores = Counter[str]()
            for name, labels in options.items():
                scores[name] = sum(
                    labels[i] == bench.expert[i]
                    for i in range(len(bench.pairs))
                    if key[i] == value and bench.fold[i] != fold
                )
            best = max(scores.values())
            pick[value] = default if scores[default] == best else scores.most_common(1)[0][0]
            chosen.setdefault(value, []).append(pick[value])
        by_fold[fold] = [options[pick[key[i]]][i] for i in range(len(bench.pairs))]
    return by_fold, {value: picks for value, picks in chosen.items()}


def type_default(bench: Bench, flags: list[bool]) -> tuple[dict[int, Labels], dict[str, list[str]]]:
    """The plain baseline: the rules where they decide, else one label per criterion type, the
    majority of the training folds' undecided pairs of that type."""
    written = bench.labels(default_conventions())
    options = {
        label: [label if flags[i] else written[i] for i in range(len(bench.pairs))]
        for label in set(bench.expert)
    }
    # Decided pairs have one key of their own: every option labels them by the rules alike.
    key = [
        f"{p['criterion_type'][:4]}/undecided" if flags[i] else "decided" for i, p in enumerate(bench.pairs)
    ]
    by_fold, chosen = mixed(bench, options, key, "not enough information")
    return by_fold, {value: picks for value, picks in chosen.items() if value != "decided"}


def candidates(bench: Bench) -> dict[str, tuple[dict[int, Labels], dict[str, list[str]]]]:
    base = default_conventions()
    absent_kinds = [k for k, v in base.silence.items() if v == "absent"]
    all_open = base.but(silence={**base.silence, **dict.fromkeys(absent_kinds, "open")})
    observable = ("condition", "procedure", "medication", "infection")
    open_observable = base.but(silence={**base.silence, **dict.fromkeys(observable, "open")})
    options = {"written": bench.labels(base), "open": bench.labels(open_observable)}
    every_open = {"written": bench.labels(base), "open": bench.labels(all_open)}
    flags = undecided(bench)
    n = len(bench.pairs)
    kind = [p["criterion_type"][:4] for p in bench.pairs]
    history = ["history" if _HISTORY.search(p["criterion_text"]) else "plain" for p in bench.pairs]
    shares = []
    for pair in bench.pairs:
        shares.append(_overlap(pair["criterion_text"], bench.judge.profile(pair["note"]))[0])
    organ = ["named" if s > 0 else "unnamed" for s in shares]
    half = ["half" if s >= 0.34 else "less" for s in shares]
    long_note = sorted(len(p["note"]) for p in bench.pairs)[n // 2]
    length = ["long" if len(p["note"]) >= long_note else "short" for p in bench.pairs]
    current = ["current" if _CURRENT.search(p["criterion_text"]) else "plain" for p in bench.pairs]
    related = [related_to_note(p, bench) for p in bench.pairs]
    words = ["many" if len(p["criterion_text"].split()) > 8 else "few" for p in bench.pairs]
    shares_tried = (0.2, 0.34, 0.5, 0.67, 0.8, 1.01)
    included = {f"{t}": bench.labels(base.but(included_share=t)) for t in shares_tried}
    opened = {f"{t}": bench.labels(base.but(open_share=t)) for t in shares_tried}
    no_open_condition = {
        "written": bench.labels(base),
        "off": bench.labels(base.but(off=frozenset({"open_condition"}))),
    }
    merged: dict[str, dict[str, Labels]] = {}
    for group in ("pregnancy", "consent"):
        aspects = [k for k in base.silence if k.startswith(f"{group}:")]
        merged[group] = {"written": bench.labels(base)} | {
            state: bench.labels(base.but(silence={**base.silence, **dict.fromkeys(aspects, state)}))
            for state in ("absent", "open")
        }
    found: dict[str, tuple[dict[int, Labels], dict[str, list[str]]]] = {
        "pregnancy_aspects_merged": mixed(bench, merged["pregnancy"], ["all"] * n, "written"),
        "consent_aspects_merged": mixed(bench, merged["consent"], ["all"] * n, "written"),
        "included_share_threshold": mixed(bench, included, ["all"] * n, f"{base.included_share}"),
        "open_share_threshold": mixed(bench, opened, ["all"] * n, f"{base.open_share}"),
        "open_condition_off": mixed(bench, no_open_condition, ["all"] * n, "written"),
        "type_default": type_default(bench, flags),
        "one_silence_for_all_kinds": mixed(bench, every_open, ["all"] * n, "written"),
        "observable_silence_by_history_wording": mixed(bench, options, history, "written"),
        "observable_silence_by_note_naming_a_word": mixed(bench, options, organ, "written"),
        "observable_silence_by_overlap_third": mixed(bench, options, half, "written"),
        "observable_silence_by_note_length": mixed(bench, options, length, "written"),
        "observable_silence_by_criterion_length": mixed(bench, options, words, "written"),
        "observable_silence_by_type": mixed(bench, options, kind, "written"),
        "observable_silence_by_current_wording": mixed(bench, options, current, "written"),
        "observable_silence_by_related_concept": mixed(bench, options, related, "written"),
        "observable_silence_by_organ": mixed(bench, options, [same_organ(p) for p in bench.pairs], "written"),
    }
    return found


def baselines(bench: Bench) -> dict[str, Any]:
    """GPT-4's labels in the same file, and the majority label (overall, by criterion type) learned on
    the training folds and scored on the held-out ones, as the convention is."""
    gpt4 = [str(p.get("gpt4_eligibility")) for p in bench.pairs]
    constant = {label: [label] * len(bench.pairs) for label in set(bench.expert)}
    n = len(bench.pairs)
    kinds = [p["criterion_type"][:4] for p in bench.pairs]
    return {
        "gpt4": summary(bench, dict.fromkeys(bench.folds, gpt4)),
        "majority": summary(bench, mixed(bench, constant, ["all"] * n, "not excluded")[0]),
        "majority_by_type": summary(bench, mixed(bench, constant, kinds, "not excluded")[0]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=0, help="0: leave one patient out")
    parser.add_argument("--candidates", action="store_true", help="also score the candidate conventions")
    args = parser.parse_args(argv)
    bench = Bench(tuning_pairs(), args.folds)
    base = default_conventions()
    fixed = {f: bench.labels(base) for f in bench.folds}
    report: dict[str, Any] = {
        "pairs": len(bench.pairs),
        "patients": len({p["patient_id"] for p in bench.pairs}),
        "folds": len(bench.folds),
        "fixed": summary(bench, fixed),
        "baselines": baselines(bench),
    }
    strict, strict_info = redecide(bench, base, keep_ties=False)
    report["redecided"] = {**summary(bench, strict), **strict_info}
    keep, _ = redecide(bench, base, keep_ties=True)
    report["redecided_keep"] = summary(bench, keep)
    # A stricter discipline for writing conventions: only what two patients or more support.
    two, two_info = redecide(bench, base, keep_ties=False, min_patients=2)
    diffs = [
        (bench.right(two[f], f, True) - bench.right(strict[f], f, True)) / bench.size(f) for f in bench.folds
    ]
    report["redecided_two_patients"] = {
        **summary(bench, two),
        "minus_redecided_mean": round(statistics.mean(diffs), 4),
        "minus_redecided_spread": spread(diffs),
        "dropped_in_folds": two_info["dropped_in_folds"],
    }
    if args.candidates:
        report["candidates"] = {}
        for name, (by_fold, chosen) in candidates(bench).items():
            diffs = [
                (bench.right(by_fold[f], f, True) - bench.right(fixed[f], f, True)) / bench.size(f)
                for f in bench.folds
            ]
            report["candidates"][name] = {
                **summary(bench, by_fold),
                "minus_fixed_mean": round(statistics.mean(diffs), 4),
                "minus_fixed_spread": spread(diffs),
                "choice_by_value": {v: dict(Counter(picks)) for v, picks in chosen.items()},
            }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
