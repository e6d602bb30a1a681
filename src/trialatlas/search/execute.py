"""Running one search request against the index: candidates, filters, the page, the total and facets.

What the profile of searches over ~100k trials showed, and so how this is laid out:

- BM25 is the cost: FTS5 scores a matching row in about a microsecond, while merely listing the
  matching rows costs a tenth of that. So the matches are listed unscored (``group_concat(rowid)``:
  one string crosses into Python, not a row each), filtered in memory, and only the survivors are
  scored, inside SQLite, which keeps the best ``limit + 1`` (``ORDER BY score LIMIT``) rather than
  handing every score over. Filters are usually selective (most stored trials are descriptions
  without status or sites), so a filtered search scores a few hundred rows instead of tens of
  thousands.
- The survivors reach FTS5 as ``+rowid IN (json_each(?))``: the unary plus keeps the list a plain
  filter on the scan; offered to FTS5 as a rowid constraint, it re-runs the whole query (and BM25's
  document frequencies) once per listed row.
- Filters, totals, facet counts and the non-relevance sorts work on the numpy arrays of
  :class:`~trialatlas.search.arrays.DocArrays`; SQLite reads the summaries of the page only.

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

from trialatlas.search.arrays import DocArrays, Docs, Mask, docs_of
from trialatlas.search.filters import Range
from trialatlas.search.query import COLUMNS

_CHUNK = 900


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
    _arrays: DocArrays | None = field(default=None, init=False, repr=False)

    @property
    def arrays(self) -> DocArrays:
        # Read on first use: a plain query (no filters, facets or ids) never needs them, and reading
        # them costs ~0.4 s at 100k trials, most of a one-off command's search.
        if self._arrays is None:
            self._arrays = self.load_arrays()
        return self._arrays

    def page(self) -> tuple[Page, Ranking | None]:
        request = self.request
        browse = request.match is None and request.id_keys is None
        masks = self._masks()
        allowed = _combine([mask for _, mask in masks])
        plain = not masks and request.id_keys is None and not request.facets
        if plain and request.match is not None and request.sort == "relevance" and request.after is None:
            return self._finish(*self._counted_page(), {})
        candidates = self.arrays.docs if browse else self._candidates()
        survivors = candidates if allowed is None else candidates[allowed[candidates]]
        facets = self._facets(masks, candidates, survivors, browse)
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
        rows = [(number, score, summaries[number], value) for number, score, value in chosen[:limit]]
        return Page(rows, total, facets, len(chosen) > limit), self.ranking

    # --- which trials --------------------------------------------------------------------------

    def _masks(self) -> list[tuple[str | None, Mask]]:
        """One mask per filter, with the facet it selects (``None`` for a range)."""
        masks: list[tuple[str | None, Mask]] = [
            (facet, self.arrays.value_mask(facet, keys)) for facet, keys in self.request.values.items()
        ]
        masks.extend((None, self.arrays.range_mask(condition)) for condition in self.request.ranges)
        return masks

    def _candidates(self) -> Docs:
        request, size = self.request, self.arrays.size
        named: Docs | None = None
        if request.id_keys is not None:
            numbers = [
                int(number)
                for chunk in _chunks(request.id_keys)
                for (number,) in self.conn.execute(
                    f"SELECT doc FROM search_docs WHERE key IN ({_marks(len(chunk))})", chunk
                )
            ]
            named = np.unique(np.array(numbers, dtype=np.int64))
        if request.match is None:
            assert named is not None
            return named[named < size]
        (text,) = self.conn.execute(
            "SELECT group_concat(rowid) FROM search_fts WHERE search_fts MATCH ?", (request.match,)
        ).fetchone()
        hits = docs_of(text)
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
        weights = ", ".join(repr(float(request.weights.get(c, 1.0))) for c in COLUMNS)
        restrict = ""
        params: list[Any] = [request.match]
        if survivors is not None:
            # The bounds reach FTS5, which then reads only that stretch of each doclist.
            restrict = " AND rowid >= ? AND rowid <= ? AND +rowid IN (SELECT value FROM json_each(?))"
            params += [int(survivors[0]), int(survivors[-1]), _json(survivors)]
        scored = (
            f"SELECT rowid, bm25(search_fts, {weights}) AS score FROM search_fts"
            f" WHERE search_fts MATCH ?{restrict}"
        )
        key = (self.generation, *request.hits_key())
        known = self.ranking is not None and self.ranking.key == key
        if request.after is None and not known:
            rows = self.conn.execute(f"{scored} ORDER BY score, rowid LIMIT ?", [*params, request.limit + 1])
            return [(int(number), float(score), None) for number, score in rows]
        if self.ranking is None or self.ranking.key != key:
            found = self.conn.execute(scored, params).fetchall()
            docs = np.fromiter((row[0] for row in found), np.int64, len(found))
            scores = np.fromiter((row[1] for row in found), np.float64, len(found))
            order = np.lexsort((docs, scores))
            self.ranking = Ranking(key, docs[order], scores[order])
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

    def _counted_page(self) -> tuple[list[tuple[int, float, Any]], int]:
        """The first page and the total, when only the total is wanted of the matches.

        An expression of phrases or exclusions costs more to evaluate than its matches cost to
        score: one pass scores them all and counts them beside the page (the window keeps every
        row). Plain words are cheap to evaluate but may match a third of the trials: counting first,
        then scoring inside SQLite's LIMIT sorter, beats buffering them all."""
        request = self.request
        assert request.match is not None
        weights = ", ".join(repr(float(request.weights.get(c, 1.0))) for c in COLUMNS)
        if _costly(request.match):
            rows = self.conn.execute(
                f"SELECT doc, score, count(*) OVER () FROM (SELECT rowid AS doc, bm25(search_fts, {weights})"
                " AS score FROM search_fts WHERE search_fts MATCH ?) ORDER BY score, doc LIMIT ?",
                (request.match, request.limit + 1),
            ).fetchall()
            return [(int(n), float(s), None) for n, s, _ in rows], int(rows[0][2]) if rows else 0
        (total,) = self.conn.execute(
            "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (request.match,)
        ).fetchone()
        return self._ranked(None, int(total)), int(total)

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
        scores = _scores(self.conn, request, numbers) if request.match is not None else {}
        return [(n, scores.get(n, 0.0), v) for n, v in zip(numbers, values, strict=True)]

    # --- facets --------------------------------------------------------------------------------

    def _facets(
        self, masks: list[tuple[str | None, Mask]], candidates: Docs, survivors: Docs, browse: bool
    ) -> dict[str, list[tuple[str, int]]]:
        request, arrays = self.request, self.arrays
        if not request.facets:
            return {}
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


