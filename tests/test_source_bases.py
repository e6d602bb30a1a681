"""The reader bases a new format builds on: each keeps the per-record error reporting (file, record,
reason) of the built-in readers, so a reader written on them reports faults the same way."""

from __future__ import annotations

from typing import Any

from trialatlas.model import Trial
from trialatlas.model.enums import SourceFormat
from trialatlas.sources.base import Blob, NctJsonLinesReader, ReadResult, RecordError, csv_rows, numbered_rows
from trialatlas.sources.documents import Document, DocumentReader


class _IsrctnLike(DocumentReader):
    name = "test-documents"
    format = SourceFormat.ISRCTN_JSON
    registry = "isrctn"
    ctrname = b"TEST"
    markers = (b'"number"', b'"headline"')

    def build(self, blob: Blob, document: Document) -> tuple[Trial, str]:
        number = document.get("number")
        if not isinstance(number, str):
            raise ValueError("no ISRCTN number")
        return Trial(brief_title=document.get("headline")), number


class _Lines(NctJsonLinesReader):
    name = "test-lines"
    id_field = "nct"

    def is_record(self, record: Any) -> bool:
        return isinstance(record, dict) and "nct" in record and "words" in record

    def record(
        self, blob: Blob, location: str, line: bytes, record: dict[str, Any], nct_id: str
    ) -> ReadResult:
        if not isinstance(record.get("words"), str):
            return RecordError(location, "words is not text")
        return Trial(nct_id=nct_id, brief_title=record["words"])


def test_a_document_reader_stamps_sources_and_reports_each_bad_document() -> None:
    data = b'[{"number": "ISRCTN12345678", "headline": "A"}, 3, {"headline": "B"}]'
    results = list(_IsrctnLike().read(Blob.from_bytes("docs.json", data)))
    trial, not_object, unbuilt = results
    assert isinstance(trial, Trial) and trial.brief_title == "A"
    source = trial.sources[0]
    assert (source.id, source.location, source.registry, source.registry_id) == (
        "test-documents:ISRCTN12345678",
        "docs.json#1",
        "isrctn",
        "ISRCTN12345678",
    )
    assert source.url is not None and "ISRCTN12345678" in source.url
    assert not_object == RecordError("docs.json#2", "not a JSON object")
    assert unbuilt == RecordError("docs.json#3", "no ISRCTN number")
    assert _IsrctnLike().sniff(b'{"number": "x", "headline": "y"}', "a.json") == 0.9
    assert _IsrctnLike().sniff(b'{"other": 1}', "a.json") == 0.0


def test_a_json_lines_reader_checks_ids_and_keeps_line_numbers() -> None:
    data = (
        b'{"nct": "NCT00000001", "words": "one"}\nnot json\n{"nct": "bad", "words": "x"}\n'
        b'{"nct": "NCT00000002", "words": 2}\n'
    )
    reader = _Lines()
    results = list(reader.read(Blob.from_bytes("w.jsonl", data)))
    assert isinstance(results[0], Trial) and results[0].nct_id == "NCT00000001"
    errors = [r for r in results[1:] if isinstance(r, RecordError)]
    assert [e.location for e in errors] == ["w.jsonl#line 2", "w.jsonl#line 3", "w.jsonl#line 4"]
    assert "not an NCT id" in errors[1].reason and errors[2].reason == "words is not text"
    assert reader.sniff(b'{"nct": "NCT00000001", "words": "a"}\n', "w.jsonl") == 0.95
    # A first line longer than the sniffed bytes is judged by its start, which this reader leaves at 0.
    assert reader.starts_with_id(b'{"nct": "NCT00000001", "words": "') is True
    assert reader.starts_with_id(b'{"words": "x", "nct": "NCT00000001"}') is False


def test_csv_rows_drop_the_bom_skip_blank_rows_and_number_the_data_rows() -> None:
    data = b'\xef\xbb\xbfid,name\n\n1,"a\nb"\n2,"never closed\n'
    rows = csv_rows(Blob.from_bytes("t.csv", data))
    assert next(rows) == ["id", "name"]  # the BOM is gone
    numbered = list(numbered_rows("t.csv", rows))
    assert numbered[0] == ("t.csv#row 1", ["1", "a\nb"])
    assert len(numbered) == 2 and numbered[1][0] == "t.csv#row 2"
