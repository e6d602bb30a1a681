"""The one place the web page and the REST API reach the services: search, related trials, regimens and
eligibility matching.

Routes call :class:`Atlas`; only this module calls ``trialatlas.search``, ``trialatlas.related``,
``trialatlas.match`` and ``trialatlas.extract.regimen``, so a change to one of them is absorbed here.
Search is :func:`trialatlas.search.search` over the store's own search index, which follows the
store's change feed before every search; the matcher fetches its candidates from that same index and
keeps its statistics and parsed criteria between requests, so a trial ingested by another process
shows up without a restart. Nothing a patient sends is kept: match requests are answered and
forgotten.
"""

from __future__ import annotations

import multiprocessing
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.errors import NotFoundError, QueryError, TrialAtlasError
from trialatlas.extract.criteria import ParsedCriterion, parse_eligibility
from trialatlas.extract.regimen import TrialDoses, TrialTimeline, render_svg, trial_doses, trial_timeline
from trialatlas.extract.regimen.timeline import drug_label
from trialatlas.match.matcher import StoreMatcher
from trialatlas.match.patient import (
    PatientCondition,
    PatientMeasurement,
    PatientMedication,
    PatientProfile,
    profile_from_note,
    with_note_facts,
)
from trialatlas.match.verdict import CriterionVerdict
from trialatlas.model import Trial
from trialatlas.related import RelatedError, RelatedResult, related_trials
from trialatlas.search import FacetCount, Filters, SearchIndex, SearchResults, SortKey, search
from trialatlas.search.service import MAX_LIMIT as SEARCH_MAX_LIMIT
from trialatlas.store import SqliteStore
from trialatlas.store.base import TrialStore

_NCT = re.compile(r"^(NCT\d{8}|ORG:.{1,200})$")
# Search results kept (for as long as the index does not change).
_RESULTS_CACHE = 256
# Results per page for the page and the API (the search package allows more; snippets cost).
MAX_LIMIT = 100
MAX_PAGE = 10_000
# Larger than any trial's, small enough for SQLite's integers.
MAX_ENROLLMENT = 100_000_000


def check_trial_id(nct: str) -> str:
    """Ids are checked before the store sees them, so that a malformed one is a 4xx, not a lookup."""
    text = nct.strip()
    if not text or len(text) > 210 or not (_NCT.match(text) or re.fullmatch(r"[\w .:/()#-]{1,200}", text)):
        raise QueryError(f"{nct[:60]!r} is not a trial id (NCT followed by 8 digits, or an org study id)")
    return text


class SearchRequest(BaseModel):
    """One search as the page URL and the API query string hold it.

    Every filter of :class:`trialatlas.search.Filters` has a field of the same name, kept as typed:
    the search package checks the values (and says what is wrong with one). Facets registered without a
    filter of their own are chosen with ``facet`` entries ``name:value`` (``start_year:2019``).
    """

    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=500, description="The query (words, phrases, AND/OR/NOT, fields).")
    status: list[str] = Field(default_factory=list)
    phase: list[str] = Field(default_factory=list)
    study_type: list[str] = Field(default_factory=list)
    condition: list[str] = Field(default_factory=list)
    intervention: list[str] = Field(default_factory=list)
    intervention_type: list[str] = Field(default_factory=list)
    sponsor: list[str] = Field(default_factory=list)
    sponsor_class: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    city: list[str] = Field(default_factory=list)
    age_group: list[str] = Field(default_factory=list)
    age: float | None = Field(default=None, ge=0, le=150)
    sex: str | None = Field(default=None, max_length=20)
    healthy_volunteers: bool | None = None
    has_results: bool | None = None
    start_from: str | None = Field(default=None, max_length=20)
    start_to: str | None = Field(default=None, max_length=20)
    completion_from: str | None = Field(default=None, max_length=20)
    completion_to: str | None = Field(default=None, max_length=20)
    updated_since: str | None = Field(default=None, max_length=20)
    enrollment_min: int | None = Field(default=None, ge=0, le=MAX_ENROLLMENT)
    enrollment_max: int | None = Field(default=None, ge=0, le=MAX_ENROLLMENT)
    facet: list[str] = Field(default_factory=list, description="name:value of a facet (start_year:2019).")
    sort: SortKey = SortKey.RELEVANCE
    order: Literal["asc", "desc"] | None = None
    mode: Literal["all", "any"] = "all"
    expand: bool = True
    cursor: str | None = Field(default=None, max_length=300)
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="The page the cursor starts (numbering).")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    def filters(self) -> dict[str, Any]:
        """The filters as :func:`trialatlas.search.search` takes them (it validates them)."""
        data = self.model_dump(include=set(FILTER_FIELDS), exclude_defaults=True)
        chosen: dict[str, list[str]] = {}
        for name, value in facet_choices(self.facet):
            chosen.setdefault(name, []).append(value)
        if chosen:
            data["facet_values"] = chosen
        return data


