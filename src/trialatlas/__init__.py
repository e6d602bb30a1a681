"""trialatlas: an offline clinical-trial atlas.

Read every registry format into one trial model, store it, and serve it::

    import trialatlas
    store = trialatlas.open_store("atlas.db")
    report = trialatlas.ingest(["../shared/data/ctgov_target_trials"], store)
    trial = store.get("NCT04048161")

or, with the same application core the CLI, the REST API and the web pages call::

    with trialatlas.open_atlas("atlas.db") as atlas:
        answer = atlas.match({"note": "9-year-old boy with nephrotic syndrome", "top": 5})
"""

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
from trialatlas.export.ctgov_v2 import trial_to_study
from trialatlas.extract.criteria import parse_eligibility, trial_criteria
from trialatlas.extract.regimen import parse_regimen, patient_dose, render_svg, trial_doses, trial_timeline
from trialatlas.match.matcher import match_trials
from trialatlas.match.patient import PatientProfile, load_patient, profile_from_note
from trialatlas.model import Trial
from trialatlas.model.merge import merge_trials
from trialatlas.related import more_like_these, related_to_text, related_trials
from trialatlas.search import Filters, SearchResults

# `trialatlas.search` is the search *function*: binding it here, after the package of the same name
# has loaded, wins over the package attribute (`from trialatlas.search import Filters` still works).
from trialatlas.search import search as search
from trialatlas.services.atlas import Atlas, open_atlas
from trialatlas.services.export import ExportFormat, read_merged, select_trials, write_trials
from trialatlas.services.ingest import IngestReport, ingest
from trialatlas.services.models import (
    IngestResponse,
    MatchRequest,
    MatchResponse,
    NearRequest,
    NearResponse,
    SearchRequest,
)
from trialatlas.services.stats import StoreStats, store_stats
from trialatlas.sources import RecordError, SourceReader, read_path, read_paths, register_reader
from trialatlas.store import TrialStore, open_store

__version__ = "0.1.0"

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
