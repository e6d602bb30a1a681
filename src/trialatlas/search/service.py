"""``search()``: ranked full-text search over a store, with filters, facet counts and cursors.

The index is kept current by the store's change feed before every search (cheap when nothing
changed). Results are typed: each hit carries the trial's summary, its score and a snippet with the
matched terms marked; the result carries the facet counts under the query and a cursor for the next
page. Cursors are keyset positions, so paging never skips or repeats a trial, however deep, and
signed with the store's secret (:mod:`trialatlas.search.cursors`).
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field, ValidationError

from trialatlas.errors import QueryError
from trialatlas.search.cursors import cursor_key, decode_cursor, encode_cursor
from trialatlas.search.facets import FACETS
from trialatlas.search.filters import QUERY_FIELDS, Filters, interpret, range_conditions, value_filters
from trialatlas.search.index import Page, Request, SearchIndex
from trialatlas.search.query import WEIGHTS, Compiler, Group, Mode, Word, conjoin, parse
from trialatlas.search.synonyms import Expander
from trialatlas.store import TrialStore

MAX_LIMIT = 1000
DEFAULT_FACET_LIMIT = 20
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"


class SortKey(StrEnum):
    RELEVANCE = "relevance"
    START_DATE = "start_date"
    LAST_UPDATE = "last_update"
    ENROLLMENT = "enrollment"


class TrialSummary(BaseModel):
    """What a result shows of a trial (``trialatlas show KEY`` shows the rest)."""

    key: str
    nct_id: str | None = None
    title: str = ""
    acronym: str | None = None
    status: str | None = None
    phases: list[str] = Field(default_factory=list)
    study_type: str | None = None
    conditions: list[str] = Field(default_factory=list)
    interventions: list[str] = Field(default_factory=list)
    sponsor: str | None = None
    start_date: str | None = None
    completion_date: str | None = None
    last_update: str | None = None
    enrollment: int | None = None
    min_age_years: float | None = None
    max_age_years: float | None = None
    sex: str | None = None
    countries: list[str] = Field(default_factory=list)
    has_results: bool | None = None
    is_partial: bool = False


class SiteDistance(BaseModel):
    """A trial's site nearest the place a search was asked about, and how far it is."""

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = Field(default=None, description="The site's own recruitment status, if given.")
    distance_km: float


class SearchHit(BaseModel):
    trial: TrialSummary
    score: float = Field(description="BM25 relevance (higher is better); 0 when browsing or sorting.")
    snippet: str = Field(description="HTML-escaped text with the matched terms in <mark>…</mark>.")
    nearest_site: SiteDistance | None = Field(
        default=None, description="With a location: the trial's site nearest it (none when none is placed)."
    )

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as ``(text, matched)`` pieces, unescaped (for terminals)."""
        parts: list[tuple[str, bool]] = []
        rest = self.snippet
        while rest:
            start = rest.find("<mark>")
            if start < 0:
                parts.append((html.unescape(rest), False))
                break
            if start:
                parts.append((html.unescape(rest[:start]), False))
            end = rest.find("</mark>", start)
            end = len(rest) if end < 0 else end
            parts.append((html.unescape(rest[start + 6 : end]), True))
            rest = rest[end + 7 :]
        return parts


class FacetCount(BaseModel):
    value: str
    count: int


class ExpansionNote(BaseModel):
    typed: str
    added: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    not_expanded: list[str] = Field(
        default_factory=list, description="Senses of an ambiguous abbreviation the query did not point to."
    )


class SearchResults(BaseModel):
    query: str
    filters: Filters
    sort: SortKey
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = Field(default_factory=dict)
    next_cursor: str | None = None
    expansions: list[ExpansionNote] = Field(default_factory=list)
    interpreted: list[str] = Field(
        default_factory=list, description="Words of the query read as filters (status, phase, country, age)."
    )
    took_ms: float = 0.0
    origin: str | None = Field(default=None, description="With a location: the place it was read as.")


# --- cursors ---------------------------------------------------------------------------------


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


# --- the search ------------------------------------------------------------------------------


def _filters(filters: Filters | Mapping[str, Any] | None, extra: Mapping[str, Any]) -> Filters:
    try:
        if isinstance(filters, Filters):
            return filters.model_copy(update=dict(extra)) if extra else filters
        data = {**(filters or {}), **extra}
        return Filters.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'filters'}: {error['msg']}" for error in exc.errors()
        )
        raise QueryError(f"invalid filter: {problems}") from exc


def _interpret(tree: Group, filters: Filters, index: SearchIndex) -> tuple[Filters, list[str]]:
    """Move filter words out of the query's top level into the filters (explicit filters win)."""
    if tree.op != "AND":
        return filters, []
    plain = [
        (i, child)
        for i, child in enumerate(tree.children)
        if isinstance(child, Word) and not child.field and not child.prefix
    ]
    positions = [i for i, _ in plain]
    words = [child.text for _, child in plain]
    found = interpret(words, index.country)
    if not found.used:
        return filters, []
    update: dict[str, Any] = {}
    notes: list[str] = []
    for name, values in found.values.items():
        if getattr(filters, name):
            continue
        update[name] = values
        notes.extend(note for note in found.notes if note.startswith(f"{name}="))
    used = {positions[i] for i in found.used}
    tree.children = [child for i, child in enumerate(tree.children) if i not in used]
    return _filters(filters, update), notes


