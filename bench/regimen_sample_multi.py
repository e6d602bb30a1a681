"""Draw the multi-drug set (tests/fixtures/regimens_gen_multi.jsonl, room regrecall, issue #20): texts of
even-numbered trials that name at least two drugs and state at least two amounts with a dose unit, none in
any labelled set, with a seed of its own. Prints JSON lines {"id", "stratum", "split", "text"} for the
labellers; the repository keeps ids and labels.

Arm and intervention descriptions first: every such text of the legacy XML and API v2 records (the
sampler's folders, ``NCT…:arm:N``; the legacy-XML fixtures and target trials, ``ctgovxml:NCT…:arm:N``).
The earlier sets had used up all but 22 of them, of 15 trials (one per trial drawn, ``arm_int``), so the
rest of the set are passages of even-numbered trials' detailed descriptions (``NCT…:desc:S-E``, drawn as the
description sets are: one 1-3 sentence window per trial, no trial of a labelled set or of the arm texts
drawn) with the same two tests (``desc``). The set's order is shuffled by the seed, so that both halves
hold both kinds.

    python bench/regimen_sample_multi.py > /tmp/regimen_multi_sample.jsonl

A drug is named when a run of one to five words is a specific drug of the project's vocabulary (a class
word such as "steroid" is not counted) or a capitalised code ("ABC-123", drugs.looks_like_code); two
names count as two drugs when their generics differ. The sampler's own DOSE pattern counts the amounts.
Texts of at most 900 characters, one per trial, none equal to a labelled text.
"""

from __future__ import annotations

import random
import re
import sys

import orjson

from regimen_sample import BEFORE_LONG_AND_MULTI as EXCLUDED
from regimen_sample import DOSE, description_passages, labelled_ids
from trialatlas.config import shared_data_dir
from trialatlas.eval.other_sources import other_texts, trial_key
from trialatlas.eval.regimens import dump_descriptions, shared_descriptions
from trialatlas.extract.regimen.drugs import WORD, looks_like_code, vocabulary

SEED = 20261440
SIZE = 42
MAX_CHARS = 900


def named_drugs(text: str) -> set[str]:
    """The distinct drugs a text names: vocabulary names of specific drugs (longest run of words first)
    and capitalised codes, each by its generic (a code by itself)."""
    vocab = vocabulary()
    words = [match.group(0) for match in WORD.finditer(text)]
    found: set[str] = set()
    index = 0
    while index < len(words):
        step = 1
        for size in range(min(5, len(words) - index), 0, -1):
            run = tuple(words[index : index + size])
            info = vocab.by_exact.get(run) or vocab.by_words.get(tuple(word.lower() for word in run))
            if info is not None and not info.is_class:
                found.add(info.name)
                step = size
                break
        else:
            if looks_like_code(words[index]):
                found.add(words[index].upper())
        index += step
    return found


def _multi_drug(text: str) -> bool:
    return len(DOSE.findall(text)) >= 2 and len(named_drugs(text)) >= 2


def _even(trial: str) -> bool:
    return int(re.findall(r"\d", trial)[-1]) % 2 == 0


def all_texts() -> dict[str, str]:
    """Every text the draw can take, by id: the arm and intervention texts of both kinds of record."""
    data = shared_data_dir()
    texts = dict(shared_descriptions(data))
    texts.update(
        (text_id, text) for text_id, text in other_texts(data)[0].items() if text_id.startswith("ctgovxml:")
    )
    return texts


def draw(texts: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """SIZE ``(stratum, id)`` pairs: every eligible arm or intervention text (one per trial), then
    description passages drawn by SEED to make up SIZE, in an order shuffled by SEED."""
    texts = all_texts() if texts is None else texts
    seen = labelled_ids(EXCLUDED)
    labelled_texts = {texts[text_id] for text_id in seen if text_id in texts}
    rng = random.Random(SEED)
    by_trial: dict[str, list[str]] = {}
    for text_id in sorted(texts):
        text = texts[text_id]
        trial = (
            trial_key(text_id).split(":")[-1] if text_id.startswith("ctgovxml:") else text_id.split(":")[0]
        )
        if not _even(trial) or text_id in seen or len(text) > MAX_CHARS or text in labelled_texts:
            continue
        if _multi_drug(text):
            by_trial.setdefault(trial, []).append(text_id)
    chosen = [("arm_int", rng.choice(by_trial[trial])) for trial in sorted(by_trial)]
    excluded_trials = {text_id.split(":", 1)[0] for text_id in seen} | set(by_trial)
    descriptions = dump_descriptions(shared_data_dir())
    passages: dict[str, list[str]] = {}
    for nct_id in sorted(descriptions):
        if not _even(nct_id) or nct_id in excluded_trials:
            continue
        for (first, last), text in description_passages(descriptions[nct_id]).items():
            if _multi_drug(text):
                text_id = f"{nct_id}:desc:{first}-{last}"
                texts[text_id] = text
                passages.setdefault(nct_id, []).append(text_id)
    trials = rng.sample(sorted(passages), SIZE - len(chosen))
    chosen += [("desc", rng.choice(passages[nct_id])) for nct_id in trials]
    rng.shuffle(chosen)
    return chosen


def main() -> None:
    texts = all_texts()
    for name, text_id in draw(texts):
        row = {"id": text_id, "stratum": name, "split": "multi", "text": texts[text_id]}
        sys.stdout.buffer.write(orjson.dumps(row) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
