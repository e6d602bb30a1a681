"""Keeping a store current with ClinicalTrials.gov: page through ``/api/v2/studies`` by query or by
last-update date, one page per transaction, resuming where an interrupted run stopped.

Each page is merged in one ``upsert_batch``: it lands whole or not at all, the version it replaces is
kept in the trial's history, and a page that cannot be had stops the run with the store exactly as
after the previous page. The token of the next page is saved only after its predecessor committed,
so a resumed run may fetch one page twice (its records are then unchanged re-reads) but never skips
one. Every study is filed under the same source record (its API URL) whichever run or bulk file
brought it, so a newer version replaces the older record's raw text instead of piling up beside it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from trialatlas.errors import SyncError
from trialatlas.model import Trial
from trialatlas.sources.base import ReadResult, RecordError
from trialatlas.sources.ctgov_v2 import StudyError, study_to_trial
from trialatlas.store.base import TrialStore
from trialatlas.sync.client import MAX_PAGE_SIZE, CtgovApi, StudyPage
from trialatlas.sync.state import SyncState, state_path_for

# A run that starts from the last complete one looks back this far: the registry posts a day's
# updates with that day's date, possibly after the previous run already passed it.
OVERLAP = dt.timedelta(days=1)


@dataclass
class SyncReport:
    """What one sync run (or one call continuing it) did."""

    query: str | None
    since: str | None
    resumed: bool = False
    complete: bool = False
    pages: int = 0
    studies: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    total_count: int | None = None
    requests: int = 0
    retries: int = 0
    errors: list[RecordError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "since": self.since,
            "resumed": self.resumed,
            "complete": self.complete,
            "pages": self.pages,
            "studies": self.studies,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "total_count": self.total_count,
            "requests": self.requests,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "errors": [{"location": e.location, "reason": e.reason} for e in self.errors],
        }


def study_location(api_base: str, study: dict[str, Any]) -> str:
    """The API URL of a study: the location (and so the source id) every copy of it is filed under."""
    ident = (study.get("protocolSection") or {}).get("identificationModule") or {}
    nct = ident.get("nctId") if isinstance(ident, dict) else None
    return f"{api_base.rstrip('/')}/studies/{nct if isinstance(nct, str) and nct else 'unknown'}"


def read_study(api_base: str, study: Any) -> ReadResult:
    """One API study as a trial, or the reason it cannot be one."""
    if not isinstance(study, dict):
        return RecordError(f"{api_base}/studies", "not an API v2 study: expected a JSON object")
    location = study_location(api_base, study)
    try:
        return study_to_trial(study, location, orjson.dumps(study).decode())
    except (StudyError, ValueError, TypeError, AttributeError, KeyError) as exc:
        return RecordError(location, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _split(results: Iterable[ReadResult]) -> tuple[list[Trial], list[RecordError]]:
    trials: list[Trial] = []
    errors: list[RecordError] = []
    for result in results:
        (errors if isinstance(result, RecordError) else trials).append(result)  # type: ignore[arg-type]
    return trials, errors


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _since_after(started_at: str) -> str:
    return (dt.datetime.fromisoformat(started_at) - OVERLAP).date().isoformat()


def sync(
    store: TrialStore,
    api: CtgovApi,
    *,
    query: str | None = None,
    since: str | None = None,
    full: bool = False,
    page_size: int = MAX_PAGE_SIZE,
    state_path: Path | None = None,
    max_pages: int | None = None,
    on_page: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """Bring ``store`` up to date with the studies matching ``query`` (every study when ``None``).

    Which studies: those last updated on or after ``since``; without it, a run of the same query
    left unfinished is resumed, else the run starts from the last complete one (a day of overlap),
    else (or with ``full``) from the beginning. ``max_pages`` stops after that many pages, leaving
    the run to be resumed. Raises :class:`SyncError` when a page cannot be had; what was merged
    before stays, and the next call resumes from that page.
    """
    started = time.perf_counter()
    state = SyncState(state_path if state_path is not None else state_path_for(store))
    entry = state.entry(query)
    run: dict[str, Any] | None = entry.get("run")
    report = SyncReport(query, since)
    if run is not None and not full and (since is None or run.get("since") == since):
        report.resumed = True
        report.since = run.get("since")
    else:
        if since is None and not full and entry.get("last_complete_start"):
            report.since = _since_after(entry["last_complete_start"])
        run = {"since": report.since, "started_at": _now(), "page_token": None, "pages": 0, "studies": 0}
        entry["run"] = run
        state.save()
    requests, retries = api.stats.requests, api.stats.retries
    try:
        while max_pages is None or report.pages < max_pages:
            page = _fetch(api, report, run, page_size)
            trials, errors = _split(read_study(api.base_url, study) for study in page.studies)
            summary = store.upsert_batch(trials)
            report.pages += 1
            report.studies += len(page.studies)
            report.new += summary.new
            report.updated += summary.updated
            report.unchanged += summary.unchanged
            report.errors.extend(errors)
            if page.total_count is not None:
                report.total_count = page.total_count
            run.update(
                page_token=page.next_page_token,
                pages=run["pages"] + 1,
                studies=run["studies"] + len(page.studies),
            )
            if page.next_page_token is None:
                entry["last_complete_start"] = run["started_at"]
                entry.pop("run", None)
                report.complete = True
            state.save()
            if on_page is not None:
                on_page(report)
            if report.complete:
                break
    finally:
        report.requests = api.stats.requests - requests
        report.retries = api.stats.retries - retries
        report.seconds = time.perf_counter() - started
    return report


def _fetch(api: CtgovApi, report: SyncReport, run: dict[str, Any], page_size: int) -> StudyPage:
    token = run.get("page_token")
    try:
        return api.studies_page(query=report.query, since=report.since, page_size=page_size, page_token=token)
    except SyncError as exc:
        # Page tokens expire: a refused token of a resumed run means starting the run over.
        if token is None or "HTTP 400" not in str(exc):
            raise
    run.update(page_token=None, pages=0, studies=0, started_at=_now())
    return api.studies_page(query=report.query, since=report.since, page_size=page_size)
