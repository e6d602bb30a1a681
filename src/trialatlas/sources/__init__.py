"""Sources: readers that turn every registry format into :class:`~trialatlas.model.Trial` records.

Readers are entry points of the ``trialatlas.readers`` group (the built-ins are declared in
pyproject.toml like any package's), loaded the first time a reader is looked up.
"""

from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    SourceReader,
    detect_reader,
    get_reader,
    register_reader,
    registered_readers,
)
from trialatlas.sources.reading import read_path, read_paths

__all__ = [
    "Blob",
    "ReadResult",
    "RecordError",
    "SourceReader",
    "detect_reader",
    "get_reader",
    "read_path",
    "read_paths",
    "register_reader",
    "registered_readers",
]
