"""Related trials: similarity of conditions, drugs, design, population, outcomes and text, with reasons.

``related_trials(store, "NCT04048161")`` ranks the store's trials against one trial; the index behind
it is built from the store as it is written and saved beside it (``<db>.related.arrays``).

The names below load their modules on first use, so that a light submodule (``related.saved``, which
tells whether the saved index is current) is imported without the index and feature code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialatlas._lazy import resolve
from trialatlas.errors import RelatedError

if TYPE_CHECKING:
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

_HOMES: dict[str, str] = {
    "RelatedIndex": "trialatlas.related.index",
    "build_index": "trialatlas.related.index",
    "index_for": "trialatlas.related.index",
    "ListedRelation": "trialatlas.related.service",
    "RelatedReport": "trialatlas.related.service",
    "RelatedResult": "trialatlas.related.service",
    "more_like_these": "trialatlas.related.service",
    "related_report": "trialatlas.related.service",
    "related_to_patient": "trialatlas.related.service",
    "related_to_text": "trialatlas.related.service",
    "related_trials": "trialatlas.related.service",
}


def __getattr__(name: str) -> Any:
    return resolve(__name__, _HOMES, globals(), name)


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
