"""trialatlas: an offline clinical-trial atlas.

Read every registry format into one trial model, store it, and serve it::

    import trialatlas
    store = trialatlas.open_store("atlas.db")
    report = trialatlas.ingest(["../shared/data/ctgov_target_trials"], store)
    trial = store.get("NCT04048161")
"""

from trialatlas.errors import (
    ExportError,
    NotFoundError,
    QueryError,
    ReadError,
    StoreError,
    TrialAtlasError,
    UnknownFormatError,
)
from trialatlas.export.ctgov_v2 import trial_to_study
from trialatlas.model import Trial
from trialatlas.model.merge import merge_trials
from trialatlas.services.export import ExportFormat, read_merged, select_trials, write_trials
from trialatlas.services.ingest import IngestReport, ingest
from trialatlas.services.stats import StoreStats, store_stats
from trialatlas.sources import RecordError, SourceReader, read_path, read_paths, register_reader
from trialatlas.store import TrialStore, open_store

__version__ = "0.1.0"

__all__ = [
    "ExportError",
    "ExportFormat",
    "IngestReport",
    "NotFoundError",
    "QueryError",
    "ReadError",
    "RecordError",
    "SourceReader",
    "StoreError",
    "StoreStats",
    "Trial",
    "TrialAtlasError",
    "TrialStore",
    "UnknownFormatError",
    "ingest",
    "merge_trials",
    "open_store",
    "read_merged",
    "read_path",
    "read_paths",
    "register_reader",
    "select_trials",
    "store_stats",
    "trial_to_study",
    "write_trials",
]
