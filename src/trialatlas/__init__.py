"""trialatlas: an offline clinical-trial atlas.

Read every registry format into one trial model, store it, and serve it::

    import trialatlas
    store = trialatlas.open_store("atlas.db")
    report = trialatlas.ingest(["../shared/data/ctgov_target_trials"], store)
    trial = store.get("NCT04048161")

or, with the same application core the CLI, the REST API and the web pages call::

    with trialatlas.open_atlas("atlas.db") as atlas:
        answer = atlas.match({"note": "9-year-old boy with nephrotic syndrome", "top": 5})

Names load on first use (module ``__getattr__``), so ``import trialatlas`` and the command line's start-up
pay only for what they touch: the regimen parser, pint, the matcher and the exporters load when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialatlas._lazy import listing, resolve
from trialatlas.errors import (
    ExportError,
    InputError,
    NotFoundError,
    PluginError,
    QueryError,
    ReadError,
    RelatedError,
    StoreError,
    SyncError,
    TrialAtlasError,
    UnknownFormatError,
)

if TYPE_CHECKING:
    from trialatlas.export.ctgov_v2 import trial_to_study
    from trialatlas.extract.criteria import parse_eligibility, trial_criteria
    from trialatlas.extract.regimen import (
        parse_regimen,
        patient_dose,
        render_svg,
        trial_doses,
        trial_timeline,
    )
    from trialatlas.match.matcher import match_trials
    from trialatlas.match.patient import PatientProfile, load_patient, profile_from_note
    from trialatlas.model import Trial
    from trialatlas.model.merge import merge_trials
    from trialatlas.related import more_like_these, related_to_text, related_trials
    from trialatlas.search import Filters, SearchResults
    from trialatlas.search import search as search
    from trialatlas.services.atlas import Atlas, open_atlas
    from trialatlas.services.export import ExportFormat, read_merged, select_trials, write_trials
    from trialatlas.services.ingest import IngestReport, ingest
    from trialatlas.services.match_models import MatchRequest, MatchResponse
    from trialatlas.services.models import (
        IngestResponse,
        NearRequest,
        NearResponse,
        SearchRequest,
    )
    from trialatlas.services.stats import StoreStats, store_stats
    from trialatlas.sources import RecordError, SourceReader, read_path, read_paths, register_reader
    from trialatlas.store import TrialStore, open_store

__version__ = "0.1.0"

# Which module defines each public name; looked up once, on first use, then kept as a module global.
_PUBLIC_HOMES: dict[str, str] = {
    "trial_to_study": "trialatlas.export.ctgov_v2",
    "parse_eligibility": "trialatlas.extract.criteria",
    "trial_criteria": "trialatlas.extract.criteria",
    "parse_regimen": "trialatlas.extract.regimen",
    "patient_dose": "trialatlas.extract.regimen",
    "render_svg": "trialatlas.extract.regimen",
    "trial_doses": "trialatlas.extract.regimen",
    "trial_timeline": "trialatlas.extract.regimen",
    "match_trials": "trialatlas.match.matcher",
    "PatientProfile": "trialatlas.match.patient",
    "load_patient": "trialatlas.match.patient",
    "profile_from_note": "trialatlas.match.patient",
    "Trial": "trialatlas.model",
    "merge_trials": "trialatlas.model.merge",
    "more_like_these": "trialatlas.related",
    "related_to_text": "trialatlas.related",
    "related_trials": "trialatlas.related",
    "Filters": "trialatlas.search",
    "SearchResults": "trialatlas.search",
    "search": "trialatlas.search",
    "Atlas": "trialatlas.services.atlas",
    "open_atlas": "trialatlas.services.atlas",
    "ExportFormat": "trialatlas.services.export",
    "read_merged": "trialatlas.services.export",
    "select_trials": "trialatlas.services.export",
    "write_trials": "trialatlas.services.export",
    "IngestReport": "trialatlas.services.ingest",
    "ingest": "trialatlas.services.ingest",
    "IngestResponse": "trialatlas.services.models",
    "MatchRequest": "trialatlas.services.match_models",
    "MatchResponse": "trialatlas.services.match_models",
    "NearRequest": "trialatlas.services.models",
    "NearResponse": "trialatlas.services.models",
    "SearchRequest": "trialatlas.services.models",
    "StoreStats": "trialatlas.services.stats",
    "store_stats": "trialatlas.services.stats",
    "RecordError": "trialatlas.sources",
    "SourceReader": "trialatlas.sources",
    "read_path": "trialatlas.sources",
    "read_paths": "trialatlas.sources",
    "register_reader": "trialatlas.sources",
    "TrialStore": "trialatlas.store",
    "open_store": "trialatlas.store",
}


def __getattr__(name: str) -> Any:
    # ``search`` resolves to its package, which can be called as the search function (trialatlas.search).
    return resolve(__name__, _PUBLIC_HOMES, globals(), name)


def __dir__() -> list[str]:
    return listing(_PUBLIC_HOMES, globals())


__all__ = [
    "Atlas",
    "ExportError",
    "ExportFormat",
    "Filters",
    "IngestReport",
    "IngestResponse",
    "InputError",
    "MatchRequest",
    "MatchResponse",
    "NearRequest",
    "NearResponse",
    "NotFoundError",
    "PatientProfile",
    "PluginError",
    "QueryError",
    "ReadError",
    "RecordError",
    "RelatedError",
    "SearchRequest",
    "SearchResults",
    "SourceReader",
    "StoreError",
    "StoreStats",
    "SyncError",
    "Trial",
    "TrialAtlasError",
    "TrialStore",
    "UnknownFormatError",
    "ingest",
    "load_patient",
    "match_trials",
    "merge_trials",
    "more_like_these",
    "open_atlas",
    "open_store",
    "parse_eligibility",
    "parse_regimen",
    "patient_dose",
    "profile_from_note",
    "read_merged",
    "read_path",
    "read_paths",
    "register_reader",
    "related_to_text",
    "related_trials",
    "render_svg",
    "search",
    "select_trials",
    "store_stats",
    "trial_criteria",
    "trial_doses",
    "trial_timeline",
    "trial_to_study",
    "write_trials",
]
