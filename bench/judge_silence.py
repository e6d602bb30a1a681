"""What the TrialGPT experts answer when a note is silent, by the kind of thing the criterion names.

Reads only the TUNING part of the development labels (``labels/judge_split_patients.json``); the sealed
part is never opened here. For every tuning pair whose criterion the rules leave undecided, it tabulates
the expert label by the parser's own atom kinds (condition, measurement, medication, procedure,
pregnancy aspect, consent aspect, …) and by what the judge makes of each undecided atom ("absent": the
note never names it; "open": the note names the patient's problem but not this detail, or the atom is a
value only a measurement gives). It then estimates, by 5-fold cross-validation by patient within tuning,
how a policy learned from that table (the majority label of a kind signature, where it has support)
compares with the judge's written conventions on the same pairs.

Usage: ``python bench/judge_silence.py [--folds 5] [--min-support 5]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from typing import Any

from judge_cv import patient_folds, tuning_pairs
from trialatlas.extract.criteria import ParsedCriterion, parse_text
from trialatlas.extract.criteria.registry import combine_mode
from trialatlas.match.atoms import evaluate_rule
from trialatlas.match.judge import RuleJudge, atom_kind, unknown_state
from trialatlas.match.verdict import evaluate_criterion


def silent_pairs() -> list[dict[str, Any]]:
    """Every tuning pair the rules leave undecided, with its atoms' kinds and states."""
    judge = RuleJudge()
    rows: list[dict[str, Any]] = []
    for pair in tuning_pairs():
        kind = "exclusion" if pair["criterion_type"].startswith("excl") else "inclusion"
        profile = judge.profile(pair["note"])
        rules = parse_text(pair["criterion_text"], kind)
        criterion = ParsedCriterion(
            index=0,
            kind=kind,
            text=pair["criterion_text"],
            rules=rules,
            combine=combine_mode(pair["criterion_text"], kind, rules),
        )
        if evaluate_criterion(criterion, profile, pregnancy_inapplicable=True).status != "unknown":
            continue
        atoms = sorted(
            {
                f"{atom_kind(rule)}={unknown_state(rule, profile)}"
                for rule in rules
                if evaluate_rule(rule, profile).truth == "unknown"
            }
        )
        judged = judge.judge(pair["note"], pair["criterion_text"], pair["criterion_type"])
        rows.append(
            {
                "patient": pair["patient_id"],
                "type": kind,
                "signature": "+".join(atoms) or "<nothing parsed>",
                "expert": pair["expert_eligibility"],
                "judge": judged.eligibility,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-support", type=int, default=5)
    args = parser.parse_args(argv)
    rows = silent_pairs()
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        table[f"{row['type']} {row['signature']}"][row["expert"]] += 1
    fold = patient_folds([row["patient"] for row in rows], args.folds)
    learned_right = 0
    for held in range(args.folds):
        seen: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for row in rows:
            if fold[row["patient"]] != held:
                seen[(row["type"], row["signature"])][row["expert"]] += 1
        for row in rows:
            if fold[row["patient"]] != held:
                continue
            counts = seen.get((row["type"], row["signature"]))
            enough = counts is not None and sum(counts.values()) >= args.min_support
            predicted = counts.most_common(1)[0][0] if counts and enough else row["judge"]
            learned_right += predicted == row["expert"]
    report = {
        "silent_tuning_pairs": len(rows),
        "by_kind": {key: dict(counts.most_common()) for key, counts in sorted(table.items())},
        "written_conventions_right": sum(row["judge"] == row["expert"] for row in rows),
        "learned_by_kind_cv_right": learned_right,
        "folds": args.folds,
        "min_support": args.min_support,
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
