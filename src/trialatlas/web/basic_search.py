"""The search contract the web page and the API speak, and a small in-memory engine that fulfils it.

:class:`SearchParams` in, :class:`SearchPage` out: hits with highlighted snippets, facet counts, an
opaque cursor. ``trialatlas.search`` (the full engine: synonyms, abbreviations, ranking) plugs into the
same contract in :mod:`trialatlas.web.services`; this engine is what answers until it is present, and
it also computes the landscape counts of a search, which need every match rather than one page.
Facets are disjunctive: a facet's counts ignore that facet's own selection, so choosing "Phase 2"
still shows how many trials "Phase 3" would add.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from trialatlas.errors import QueryError
from trialatlas.model import OverallStatus, Trial

SortOrder = Literal["relevance", "updated", "start", "enrollment"]
FACETS: tuple[str, ...] = ("status", "phase", "study_type", "country", "sponsor_class")
MAX_LIMIT = 100
NONE_LABEL = "(not given)"


class SearchParams(BaseModel):
    """Everything a search can ask; the web page keeps all of it in its URL."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=500, description="Words to find (all must occur).")
    status: list[str] = Field(default_factory=list, description="Overall statuses (any of).")
    phase: list[str] = Field(default_factory=list, description="Phases (any of): PHASE1 … PHASE4, NA.")
    study_type: list[str] = Field(default_factory=list)
    country: list[str] = Field(default_factory=list)
    sponsor_class: list[str] = Field(default_factory=list, description="Lead sponsor class: INDUSTRY, NIH …")
    sex: Literal["female", "male"] | None = Field(default=None, description="Trials open to this sex.")
    age: float | None = Field(default=None, ge=0, le=150, description="Trials open to this age (years).")
    start_from: int | None = Field(default=None, ge=1900, le=2200, description="Start year at least.")
    start_to: int | None = Field(default=None, ge=1900, le=2200, description="Start year at most.")
    has_results: bool | None = None
    open_only: bool = Field(default=False, description="Recruiting, not yet recruiting, by invitation.")
    sort: SortOrder = "relevance"
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)

    def fingerprint(self) -> str:
        """What a cursor is bound to: the query without its position."""
        data = self.model_dump(exclude={"cursor", "limit"})
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


class Segment(BaseModel):
    """A run of snippet text; ``mark`` runs matched the query."""

    text: str
    mark: bool = False


class SearchHit(BaseModel):
    nct_id: str
    title: str
    status: str | None = None
    phases: list[str] = Field(default_factory=list)
    study_type: str | None = None
    conditions: list[str] = Field(default_factory=list)
    sponsor: str | None = None
    start: str | None = None
    enrollment: int | None = None
    countries: list[str] = Field(default_factory=list)
    partial: bool = False
    score: float = 0.0
    snippet: list[Segment] = Field(default_factory=list)


class FacetValue(BaseModel):
    value: str
    count: int
    selected: bool = False


class SearchPage(BaseModel):
    total: int
    offset: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    engine: str = "basic"


_TOKEN = re.compile(r"[a-z0-9]+")


def _norm_token(token: str) -> str:
    # A crude plural fold keeps "tumors" finding "tumor" without a stemmer.
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def tokens(text: str) -> list[str]:
    return [_norm_token(t) for t in _TOKEN.findall(text.lower())]


@dataclass(frozen=True, slots=True)
class Doc:
    """What the engine keeps of one trial: filter values, weighted token sets, snippet source."""

    key: str
    title: str
    status: str
    phases: tuple[str, ...]
    study_type: str
    countries: tuple[str, ...]
    sponsor: str | None
    sponsor_class: str
    start: str | None
    last_update: str
    enrollment: int | None
    sex: str | None
    min_age: float | None
    max_age: float | None
    has_results: bool
    partial: bool
    conditions: tuple[str, ...]
    summary: str
    fields: tuple[tuple[float, frozenset[str]], ...]
    facet_map: dict[str, tuple[str, ...]]

    @property
    def start_year(self) -> str:
        return self.start[:4] if self.start else NONE_LABEL

    def facet_values(self, facet: str) -> tuple[str, ...]:
        try:
            return self.facet_map[facet]
        except KeyError:
            raise QueryError(f"unknown facet {facet!r}") from None

    def _facet_values(self, facet: str) -> tuple[str, ...]:
        if facet == "status":
            return (self.status,)
        if facet == "phase":
            return self.phases or (NONE_LABEL,)
        if facet == "study_type":
            return (self.study_type,)
        if facet == "country":
            return self.countries or (NONE_LABEL,)
        if facet == "sponsor_class":
            return (self.sponsor_class,)
        if facet == "start_year":
            return (self.start_year,)
        raise QueryError(f"unknown facet {facet!r}")


