"""Draw the regimen development and sealed sets: arm and intervention texts of even-numbered trials only
(odd-numbered trials are held back for scoring), stratified by kind of text, with a fixed seed, excluding
texts already labelled. Prints JSON lines {"id", "stratum", "split", "text"} to stdout for the labellers;
the repository keeps only ids and labels (tests/fixtures/regimens_dev.jsonl, regimens_sealed.jsonl).

    python bench/regimen_sample.py > /tmp/regimen_sample.jsonl
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import orjson

from trialatlas.config import shared_data_dir
from trialatlas.eval.regimens import shared_descriptions

SEED = 20261206
PER_STRATUM = 72
SEALED_SHARE = 0.28

DOSE = re.compile(
    r"\d\s*(?:mg|g|mcg|µg|ug|iu|units?|ml|cells|tablets?|capsules?|puffs?|drops?|mmol|meq)\b", re.I
)
STRATA: list[tuple[str, re.Pattern[str]]] = [
    ("taper", re.compile(r"\btaper", re.I)),
    ("per_m2", re.compile(r"m2|m²|m\^2|square met", re.I)),
    ("per_kg", re.compile(r"/\s*kg|per kilo|per kg", re.I)),
    ("schedule", re.compile(r"\bdays?\s*-?\d|\bcycles?\b|every \d+ (?:days|weeks)|\bq\d+[wdh]\b", re.I)),
    (
        "multi_drug",
        re.compile(
            r"\+|\bcombined with\b|\bin combination\b|\bfollowed by\b|\band\b.*\d\s*mg.*\d\s*mg", re.I
        ),
    ),
]


def stratum(text: str) -> str:
    if not DOSE.search(text):
        return "distractor"
    for name, pattern in STRATA:
        if pattern.search(text):
            return name
    return "easy"


def main() -> None:
    root = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    seen = {
        orjson.loads(line)["id"]
        for name in ("regimens_labelled.jsonl", "regimens_heldout.jsonl")
        for line in (root / name).read_bytes().splitlines()
        if line.strip()
    }
    texts = shared_descriptions(shared_data_dir())
    pools: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        nct = text_id.split(":", 1)[0]
        if int(nct[-1]) % 2 or text_id in seen or len(texts[text_id]) > 1500:
            continue
        pools.setdefault(stratum(texts[text_id]), []).append(text_id)
    rng = random.Random(SEED)
    for name in sorted(pools):
        chosen = rng.sample(pools[name], min(PER_STRATUM, len(pools[name])))
        cut = round(len(chosen) * (1 - SEALED_SHARE))
        for index, text_id in enumerate(chosen):
            split = "dev" if index < cut else "sealed"
            row = {"id": text_id, "stratum": name, "split": split, "text": texts[text_id]}
            sys.stdout.buffer.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()
