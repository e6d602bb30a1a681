"""A seeded generator of hostile inputs for the ingest fault suite (``tests/test_faults.py``) and
``bench/faults.py``.

Every input is made at run time from records of the shared data (read in place, never copied into
the repository), then broken in one of the ways registry files break: corrupt or truncated
compression, decompression bombs, archive members that hide or escape, binary junk, JSON of the
wrong types or nested past any parser's depth, mutated XML (20-digit counts, cut-off records,
flipped bytes, deep nesting), CSV with the wrong columns, deeply nested pages.

Hostile inputs carry NCT ids from a range real trials do not use (``NCT9…``), so nothing they hold
can be mistaken for the good records of the same batch; good inputs are whole records of real
trials, one a file, that must land whatever sits beside them.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The bounds the fault suite runs under (small, so bombs stay cheap to make and to refuse).
TEST_LIMITS = {
    "TRIALATLAS_MAX_MEMBER_BYTES": str(4 << 20),
    "TRIALATLAS_MAX_ARCHIVE_BYTES": str(16 << 20),
    "TRIALATLAS_MAX_STREAM_BYTES": str(4 << 20),
    "TRIALATLAS_MAX_RECORD_BYTES": str(2 << 20),
}
BOMB_BYTES = 8 << 20
_NCT = re.compile(rb"NCT\d{8}")


@dataclass
class Input:
    """One file of a batch: its name and bytes, what kind of damage it carries, whether it must
    yield at least one error, and the NCT ids of good records in it that must land."""

    name: str
    data: bytes
    kind: str
    must_fail: bool = False
    good_ids: frozenset[str] = frozenset()


@dataclass
class Samples:
    """Real records to build inputs from (read from the shared data at run time)."""

    studies: list[dict[str, Any]]
    xml: list[bytes]
    csv: list[bytes]
    pages: list[bytes]

    @classmethod
    def load(cls, shared_data: Path, studies: int = 120) -> Samples:
        v2 = shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"
        found: list[dict[str, Any]] = []
        with gzip.open(v2, "rb") as stream:
            for line in stream:
                found.append(json.loads(line))
                if len(found) >= studies:
                    break
        xml = [path.read_bytes() for path in sorted((shared_data / "ctgov_target_trials").glob("*.xml"))]
        csv_dir = shared_data / "ctgov_api_v2_samples" / "csv_export"
        legacy = shared_data / "ctgov_legacy_xml_2023" / "ctgov_search_results_legacy_export.csv"
        csv = [_head_lines(path, 12) for path in [*sorted(csv_dir.glob("*.csv")), legacy]]
        seeds = shared_data.parent / "seeds"
        pages = [path.read_bytes() for path in sorted(seeds.glob("*.txt"))] if seeds.is_dir() else []
        return cls(found, xml, csv, pages)


@dataclass
class Batch:
    """Good inputs and hostile ones, shuffled together."""

    inputs: list[Input] = field(default_factory=list)

    @property
    def good_ids(self) -> set[str]:
        return {nct for item in self.inputs for nct in item.good_ids}

    def write(self, directory: Path) -> dict[str, Input]:
        """Write every input under ``directory``; the inputs by the path written."""
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, Input] = {}
        for index, item in enumerate(self.inputs):
            path = directory / f"{index:04d}_{item.name}"
            path.write_bytes(item.data)
            written[str(path)] = item
        return written


class Generator:
    """Hostile inputs of every kind from one seed: the same seed gives the same inputs."""

    def __init__(
        self, samples: Samples, seed: int, page_depths: tuple[int, ...] = (1000, 5000, 20000)
    ) -> None:
        self.samples = samples
        self.page_depths = page_depths
        self.random = random.Random(seed)
        self._good = 0
        self.kinds: dict[str, Callable[[], Input]] = {
            "v2-type": self.v2_type_mutation,
            "v2-shape": self.v2_shape,
            "json-deep": self.json_deep,
            "xml-mutation": self.xml_mutation,
            "csv-columns": self.csv_columns,
            "binary-junk": self.binary_junk,
            "broken-compression": self.broken_compression,
            "bomb": self.bomb,
            "archive-members": self.archive_members,
            "page-deep": self.page_deep,
            "jsonl-mutation": self.jsonl_mutation,
            "nesting": self.nesting,
        }

    # --- batches ---------------------------------------------------------------------------

    def batch(self, hostile: int, good: int) -> Batch:
        kinds = list(self.kinds.values())
        inputs = [kinds[index % len(kinds)]() for index in range(hostile)]
        inputs += [self.good_study() for _ in range(good)]
        self.random.shuffle(inputs)
        return Batch(inputs)

    def good_study(self) -> Input:
        study = self.samples.studies[self._good % len(self.samples.studies)]
        self._good += 1
        nct = study["protocolSection"]["identificationModule"]["nctId"]
        return Input(f"good_{nct}.json", json.dumps(study).encode(), "good", good_ids=frozenset({nct}))

    # --- helpers ---------------------------------------------------------------------------

    def hostile_id(self) -> str:
        return f"NCT9{self.random.randrange(10**7):07d}"

    def _rehome(self, data: bytes) -> bytes:
        """``data`` with every NCT id replaced by one from the hostile range."""
        nct = self.hostile_id().encode()
        return _NCT.sub(nct, data)

    def study(self) -> dict[str, Any]:
        study = json.loads(json.dumps(self.random.choice(self.samples.studies)))
        study["protocolSection"]["identificationModule"]["nctId"] = self.hostile_id()
        return study

    def alien(self) -> Any:
        """A value of a random JSON type, some of them extreme."""
        return self.random.choice(
            [
                "",
                "x",
                "\u0000\ufffd",
                0,
                -1,
                10**20,
                -(10**20),
                1.5e308,
                True,
                None,
                [],
                {},
                [1, "a", None],
                {"a": {"b": [1]}},
                "y" * 5000,
                _nested_list(40),
            ]
        )

    def _paths(self, value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield (*prefix, key)
                yield from self._paths(inner, (*prefix, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value[:3]):
                yield (*prefix, index)
                yield from self._paths(inner, (*prefix, index))

    def _mutate(self, document: Any, times: int) -> Any:
        for _ in range(times):
            paths = list(self._paths(document))
            if not paths:
                break
            path = self.random.choice(paths)
            parent = document
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = self.alien()
        return document

    # --- kinds -----------------------------------------------------------------------------

    def v2_type_mutation(self) -> Input:
        study = self._mutate(self.study(), self.random.randint(1, 4))
        return Input("mutated.json", json.dumps(study).encode(), "v2-type")

    def v2_shape(self) -> Input:
        study = self.study()
        choice = self.random.randrange(5)
        if choice == 0:
            study["protocolSection"] = self.random.choice(["abc", 1, [], None, True])
        elif choice == 1:
            study["protocolSection"]["identificationModule"] = self.random.choice(["abc", 1, [1], True])
        elif choice == 2:
            module = self.random.choice(sorted(study["protocolSection"]))
            study["protocolSection"][module] = self.random.choice(["abc", 7, [1, 2], True])
        elif choice == 3:
            study = {"studies": self.random.choice(["abc", {"a": 1}, [1, "x", None, study]])}
        else:
            study["derivedSection"] = self.random.choice(["abc", 1, [[]]])
        must_fail = choice in (0, 1)
        return Input("shape.json", json.dumps(study).encode(), "v2-shape", must_fail=must_fail)

    def json_deep(self) -> Input:
        depth = self.random.choice([1000, 3000, 20000])
        deep = "[" * depth + "]" * depth
        study = json.dumps(self.study())
        shape = self.random.randrange(3)
        if shape == 0:
            text = f"[{study}, {deep}]"
        elif shape == 1:
            text = f'{{"studies": [{study}, {deep}]}}'
        else:
            text = f'{study}\n{{"protocolSection": {deep}}}\n'
        name = "deep.jsonl" if shape == 2 else "deep.json"
        return Input(name, text.encode(), "json-deep", must_fail=True)

    def xml_mutation(self) -> Input:
        data = self._rehome(self.random.choice(self.samples.xml))
        choice = self.random.randrange(7)
        must_fail = True
        if choice == 0:
            digits = "9" * self.random.choice([11, 20, 40])
            count = b"<enrollment>" + digits.encode() + b"</enrollment>"
            data = re.sub(rb"<enrollment[^>]*>[^<]*</enrollment>", count, data)
            if count not in data:
                data = data.replace(b"</clinical_study>", count + b"</clinical_study>")
        elif choice == 1:
            data = data[: self.random.randrange(len(data) // 2, len(data) - 20)]
        elif choice == 2:
            flipped = bytearray(data)
            for _ in range(self.random.randint(1, 20)):
                flipped[self.random.randrange(len(flipped))] = self.random.randrange(256)
            data = bytes(flipped)
            must_fail = False  # a flip inside free text may leave a readable record
        elif choice == 3:
            depth = self.random.choice([300, 5000, 100000])
            data = data.replace(b"</brief_title>", b"</brief_title>" + b"<a>" * depth + b"</a>" * depth, 1)
        elif choice == 4:
            data = data.replace(b"<brief_title>", b"<brief_title>\x01\x02\x00", 1)
        elif choice == 5:
            doctype = b'<!DOCTYPE clinical_study [<!ENTITY x "xxxxxxxxxx">]>'
            data = data.replace(b"<clinical_study", doctype + b"<clinical_study", 1)
            data = data.replace(b"<brief_title>", b"<brief_title>&x;", 1)
        else:
            fields = rb"<(start_date|overall_status|phase|gender)>[^<]*<"
            data = re.sub(fields, lambda m: b"<" + m[1] + b">" + self._junk_text() + b"<", data)
            must_fail = False
        return Input("mutated.xml", data, "xml-mutation", must_fail=must_fail)

    def _junk_text(self) -> bytes:
        return self.random.choice([b"", b"-1", b"9" * 30, b"NaN", b"\xe2\x80", b"&amp;&lt;", b"x" * 3000])

    def csv_columns(self) -> Input:
        data = self._rehome(self.random.choice(self.samples.csv))
        lines = data.splitlines(keepends=True)
        header, rows = lines[0], lines[1:]
        choice = self.random.randrange(6)
        if choice == 0:
            cells = header.rstrip(b"\r\n").split(b",")
            self.random.shuffle(cells)
            header = b",".join(cells) + b"\n"
        elif choice == 1:
            cells = header.rstrip(b"\r\n").split(b",")
            del cells[self.random.randrange(len(cells))]
            header = b",".join(cells) + b"\n"
        elif choice == 2:
            rows = [row.rstrip(b"\r\n") + b",extra,cells\n" for row in rows]
        elif choice == 3:
            rows = [row[: self.random.randrange(1, max(2, len(row)))] + b"\n" for row in rows]
        elif choice == 4:
            rows.insert(1, b'"unclosed,' + b"z" * 10000 + b"\n")
        else:
            header = header.replace(b"NCT Number", b"Enrollment", 1)
        return Input("mutated.csv", header + b"".join(rows), "csv-columns")

    def binary_junk(self) -> Input:
        suffix = self.random.choice(
            [".json", ".xml", ".csv", ".html", ".txt", ".jsonl", ".gz", ".xz", ".bz2", ".zip", ".tgz", ".tar"]
        )
        data = self.random.randbytes(self.random.randint(16, 20000))
        if self.random.random() < 0.3:
            data = self.random.choice([b"{", b"[", b"<clinical_study>", b"PK\x03\x04", b"\x1f\x8b"]) + data
        return Input(f"junk{suffix}", data, "binary-junk", must_fail=True)

    def broken_compression(self) -> Input:
        payload = json.dumps(self.study()).encode() + b"\n"
        suffix = self.random.choice([".jsonl.gz", ".jsonl.xz", ".jsonl.bz2", ".tgz", ".zip", ".xml.gz"])
        if suffix == ".xml.gz":
            payload = self._rehome(self.random.choice(self.samples.xml))
        packed = _pack(suffix, payload)
        cut = bytearray(packed)
        if self.random.random() < 0.5:
            cut = cut[: self.random.randrange(10, max(11, len(cut) - 8))]
        else:
            for _ in range(self.random.randint(3, 30)):
                index = self.random.randrange(min(len(cut), 40), len(cut))
                cut[index] ^= 0xFF
        return Input(f"broken{suffix}", bytes(cut), "broken-compression", must_fail=True)

    def bomb(self) -> Input:
        suffix = self.random.choice(
            [".json.gz", ".jsonl.gz", ".xml.gz", ".zip", ".tgz", ".json.xz", ".json.bz2"]
        )
        filler = self.random.choice([b" ", b"0", b"x"])
        if suffix in (".zip", ".tgz"):
            body = b'{"protocolSection": {"x": "' + filler * BOMB_BYTES + b'"}}'
        elif suffix == ".xml.gz":
            body = b"<clinical_study><brief_title>" + filler * BOMB_BYTES + b"</brief_title></clinical_study>"
        elif suffix == ".jsonl.gz":
            body = b'{"protocolSection": {"x": "' + filler * BOMB_BYTES + b'"}}\n'
        else:
            body = b'{"protocolSection": ' + b" " * BOMB_BYTES + b"{}}"
        return Input(f"bomb{suffix}", _pack(suffix, body), "bomb", must_fail=True)

    def archive_members(self) -> Input:
        """An archive with one good record and members that hide, escape or link: the good record
        lands, each of the others is one error."""
        good = self.good_study()
        hostile = self.random.sample(
            [
                ".hidden.json",
                "dir\\evil.json",
                "../escape.json",
                "/abs/x.json",
                "a/../../up.json",
                "a/.git/x.json",
            ],
            k=2,
        )
        payload = json.dumps(self.study()).encode()
        buffer = io.BytesIO()
        if self.random.random() < 0.5:
            with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
                _add_tar(archive, f"ok/{good.name}", good.data)
                for name in hostile:
                    _add_tar(archive, name, payload)
                link = tarfile.TarInfo("link.json")
                link.type = self.random.choice([tarfile.SYMTYPE, tarfile.LNKTYPE])
                link.linkname = "../../etc/passwd"
                archive.addfile(link)
            name = "members.tgz"
        else:
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr(f"ok/{good.name}", good.data)
                for member in hostile:
                    archive.writestr(zipfile.ZipInfo(member), payload)
                link = zipfile.ZipInfo("link.json")
                link.external_attr = 0o120777 << 16
                archive.writestr(link, b"../../etc/passwd")
            name = "members.zip"
        return Input(name, buffer.getvalue(), "archive-members", must_fail=True, good_ids=good.good_ids)

    def page_deep(self) -> Input:
        depth = self.random.choice(self.page_depths)
        tag = self.random.choice([b"div", b"span", b"td", b"li"])
        page = self.random.choice(self.samples.pages) if self.samples.pages else b"NCT90000001 Title"
        body = self._rehome(page).replace(b"\n", b"<br>\n")
        opening, closing = b"<" + tag + b">", b"</" + tag + b">"
        html = b"<html><body>" + opening * depth + body + closing * depth + b"</body></html>"
        return Input("deep.html", html, "page-deep")

    def jsonl_mutation(self) -> Input:
        lines = [json.dumps(self._mutate(self.study(), self.random.randint(0, 3))) for _ in range(3)]
        if self.random.random() < 0.5:
            lines.insert(1, self.random.choice(["{", "[1,2]", '"text"', "null", "\x00\x01", "{}" * 3]))
        return Input("mutated.jsonl", ("\n".join(lines) + "\n").encode(), "jsonl-mutation")

    def nesting(self) -> Input:
        """A record inside compressed files and archives nested past any real input's depth."""
        data, name = json.dumps(self.study()).encode(), "deep.json"
        for _ in range(self.random.randint(12, 40)):
            if self.random.random() < 0.7:
                data, name = gzip.compress(data, compresslevel=1), name + ".gz"
            else:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w") as archive:
                    archive.writestr(name, data)
                data, name = buffer.getvalue(), "nested.zip"
        return Input(name[-120:] if len(name) > 120 else name, data, "nesting", must_fail=True)


def _head_lines(path: Path, count: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:count])


def _nested_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _pack(suffix: str, payload: bytes) -> bytes:
    if suffix.endswith(".gz") and not suffix.endswith(".tar.gz"):
        return gzip.compress(payload, compresslevel=6)
    if suffix.endswith(".xz"):
        return lzma.compress(payload, preset=0)
    if suffix.endswith(".bz2"):
        return bz2.compress(payload, 1)
    buffer = io.BytesIO()
    if suffix == ".zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("member.json", payload)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            _add_tar(archive, "member.json", payload)
    return buffer.getvalue()


def _add_tar(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


# What a reason must not be: a bare Python message that names neither field nor cause.
OPAQUE_REASON = re.compile(r"^(?:\w+Error: )?'?\w+'? object (?:has no attribute|is not)|Traceback")
