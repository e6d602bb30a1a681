"""A facet's shown values, ranked in numpy (one integer key per value: its count, then its label's
rank), are those of sorting every held value by (count, label) in Python: the same values, counts
and order for every facet, any limit and any selection, over the API v2 sample's facet arrays."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from trialatlas.search import FACETS, SearchIndex
from trialatlas.search.arrays import DocArrays
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore


def _sorted_in_python(
    arrays: DocArrays, counts: np.ndarray, name: str, limit: int, selected: set[str]
) -> list[tuple[str, int]]:
    """The reference: every held value as (label, count, key), sorted by (-count, label)."""
    numbers = arrays.facet_values.get(name)
    if numbers is None:
        return []
    held = [
        (arrays.labels[int(fv)], int(counts[int(fv)]), arrays.keys[int(fv)])
        for fv in numbers.tolist()
        if counts[int(fv)]
    ]
    ranked = sorted(held, key=lambda item: (-item[1], item[0]))
    kept = [(label, n) for label, n, _ in ranked[: max(limit, 0)]]
    kept += [(label, n) for label, n, key in ranked[max(limit, 0) :] if key in selected]
    sort_key = FACETS[name].sort_key
    if sort_key is not None:
        kept.sort(key=lambda item: sort_key(item[0]))
    return kept


@pytest.mark.slow
def test_numpy_ranked_facet_values_are_those_sorted_in_python(v2_jsonl: Path, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "atlas.db")
    ingest([v2_jsonl], store)
    index = SearchIndex.for_store(store)
    index.rebuild(store)
    with index.reading() as conn:
        arrays = DocArrays.load(conn, index.generation)
    rng = random.Random(15)
    docs = arrays.docs.tolist()
    compared = 0
    for size in (1, 5, 40, 300, len(docs)):
        hits = np.array(sorted(rng.sample(docs, min(size, len(docs)))), dtype=np.int64)
        counts = arrays.counts(hits)
        for name in FACETS:
            numbers = arrays.facet_values.get(name, np.zeros(0, dtype=np.int64)).tolist()
            keys = [arrays.keys[fv] for fv in numbers]
            for limit in (0, 1, 3, 20):
                selected = set(rng.sample(keys, min(len(keys), rng.randrange(3)))) if keys else set()
                ours = arrays.top(counts, name, limit, selected)
                assert ours == _sorted_in_python(arrays, counts, name, limit, selected), (size, name, limit)
                compared += len(ours)
    store.close()
    assert compared > 1000  # many shown values compared, ties in count among them
