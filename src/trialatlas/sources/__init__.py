"""Sources: readers that turn every registry format into :class:`~trialatlas.model.Trial` records.

Importing this package registers the built-in readers.
"""

from trialatlas.sources import (  # noqa: F401  (registration)
    ctgov_csv,
    ctgov_v2,
    ctgov_xml,
    ctis,
    descriptions,
    euctr,
    ictrp,
    ictrp_xml,
    isrctn,
    pages,
    trialgpt,
)
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
