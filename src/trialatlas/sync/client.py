"""Talking to the ClinicalTrials.gov data API v2: a small HTTP protocol, a real client on ``urllib``,
and the API's ``/studies`` paging with retries.

The HTTP layer is a protocol so that nothing here is tied to one library; the real client is the
standard library's, which needs no pinned dependency. The API layer retries what is worth retrying
(429 and 5xx answers, dropped connections, time-outs, a page whose JSON is cut short) with
exponential back-off and full jitter, honours ``Retry-After``, and keeps a minimum interval between
requests to stay under the API's rate limit.
"""

from __future__ import annotations

import gzip
import http.client
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from trialatlas import __version__
from trialatlas.errors import SyncError

API_BASE = "https://clinicaltrials.gov/api/v2"
MAX_PAGE_SIZE = 1000


class TransportError(SyncError):
    """No HTTP answer at all: refused or dropped connection, time-out, truncated body."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class HttpClient(Protocol):
    """One GET. Answers every HTTP status as a response; raises :class:`TransportError` when there is none."""

    def get(self, url: str, params: Mapping[str, str], timeout: float) -> HttpResponse: ...


class UrllibClient:
    """The real client: ``urllib.request``, with gzip accepted."""

    def __init__(self, user_agent: str | None = None) -> None:
        self.user_agent = user_agent or f"trialatlas/{__version__} (+offline clinical-trial atlas)"

    def get(self, url: str, params: Mapping[str, str], timeout: float) -> HttpResponse:
        query = urllib.parse.urlencode(params)
        request = urllib.request.Request(
            f"{url}?{query}" if query else url,
            headers={"User-Agent": self.user_agent, "Accept": "application/json", "Accept-Encoding": "gzip"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return HttpResponse(answer.status, dict(answer.headers.items()), _body(answer))
        except urllib.error.HTTPError as error:
            try:
                body = error.read()
            except (OSError, http.client.HTTPException):
                body = b""
            return HttpResponse(error.code, dict(error.headers.items()) if error.headers else {}, body)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def _body(answer: Any) -> bytes:
    data: bytes = answer.read()
    if answer.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise TransportError(f"broken gzip body: {exc}") from exc
    return data


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request: ``attempts`` in all, waiting ``base * 2**n`` seconds (at most
    ``cap``) with full jitter between them, or what ``Retry-After`` asks when it asks more."""

    attempts: int = 8
    base: float = 1.0
    cap: float = 120.0
    min_interval: float = 1.3  # the API allows about 50 requests a minute

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None) -> float:
        backoff = rng.uniform(0, min(self.cap, self.base * 2**attempt))
        if retry_after is not None:
            return min(self.cap, max(retry_after, 0.0) + backoff / 4)
        return backoff


@dataclass(frozen=True, slots=True)
class StudyPage:
    studies: list[dict[str, Any]]
    next_page_token: str | None
    total_count: int | None


@dataclass
class ApiStats:
    requests: int = 0
    retries: int = 0
    failures: list[str] = field(default_factory=list)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


class CtgovApi:
    """The ``/studies`` endpoint of API v2, page by page."""

    def __init__(
        self,
        http: HttpClient | None = None,
        base_url: str = API_BASE,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http or UrllibClient()
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = ApiStats()
        self._last_request = 0.0

    def _pace(self) -> None:
        wait = self._last_request + self.retry.min_interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last_request = time.monotonic()

    def studies_page(
        self,
        *,
        query: str | None = None,
        since: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        page_token: str | None = None,
    ) -> StudyPage:
        """One page of studies matching ``query`` (``query.term``) last updated on or after ``since``.

        Raises :class:`SyncError` when the page cannot be had after every retry, or the API refuses
        the request (a 4xx other than 429): a 400 on a ``page_token`` usually means it expired.
        """
        params = {"format": "json", "pageSize": str(max(1, min(page_size, MAX_PAGE_SIZE)))}
        if query:
            params["query.term"] = query
        if since:
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
        if page_token:
            params["pageToken"] = page_token
        else:
            params["countTotal"] = "true"
        url = f"{self.base_url}/studies"
        problem = "no attempt made"
        for attempt in range(self.retry.attempts):
            if attempt:
                self.stats.retries += 1
            self._pace()
            self.stats.requests += 1
            retry_after: float | None = None
            try:
                response = self.http.get(url, params, self.timeout)
            except TransportError as exc:
                problem = str(exc)
            else:
                if response.status == 200:
                    try:
                        return _page(response.body)
                    except ValueError as exc:
                        problem = f"broken page: {exc}"
                elif response.status == 429 or response.status >= 500:
                    problem = f"HTTP {response.status}"
                    retry_after = _retry_after(response.headers)
                else:
                    detail = response.body[:300].decode("utf-8", "replace").strip()
                    raise SyncError(f"{url}: HTTP {response.status}: {detail or 'refused'}")
            self.stats.failures.append(problem)
            if attempt + 1 < self.retry.attempts:
                self.sleep(self.retry.delay(attempt, self.rng, retry_after))
        raise SyncError(f"{url}: gave up after {self.retry.attempts} attempts; last: {problem}")


def _page(body: bytes) -> StudyPage:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON ({len(body)} bytes): {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("studies"), list):
        raise ValueError("no studies list")
    token = document.get("nextPageToken")
    total = document.get("totalCount")
    return StudyPage(
        [study for study in document["studies"] if isinstance(study, dict)],
        token if isinstance(token, str) and token else None,
        total if isinstance(total, int) else None,
    )
