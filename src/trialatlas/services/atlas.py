"""The application core: :class:`Atlas`, the one object the Python API, the CLI, the REST API and the
web pages call for search, trials, related trials, regimens, doses, matching, ingest and nearby sites.

It owns what outlives one request: the store's search index (caught up with the store's change feed
once per request), a cache of search results, the matcher with its statistics and parsed criteria, and
the pool of match worker processes. Every operation takes and answers the models of
:mod:`trialatlas.services.models` (matching's: :mod:`trialatlas.services.match_models`), so each
interface gives the same document for the same question.
Nothing a patient sends is kept: match requests are answered and forgotten.

Each operation imports the machinery it runs (the search engine, the matcher, the regimen parser)
when first called, so opening an atlas to show one trial loads only the store and the trial model.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from trialatlas.errors import NotFoundError, QueryError, RelatedError, TrialAtlasError
from trialatlas.services.checks import MAX_LIMIT, check_trial_id
from trialatlas.store import derived_path, open_store, server_url

if TYPE_CHECKING:
    from trialatlas.extract.criteria import ParsedCriterion
    from trialatlas.extract.regimen import TrialDoses, TrialTimeline
    from trialatlas.match.matcher import StoreMatcher
    from trialatlas.match.patient import PatientProfile
    from trialatlas.match.verdict import CriterionVerdict
    from trialatlas.model import Trial
    from trialatlas.related.service import RelatedReport
    from trialatlas.search import SearchHit, SearchIndex, SearchResults
    from trialatlas.search.index import BuildReport
    from trialatlas.services.derived import DerivedReport, Progress
    from trialatlas.services.export import ExportFormat
    from trialatlas.services.match_models import MatchedCriterion, MatchRequest, MatchResponse
    from trialatlas.services.models import (
        DoseRequest,
        IngestResponse,
        NearRequest,
        NearResponse,
        RelatedRequest,
        SearchRequest,
        Stats,
        StoreCounts,
    )
    from trialatlas.store.base import TrialStore

# Search results kept (for as long as the index does not change).
_RESULTS_CACHE = 256
# Errors an ingest answer lists (the counts cover them all).
MAX_ERRORS = 50
# How often a match worker checks that the server that started it still runs.
_PARENT_CHECK_S = 1.0


# The matcher runs in worker processes when asked: its rules are CPU-bound Python, and in the server's
# own process they would hold the interpreter lock while every search and page waits behind them.
_worker: Atlas | None = None


# A note matched once when a process that matches starts, so that the first real match finds the note
# reader's vocabularies, the search index's arrays, the statistics and the matcher's code loaded.
_WARM_NOTE = "A 60-year-old woman with type 2 diabetes, hypertension and chronic kidney disease."


def _warm_up_match(atlas: Atlas) -> None:
    from trialatlas.match.patient import profile_from_note

    # An empty or unreadable store: the first real match will say what is wrong.
    with contextlib.suppress(TrialAtlasError):
        atlas.match_profile(profile_from_note(_WARM_NOTE), top=1, status="any")


def _exit_with(parent: int) -> None:
    """End this match worker once the server process that started it is gone: a server stopped
    while a match ran must not leave its workers behind (orphans keep a store and its statistics)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_S)
    os._exit(0)


def _worker_start(location: str, parent: int | None = None) -> None:
    global _worker
    if parent is not None:
        threading.Thread(
            target=_exit_with, args=(parent,), name="trialatlas-orphan-check", daemon=True
        ).start()
    # The server builds the search index before it sends a match here; a worker only reads it.
    _worker = Atlas(open_store(location))
    _warm_up_match(_worker)


def _worker_ready() -> bool:
    return _worker is not None


def _worker_match(profile_json: str, top: int, status: str | None) -> str:
    from trialatlas.match.patient import PatientProfile

    assert _worker is not None, "match worker not initialised"
    profile = PatientProfile.model_validate_json(profile_json)
    return _worker.match_profile(profile, top=top, status=status).model_dump_json()


