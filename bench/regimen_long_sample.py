"""Draw the long arm-text set gen_long (tests/fixtures/regimens_gen_long.jsonl): arm-group and intervention
descriptions of even-numbered trials in the ClinicalTrials.gov legacy XML and API v2 records (the sampler's
SOURCE_FOLDERS, ids ``NCT…:arm:N`` / ``NCT…:int:N``, and the legacy XML of the format fixtures and target
trials that no sampler folder holds, ids ``ctgovxml:NCT…``) of at least MIN_CHARS characters that state at
least two numbers followed by a unit (MEASURE or TIME), one of them a unit of measure (MEASURE: a dose,
volume, activity, percentage, body-size, radiation, length or pressure unit), with a fixed seed. No text is
in any set labelled when gen_long was drawn (LONG_EXCLUDED, written out so that the draw stays reproducible)
or equal to a labelled text.

    python bench/regimen_long_sample.py > /tmp/gen_long_draw.jsonl

When the set was drawn, every long even-numbered arm text with two dose units (regimen_sample.DOSE) was
already labelled, so the pool (57 texts) is the long texts whose numbers measure something: doses among
concentrations, volumes, lab values, body sizes, radiation and durations, the numbers the parser may turn into
invented items (issue #20: "a wrong answer is worse than unknown"). Positions 0, 2, 4, ... are the tuning
half; odd positions are sealed (aggregates only).
"""

from __future__ import annotations

import random
import re
import sys

import orjson

from regimen_other_sample import eligible as other_eligible
from regimen_sample import BEFORE_LONG_AND_MULTI as LONG_EXCLUDED
from regimen_sample import labelled_ids
from trialatlas.config import shared_data_dir
from trialatlas.eval.other_sources import other_texts
from trialatlas.eval.regimens import shared_descriptions

SEED = 20261520
SIZE = 40
MIN_CHARS = 250
MIN_NUMBERS = 2
MEASURE = (
    r"mg|g|mcg|µg|ug|iu|units?|u|ml|cc|l|cells|tablets?|capsules?|puffs?|drops?|mmol|meq|ng|kg|m2|m²|%|gy|"
    r"cgy|cm|mm|mmhg|kcal|kj|mbq|mci|hz|j|w|mw|nm"
)
TIME = r"min(?:utes?)?|hours?|h|hrs?|days?|weeks?|wks?|months?|years?"
_WITH_UNIT = re.compile(rf"\d\s*(?:{MEASURE}|{TIME})(?![a-z])", re.I)
_WITH_MEASURE = re.compile(rf"\d\s*(?:{MEASURE})(?![a-z])", re.I)


def long_with_units(text: str) -> bool:
    """At least MIN_CHARS characters and MIN_NUMBERS numbers followed by a unit, one a unit of measure."""
    return (
        len(text) >= MIN_CHARS
        and len(_WITH_UNIT.findall(text)) >= MIN_NUMBERS
        and _WITH_MEASURE.search(text) is not None
    )


def candidate_texts() -> dict[str, str]:
    """The arm and intervention texts of both legacy XML and API v2 sources, by id."""
    data = shared_data_dir()
    texts = dict(shared_descriptions(data))
    sampler_trials = {text_id.split(":", 1)[0] for text_id in texts}
    xml, _ = other_texts(data)
    for text_id, text in xml.items():
        if text_id.startswith("ctgovxml:") and other_eligible(text_id, sampler_trials):
            texts[text_id] = text
    return texts


def _even_trial(text_id: str) -> bool:
    nct = text_id.removeprefix("ctgovxml:").split(":", 1)[0]
    return int(nct[3:]) % 2 == 0


def draw() -> list[str]:
    texts = candidate_texts()
    seen = labelled_ids(LONG_EXCLUDED)
    labelled_texts = {texts[text_id] for text_id in seen if text_id in texts}
    pool: list[str] = []
    taken: set[str] = set()
    for text_id in sorted(texts):
        text = texts[text_id]
        if text_id in seen or text in labelled_texts or text in taken:
            continue
        if _even_trial(text_id) and long_with_units(text):
            taken.add(text)
            pool.append(text_id)
    print(f"pool: {len(pool)} texts", file=sys.stderr)
    return random.Random(SEED).sample(pool, SIZE)


def main() -> None:
    texts = candidate_texts()
    for text_id in draw():
        row = {"id": text_id, "stratum": "long", "text": texts[text_id]}
        sys.stdout.buffer.write(orjson.dumps(row) + b"\n")


if __name__ == "__main__":
    main()