def _snippet_html(text: str) -> str:
    out: list[str] = []
    for piece in text.split(_MARK_OPEN):
        if _MARK_CLOSE in piece:
            marked, rest = piece.split(_MARK_CLOSE, 1)
            out.append(f"<mark>{html.escape(marked)}</mark>{html.escape(rest)}")
        else:
            out.append(html.escape(piece))
    return " ".join("".join(out).split())


def search(
    store: TrialStore,
    query: str = "",
    filters: Filters | Mapping[str, Any] | None = None,
    *,
    sort: SortKey | str = SortKey.RELEVANCE,
    order: Literal["asc", "desc"] | None = None,
    cursor: str | None = None,
    limit: int = 20,
    facets: bool | Sequence[str] = True,
    facet_limit: int = DEFAULT_FACET_LIMIT,
    mode: Mode = "all",
    expand: bool = True,
    interpret_words: bool = True,
    snippets: bool = True,
    index: SearchIndex | None = None,
    synced: bool = False,
    budget_s: float | None = None,
    **filter_values: Any,
) -> SearchResults:
    """Search the store's trials.

    ``query`` uses the query language of :mod:`trialatlas.search.query`; filters come as a
    :class:`Filters`, a mapping, or keyword arguments (``status="recruiting", age=12, country="China"``).
    ``sort`` is relevance (default), start_date, last_update or enrollment (newest or largest first
    unless ``order="asc"``). ``cursor`` continues from a previous result's ``next_cursor``;
    ``snippets=False`` leaves snippets empty (faster when only the trials are wanted).
    ``synced=True`` says the caller has just caught ``index`` up with the store's change feed (once
    per request is enough). ``budget_s`` bounds the seconds the query may run (a server passes one,
    so that one costly query cannot hold the others up): past it, :class:`QueryCostError`.
    Raises :class:`QueryError` for a malformed query, filter or cursor.
    """
    started = time.perf_counter()
    chosen = _filters(filters, filter_values)
    try:
        sort_key = SortKey(sort)
    except ValueError as exc:
        raise QueryError(
            f"unknown sort {sort!r}; choose one of {', '.join(s.value for s in SortKey)}"
        ) from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    descending = order != "asc"
    index = index or SearchIndex.for_store(store)
    if not synced:
        index.sync(store)

    # One read snapshot for the whole search: the expansions' look-ups, the page, its snippets and
    # briefs (looked up by doc number: no sync may renumber trials in between) see one state of the
    # index, and the snapshot (with its meta rows) is opened once, not once per look-up.
    with index.reading():
        tree = parse(query, mode=mode)
        notes: list[str] = []
        if interpret_words and mode == "all":
            chosen, notes = _interpret(tree, chosen, index)
        # The search form's own query fields (cond, intr, term) apply with q; only q's words are read as
        # filters above, as a word typed in the Condition box is a condition, never a status.
        tree = conjoin(
            tree,
            [(getattr(chosen, name), field, label) for name, (field, label) in QUERY_FIELDS.items()],
            mode=mode,
        )
        compiled = Compiler(Expander(index) if expand else None, is_common=index.is_common).compile(tree)
        if compiled.match is None and not compiled.ids and tree.children:
            typed = " ".join(
                text.strip() for text in (query, *(getattr(chosen, n) for n in QUERY_FIELDS)) if text.strip()
            )
            raise QueryError(f"nothing to search for in {typed!r}: the query holds no words or numbers")
        id_keys: list[str] | None = None
        if compiled.ids:
            id_keys = []
            for wanted in compiled.ids:
                trial = store.get(wanted)
                if trial is not None:
                    id_keys.append(trial.key)

        names = list(FACETS) if facets is True else ([] if facets is False else list(facets))
        unknown = [name for name in names if name not in FACETS]
        if unknown:
            raise QueryError(f"unknown facet {', '.join(unknown)}; facets are {', '.join(FACETS)}")
        fingerprint = _fingerprint(
            query, chosen.model_dump(), sort_key.value, descending, mode, expand, interpret_words
        )
        key = cursor_key(store)
        after = decode_cursor(key, cursor, fingerprint) if cursor else None
        request = Request(
            match=compiled.match,
            id_keys=id_keys,
            values=value_filters(chosen),
            ranges=range_conditions(chosen),
            sort=sort_key.value,
            descending=descending,
            after=after,
            limit=limit,
            facets=names,
            facet_limit=facet_limit,
            weights=WEIGHTS,
            budget_s=budget_s,
        )
        page = index.execute(request)
        hits = _hits(index, page, compiled.match, snippets)
    next_cursor = None
    if page.has_more and page.rows:
        number, score, _, value = page.rows[-1]
        browse = compiled.match is None and id_keys is None
        if sort_key is SortKey.RELEVANCE:
            position: list[Any] = [number] if browse else [score, number]
        else:
            position = [value, number]
        next_cursor = encode_cursor(key, fingerprint, position)
    return SearchResults(
        query=query,
        filters=chosen,
        sort=sort_key,
        total=page.total,
        hits=hits,
        facets={
            name: [FacetCount(value=v, count=n) for v, n in values] for name, values in page.facets.items()
        },
        next_cursor=next_cursor,
        expansions=[
            ExpansionNote(typed=e.typed, added=e.phrases, sources=e.sources, not_expanded=e.skipped)
            for e in compiled.expansions
        ],
        interpreted=notes,
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def _hits(index: SearchIndex, page: Page, match: str | None, wanted: bool) -> list[SearchHit]:
    numbers = [row[0] for row in page.rows]
    snippets = index.snippets(match, numbers) if match and wanted else {}
    briefs = index.briefs([n for n in numbers if not snippets.get(n)]) if wanted else {}
    hits = []
    for number, score, summary, _ in page.rows:
        trial = TrialSummary.model_validate_json(summary)
        text = snippets.get(number)
        snippet = _snippet_html(text) if text else html.escape(briefs.get(number, ""))
        hits.append(SearchHit(trial=trial, score=-score if score else 0.0, snippet=snippet))
    return hits


def iter_search(store: TrialStore, query: str = "", **options: Any) -> Iterator[SearchHit]:
    """Every hit of a search, page after page (``limit`` sets the page size)."""
    options = {**options, "facets": False}
    cursor: str | None = None
    while True:
        results = search(store, query, cursor=cursor, **options)
        yield from results.hits
        if results.next_cursor is None:
            return
        cursor = results.next_cursor
