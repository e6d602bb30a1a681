"""Ranked full-text search over the store: query language, expansions, filters, facets and cursors.

from trialatlas.search import search
results = search(store, "MMF TAC lupus nephritis", status="open", age=12)
for hit in results.hits:
    print(hit.trial.key, hit.score, hit.snippet)
"""

from trialatlas.search.facets import FACETS, Facet, register_facet
from trialatlas.search.filters import Filters
from trialatlas.search.index import BuildReport, SearchIndex
from trialatlas.search.service import (
    ExpansionNote,
    FacetCount,
    SearchHit,
    SearchResults,
    SortKey,
    TrialSummary,
    iter_search,
    search,
)

__all__ = [
    "FACETS",
    "BuildReport",
    "ExpansionNote",
    "Facet",
    "FacetCount",
    "Filters",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "SortKey",
    "TrialSummary",
    "iter_search",
    "register_facet",
    "search",
]
