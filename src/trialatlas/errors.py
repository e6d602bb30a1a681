"""The one exception tree of trialatlas.

    TrialAtlasError
    ├── ReadError            a source could not be read (file, member, record and reason)
    │   └── UnknownFormatError   no reader recognises the input
    ├── StoreError           the store cannot be opened, or a write failed
    │   └── NotFoundError        no trial with that id
    ├── QueryError           a search query or filter is malformed
    ├── ExportError          a trial cannot be written in the asked format
    ├── SyncError            ClinicalTrials.gov sync failed (trialatlas.sync.client)
    ├── RelatedError         related trials cannot be computed (trialatlas.related)
    └── DoseInputError       a patient's weight or height the dose calculator will not work with

Interfaces catch ``TrialAtlasError`` and show its message; anything else is a bug.
"""

from __future__ import annotations


class TrialAtlasError(Exception):
    """Base of every error trialatlas raises on purpose."""


class ReadError(TrialAtlasError):
    """A source, or one record in it, could not be read."""

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason


class UnknownFormatError(ReadError):
    """No registered reader recognises the input."""


class StoreError(TrialAtlasError):
    """The store cannot be opened or written."""


class NotFoundError(StoreError):
    """No trial with that id is in the store."""


class QueryError(TrialAtlasError):
    """A search query or filter is malformed."""


class ExportError(TrialAtlasError):
    """A trial cannot be written in the asked format."""


class SyncError(TrialAtlasError):
    """A ClinicalTrials.gov sync could not go on: the API kept failing, or answered what cannot be used."""


class RelatedError(TrialAtlasError):
    """A related-trials request that cannot be answered (an unknown trial, an empty query)."""


class DoseInputError(TrialAtlasError):
    """A patient measurement outside what any patient can have (a weight of 700 kg): a dose worked out
    from it would be wrong, so the dose calculator refuses it with the plausible range."""
