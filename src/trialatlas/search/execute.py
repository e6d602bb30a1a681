"""Running one search request against the index: candidates, filters, the page, the total and facets.

How this is laid out:

- The words are tantivy's (:mod:`~trialatlas.search.engine`): a plain query asks it for the best
  ``limit + 1`` and the exact count in one pass, and block-max pruning scores only the postings that
  can still enter the page, where scoring every match cost FTS5 most of a search.
- Filters, totals, facet counts and the non-relevance sorts work on the numpy arrays of
  :class:`~trialatlas.search.arrays.DocArrays`: the matches are listed unscored (ordered by the doc
  number fast field), filtered in memory, and only the survivors are ranked: tantivy gets them back
  as a doc-number restriction that adds nothing to the scores. SQLite reads the summaries of the
  page only. (Counting facets inside tantivy instead, a terms aggregation over the values as a
  multi-valued fast field, gave the same counts but took twice as long as listing the matches and
  one bincount: 5.2 against 2.2 ms a query over 25,000 trials, the benchmark's queries.)
- Ties are ordered by doc number; when the best ``limit + 1`` end inside a run of equal scores that
  the engine cut, the page comes from the full ranking instead, so that pages meet exactly.

Pages after the first re-use one full ranking of the survivors (kept per query), so walking every
page costs one scoring pass, not one per page; keyset positions make the pages meet exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trialatlas.search import engine
from trialatlas.search.arrays import DocArrays, Docs, Mask, rows_size, rows_value_mask
from trialatlas.search.filters import Range
from trialatlas.search.query import COLUMNS
from trialatlas.store.schema import marks, sqlite_chunks

# Asked of the engine beyond the page: room to tell whether the page ends inside a run of ties.
_TIE_ROOM = 16


@dataclass
class Request:
    match: str | None
    id_keys: list[str] | None
    values: dict[str, list[str]]
    ranges: list[Range]
    sort: str
    descending: bool
    after: tuple[Any, ...] | None
    limit: int
    facets: list[str]
    facet_limit: int
    weights: dict[str, float]
    # Seconds the query may run before it is stopped as too costly (None: no bound).
    budget_s: float | None = None

    def hits_key(self) -> tuple[Any, ...]:
        """What decides the set of trials (not the page): the query, the named ids and the filters."""
        return (
            self.match,
            None if self.id_keys is None else tuple(self.id_keys),
            tuple(self.weights.get(column, 1.0) for column in COLUMNS),
            repr(sorted(self.values.items())),
            repr(self.ranges),
        )


@dataclass
class Page:
    """What one query returns before the service dresses it: rows, total and facet counts."""

    rows: list[tuple[int, float, str, Any]]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    has_more: bool


@dataclass
class Ranking:
    """Every survivor of a query in rank order (score, then doc), kept for its next pages."""

    key: tuple[Any, ...]
    docs: Docs
    scores: npt.NDArray[np.float64]


@dataclass
class Run:
    """One request over one generation of the index (the caller holds the connection's lock)."""

    conn: sqlite3.Connection
    load_arrays: Callable[[], DocArrays]
    request: Request
    generation: str
    ranking: Ranking | None
    # The engine's searcher (``None`` when the request has no words) and a check of the time budget.
    searcher: Any = None
    check: Callable[[], object] = lambda: None
    # Whether the index holds this generation's arrays in memory already (else a request that needs
    # no more than its filters' trials reads them from the rows, see _from_rows).
    arrays_kept: bool = True
    _arrays: DocArrays | None = field(default=None, init=False, repr=False)
    _size: int | None = field(default=None, init=False, repr=False)
    _query: Any = field(default=None, init=False, repr=False)

    @property
    def query(self) -> Any:
        """The request's words as a tantivy query."""
        if self._query is None:
            assert self.request.match is not None and self.searcher is not None
            self._query, _ = engine.translate(self.request.match, self.request.weights)
        return self._query

    @property
    def arrays(self) -> DocArrays:
        # Read on first use: a plain query (no filters, facets or ids) never needs them, and reading
        # them costs ~0.4 s at 100k trials, most of a one-off command's search.
        if self._arrays is None:
            self._arrays = self.load_arrays()
        return self._arrays

    @property
    def _from_rows(self) -> bool:
        """Whether the filters' trials are read from the index's rows rather than its arrays: words
        ranked by relevance, value filters only, no facets to count (a match's candidates), and the
        arrays not in memory yet (a one-off command's first search)."""
        request = self.request
        return (
            not self.arrays_kept
            and self._arrays is None
            and request.match is not None
            and not request.facets
            and not request.ranges
            and request.sort == "relevance"
        )

    @property
    def size(self) -> int:
        """One past the highest doc number."""
        if not self._from_rows:
            return self.arrays.size
        if self._size is None:
            self._size = rows_size(self.conn)
        return self._size

    def page(self) -> tuple[Page, Ranking | None]:
        request = self.request
        browse = request.match is None and request.id_keys is None
        masks = self._masks()
        allowed = _combine([mask for _, mask in masks])
        plain = not masks and request.id_keys is None and not request.facets
        if plain and request.match is not None and request.sort == "relevance" and request.after is None:
            return self._finish(*self._counted_page(), {})
        candidates = self.arrays.docs if browse else self._candidates()
        self.check()
        survivors = candidates if allowed is None else candidates[allowed[candidates]]
        facets = self._facets(masks, candidates, survivors, browse)
        self.check()
        if request.sort == "relevance" and request.match is not None:
            filtered = allowed is not None or request.id_keys is not None
            chosen = self._ranked(survivors if filtered else None, len(survivors))
        elif request.sort == "relevance":
            chosen = self._by_doc(survivors)
        else:
            chosen = self._sorted(survivors)
        return self._finish(chosen, len(survivors), facets)

    def _finish(
        self, chosen: list[tuple[int, float, Any]], total: int, facets: dict[str, list[tuple[str, int]]]
    ) -> tuple[Page, Ranking | None]:
        limit = self.request.limit
        summaries = _summaries(self.conn, [number for number, _, _ in chosen[:limit]])
        # A doc without a row: words a sync committed that this snapshot's tables do not hold yet.
        rows = [
            (number, score, summaries[number], value)
            for number, score, value in chosen[:limit]
            if number in summaries
        ]
        return Page(rows, total, facets, len(chosen) > limit), self.ranking

    # --- which trials --------------------------------------------------------------------------

    def _masks(self) -> list[tuple[str | None, Mask]]:
        """One mask per filter, with the facet it selects (``None`` for a range)."""
        if self._from_rows:
            return [
                (facet, rows_value_mask(self.conn, facet, keys, self.size))
                for facet, keys in self.request.values.items()
            ]
        masks: list[tuple[str | None, Mask]] = [
            (facet, self.arrays.value_mask(facet, keys)) for facet, keys in self.request.values.items()
        ]
        masks.extend((None, self.arrays.range_mask(condition)) for condition in self.request.ranges)
        return masks

    def _candidates(self) -> Docs:
        request, size = self.request, self.size
        named: Docs | None = None
        if request.id_keys is not None:
            numbers = [
                int(number)
                for chunk in sqlite_chunks(request.id_keys)
                for (number,) in self.conn.execute(
                    f"SELECT doc FROM search_docs WHERE key IN ({marks(len(chunk))})", chunk
                )
            ]
            named = np.unique(np.array(numbers, dtype=np.int64))
        if request.match is None:
            assert named is not None
            return named[named < size]
        hits = engine.matching(self.searcher, self.query)
        if len(hits) > 1 and not bool(np.all(hits[1:] > hits[:-1])):
            hits = np.unique(hits)
        if named is not None:
            hits = hits[np.isin(hits, named)]
        return hits[hits < size]

    # --- the page ------------------------------------------------------------------------------

    def _ranked(self, survivors: Docs | None, total: int) -> list[tuple[int, float, Any]]:
        """The page by BM25; ``survivors`` lists the trials to rank when not every match is one."""
        request = self.request
        if not total:
            return []
        query = self.query if survivors is None else engine.restricted(self.query, survivors.tolist())
        key = (self.generation, *request.hits_key())
        known = self.ranking is not None and self.ranking.key == key
        if request.after is None and not known:
            page = self._top(query, total)
            if page is not None:
                return page
        if self.ranking is None or self.ranking.key != key:
            docs, scores, _ = engine.top(self.searcher, query, total)
            self.ranking = Ranking(key, docs, scores)
        ranking = self.ranking
        start = 0
        if request.after is not None:
            score, number = float(request.after[0]), int(request.after[1])
            low = int(np.searchsorted(ranking.scores, score, side="left"))
            high = int(np.searchsorted(ranking.scores, score, side="right"))
            start = low + int(np.searchsorted(ranking.docs[low:high], number, side="right"))
        stop = start + request.limit + 1
        return [
            (int(n), float(s), None)
            for n, s in zip(
                ranking.docs[start:stop].tolist(), ranking.scores[start:stop].tolist(), strict=True
            )
        ]

    def _top(self, query: Any, total: int) -> list[tuple[int, float, Any]] | None:
        """The first page (``limit + 1`` rows) from the engine's top k; ``None`` when it ends inside
        a run of equal scores the engine cut (its order among ties is not the doc number's)."""
        wanted = self.request.limit + 1
        fetched = min(total, wanted + _TIE_ROOM)
        docs, scores, _ = engine.top(self.searcher, query, fetched)
        if fetched < total and len(docs) >= max(fetched, wanted) and scores[wanted - 1] == scores[-1]:
            return None
        return _rows(docs[:wanted], scores[:wanted])

    def _counted_page(self) -> tuple[list[tuple[int, float, Any]], int]:
        """The first page and the exact total, in one pass of the engine (top k and a count)."""
        wanted = self.request.limit + 1
        docs, scores, total = engine.top(self.searcher, self.query, wanted + _TIE_ROOM, count=True)
        cut = len(docs) < total and len(docs) >= wanted and scores[wanted - 1] == scores[-1]
        if cut:
            return self._ranked(None, total), total
        return _rows(docs[:wanted], scores[:wanted]), total

    def _by_doc(self, survivors: Docs) -> list[tuple[int, float, Any]]:
        """Browsing, or named ids without words: in doc order, every score 0."""
        after = self.request.after
        if after is not None:
            survivors = survivors[survivors > int(after[-1])]
        return [(number, 0.0, None) for number in survivors[: self.request.limit + 1].tolist()]

    def _sorted(self, survivors: Docs) -> list[tuple[int, float, Any]]:
        """By a column, NULLs last, then by doc; scores only for the rows shown."""
        request = self.request
        column = self.arrays.columns[request.sort]
        codes = column.codes[survivors]
        if request.after is not None:
            value, number = request.after
            later = survivors > int(number)
            if value is None:
                keep = (codes < 0) & later
            else:
                low, high = column.bounds(value)
                beyond = (codes >= 0) & (codes < low) if request.descending else codes >= high
                keep = (codes < 0) | beyond | ((codes >= low) & (codes < high) & later)
            survivors, codes = survivors[keep], codes[keep]
        wanted = min(len(survivors), request.limit + 1)
        if not wanted:
            return []
        primary = np.where(codes < 0, len(column.values), -codes if request.descending else codes)
        # NULLs (flag 1) after values, then the column's order, then the doc number.
        order = np.lexsort((survivors, primary, codes < 0))[:wanted]
        numbers = survivors[order].tolist()
        values = [None if code < 0 else column.values[code] for code in codes[order].tolist()]
        scores = self._scores(numbers) if request.match is not None else {}
        return [(n, scores.get(n, 0.0), v) for n, v in zip(numbers, values, strict=True)]

    def _scores(self, numbers: list[int]) -> dict[int, float]:
        if not numbers:
            return {}
        docs, scores, _ = engine.top(self.searcher, engine.restricted(self.query, numbers), len(numbers))
        return dict(zip(docs.tolist(), scores.tolist(), strict=True))

    # --- facets --------------------------------------------------------------------------------

    def _facets(
        self, masks: list[tuple[str | None, Mask]], candidates: Docs, survivors: Docs, browse: bool
    ) -> dict[str, list[tuple[str, int]]]:
        request = self.request
        if not request.facets:
            return {}
        arrays = self.arrays
        found: dict[str, list[tuple[str, int]]] = {}
        everything = None if browse else candidates
        # Facets with a selection are counted without their own filter, so that the alternatives
        # show; all the others once over the filtered set.
        plain = [name for name in request.facets if name not in request.values]
        if plain:
            counts = arrays.counts(None if browse and not masks else survivors)
            for name in plain:
                found[name] = arrays.top(counts, name, request.facet_limit, set())
        for name in request.facets:
            if name not in request.values:
                continue
            others = _combine([mask for facet, mask in masks if facet != name])
            if others is None:
                counts = arrays.counts(everything)
            else:
                counts = arrays.counts(candidates[others[candidates]])
            found[name] = arrays.top(counts, name, request.facet_limit, set(request.values[name]))
        return {name: found.get(name, []) for name in request.facets}


def _rows(docs: Docs, scores: npt.NDArray[np.float64]) -> list[tuple[int, float, Any]]:
    return [(n, s, None) for n, s in zip(docs.tolist(), scores.tolist(), strict=True)]


def _combine(masks: list[Mask]) -> Mask | None:
    if not masks:
        return None
    combined = masks[0].copy()
    for mask in masks[1:]:
        combined &= mask
    return combined


def _summaries(conn: sqlite3.Connection, numbers: list[int]) -> dict[int, str]:
    if not numbers:
        return {}
    rows = conn.execute(f"SELECT doc, summary FROM search_text WHERE doc IN ({marks(len(numbers))})", numbers)
    return {int(number): str(summary) for number, summary in rows}
