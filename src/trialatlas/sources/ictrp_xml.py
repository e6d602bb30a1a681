"""WHO ICTRP export as XML: ``<Trials_downloaded_from_ICTRP><Trial>…</Trial></Trials_downloaded_from_ICTRP>``.

Each ``<Trial>`` holds the export's fields as child elements named like the CSV columns
(``<TrialID>``, ``<public_title>``, …); they are read into the same row mapper as the CSV
(:func:`trialatlas.sources.ictrp.read_row`), one trial at a time, so a large export streams.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from trialatlas.model.enums import SourceFormat
from trialatlas.sources.base import LOCKED_DOWN_XML, Blob, ReadResult, RecordError
from trialatlas.sources.ictrp import read_row
from trialatlas.sources.ictrp_fields import field_name

ROOT = b"Trials_downloaded_from_ICTRP"


class IctrpXmlReader:
    name = "ictrp-xml"
    format = SourceFormat.ICTRP_XML

    def sniff(self, head: bytes, name: str) -> float:
        if b"<" + ROOT in head:
            return 0.95
        return 0.0

    def read(self, blob: Blob) -> Iterator[ReadResult]:
        number = 0
        with blob.open() as stream:
            events = etree.iterparse(stream, events=("end",), tag="Trial", **LOCKED_DOWN_XML)
            try:
                for _, element in events:
                    number += 1
                    location = f"{blob.name}#trial {number}"
                    values: dict[str, str] = {}
                    for child in element:
                        if isinstance(child.tag, str):
                            # Documented fields by their documented spelling; others as they come.
                            values[field_name(child.tag)] = "".join(child.itertext())
                    # Stream: drop the trial and the emptied ones before it, so memory stays flat.
                    element.clear()
                    while element.getprevious() is not None:
                        del element.getparent()[0]
                    result = read_row(
                        values,
                        reader=self.name,
                        fmt=self.format,
                        blob_name=blob.name,
                        location=location,
                        layout="xml",
                    )
                    yield result
            except etree.XMLSyntaxError as exc:
                yield RecordError(f"{blob.name}#trial {number + 1}", f"malformed XML: {exc}")


READER = IctrpXmlReader()
