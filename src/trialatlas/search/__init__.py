"""Ranked full-text search over the store: query language, expansions, filters, facets and cursors.

from trialatlas.search import search
results = search(store, "MMF TAC lupus nephritis", status="open", age=12)
for hit in results.hits:
    print(hit.trial.key, hit.score, hit.snippet)

The package itself can be called like :func:`search`, so ``trialatlas.search(store, "lupus")`` (the
public name) and ``import trialatlas.search.index`` (a submodule) both work: Python binds a loaded
package on its parent under its own name, which a function of that name could not share.
"""

import sys
from types import ModuleType
from typing import Any

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


class _CallablePackage(ModuleType):
    """This package's module type: calling it runs :func:`search`."""

    def __call__(self, *args: Any, **kwargs: Any) -> SearchResults:
        return search(*args, **kwargs)


# ``inspect.signature`` and ``help`` follow ``__wrapped__`` to the function's own signature.
__wrapped__ = search
sys.modules[__name__].__class__ = _CallablePackage

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
