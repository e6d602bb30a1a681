"""The one exception tree of trialatlas.

    TrialAtlasError
    ├── ReadError            a source could not be read (file, member, record and reason)
    │   └── UnknownFormatError   no reader recognises the input
    ├── RecordDataError      one record's content cannot be mapped (also a ValueError)
    │   ├── StudyError           an API v2 study without an NCT id (trialatlas.sources.ctgov_v2)
    │   ├── NotTextError         a "page" that is binary data (trialatlas.sources.pages.text)
    │   └── ReadLimitError       input past a size bound (trialatlas.sources.base.ReadLimits)
    ├── StoreError           the store cannot be opened, or a write failed
    │   └── NotFoundError        no trial with that id
    ├── QueryError           a search query, filter or request value is malformed (exit code 2)
    │   └── QueryCostError       a query past its cost bound: too many terms, or its time budget
    ├── InputError           a file or value the user gives is malformed: a patient, annotations,
    │   │                    TREC topics or judgments (also a ValueError; exit code 2)
    │   └── DoseInputError       a weight or height no patient has (trialatlas.extract.regimen.dose)
    ├── ExportError          a trial cannot be written in the asked format
    ├── SyncError            ClinicalTrials.gov sync failed (trialatlas.sync.client)
    │   └── TransportError       no HTTP answer at all (connection, timeout, broken body)
    ├── RelatedError         related trials cannot be computed (trialatlas.related)
    └── PluginError          a registered reader, facet, criterion parser or judge cannot be loaded

Interfaces catch ``TrialAtlasError`` and show its message; anything else is a bug. ``exit_code`` is
the command line's exit status for each kind.
"""

from __future__ import annotations


class TrialAtlasError(Exception):
    """Base of every error trialatlas raises on purpose."""

    exit_code: int = 1


class ReadError(TrialAtlasError):
    """A source, or one record in it, could not be read."""

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason


class UnknownFormatError(ReadError):
    """No registered reader recognises the input."""


class RecordDataError(TrialAtlasError, ValueError):
    """One record's content cannot be mapped onto the model (its reader reports it with its location)."""


class ReadLimitError(RecordDataError):
    """Input past a configured size bound (``trialatlas.sources.base.ReadLimits``): refused, not read on."""


class StoreError(TrialAtlasError):
    """The store cannot be opened or written."""


class ReadOnlyStoreError(StoreError):
    """The store's account may read but not write (a reader role of a shared database)."""


class NotFoundError(StoreError):
    """No trial with that id is in the store."""


class QueryError(TrialAtlasError):
    """A search query, filter or request value is malformed."""

    exit_code = 2


class QueryCostError(QueryError):
    """A query that costs more than it may: too many terms, or past its time budget."""


class InputError(TrialAtlasError, ValueError):
    """A file or value the user gives is malformed (a patient, annotations, TREC topics, judgments)."""

    exit_code = 2


class DoseInputError(InputError):
    """A patient measurement outside what any patient can have (a weight of 700 kg): a dose worked out
    from it would be wrong, so the dose calculator refuses it with the plausible range."""


class ExportError(TrialAtlasError):
    """A trial cannot be written in the asked format."""


class SyncError(TrialAtlasError):
    """A ClinicalTrials.gov sync could not go on: the API kept failing, or answered what cannot be used."""


class RelatedError(TrialAtlasError):
    """A related-trials request that cannot be answered (an unknown trial, an empty query)."""


class PluginError(TrialAtlasError):
    """A registered extension (reader, facet, criterion parser, judge) cannot be found or loaded."""
