"""A search's address: the page URL read into a :class:`SearchRequest` and written back, tidily.

The whole state of a search lives in its URL, so that it can be shared and reopened: the query, every
filter (one parameter per :class:`trialatlas.search.Filters` field, repeated for several values),
``facet=name:value`` for facets without a filter of their own, sort, order, cursor and page. Only
what differs from the defaults is written, in a fixed order, so one search has one address.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from starlette.convertors import Convertor, register_url_convertor

from trialatlas.errors import QueryError
from trialatlas.search import FACETS
from trialatlas.search.facets import value_key
from trialatlas.services.models import FILTER_FIELDS, LIST_FIELDS, SearchRequest, checked, facet_choices


class TrialIdConvertor(Convertor[str]):
    """A trial id in a URL path: one segment (NCT05916781, ISRCTN96912679, 2023-508143-51-01), or a
    registry id whose numbers are "/"-separated (CTRI/2020/01/022345, SLCTR/2018/024), never a
    following word such as ``/related``."""

    regex = r"[^/]+(?:/\d+)*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Routes name it as ``{nct:trial_id}``; registered before any route is built (the API's and the
# pages' routers both import this module).
TRIAL_ID = "trial_id"
register_url_convertor(TRIAL_ID, TrialIdConvertor())

_FIELDS = SearchRequest.model_fields
# Facets that are list filters of their own; every other facet is chosen with ``facet=name:value``.
FILTER_FACETS: frozenset[str] = frozenset(name for name in FACETS if name in LIST_FIELDS & FILTER_FIELDS)
_DEFAULTS = SearchRequest().model_dump()


def read_search(pairs: Iterable[tuple[str, str]]) -> SearchRequest:
    """The search a page URL holds (its query parameters, in order); empty parameters mean "not set".

    Raises :class:`QueryError` saying what to change when a value has the wrong type or range; the
    search itself checks what the values mean (a phase, a date).
    """
    data: dict[str, Any] = {}
    for name, raw in pairs:
        if name not in _FIELDS:
            continue  # not ours: the tidy address leaves it out
        if name in LIST_FIELDS:
            data.setdefault(name, []).append(raw)  # the request splits and tidies them
        elif name == "q":
            data[name] = raw  # checked by SearchRequest as the API checks it: never silently cut
        elif raw.strip():
            data[name] = raw.strip()  # pydantic reads numbers and yes/no/true/false/1/0 from text
    if not data.get("cursor"):
        data.pop("page", None)  # a page number means something only with its cursor
    return checked(SearchRequest, data)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(getattr(value, "value", value))


def url_pairs(request: SearchRequest) -> list[tuple[str, str]]:
    """The parameters of a search that differ from the defaults, in field order."""
    pairs: list[tuple[str, str]] = []
    for name, value in request.model_dump().items():
        if value is None or value == _DEFAULTS[name]:
            continue
        if isinstance(value, list):
            pairs.extend((name, _text(v)) for v in value)
        else:
            pairs.append((name, _text(value)))
    return pairs


def selected_keys(request: SearchRequest, facet: str) -> set[str]:
    """The facet keys a search selects of one facet through that facet's own parameter."""
    keys: set[str] = set()
    for typed in _typed(request, facet):
        try:
            keys.update(FACETS[facet].keys_for(typed))
        except QueryError:
            continue  # a value the search refuses selects nothing
    return keys


def _typed(request: SearchRequest, facet: str) -> list[str]:
    if facet in FILTER_FACETS:
        values: list[str] = getattr(request, facet)
        return values
    try:
        return [value for name, value in facet_choices(request.facet) if name == facet]
    except QueryError:
        return []


def _toggled(request: SearchRequest, facet: str, value: str) -> dict[str, Any]:
    """The change that adds a facet value to the search, or takes it out when it is selected."""
    key = value_key(facet, value)
    if facet in FILTER_FACETS:
        current: list[str] = getattr(request, facet)
        kept = [typed for typed in current if key not in _keys(facet, typed)]
        return {facet: kept if len(kept) < len(current) else [*current, value]}
    entries = list(request.facet)
    kept = []
    for entry in entries:
        name, _, typed = entry.partition(":")
        if name.strip() == facet and key in _keys(facet, typed.strip()):
            continue
        kept.append(entry)
    return {"facet": kept if len(kept) < len(entries) else [*entries, f"{facet}:{value}"]}


def _keys(facet: str, typed: str) -> list[str]:
    try:
        return FACETS[facet].keys_for(typed)
    except QueryError:
        return []


def search_url(request: SearchRequest, path: str = "/", **changes: Any) -> str:
    """The address of ``request`` with ``changes``; ``toggle=(facet, value)`` flips one facet value.

    A change of what is searched (a toggle) starts again at the first page.
    """
    toggle = changes.pop("toggle", None)
    if toggle is not None:
        facet, value = toggle
        changes.update(_toggled(request, facet, value), cursor=None, page=1)
    if "cursor" in changes and changes["cursor"] is None:
        changes["page"] = 1
    changed = request.model_copy(update=changes)
    pairs = url_pairs(changed)
    return path + ("?" + urlencode(pairs) if pairs else "")


def hidden_fields(request: SearchRequest, names: Iterable[str]) -> list[tuple[str, str]]:
    """The parameters of ``names`` as ``(name, value)`` pairs, for a form's hidden inputs."""
    wanted = set(names)
    return [(name, value) for name, value in url_pairs(request) if name in wanted]


__all__ = [
    "FILTER_FACETS",
    "LIST_FIELDS",
    "hidden_fields",
    "read_search",
    "search_url",
    "selected_keys",
    "url_pairs",
]