def doc_of(trial: Trial) -> Doc:
    status, design, elig = trial.status, trial.design, trial.eligibility
    interventions = [i.name for i in trial.interventions] + [
        n for i in trial.interventions for n in i.other_names
    ]
    weighted = (
        (
            3.0,
            trial.title
            + " "
            + (trial.official_title or "")
            + " "
            + (trial.acronym or "")
            + " "
            + (trial.nct_id or ""),
        ),
        (2.5, " ".join(trial.conditions) + " " + " ".join(m.term for m in trial.condition_mesh)),
        (2.0, " ".join(interventions) + " " + " ".join(m.term for m in trial.intervention_mesh)),
        (1.5, " ".join(trial.keywords)),
        (1.0, (trial.brief_summary or "") + " " + (trial.detailed_description or "")[:4000]),
    )
    last_update = (
        status.last_update_post_date.date
        if status.last_update_post_date
        else (status.last_update_submit_date or "")
    )
    doc = Doc(
        key=trial.key,
        title=trial.title,
        status=str(status.overall_status or NONE_LABEL),
        phases=tuple(str(p) for p in design.phases),
        study_type=str(design.study_type or NONE_LABEL),
        countries=tuple(trial.countries),
        sponsor=trial.lead_sponsor.name if trial.lead_sponsor else None,
        sponsor_class=str((trial.lead_sponsor.agency_class if trial.lead_sponsor else None) or NONE_LABEL),
        start=status.start_date.date if status.start_date else None,
        last_update=last_update,
        enrollment=design.enrollment.count if design.enrollment else None,
        sex=str(elig.sex) if elig.sex else None,
        min_age=elig.minimum_age.years if elig.minimum_age else None,
        max_age=elig.maximum_age.years if elig.maximum_age else None,
        has_results=bool(trial.has_results),
        partial=trial.is_partial,
        conditions=tuple(trial.conditions),
        summary=(trial.brief_summary or trial.detailed_description or "")[:3000],
        fields=tuple((weight, frozenset(tokens(text))) for weight, text in weighted),
        facet_map={},
    )
    # Worked out once per trial: every search counts them.
    doc.facet_map.update((facet, doc._facet_values(facet)) for facet in (*FACETS, "start_year"))
    return doc


_OPEN = frozenset(
    str(s)
    for s in (
        OverallStatus.RECRUITING,
        OverallStatus.NOT_YET_RECRUITING,
        OverallStatus.ENROLLING_BY_INVITATION,
    )
)


def _selected(params: SearchParams) -> dict[str, frozenset[str]]:
    return {
        "status": frozenset(s.upper() for s in params.status),
        "phase": frozenset(p.upper() for p in params.phase),
        "study_type": frozenset(s.upper() for s in params.study_type),
        "country": frozenset(params.country),
        "sponsor_class": frozenset(s.upper() for s in params.sponsor_class),
    }


def _has_fixed(params: SearchParams) -> bool:
    return bool(
        params.open_only
        or params.sex
        or params.age is not None
        or params.start_from is not None
        or params.start_to is not None
        or params.has_results is not None
    )


def _passes_fixed(doc: Doc, params: SearchParams) -> bool:
    """The filters that are not facets."""
    if params.open_only and doc.status not in _OPEN:
        return False
    if params.sex and doc.sex and doc.sex != "ALL" and doc.sex.lower() != params.sex:
        return False
    if params.age is not None:
        if doc.min_age is not None and params.age < doc.min_age:
            return False
        if doc.max_age is not None and params.age > doc.max_age:
            return False
    if params.start_from is not None or params.start_to is not None:
        if not doc.start:
            return False
        year = int(doc.start[:4])
        if params.start_from is not None and year < params.start_from:
            return False
        if params.start_to is not None and year > params.start_to:
            return False
    return params.has_results is None or doc.has_results == params.has_results


def _score(doc: Doc, query: Sequence[str]) -> float:
    total = 0.0
    for token in query:
        best = max((weight for weight, words in doc.fields if token in words), default=0.0)
        if best == 0.0:
            return 0.0
        total += best
    return total


