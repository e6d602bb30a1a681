"""The trial-descriptions dump reader: the shared dump, detection, and bad lines."""

from __future__ import annotations

import gzip
import itertools
import json
import lzma
from pathlib import Path

import orjson
import pytest

from trialatlas.model import SourceFormat, Trial
from trialatlas.model.merge import merge_trials
from trialatlas.sources import RecordError, detect_reader, get_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.reading import read_blob

FIRST_LINES = 2000


@pytest.fixture(scope="module")
def part1(shared_data: Path) -> Path:
    return shared_data / "ctgov_trial_descriptions_100k" / "trial_descriptions.part1.jsonl.xz"


@pytest.fixture(scope="module")
def first_lines(part1: Path) -> list[Trial | RecordError]:
    # read_path is lazy: taking the first lines decompresses only the start of the file.
    return list(itertools.islice(read_path(part1), FIRST_LINES))


def test_first_lines_of_the_dump(first_lines: list[Trial | RecordError], part1: Path) -> None:
    trials = [r for r in first_lines if isinstance(r, Trial)]
    assert len(trials) == FIRST_LINES
    assert len({t.nct_id for t in trials}) == FIRST_LINES
    # Counted independently of the reader: 31 of the first 2,000 records have no description.
    assert sum(t.detailed_description is None for t in trials) == 31
    assert all(t.brief_title and t.brief_summary for t in trials)

    first = trials[0]
    assert first.nct_id == "NCT00000116"
    assert first.brief_title == "Randomized Trial for Retinitis Pigmentosa"
    assert first.brief_summary is not None and first.brief_summary.startswith(
        "The purpose of this trial is to determine whether a nutritional supplement in addition to vitamin A"
    )
    assert first.detailed_description is not None
    assert first.detailed_description.startswith("Retinitis pigmentosa (RP) is a group of inherited retinal")
    assert len(first.detailed_description) == 1326
    assert first.is_partial
    # Everything else stays empty: the dump is text only.
    assert first.filled_fields() == ["brief_title", "brief_summary", "detailed_description"]

    (source,) = first.sources
    blob_name = str(part1)  # the file as it is on disk, its .xz suffix included
    assert source.format is SourceFormat.DESCRIPTIONS_JSONL
    assert source.partial
    assert source.id == f"ctgov-descriptions:{blob_name}#NCT00000116"
    assert source.location == f"{blob_name}#line 1"
    assert source.unread_fields == ["quint"]
    assert source.raw is not None and json.loads(source.raw)["nct_id"] == "NCT00000116"
    assert first.field_sources["brief_summary"] == source.id

    no_description = next(t for t in trials if t.nct_id == "NCT00111189")
    assert no_description.sources[0].location.endswith("#line 228")
    assert no_description.detailed_description is None
    assert no_description.brief_title is not None and no_description.brief_title.startswith(
        "A Study of the Efficacy (Effectiveness) of Paliperidone Palmitate"
    )


@pytest.mark.slow
def test_whole_dump(shared_data: Path) -> None:
    count = errors = empty = 0
    aura: Trial | None = None
    for result in read_path(shared_data / "ctgov_trial_descriptions_100k"):
        if isinstance(result, RecordError):
            errors += 1
            continue
        count += 1
        empty += result.detailed_description is None
        if result.nct_id == "NCT02141672":
            aura = result
    assert (count, errors, empty) == (101_016, 0, 2_313)  # the counts SOURCE.md gives
    assert aura is not None
    assert aura.brief_title == (
        "AURA-LV: Aurinia Urinary Protein Reduction Active - Lupus With Voclosporin (AURA-LV)"
    )
    assert aura.detailed_description is not None and aura.detailed_description.startswith("Voclosporin is a")
    assert aura.sources[0].location.endswith("trial_descriptions.part1.jsonl.xz#line 22696")