# The SearchRequest fields that are filters (all of Filters' but facet_values, which ``facet`` carries).
FILTER_FIELDS: frozenset[str] = frozenset(Filters.model_fields) - {"facet_values"}


def facet_choices(entries: Sequence[str]) -> list[tuple[str, str]]:
    """``name:value`` entries as pairs; the search package checks the names and values."""
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        name, colon, value = entry.partition(":")
        if not colon or not name.strip() or not value.strip():
            raise QueryError(f"facet {entry[:60]!r}: write it as name:value, e.g. start_year:2019")
        pairs.append((name.strip(), value.strip()))
    return pairs


class Stats(BaseModel):
    """The trials a search matches, counted by facet (a selected facet is counted without its own
    selection, as in search results, so its alternatives show)."""

    total: int
    facets: dict[str, list[FacetCount]]
    interpreted: list[str] = Field(default_factory=list)


class MatchRequest(BaseModel):
    """A patient as a structured profile or as a free-text note (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    patient: PatientProfile | None = None
    note: str | None = Field(default=None, max_length=20000)
    top: int = Field(default=10, ge=1, le=50)
    status: str | None = Field(
        default=None, max_length=40, description="'open' or one overall status (RECRUITING, …)."
    )


Mark = Literal["✓", "✗", "?", "–"]

_MARK: dict[str, Mark] = {
    "met": "✓",
    "not excluded": "✓",
    "not met": "✗",
    "excluded": "✗",
    "unknown": "?",
    "not applicable": "–",
}


class MatchedCriterion(BaseModel):
    index: int
    kind: Literal["inclusion", "exclusion"]
    text: str
    status: str
    mark: Mark
    reason: str


class MatchedTrial(BaseModel):
    rank: int
    nct_id: str
    title: str
    status: str | None
    phases: list[str]
    verdict: str
    score: float
    relevance: float
    met: int
    unknown: int
    failed: list[str]
    check_next: list[str]
    criteria: list[MatchedCriterion]


class MatchResponse(BaseModel):
    patient_summary: str = Field(description="What was understood of the patient (not stored).")
    trials: list[MatchedTrial]


def _criterion(verdict: CriterionVerdict) -> MatchedCriterion:
    return MatchedCriterion(
        index=verdict.index,
        kind=verdict.kind,
        text=verdict.text,
        status=verdict.status,
        mark=_MARK.get(verdict.status, "?"),
        reason=verdict.reason,
    )


def summarize_patient(profile: PatientProfile) -> str:
    parts: list[str] = []
    if profile.age_years is not None:
        parts.append(f"{profile.age_years:g} years")
    if profile.sex:
        parts.append(profile.sex)
    conditions = [c.name for c in profile.conditions if c.present and not c.family]
    if conditions:
        parts.append("conditions: " + ", ".join(conditions[:8]))
    labs = [
        f"{m.name} {m.value:g}{' ' + m.unit if m.unit else ''}" if m.value is not None else m.name
        for m in profile.measurements
        if m.present
    ]
    if labs:
        parts.append("labs: " + ", ".join(labs[:8]))
    medications = [m.name for m in profile.medications if m.present]
    if medications:
        parts.append("medications: " + ", ".join(medications[:8]))
    return "; ".join(parts) or "nothing recognised: add age, sex, conditions or a note"


_LAB = re.compile(
    r"^\s*(?P<name>[A-Za-z][A-Za-z0-9 /\-().%]*?)\s*[:=]?\s*(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>\S.*)?$"
)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;,]", text) if part.strip()]


def profile_from_form(
    *,
    age: float | None,
    sex: str | None,
    conditions: str = "",
    labs: str = "",
    medications: str = "",
    note: str = "",
) -> PatientProfile:
    """A profile from the match page's fields; a note, when given, is read too and the fields win."""
    if sex not in (None, "", "female", "male"):
        raise QueryError("sex must be female or male (or left empty)")
    base = profile_from_note(note) if note.strip() else PatientProfile()
    measurements = list(base.measurements)
    for line in labs.splitlines():
        if not line.strip():
            continue
        match = _LAB.match(line)
        if match is None:
            raise QueryError(
                f"lab {line.strip()[:60]!r}: write it as 'name value unit', e.g. 'creatinine 1.4 mg/dL'"
            )
        measurements.append(
            PatientMeasurement(
                name=match["name"].strip(),
                value=float(match["value"]),
                unit=(match["unit"] or "").strip() or None,
            )
        )
    return PatientProfile(
        age_years=age if age is not None else base.age_years,
        sex=(sex or None) or base.sex,
        conditions=[*base.conditions, *(PatientCondition(name=c) for c in _lines(conditions))],
        measurements=measurements,
        medications=[*base.medications, *(PatientMedication(name=m) for m in _lines(medications))],
        procedures=base.procedures,
        infections=base.infections,
        pregnant=base.pregnant,
        notes=base.notes,
        sentences=base.sentences,
    )


