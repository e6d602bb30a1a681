"""Passages sister studies copy word for word: shingles are stable and sampled, boilerplate many trials
share counts for nothing, the index finds who holds a passage and in which field, a patched index
equals a fresh build, the saved index keeps them, and a reason names the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trialatlas.model import Trial
from trialatlas.related.features import PASSAGE_FIELDS, passage_shingles
from trialatlas.related.index import build_index, load_index, patch_index, save_index
from trialatlas.related.passages import COMMON_TRIALS, Passages, passage_reason
from trialatlas.related.similarity import query_of_rows, reasons
from trialatlas.text.shingles import SAMPLE, shingle_hashes

# A passage an extension study would copy from its parent's eligibility criteria.
COPIED = (
    "Participants must have completed the 52 week double blind treatment period of the parent study "
    "without a dose interruption longer than fourteen consecutive days and must, in the judgement of "
    "the investigator, have tolerated the study medication well enough to continue open label "
    "treatment; women of childbearing potential must agree to use two effective methods of "
    "contraception throughout the extension and for ninety days after the last dose."
)
BOILERPLATE = (
    "Inclusion Criteria: signed written informed consent obtained before any study specific procedure "
    "is performed and willing and able to comply with all scheduled visits of the protocol."
)


def _trial(nct: str, title: str, summary: str, criteria: str = "") -> Trial:
    trial = Trial(nct_id=nct, brief_title=title, brief_summary=summary)
    trial.eligibility.criteria_text = criteria or None
    return trial


def _filler(seed: int, words: int = 60) -> str:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{seed}x{i}" for i in range(500)]
    return " ".join(rng.choice(vocabulary, size=words))


def test_shingles_are_stable_sampled_and_shared_only_by_copied_text() -> None:
    first = shingle_hashes(f"{_filler(1)} {COPIED} {_filler(2)}")
    second = shingle_hashes(f"{_filler(3)} {COPIED}")
    assert np.array_equal(first, shingle_hashes(f"{_filler(1)} {COPIED} {_filler(2)}"))
    everything = shingle_hashes(COPIED, sample=False)
    # About one shingle in SAMPLE is kept; the copied passage leaves some in both texts.
    assert 0 < shingle_hashes(COPIED).size < everything.size
    assert np.intersect1d(first, second).size >= 2
    assert np.intersect1d(shingle_hashes(_filler(4, 400)), shingle_hashes(_filler(5, 400))).size == 0
    # Case and punctuation are the tokenizer's business, not the passage's.
    assert np.array_equal(shingle_hashes(COPIED.upper().replace(";", ",")), shingle_hashes(COPIED))
    assert shingle_hashes("four words only here").size == 0


def _trials() -> list[Trial]:
    parent = _trial("NCT00000100", "Drug X in adults", _filler(10), f"{COPIED} {BOILERPLATE}")
    extension = _trial("NCT00000102", "Open label extension", _filler(11), f"{COPIED} {BOILERPLATE}")
    others = [
        _trial(f"NCT0000{200 + 2 * i:04d}", f"Trial {i}", _filler(20 + i), f"{BOILERPLATE} {_filler(60 + i)}")
        for i in range(COMMON_TRIALS + 2)
    ]
    return [parent, extension, *others]


def test_index_finds_who_holds_a_copied_passage_and_where() -> None:
    trials = _trials()
    index = build_index(trials)
    passages = index.passages
    parent, extension = index.row_of("NCT00000100"), index.row_of("NCT00000102")
    assert parent is not None and extension is not None
    query = query_of_rows(index, [parent])
    telling = passages.telling(query.shingles)
    # The boilerplate is in every trial: none of its shingles is telling; the copied passage's are.
    assert np.intersect1d(telling, shingle_hashes(BOILERPLATE)).size == 0
    copied = shingle_hashes(COPIED)
    assert np.array_equal(np.intersect1d(telling, copied), copied)
    # Beyond it, only the runs that join it to the boilerplate (both trials have them too).
    assert np.setdiff1d(telling, shingle_hashes(f"{COPIED} {BOILERPLATE}")).size == 0
    assert telling.size >= 2
    rows = np.arange(index.size, dtype=np.int64)
    totals, by_field = passages.shared_counts(telling, rows)
    assert totals[extension] == telling.size
    assert totals[np.setdiff1d(rows, [parent, extension])].sum() == 0
    assert by_field[extension, PASSAGE_FIELDS.index("criteria")] == telling.size
    assert any("eligibility criteria" in reason for reason in reasons(index, query, extension))
    assert not any("word for word" in reason for reason in reasons(index, query, rows[-1]))


def test_reason_names_the_fields_holding_most() -> None:
    counts = np.zeros(len(PASSAGE_FIELDS), dtype=np.int64)
    assert passage_reason(counts) is None
    counts[PASSAGE_FIELDS.index("description")] = 2
    counts[PASSAGE_FIELDS.index("criteria")] = 5
    assert passage_reason(counts) == "same passages word for word in its eligibility criteria and description"


def test_patched_passages_equal_a_fresh_build() -> None:
    trials = _trials()
    first, later = trials[:-3], trials[-3:]
    gone = {first[4].key}
    base = build_index(first, {"seq": 1})
    patched = patch_index(base, later, gone, 2)
    fresh = build_index([t for t in first if t.key not in gone] + later)
    assert patched.keys == fresh.keys
    for name in ("indptr", "hashes", "fields", "telling_hashes", "telling_trials"):
        assert np.array_equal(getattr(patched.passages, name), getattr(fresh.passages, name)), name


def test_saved_index_keeps_the_passages(tmp_path: Path) -> None:
    index = build_index(_trials(), {"seq": 1})
    path = tmp_path / "store.db.related.arrays"
    save_index(index, path)
    loaded = load_index(path)
    assert loaded is not None
    for name in ("indptr", "hashes", "fields", "telling_hashes", "telling_trials"):
        assert np.array_equal(getattr(loaded.passages, name), getattr(index.passages, name)), name
    assert loaded.nbytes() == index.nbytes()


def test_trial_without_passage_text_has_no_shingles() -> None:
    hashes, fields = passage_shingles(Trial(nct_id="NCT00000300"))
    assert hashes.size == 0 and fields.size == 0
    empty = Passages.of_rows([(hashes, fields)])
    assert empty.indptr.tolist() == [0, 0]


@pytest.mark.parametrize("size", [SAMPLE])
def test_sample_keeps_a_fraction(size: int) -> None:
    text = _filler(7, 4000)
    kept = shingle_hashes(text).size / shingle_hashes(text, sample=False).size
    assert 0.5 / size < kept < 2.0 / size


def test_a_word_for_word_copy_ranks_above_the_same_words_in_another_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trialatlas.related.similarity as similarity

    words = COPIED.split()
    shuffled = " ".join(words[i] for i in np.random.default_rng(0).permutation(len(words)))
    parent = _trial("NCT00000100", "Drug X in adults", _filler(10), COPIED)
    copy = _trial("NCT00000102", "Open label extension", _filler(11), COPIED)
    reworded = _trial("NCT00000104", "Open label extension", _filler(11), shuffled)
    others = [_trial(f"NCT0000{300 + 2 * i:04d}", f"Trial {i}", _filler(30 + i)) for i in range(8)]
    index = build_index([parent, copy, reworded, *others])
    rows = [index.row_of(key) for key in ("NCT00000100", "NCT00000102", "NCT00000104")]
    assert None not in rows
    query = query_of_rows(index, [rows[0]], text=COPIED, title=parent.brief_title or "")
    with_passages = similarity.score(index, query).total
    assert with_passages[rows[1]] > with_passages[rows[2]]
    monkeypatch.setitem(similarity.RERANK, "passages", 0.0)
    without = similarity.score(
        index, query_of_rows(index, [rows[0]], text=COPIED, title=parent.brief_title or "")
    ).total
    # The same words weigh the same; only the copied passage sets the two apart.
    assert without[rows[1]] == pytest.approx(without[rows[2]], rel=1e-6)