def test_sniffing_claims_the_dump_only(part1: Path, v2_jsonl: Path, shared_data: Path) -> None:
    reader = get_reader("ctgov-descriptions")
    with lzma.open(part1) as handle:
        head = handle.read(8192)
    assert reader.sniff(head, "trial_descriptions.part1.jsonl") >= 0.9
    # A first line longer than the sniffed bytes is judged by its start.
    long_line = orjson.dumps({"nct_id": "NCT00000102", "title": "T", "description": "x" * 20000}) + b"\n"
    assert reader.sniff(long_line[:8192], "d.jsonl") >= 0.9
    found, _ = detect_reader(Blob.from_bytes("d.jsonl", long_line))
    assert found is reader

    with gzip.open(v2_jsonl) as handle:
        v2_head = handle.read(8192)
    assert reader.sniff(v2_head, "studies.jsonl") == 0.0
    # An API v2 study that happens to carry the dump's keys somewhere is still not claimed.
    v2_like = orjson.dumps({"protocolSection": {}, "nct_id": "NCT00000102", "description": "d"}) + b"\n"
    assert reader.sniff(v2_like, "x.jsonl") == 0.0
    assert reader.sniff(v2_like * 400, "x.jsonl") == 0.0
    trialgpt = (shared_data / "trialgpt_benchmarks" / "corpus_format_sample" / "corpus.jsonl").read_bytes()
    assert reader.sniff(trialgpt[:8192], "corpus.jsonl") == 0.0
    assert reader.sniff(b"NCT Number,Title\n", "x.csv") == 0.0


def test_bad_lines_are_reported_and_good_lines_land() -> None:
    good = {"nct_id": "NCT00000102", "title": "Good", "description": "", "brief_summary": "S", "quint": "1"}
    lines = [
        orjson.dumps(good),
        b'{"nct_id": "NCT00000103", "title": "cut off',
        b"[1, 2]",
        orjson.dumps({"title": "no id", "description": "d"}),
        orjson.dumps({"nct_id": "NCT123", "description": "d"}),
        orjson.dumps({"nct_id": "NCT00000104", "other": "no text keys"}),
        orjson.dumps({"nct_id": "NCT00000105", "description": ["not", "text"]}),
        b"",
        b"\xff\xfe not utf-8",
        orjson.dumps({"nct_id": "nct00000106", "brief_summary": "Only a summary", "extra": 1}),
    ]
    data = b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n"
    results = list(read_blob(Blob.from_bytes("dump.jsonl", data), "ctgov-descriptions"))
    trials = {r.nct_id or "": r for r in results if isinstance(r, Trial)}
    errors = [r for r in results if isinstance(r, RecordError)]
    assert sorted(trials) == ["NCT00000102", "NCT00000106"]
    assert [e.location for e in errors] == [f"dump.jsonl#line {n}" for n in (2, 3, 4, 5, 6, 7, 9)]
    assert "not a JSON line" in errors[0].reason
    assert "no nct_id" in errors[2].reason and "invalid nct_id" in errors[3].reason
    assert "text" in errors[5].reason

    first = trials["NCT00000102"]
    assert (first.brief_title, first.brief_summary, first.detailed_description) == ("Good", "S", None)
    assert first.sources[0].raw == orjson.dumps(good).decode()  # no BOM, no line end
    last = trials["NCT00000106"]
    assert last.brief_title is None and last.brief_summary == "Only a summary"
    assert last.sources[0].unread_fields == ["extra"]
    assert last.sources[0].location == "dump.jsonl#line 10"


def test_descriptions_fill_gaps_of_a_full_record_but_never_replace_it() -> None:
    full = Trial(nct_id="NCT00000102", brief_title="Registry title", brief_summary="Registry summary")
    line = orjson.dumps({"nct_id": "NCT00000102", "title": "Dump title", "description": "Long text"})
    (partial,) = list(read_blob(Blob.from_bytes("d.jsonl", line), "ctgov-descriptions"))
    assert isinstance(partial, Trial)
    merged = merge_trials(full, partial)
    assert (merged.brief_title, merged.brief_summary) == ("Registry title", "Registry summary")
    assert merged.detailed_description == "Long text"
