"""The confident-wrong probes (tests/fixtures/confident_probes.jsonl): criteria written in registry style
against notes written for them, each with the verdict a clinician expects and what else they accept,
labelled and committed before the engine ran on them. Even ids tune, odd ids are sealed: only
aggregates are checked (bench/confident_probes_eval.py prints them)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from verdict_support import case_verdict, read_cases

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from confident_probes_eval import PROBES, probe_outcome

# Floors at what the code reaches. Before the round that wrote p001-p050: tuning 13 of 25 agree with 10
# confidently wrong, sealed 13 with 6; after it tuning 22 with none, sealed 15 with 3. Round judgeleft
# added p051-p082 (contraception, planned courses, serology short forms, tuberculosis tests): all 82,
# tuning 35 of 41 with 2 confidently wrong -> 38 with none, sealed 28 with 5 -> 30 with 4. Round auditleft
# added p083-p104 (compound disease names, example lists joined by "and", activity not stated, stopped
# medicines): all 104, tuning 43 of 52 with 5 confidently wrong -> 48 with none, sealed 34 with 9 -> 40
# with 4. Round matchleft added p105-p152 (a class "not limited to" its examples, organ involvement, a
# stable dose, no sex stated, an unremarkable history, a disease's course, pregnancy unstated): all 152,
# tuning 63 of 76 with 5 confidently wrong -> 73 with none, sealed 58 with 5 -> 63 with 4.
MIN_AGREE = {"tuning": 73, "sealed": 63}
MAX_CONFIDENTLY_WRONG = {"tuning": 0, "sealed": 4}


def test_every_probe_is_labelled_with_a_reason() -> None:
    probes = read_cases(PROBES)
    assert [p["id"] for p in probes] == [f"p{n:03d}" for n in range(1, 153)]
    for probe in probes:
        assert probe["kind"] in ("inclusion", "exclusion")
        assert probe["expected"] in ("met", "not_met", "unknown")
        assert probe["acceptable"][0] == probe["expected"]
        assert set(probe["acceptable"]) <= {"met", "not_met", "unknown"}
        assert probe["criterion"].strip() and probe["note"].strip() and probe["reason"].strip()


def test_probes_agree_and_are_rarely_confidently_wrong() -> None:
    counts: dict[str, Counter[str]] = {"tuning": Counter(), "sealed": Counter()}
    for probe in read_cases(PROBES):
        half = "tuning" if int(probe["id"][1:]) % 2 == 0 else "sealed"
        got = case_verdict(probe["criterion"], probe["note"], kind=probe["kind"])
        counts[half][probe_outcome(got, probe["acceptable"])] += 1
    for half, counted in counts.items():
        assert counted["agree"] >= MIN_AGREE[half], half
        assert counted["wrong"] <= MAX_CONFIDENTLY_WRONG[half], half
