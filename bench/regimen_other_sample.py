"""Draw the gen_other set: dosed arm and intervention texts from shared sources the regimen sampler never
read (trialatlas.eval.other_sources), with a fixed seed.

    python bench/regimen_other_sample.py > /tmp/gen_other_draw.jsonl

Sources and the trials each may give (the digit rule holds trials of odd numbers back for scoring):

- ClinicalTrials.gov legacy XML of ``ctgov_format_fixtures`` and ``ctgov_target_trials``: NCT numbers
  ending in an even digit, no trial of the sampler's folders (``SOURCE_FOLDERS``: labelled or held out);
- WHO ICTRP rows (their ``Interventions`` field): an NCT row by the same rule, another registry's id when
  its last digit is even;
- EU CTIS, EU CTR and ISRCTN records (their interventions' product and dose texts): the id's last digit even.

Texts of at most 1,500 characters, each text once. Strata, each pool shuffled by the seed and taken in
order: ICTRP rows with a dose (up to 14), EU/ISRCTN texts with a dose (up to 8), ClinicalTrials.gov XML
texts with a dose (the rest up to 36), then 4 texts with no dose (2 ICTRP, 1 EU/ISRCTN, 1 XML). The chosen
texts are shuffled once more so that both halves (even and odd positions) hold every source. The dose
cue is the sampler's own (regimen_sample.DOSE); the output holds ids, strata and texts for labelling.
"""

from __future__ import annotations

import random
import re
import sys

import orjson

from regimen_sample import DOSE
from trialatlas.config import shared_data_dir
from trialatlas.eval.other_sources import other_texts, trial_key
from trialatlas.eval.regimens import shared_descriptions

SEED = 20261298
SIZE = 40
MAX_CHARS = 1500
DOSED = (("ictrp", 14), ("eu", 8), ("ctgovxml", SIZE))
DISTRACTORS = (("ictrp", 2), ("eu", 1), ("ctgovxml", 1))
DOSED_TOTAL = 36
_DIGIT = re.compile(r"\d")


def group(text_id: str) -> str:
    prefix = text_id.split(":", 1)[0]
    return "eu" if prefix in ("ctis", "euctr", "isrctn") else prefix


def eligible(text_id: str, sampler_trials: set[str]) -> bool:
    """The trial's number ends in an even digit and no sampler folder holds it."""
    trial = trial_key(text_id).split(":", 1)[1]
    digits = _DIGIT.findall(trial)
    return bool(digits) and int(digits[-1]) % 2 == 0 and trial not in sampler_trials


def draw() -> list[tuple[str, str]]:
    data = shared_data_dir()
    texts, _ = other_texts(data)
    sampler_trials = {text_id.split(":", 1)[0] for text_id in shared_descriptions(data)}
    pools: dict[tuple[str, bool], list[str]] = {}
    seen: set[str] = set()
    for text_id in sorted(texts):
        text = texts[text_id]
        if len(text) > MAX_CHARS or not eligible(text_id, sampler_trials) or text in seen:
            continue
        seen.add(text)
        pools.setdefault((group(text_id), bool(DOSE.search(text))), []).append(text_id)
    rng = random.Random(SEED)
    for key in sorted(pools):
        rng.shuffle(pools[key])
    chosen: list[tuple[str, str]] = []
    for name, share in DOSED:
        room = DOSED_TOTAL - len(chosen)
        chosen += [(f"{name}-dose", text_id) for text_id in pools.get((name, True), [])[: min(share, room)]]
    for name, share in DISTRACTORS:
        chosen += [(f"{name}-nodose", text_id) for text_id in pools.get((name, False), [])[:share]]
    rng.shuffle(chosen)
    sizes = [
        f"{name}/{'dose' if dosed else 'none'} {len(ids)}" for (name, dosed), ids in sorted(pools.items())
    ]
    print("pools: " + ", ".join(sizes), file=sys.stderr)
    return chosen


def main() -> None:
    texts, _ = other_texts(shared_data_dir())
    for name, text_id in draw():
        row = {"id": text_id, "stratum": name, "text": texts[text_id]}
        sys.stdout.buffer.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()
