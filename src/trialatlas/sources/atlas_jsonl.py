"""The atlas's own JSON lines (``export --format jsonl``): one trial of the model per line, read back
as it was written, its sources, registrations and field provenance included.

A trial's identity is the model's: its NCT id, else its registrations (``registry_ids``), else its
org study id, the same keys the store files it under; each source record keeps the id it was stored
with, so a trial exported and ingested again is the same trial made of the same records. The export
leaves raw records out: what was read is the trial, not its registry's text."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from trialatlas.model.trial import Trial
from trialatlas.sources.base import (
    Blob,
    ReadResult,
    RecordError,
    error_from_exception,
    json_line_objects,
    sniff_json_lines,
    strip_bom,
)

# Keys of the model that no registry's own JSON spells this way (theirs are camelCase or nested).
_MARKERS = (b'"brief_title":', b'"org_study_id":', b'"status":{', b'"design":{', b'"sources":[{"id":')


def is_atlas_trial(line: bytes) -> bool:
    """Whether JSON bytes (a line, or the start of one) are a trial of the model: readers of other
    JSON lines with an ``nct_id`` key (the descriptions dump) refuse what this accepts."""
    return b'"protocolSection"' not in line and sum(marker in line for marker in _MARKERS) >= 2


class AtlasJsonlReader:
    name = "trialatlas-jsonl"

    def sniff(self, head: bytes, name: str) -> float:
        found = sniff_json_lines(head, is_atlas_trial)
        if found is not None:
            return found
        # A first line longer than the sniffed bytes: judged by its start.
        start = strip_bom(head).lstrip()
        return 0.85 if start.startswith(b"{") and is_atlas_trial(start) else 0.0

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        for item in json_line_objects(blob):
            if isinstance(item, RecordError):
                yield item
                continue
            location, _line, record = item
            try:
                yield Trial.model_validate(record)
            except ValidationError as exc:
                yield error_from_exception(location, exc)


READER = AtlasJsonlReader()