def _costly(match: str) -> bool:
    """Whether an FTS5 expression holds a phrase or an exclusion: both read position lists, or a
    second doclist, for every candidate row (alternatives of single words are merged cheaply)."""
    pieces = match.split('"')
    return any(" " in term.strip() for term in pieces[1::2]) or any(" NOT " in part for part in pieces[::2])


def _json(docs: Docs) -> str:
    return "[" + ",".join(map(str, docs.tolist())) + "]"


def _combine(masks: list[Mask]) -> Mask | None:
    if not masks:
        return None
    combined = masks[0].copy()
    for mask in masks[1:]:
        combined &= mask
    return combined


def _scores(conn: sqlite3.Connection, request: Request, numbers: list[int]) -> dict[int, float]:
    if not numbers:
        return {}
    weights = ", ".join(repr(float(request.weights.get(c, 1.0))) for c in COLUMNS)
    rows = conn.execute(
        f"SELECT rowid, bm25(search_fts, {weights}) FROM search_fts WHERE search_fts MATCH ?"
        " AND rowid >= ? AND rowid <= ? AND +rowid IN (SELECT value FROM json_each(?))",
        (request.match, min(numbers), max(numbers), "[" + ",".join(map(str, numbers)) + "]"),
    )
    return {int(number): float(score) for number, score in rows}


def _summaries(conn: sqlite3.Connection, numbers: list[int]) -> dict[int, str]:
    if not numbers:
        return {}
    rows = conn.execute(
        f"SELECT doc, summary FROM search_text WHERE doc IN ({_marks(len(numbers))})", numbers
    )
    return {int(number): str(summary) for number, summary in rows}


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]


def _marks(count: int) -> str:
    return ", ".join("?" * count)