class _GuardedIndex(SearchIndex):
    """The store's search index, caught up with the store only while no ingest of this server writes.

    An ingest holds the store's lock while it waits for SQLite's write lock, and rebuilding the index
    holds SQLite's write lock while it reads the trials through the store: run together, each waits
    for the other until the store's timeout, and the ingest fails. So a search during an ingest uses
    the index as it was (the next search catches up), and only the very first build waits for it.
    """

    def __init__(self, path: str, guard: threading.Lock) -> None:
        super().__init__(path)
        self._guard = guard

    def sync(self, store: TrialStore) -> int:
        if not self._guard.acquire(blocking=not self.is_built()):
            return 0
        try:
            return super().sync(store)
        finally:
            self._guard.release()


def _index_location(store: TrialStore) -> str:
    """Where the search index of a store lives: in its SQLite file, else in memory."""
    if isinstance(store, SqliteStore) and not (
        store.location == ":memory:" or store.location.startswith("file::memory:")
    ):
        return store.location
    return ":memory:"


# The matcher runs in worker processes when asked: its rules are CPU-bound Python, and in the server's
# own process they would hold the interpreter lock while every search and page waits behind them.
_worker: Atlas | None = None


def _worker_start(location: str) -> None:
    from trialatlas.store import open_store

    global _worker
    # The server builds the search index before it sends a match here; a worker only reads it.
    _worker = Atlas(open_store(location))


def _worker_ready() -> bool:
    return _worker is not None


def _worker_match(profile_json: str, top: int, status: str | None) -> str:
    assert _worker is not None, "match worker not initialised"
    profile = PatientProfile.model_validate_json(profile_json)
    return _worker.match_profile(profile, top=top, status=status).model_dump_json()


