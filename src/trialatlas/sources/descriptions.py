"""The ~101k trial-descriptions dump: JSON lines of title, brief summary and detailed description.

Each line is ``{"nct_id", "title", "description", "brief_summary", "quint"}`` (see the dump's
SOURCE.md). It holds text only, so every trial it yields is partial: it fills the text fields of
trials known from fuller records, and makes trials known only by their text searchable.
"""

from __future__ import annotations

from typing import Any

from trialatlas.model.enums import SourceFormat
from trialatlas.model.trial import SourceRecord, Trial
from trialatlas.sources.atlas_jsonl import is_atlas_trial
from trialatlas.sources.base import (
    Blob,
    NctJsonLinesReader,
    ReadResult,
    RecordError,
)

# The dump's text keys, read into brief_title, brief_summary and detailed_description. Any other
# key ("quint", an undocumented label of the dump's maker) is reported as unread.
TEXT_FIELDS = ("title", "brief_summary", "description")
# Keys of other JSON-lines formats that also carry an NCT id: API v2 studies, TrialGPT corpora.
_FOREIGN = (b'"protocolSection"', b'"derivedSection"', b'"_id"')


def _is_dump_record(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("nct_id"), str)
        and any(key in record for key in ("description", "brief_summary"))
        and "protocolSection" not in record
    )


class DescriptionsReader(NctJsonLinesReader):
    """Reader of the descriptions dump (``trial_descriptions.part*.jsonl[.xz]``)."""

    name = "ctgov-descriptions"
    id_field = "nct_id"

    def is_record(self, record: Any) -> bool:
        return _is_dump_record(record)

    def sniff(self, head: bytes, name: str) -> float:
        # The atlas's own export also has "nct_id" and "brief_summary" on each line: it is not the dump.
        return 0.0 if is_atlas_trial(head) else super().sniff(head, name)

    def sniff_start(self, head: bytes) -> float:
        # Long descriptions often make a first line longer than the sniffed bytes.
        if any(marker in head for marker in _FOREIGN):
            return 0.0
        if self.starts_with_id(head) and (b'"description"' in head or b'"brief_summary"' in head):
            return 0.9
        return 0.0

    def record(
        self, blob: Blob, location: str, line: bytes, record: dict[str, Any], nct_id: str
    ) -> ReadResult:
        if not any(key in record for key in TEXT_FIELDS):
            return RecordError(location, "not a description record: no title, description or brief_summary")
        texts: dict[str, str | None] = {}
        for key in TEXT_FIELDS:
            value = record.get(key)
            if value is not None and not isinstance(value, str):
                return RecordError(location, f"{key} is a {type(value).__name__}, not text")
            texts[key] = value.strip() if value and value.strip() else None
        return Trial(
            nct_id=nct_id,
            brief_title=texts["title"],
            brief_summary=texts["brief_summary"],
            detailed_description=texts["description"],
            is_partial=True,
            sources=[
                SourceRecord(
                    id=f"{self.name}:{blob.name}#{nct_id}",
                    format=SourceFormat.DESCRIPTIONS_JSONL,
                    location=location,
                    partial=True,
                    raw=line.decode("utf-8").rstrip("\r\n"),
                    unread_fields=sorted(key for key in record if key not in TEXT_FIELDS and key != "nct_id"),
                )
            ],
        )


descriptions_reader = DescriptionsReader()