def encode_cursor(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"o": offset, "f": fingerprint})).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> int:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, bound = data["o"], data["f"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise QueryError("cursor is not one this server gave out") from exc
    if not isinstance(offset, int) or offset < 0 or bound != fingerprint:
        raise QueryError("cursor belongs to a different search; start again without it")
    return offset


def snippet(text: str, query: Sequence[str], width: int = 220) -> list[Segment]:
    """A window of ``text`` around the first query word, with every query word marked."""
    if not text:
        return []
    wanted = set(query)
    matches = [m for m in _TOKEN.finditer(text.lower()) if _norm_token(m.group()) in wanted]
    start = max(0, matches[0].start() - width // 3) if matches else 0
    if start > 0:
        # Start on a word: a snippet beginning "…f tacrolimus" reads as a typo.
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (matches[0].start() if matches else start + 20) else start
    end = min(len(text), start + width)
    segments: list[Segment] = []
    if start > 0:
        segments.append(Segment(text="…"))
    cursor = start
    for match in matches:
        if match.start() < start or match.end() > end:
            continue
        if match.start() > cursor:
            segments.append(Segment(text=text[cursor : match.start()]))
        segments.append(Segment(text=text[match.start() : match.end()], mark=True))
        cursor = match.end()
    if cursor < end:
        segments.append(Segment(text=text[cursor:end]))
    if end < len(text):
        segments.append(Segment(text="…"))
    return segments


class BasicSearch:
    """All matching is in memory over :class:`Doc` records; fast enough for tens of thousands of trials."""

    def __init__(self, docs: Iterable[Doc] = ()) -> None:
        self.docs: dict[str, Doc] = {doc.key: doc for doc in docs}

    def update(self, docs: Iterable[Doc], gone: Iterable[str] = ()) -> None:
        # Copy, change, swap: searches running in other threads keep iterating the dict they started on.
        changed = dict(self.docs)
        for key in gone:
            changed.pop(key, None)
        for doc in docs:
            changed[doc.key] = doc
        self.docs = changed

    def _scan(self, params: SearchParams) -> tuple[list[tuple[Doc, float]], dict[str, Counter[str]]]:
        """One pass over the documents: the matches, and each facet's counts without its own filter.

        A document counts for facet F when it fails no facet filter but F's own, so every facet's
        counts come out of the same pass as the results.
        """
        query = tokens(params.q)
        selected = [(facet, chosen) for facet, chosen in _selected(params).items() if chosen]
        counts: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
        out: list[tuple[Doc, float]] = []
        fixed = _has_fixed(params)
        for doc in self.docs.values():
            if fixed and not _passes_fixed(doc, params):
                continue
            score = _score(doc, query) if query else 1.0
            if score <= 0:
                continue
            values = doc.facet_map
            failed = (
                [facet for facet, chosen in selected if chosen.isdisjoint(values[facet])] if selected else []
            )
            if not failed:
                out.append((doc, score))
                for facet in FACETS:
                    tally = counts[facet]
                    for value in values[facet]:
                        tally[value] = tally.get(value, 0) + 1
            elif len(failed) == 1:
                tally = counts[failed[0]]
                for value in values[failed[0]]:
                    tally[value] = tally.get(value, 0) + 1
        return out, counts

    def matching(self, params: SearchParams) -> list[tuple[Doc, float]]:
        return self._scan(params)[0]

    @staticmethod
    def _facets(
        params: SearchParams, counts: dict[str, Counter[str]], top: int = 25
    ) -> dict[str, list[FacetValue]]:
        selected = _selected(params)
        result: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            chosen = selected[facet]
            values = [
                FacetValue(value=v, count=n, selected=v in chosen) for v, n in counts[facet].most_common(top)
            ]
            shown = {v.value for v in values}
            # A selected value stays visible (with its count) even when it is not among the top ones.
            values += [
                FacetValue(value=v, count=counts[facet].get(v, 0), selected=True)
                for v in sorted(chosen - shown)
            ]
            result[facet] = values
        return result

    def search(self, params: SearchParams) -> SearchPage:
        fingerprint = params.fingerprint()
        offset = decode_cursor(params.cursor, fingerprint) if params.cursor else 0
        matched, counts = self._scan(params)
        order = params.sort if params.q.strip() or params.sort != "relevance" else "updated"
        # Stable sorts, least significant key first: by id, then newest first, then the order asked.
        matched.sort(key=lambda pair: pair[0].key)
        if order in ("relevance", "updated"):
            matched.sort(key=lambda pair: pair[0].last_update, reverse=True)
        if order == "relevance":
            matched.sort(key=lambda pair: pair[1], reverse=True)
        elif order == "start":
            matched.sort(key=lambda pair: pair[0].start or "", reverse=True)
        elif order == "enrollment":
            matched.sort(key=lambda pair: pair[0].enrollment or -1, reverse=True)
        query = tokens(params.q)
        page = matched[offset : offset + params.limit]
        hits = [_hit(doc, score, query) for doc, score in page]
        after = offset + params.limit
        return SearchPage(
            total=len(matched),
            offset=offset,
            hits=hits,
            facets=self._facets(params, counts),
            next_cursor=encode_cursor(after, fingerprint) if after < len(matched) else None,
            prev_cursor=encode_cursor(max(0, offset - params.limit), fingerprint) if offset > 0 else None,
        )

    def counts(self, params: SearchParams, facets: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """Every matching trial counted by each of ``facets`` (landscape charts)."""
        matched = [doc for doc, _ in self.matching(params)]
        out: dict[str, list[tuple[str, int]]] = {}
        for facet in facets:
            counter: Counter[str] = Counter()
            for doc in matched:
                counter.update(doc.facet_values(facet))
            out[facet] = counter.most_common()
        out["total"] = [("trials", len(matched))]
        return out


def _hit(doc: Doc, score: float, query: Sequence[str]) -> SearchHit:
    return SearchHit(
        nct_id=doc.key,
        title=doc.title,
        status=doc.status if doc.status != NONE_LABEL else None,
        phases=list(doc.phases),
        study_type=doc.study_type if doc.study_type != NONE_LABEL else None,
        conditions=list(doc.conditions[:6]),
        sponsor=doc.sponsor,
        start=doc.start,
        enrollment=doc.enrollment,
        countries=list(doc.countries[:5]),
        partial=doc.partial,
        score=round(score, 3),
        snippet=snippet(doc.summary, query),
    )