class Atlas:
    """The services over one store, shared by every request of one server.

    ``match_workers`` > 0 answers matches in that many worker processes (each with its own matcher
    over the store's search index); 0 answers them in this process.
    """

    def __init__(self, store: TrialStore, *, match_workers: int = 0) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        # Held by an ingest of this server: the index does not catch up meanwhile (see _GuardedIndex).
        self._ingest_lock = threading.Lock()
        # One search at a time on the index's one connection: the index reads some of its state outside
        # its own lock, and a second thread on the connection while a snippet calls back into Python
        # deadlocks (that thread holds the interpreter lock and waits for the connection; the snippet
        # holds the connection and waits for the interpreter lock). Searches hold the index's lock for
        # their SQL anyway, so this costs little.
        self._search_lock = threading.Lock()
        self._results: OrderedDict[tuple[Any, ...], SearchResults] = OrderedDict()
        self._results_generation = -1
        self._store_matcher: StoreMatcher | None = None
        self._match_workers = match_workers
        self._pool: ProcessPoolExecutor | None = self._new_pool() if match_workers > 0 else None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._match_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(self.store.location,),
        )

    def _in_worker(self, profile: PatientProfile, top: int, status: str | None) -> MatchResponse:
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

    def _search_index(self) -> SearchIndex:
        """The store's search index, built (or caught up) once before the first search uses it."""
        index = self._index
        if index is None:
            with self._index_lock:
                # One thread builds; requests that arrive meanwhile wait instead of building again.
                if self._index is None:
                    built = _GuardedIndex(_index_location(self.store), self._ingest_lock)
                    built.sync(self.store)
                    self._index = built
                index = self._index
        return index

    def warm(self) -> None:
        """Build (or catch up) the search index and the matcher's statistics (or start its workers) now."""
        self._search_index()
        if self._pool is not None:
            self._pool.submit(_worker_ready).result()
        else:
            self._matcher().stats()

    def invalidate(self) -> None:
        """Another writer changed the store: nothing to drop, the search index follows the change feed
        before every search and the match candidates come from it."""

    def _matcher(self) -> StoreMatcher:
        with self._lock:
            if self._store_matcher is None:
                self._store_matcher = StoreMatcher(
                    self.store, index=self._search_index(), index_lock=self._search_lock
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
        request: SearchRequest,
        *,
        facets: bool | Sequence[str] = True,
        facet_limit: int = 20,
        snippets: bool = True,
    ) -> SearchResults:
        """:func:`trialatlas.search.search` for one request; raises :class:`QueryError` when malformed.

        Results are kept for as long as the index does not change (searches repeat: the landing page
        above all); the caller must not change them.
        """
        index = self._search_index()
        with self._search_lock:
            # What search() does first; done here so that the index's generation says what it holds.
            index.sync(self.store)
            generation = index.generation
            if generation != self._results_generation:
                self._results.clear()
                self._results_generation = generation
            names = facets if isinstance(facets, bool) else tuple(facets)
            key = (request.model_dump_json(), names, facet_limit, snippets)
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
            )
            if request.limit <= MAX_LIMIT:  # not the long walks of cursor_at
                self._results[key] = results
                while len(self._results) > _RESULTS_CACHE:
                    self._results.popitem(last=False)
            return results

    def cursor_at(self, request: SearchRequest, offset: int) -> str | None:
        """The cursor that starts the page at ``offset`` of this search (``None``: the first page).

        Cursors only go forward, so the way back is walked forward again, in steps of up to the
        search's largest page, without snippets or facets.
        """
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

    def stats(self, request: SearchRequest, facets: bool | Sequence[str] = True, top: int = 100) -> Stats:
        """How many trials a search matches, and their counts by each facet (``top`` values each)."""
        results = self.search(
            request.model_copy(update={"cursor": None, "limit": 1}),
            facets=facets,
            facet_limit=top,
            snippets=False,
        )
        return Stats(total=results.total, facets=results.facets, interpreted=results.interpreted)

    # --- related, regimens ---------------------------------------------------------------------

    def related(self, nct: str, top: int = 10) -> list[RelatedResult]:
        trial = self.trial(nct)
        try:
            return related_trials(self.store, trial.key, top)
        except RelatedError as exc:
            raise QueryError(str(exc)) from exc

    def timeline(self, nct: str) -> TrialTimeline:
        return trial_timeline(self.trial(nct))

    @staticmethod
    def timeline_of(trial: Trial) -> TrialTimeline:
        return trial_timeline(trial)

    @staticmethod
    def timeline_svg(timeline: TrialTimeline, width: int = 900) -> str:
        """The chart as SVG laid out for ``width`` px (the library escapes every label it draws)."""
        return render_svg(timeline, width)

    def doses(self, nct: str, weight_kg: float, height_cm: float | None = None) -> TrialDoses:
        return trial_doses(self.trial(nct), weight_kg, height_cm)

    @staticmethod
    def parsed_criteria(trial: Trial) -> list[ParsedCriterion]:
        elig = trial.eligibility
        return parse_eligibility(elig.criteria_text, elig.inclusion, elig.exclusion)

    # --- matching ------------------------------------------------------------------------------

    def match(self, request: MatchRequest) -> MatchResponse:
        if request.patient is not None and request.note:
            raise QueryError("send either a patient profile or a note, not both")
        if request.patient is not None:
            profile = with_note_facts(request.patient)
        elif request.note and request.note.strip():
            profile = profile_from_note(request.note)
        else:
            raise QueryError("send a patient profile or a note")
        return self.match_profile(profile, top=request.top, status=request.status)

    def match_profile(
        self, profile: PatientProfile, *, top: int = 10, status: str | None = None
    ) -> MatchResponse:
        if status is not None and status.strip().lower() != "open":
            from trialatlas.model import OverallStatus

            if status.strip().upper().replace(" ", "_") not in OverallStatus.__members__:
                raise QueryError(f"status {status[:40]!r}: use 'open' or one overall status, e.g. RECRUITING")
        if self._pool is not None:
            self._search_index()  # built here, once, before any worker reads it
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
                    met=verdict.met if verdict else 0,
                    unknown=verdict.unknown if verdict else 0,
                    failed=list(verdict.failed) if verdict else [],
                    check_next=list(verdict.check_next) if verdict else [],
                    criteria=[_criterion(c) for c in verdict.criteria] if verdict else [],
                )
            )
        return MatchResponse(patient_summary=summarize_patient(profile), trials=trials)

    # --- ingest --------------------------------------------------------------------------------

    def ingest(self, paths: Sequence[Path]) -> dict[str, Any]:
        from trialatlas.services.ingest import ingest

        with self._ingest_lock:
            report = ingest([str(p) for p in paths], self.store)
        self.invalidate()
        return {
            "read": report.read,
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "failed": report.failed,
            "errors": [str(error) for error in report.errors[:50]],
        }


def open_atlas(store_url: str, *, match_workers: int = 0) -> Atlas:
    from trialatlas.store import open_store

    try:
        return Atlas(open_store(store_url), match_workers=match_workers)
    except TrialAtlasError:
        raise
    except OSError as exc:
        raise TrialAtlasError(f"cannot open the store {store_url}: {exc}") from exc


__all__ = [
    "FILTER_FIELDS",
    "MAX_ENROLLMENT",
    "MAX_LIMIT",
    "Atlas",
    "MatchRequest",
    "MatchResponse",
    "MatchedCriterion",
    "MatchedTrial",
    "RelatedResult",
    "SearchRequest",
    "SearchResults",
    "Stats",
    "TrialDoses",
    "TrialTimeline",
    "check_trial_id",
    "drug_label",
    "facet_choices",
    "open_atlas",
    "profile_from_form",
    "summarize_patient",
]