def _criterion(verdict: CriterionVerdict) -> MatchedCriterion:
    from trialatlas.services.match_models import MARKS, MatchedCriterion

    return MatchedCriterion(
        index=verdict.index,
        kind=verdict.kind,
        text=verdict.text,
        status=verdict.status,
        mark=MARKS.get(verdict.status, "?"),
        reason=verdict.reason,
    )


class Atlas:
    """The services over one store, shared by every request of one server or one command.

    ``match_workers`` > 0 answers matches in that many worker processes (each with its own matcher
    over the store's search index); 0 answers them in this process. ``on_note`` hears about slow
    one-time work (building an index or statistics).
    """

    def __init__(
        self,
        store: TrialStore,
        *,
        match_workers: int = 0,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.on_note = on_note
        self._lock = threading.RLock()
        self._index: SearchIndex | None = None
        self._index_ready = False
        self._index_lock = threading.Lock()
        # Held by an ingest of this atlas: the index does not catch up meanwhile (see GuardedIndex).
        self._ingest_lock = threading.Lock()
        # Guards the results cache only: searches run side by side (the index reads through one
        # connection per thread), so one slow query holds up no other.
        self._results_lock = threading.Lock()
        self._results: OrderedDict[tuple[Any, ...], SearchResults] = OrderedDict()
        self._results_generation = ""
        self._store_matcher: StoreMatcher | None = None
        self._match_workers = match_workers
        self._pool: ProcessPoolExecutor | None = self._new_pool() if match_workers > 0 else None

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._match_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            # The URL itself: a server store's location has its password masked.
            initargs=(server_url(self.store) or self.store.location, os.getpid()),
        )

    def _in_worker(self, profile: PatientProfile, top: int, status: str | None) -> MatchResponse:
        from trialatlas.services.match_models import MatchResponse

        assert self._pool is not None
        pool = self._pool
        try:
            answer = pool.submit(_worker_match, profile.model_dump_json(), top, status).result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start fresh ones once rather than fail from now on.
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
                pool = self._pool
            answer = pool.submit(_worker_match, profile.model_dump_json(), top, status).result()
        return MatchResponse.model_validate_json(answer)

    # --- caches --------------------------------------------------------------------------------

    def _opened_index(self) -> SearchIndex:
        """The store's search index as it is (the derived-data step builds and catches it up)."""
        if self._index is None:
            from trialatlas.services.guarded_index import GuardedIndex

            with self._index_lock:
                if self._index is None:
                    path = derived_path(self.store, "")
                    if server_url(self.store) is not None:
                        # In the store's database: shared by every server process, none holds a copy.
                        from trialatlas.search import SearchIndex

                        self._index = SearchIndex.for_store(self.store)
                    else:
                        self._index = GuardedIndex(str(path) if path else ":memory:", self._ingest_lock)
        return self._index

    def search_index(self) -> SearchIndex:
        """The store's search index, built (or caught up) once before the first search uses it; in a
        PostgreSQL store's database as the writes' derived-data step left it (a search never writes)."""
        index = self._opened_index()
        if not self._index_ready and self._shared_index():
            self._index_ready = True
        if not self._index_ready:
            with self._index_lock:
                # One thread builds; requests that arrive meanwhile wait instead of building again.
                if not self._index_ready:
                    if not index.is_built() and self.on_note is not None:
                        self.on_note("building the search index (first use; kept in the store's file)…")
                    index.sync(self.store)
                    self._index_ready = True
        return index

    def _shared_index(self) -> bool:
        """Whether the search index lives in the store's database, kept current by every write."""
        return self._opened_index().kept_by_writes

    def rebuild_search_index(self) -> BuildReport:
        return self.search_index().rebuild(self.store)

    def derived_current(self, parts: tuple[str, ...] | None = None) -> bool:
        """Whether every index derived from the store (of ``parts``, default all) holds its newest
        change (see :mod:`trialatlas.services.derived`)."""
        from trialatlas.services.derived import is_current

        return is_current(self.store, search_index=self._opened_index(), parts=parts)

    def bring_up_to_date(
        self, on_progress: Progress | None = None, parts: tuple[str, ...] | None = None
    ) -> DerivedReport:
        """Bring every index derived from the store (of ``parts``, default all) up to its newest
        change (a write command does this at its end; a server at start-up, and a reading command, when
        the store was written by an older version or by a killed ingest)."""
        from trialatlas.services.derived import bring_up_to_date

        return bring_up_to_date(
            self.store, search_index=self._opened_index(), on_progress=on_progress, parts=parts
        )

    def catch_up(self) -> None:
        """Bring the derived indexes up to date if the store changed without them (a server does this
        before it takes its first request, so that no request is answered from an index that misses
        changes made before the server started)."""
        if not self.derived_current():
            if self.on_note is not None:
                self.on_note("bringing the store's derived indexes up to date (once)…")
            self.bring_up_to_date()

    def warm(self) -> None:
        """Bring the derived indexes up to date and load what the first search or match reads (or
        start the match workers) now."""
        self.catch_up()
        self.search_index()
        self.places("warm")  # the gazetteer's name index, for the first location search and type-ahead
        if self._pool is not None:
            self._pool.submit(_worker_ready).result()
            # Notes are read here, and only the profile is sent to a worker.
            from trialatlas.match.patient import profile_from_note

            profile_from_note(_WARM_NOTE)
        else:
            _warm_up_match(self)

    def _matcher(self) -> StoreMatcher:
        from trialatlas.match.matcher import StoreMatcher

        with self._lock:
            if self._store_matcher is None:
                self._store_matcher = StoreMatcher(
                    self.store, index=self.search_index(), on_note=self.on_note
                )
            return self._store_matcher

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._index is not None:
            self._index.close()
        self.store.close()

    # --- trials --------------------------------------------------------------------------------

    def trial(self, nct: str) -> Trial:
        trial = self.store.get(check_trial_id(nct))
        if trial is None:
            raise NotFoundError(f"no trial {nct.strip()[:60]} in the store")
        return trial

    def trials(self, ids: Sequence[str]) -> list[Trial]:
        return [self.trial(nct) for nct in ids]

    def count(self) -> int:
        return self.store.count()

    # --- search --------------------------------------------------------------------------------

    def search(
        self,
        request: SearchRequest | dict[str, Any],
        *,
        facets: bool | Sequence[str] = True,
        facet_limit: int = 20,
        snippets: bool = True,
    ) -> SearchResults:
        """:func:`trialatlas.search.search` for one request; raises :class:`QueryError` when malformed.

        Results are kept for as long as the index does not change (searches repeat: the landing page
        above all); the caller must not change them.
        """
        from trialatlas.search import search
        from trialatlas.services.models import SEARCH_BUDGET_S, SearchRequest, checked

        request = checked(SearchRequest, request)
        if request.location.strip():
            return self._search_near(request, facets=facets, facet_limit=facet_limit, snippets=snippets)
        if request.radius_km is not None:
            raise QueryError("radius_km needs a location")
        index = self.search_index()
        # Caught up once here (a sync never waits for another writer), so that the index's generation
        # says what it holds; search() is told. An index in a PostgreSQL store's database is caught up
        # by the writes themselves (their derived-data step), so a search there only reads.
        if not self._shared_index():
            index.sync(self.store)
        generation = index.generation
        names = facets if isinstance(facets, bool) else tuple(facets)
        key = (request.model_dump_json(), names, facet_limit, snippets)
        with self._results_lock:
            if generation != self._results_generation:
                self._results.clear()
                self._results_generation = generation
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached
        results = search(
            self.store,
            request.q,
            request.filters(),
            sort=request.sort,
            order=request.order,
            cursor=request.cursor,
            limit=request.limit,
            facets=facets,
            facet_limit=facet_limit,
            mode=request.mode,
            expand=request.expand,
            snippets=snippets,
            index=index,
            synced=True,
            budget_s=SEARCH_BUDGET_S,
        )
        # Kept only when no write came between (generations never repeat, so an unchanged one means
        # the search read the generation the results are filed under); not the long walks of cursor_at.
        if request.limit <= MAX_LIMIT and index.generation == generation:
            with self._results_lock:
                if self._results_generation == generation:
                    self._results[key] = results
                    while len(self._results) > _RESULTS_CACHE:
                        self._results.popitem(last=False)
        return results

    def _search_near(
        self, request: SearchRequest, *, facets: bool | Sequence[str], facet_limit: int, snippets: bool
    ) -> SearchResults:
        """The search without its location, every hit placed and ranked by distance, one page cut out.

        The ranking is cached per search and location, so the pages after the first are slices.
        Facets count the search's trials before the radius (the counts of the query and filters).
        """
        from trialatlas.search.service import MAX_LIMIT as SEARCH_MAX_LIMIT
        from trialatlas.services.nearby import near_cursor, near_offset, place_of, rank_by_distance

        offset = near_offset(request.cursor)
        base = request.model_copy(update={"location": "", "radius_km": None, "cursor": None, "page": 1})
        key = (
            "near",
            base.model_copy(update={"limit": 0}).model_dump_json(),
            request.location,
            request.radius_km,
            facets if isinstance(facets, bool) else tuple(facets),
            facet_limit,
            snippets,
        )
        ranked = self._results.get(key)
        if ranked is None:
            origin = place_of(request.location)
            walk = base.model_copy(update={"limit": SEARCH_MAX_LIMIT})
            first = self.search(walk, facets=facets, facet_limit=facet_limit, snippets=snippets)
            hits = list(first.hits)
            cursor = first.next_cursor
            while cursor is not None:
                more = self.search(
                    walk.model_copy(update={"cursor": cursor}), facets=False, snippets=snippets
                )
                hits.extend(more.hits)
                cursor = more.next_cursor
            trials = self.store.get_many([hit.trial.key for hit in hits])
            placed = rank_by_distance(hits, trials, origin, request.radius_km)
            ranked = first.model_copy(update={"hits": placed, "total": len(placed), "origin": origin.name})
            with self._results_lock:
                self._results[key] = ranked
                while len(self._results) > _RESULTS_CACHE:
                    self._results.popitem(last=False)
        end = offset + request.limit
        return ranked.model_copy(
            update={"hits": ranked.hits[offset:end], "next_cursor": near_cursor(end, ranked.total)}
        )

    def iter_hits(self, request: SearchRequest) -> Iterator[SearchHit]:
        """Every hit of a search, page after page of ``request.limit``."""
        cursor = request.cursor
        while True:
            results = self.search(request.model_copy(update={"cursor": cursor}), facets=False)
            yield from results.hits
            cursor = results.next_cursor
            if cursor is None:
                return

    def download(self, request: SearchRequest, fmt: ExportFormat) -> Iterator[bytes]:
        """Every trial a search finds, in its order, as a download streamed batch by batch."""
        from trialatlas.services.export import stream_trials

        return stream_trials(self.store, self._hit_keys(request), fmt)

    def _hit_keys(self, request: SearchRequest) -> Iterator[str]:
        from trialatlas.search.service import MAX_LIMIT as SEARCH_MAX_LIMIT

        walk = request.model_copy(update={"cursor": None, "limit": SEARCH_MAX_LIMIT})
        while True:
            results = self.search(walk, facets=False, snippets=False)
            yield from (hit.trial.key for hit in results.hits)
            if results.next_cursor is None:
                return
            walk = walk.model_copy(update={"cursor": results.next_cursor})

    def cursor_at(self, request: SearchRequest, offset: int) -> str | None:
        """The cursor that starts the page at ``offset`` of this search (``None``: the first page).

        Cursors only go forward, so the way back is walked forward again, in steps of up to the
        search's largest page, without snippets or facets.
        """
        from trialatlas.search.service import MAX_LIMIT as SEARCH_MAX_LIMIT

        cursor: str | None = None
        left = offset
        while left > 0:
            step = min(left, SEARCH_MAX_LIMIT)
            # model_copy does not validate: a walking step may be longer than a page a caller may ask.
            walked = request.model_copy(update={"cursor": cursor, "limit": step})
            cursor = self.search(walked, facets=False, snippets=False).next_cursor
            if cursor is None:
                return None
            left -= step
        return cursor

    def store_counts(self) -> StoreCounts:
        """The store's trials counted by registry, status, phase, study type, country and start year
        (the document of ``stats --json`` and ``GET /api/stats``)."""
        from trialatlas.services.models import StoreCounts
        from trialatlas.services.stats import store_stats

        return StoreCounts.model_validate(store_stats(self.store).as_dict())

    def stats(self, request: SearchRequest, facets: bool | Sequence[str] = True, top: int = 100) -> Stats:
        """How many trials a search matches, and their counts by each facet (``top`` values each): the
        document of ``GET /api/facets`` and of the landscape page's charts."""
        from trialatlas.services.models import Stats

        results = self.search(
            request.model_copy(update={"cursor": None, "limit": 1}),
            facets=facets,
            facet_limit=top,
            snippets=False,
        )
        return Stats(total=results.total, facets=results.facets, interpreted=results.interpreted)

    # --- related, regimens, doses --------------------------------------------------------------

    def related(self, request: RelatedRequest | dict[str, Any]) -> RelatedReport:
        """The trials most like one trial, best first with reasons, and the ones its pages list."""
        from trialatlas.related import related_report
        from trialatlas.services.models import RelatedRequest, checked

        asked = checked(RelatedRequest, request)
        trial = self.trial(asked.nct)
        try:
            return related_report(self.store, trial.key, asked.top, dense=asked.dense)
        except RelatedError as exc:
            raise QueryError(str(exc)) from exc

    def timeline(self, nct: str) -> TrialTimeline:
        return self.timeline_of(self.trial(nct))

    @staticmethod
    def timeline_of(trial: Trial) -> TrialTimeline:
        from trialatlas.extract.regimen import trial_timeline

        return trial_timeline(trial)

    @staticmethod
    def timeline_svg(timeline: TrialTimeline, width: int = 900) -> str:
        """The chart as SVG laid out for ``width`` px (the library escapes every label it draws)."""
        from trialatlas.extract.regimen import render_svg

        return render_svg(timeline, width)

    def doses(self, request: DoseRequest | dict[str, Any]) -> TrialDoses:
        from trialatlas.extract.regimen import trial_doses
        from trialatlas.services.models import DoseRequest, checked

        asked = checked(DoseRequest, request)
        return trial_doses(self.trial(asked.nct), asked.weight, asked.height)

    @staticmethod
    def parsed_criteria(trial: Trial) -> list[ParsedCriterion]:
        from trialatlas.extract.criteria import parse_eligibility

        elig = trial.eligibility
        return parse_eligibility(elig.criteria_text, elig.inclusion, elig.exclusion)

    # --- matching ------------------------------------------------------------------------------

    def match(self, request: MatchRequest | dict[str, Any]) -> MatchResponse:
        from trialatlas.services.match_models import MatchRequest
        from trialatlas.services.models import checked
        from trialatlas.services.patients import patient_of

        asked = checked(MatchRequest, request)
        profile = patient_of(asked.patient, asked.note)
        return self.match_profile(profile, top=asked.top, status=asked.status)

    def match_profile(
        self, profile: PatientProfile, *, top: int = 10, status: str | None = None
    ) -> MatchResponse:
        from trialatlas.match.relevance import band_name, checkable
        from trialatlas.services.match_models import MATCH_STATUS_PATTERN, MatchedTrial, MatchResponse
        from trialatlas.services.patients import summarize_patient

        if status is not None and not re.fullmatch(MATCH_STATUS_PATTERN, status):
            raise QueryError(
                f"status {status[:40]!r}: use 'open' (the default), 'any' "
                "or one overall status, e.g. RECRUITING"
            )
        if self._pool is not None:
            self.search_index()  # built here, once, before any worker reads it
            return self._in_worker(profile, top, status)
        candidates = self._matcher().match(profile, top=top, status=status)
        trials: list[MatchedTrial] = []
        for rank, candidate in enumerate(candidates, start=1):
            verdict = candidate.verdict
            trial = candidate.trial
            trials.append(
                MatchedTrial(
                    rank=rank,
                    nct_id=trial.key,
                    title=trial.title,
                    status=str(trial.status.overall_status) if trial.status.overall_status else None,
                    phases=[str(p) for p in trial.design.phases],
                    verdict=verdict.status if verdict else "unknown",
                    score=round(candidate.score, 4),
                    relevance=round(candidate.relevance, 4),
                    on_topic=candidate.on_topic,
                    band=band_name(verdict if checkable(trial) else None),
                    met=verdict.met if verdict else 0,
                    unknown=verdict.unknown if verdict else 0,
                    failed=list(verdict.failed) if verdict else [],
                    check_next=list(verdict.check_next) if verdict else [],
                    reasons=list(candidate.reasons),
                    criteria=[_criterion(c) for c in verdict.criteria] if verdict else [],
                )
            )
        return MatchResponse(patient_summary=summarize_patient(profile), trials=trials)

    # --- ingest --------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        reader: str | None = None,
        batch_size: int | None = None,
        workers: int = 1,
        on_progress: Callable[[Any], None] | None = None,
        derive: bool = True,
        on_derived: Progress | None = None,
    ) -> IngestResponse:
        """Read records into the store; the answer counts them all and lists the first errors.
        Every index derived from the store is brought up to date at the end, unless not ``derive``
        (``on_derived`` hears its progress), so that the first search, related lookup or match after
        it only reads."""
        from trialatlas.services.ingest import DEFAULT_BATCH_SIZE, ingest
        from trialatlas.services.models import IngestProblem, IngestResponse

        with self._ingest_lock:
            report = ingest(
                [str(p) for p in paths],
                self.store,
                reader=reader,
                batch_size=batch_size or DEFAULT_BATCH_SIZE,
                workers=workers,
                on_progress=on_progress,
                derive=derive,
                on_derived=on_derived,
            )
        return IngestResponse(
            read=report.read,
            new=report.new,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=report.failed,
            seconds=round(report.seconds, 3),
            errors=[IngestProblem(location=e.location, reason=e.reason) for e in report.errors[:MAX_ERRORS]],
            warned=report.warned,
            warnings=[
                IngestProblem(location=w.location, reason=w.reason) for w in report.warnings[:MAX_ERRORS]
            ],
        )

    # --- nearby sites --------------------------------------------------------------------------

    @staticmethod
    def places(typed: str, limit: int = 8) -> list[str]:
        """Places of the offline gazetteer starting with ``typed``, written as a location is read."""
        from trialatlas.geo.near import default_gazetteer

        return default_gazetteer().suggest(typed[:100], limit=limit)

    def near(self, request: NearRequest | dict[str, Any]) -> NearResponse:
        """Recruiting trials nearest a patient, by the distance to their closest recruiting site."""
        from trialatlas.geo.near import RECRUITING, RECRUITING_OR_SOON, nearest_sites
        from trialatlas.services.models import NearOrigin, NearRequest, NearResponse, NearTrial, checked

        asked = checked(NearRequest, request)
        result = nearest_sites(
            self.store,
            asked.location,
            radius_km=asked.radius_km,
            limit=asked.limit,
            statuses=RECRUITING_OR_SOON if asked.include_not_yet else RECRUITING,
        )
        origin = result.origin
        return NearResponse(
            origin=NearOrigin(name=origin.name, lat=origin.point.lat, lon=origin.point.lon),
            scanned=result.scanned,
            recruiting_trials=result.recruiting_trials,
            unlocated_sites=result.unlocated_sites,
            trials=[
                NearTrial(
                    key=hit.key,
                    title=hit.title,
                    overall_status=hit.overall_status,
                    distance_km=round(hit.distance_km, 1),
                    facility=hit.site.facility,
                    city=hit.site.city,
                    state=hit.site.state,
                    country=hit.site.country,
                    located_by=hit.located_by,
                    recruiting_sites=hit.recruiting_sites,
                )
                for hit in result.trials
            ],
        )


def open_atlas(
    store_url: str | None = None,
    *,
    match_workers: int = 0,
    on_note: Callable[[str], None] | None = None,
) -> Atlas:
    """The atlas over the store a path or URL names (``None``: the configured default)."""
    try:
        return Atlas(open_store(store_url), match_workers=match_workers, on_note=on_note)
    except TrialAtlasError:
        raise
    except OSError as exc:
        raise TrialAtlasError(f"cannot open the store {store_url}: {exc}") from exc


__all__ = ["Atlas", "open_atlas"]
