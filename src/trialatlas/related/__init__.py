"""Related trials: similarity of conditions, drugs, design, population, outcomes and text, with reasons.

``related_trials(store, "NCT04048161")`` ranks the store's trials against one trial; the index behind
it is built from the store on first use and saved beside it (``<db>.related.arrays``).
"""

from trialatlas.errors import RelatedError
from trialatlas.related.index import RelatedIndex, build_index, index_for
from trialatlas.related.service import (
    ListedRelation,
    RelatedReport,
    RelatedResult,
    more_like_these,
    related_report,
    related_to_patient,
    related_to_text,
    related_trials,
)

__all__ = [
    "ListedRelation",
    "RelatedError",
    "RelatedIndex",
    "RelatedReport",
    "RelatedResult",
    "build_index",
    "index_for",
    "more_like_these",
    "related_report",
    "related_to_patient",
    "related_to_text",
    "related_trials",
]
