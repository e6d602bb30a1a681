"""The TrialGPT corpus reader (``corpus.jsonl``) and the TREC topic XML loader."""

from __future__ import annotations

import gzip
import json
import lzma
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

import trialatlas
from trialatlas.eval.trec import Topic, load_topics, load_topics_xml
from trialatlas.model import Phase, SourceFormat, Trial
from trialatlas.model.merge import merge_trials
from trialatlas.sources import RecordError, detect_reader, get_reader, read_path
from trialatlas.sources.base import Blob
from trialatlas.sources.reading import read_blob
from trialatlas.sources.trialgpt import criteria_from_halves
from trialatlas.store import SqliteStore

READER = "trialgpt-corpus"


def _line(nct_id: str, **metadata: Any) -> dict[str, Any]:
    """A corpus line as TrialGPT writes it: ``text`` repeats the metadata."""
    meta: dict[str, Any] = {
        "brief_title": f"Title of {nct_id}",
        "phase": "",
        "drugs": "[]",
        "drugs_list": [],
        "diseases": "[]",
        "diseases_list": [],
        "enrollment": "",
        "inclusion_criteria": "inclusion criteria: \n\n Adults \n\n ",
        "exclusion_criteria": ": \n\n Pregnancy \n\n ",
        "brief_summary": f"Summary of {nct_id}.",
    }
    meta.update(metadata)
    text = (
        f"Summary: {meta['brief_summary']}\nInclusion criteria: {meta['inclusion_criteria']}"
        f"\nExclusion criteria: {meta['exclusion_criteria']}"
    )
    return {"_id": nct_id, "title": meta["brief_title"], "text": text, "metadata": meta}


FULL = _line(
    "NCT01000001",
    brief_title="Drug A in Knee Osteoarthritis",
    phase="Phase 1/Phase 2",
    drugs="['Drug A', 'Placebo']",
    drugs_list=["Drug A", "Placebo"],
    diseases="['Osteoarthritis, Knee']",
    diseases_list=["Osteoarthritis, Knee"],
    enrollment="120.0",
    inclusion_criteria="inclusion criteria: \n\n Age 40 to 75 years \n\n Knee pain for 6 months \n\n ",
    exclusion_criteria=": \n\n Knee replacement \n\n Pregnant or nursing \n\n ",
    brief_summary="To test Drug A.",
)
# Lists only as Python reprs (quotes of both kinds), a blank enrollment pandas wrote as "nan", N/A
# phase, and keys the reader does not know.
REPR_ONLY = _line(
    "NCT01000002",
    phase="N/A",
    drugs="['Aspirin', \"Tylenol's\"]",
    diseases="['Stroke', 'Cerebral Infarction']",
    enrollment="nan",
    score=0.5,
)
del REPR_ONLY["metadata"]["drugs_list"], REPR_ONLY["metadata"]["diseases_list"]
REPR_ONLY["rank"] = 3
# No metadata: everything comes from ``text``.
TEXT_ONLY = {
    "_id": "NCT01000003",
    "title": "Text only",
    "text": "Summary: A short summary.\nInclusion criteria: inclusion criteria: \n\n Adults \n\n "
    "\nExclusion criteria: : \n\n Children \n\n ",
}
# Code in a list repr is never run (``eval`` would give a list of one name): the field is unread.
HOSTILE = _line("NCT01000004", drugs="[__import__('os').getcwd()]", enrollment="lots")
del HOSTILE["metadata"]["drugs_list"]

CORPUS_LINES = [
    orjson.dumps(FULL),
    orjson.dumps(REPR_ONLY),
    b'{"_id": "NCT01000005", "title": "cut off',
    b"",
    orjson.dumps({"_id": "trec-20211", "text": "a patient, not a trial"}),
    orjson.dumps(TEXT_ONLY),
    b"[1, 2]",
    orjson.dumps(HOSTILE),
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b"\n".join(CORPUS_LINES) + b"\n")
    return path


def _split(results: list[Trial | RecordError]) -> tuple[dict[str, Trial], list[RecordError]]:
    trials = {r.nct_id or "": r for r in results if isinstance(r, Trial)}
    return trials, [r for r in results if isinstance(r, RecordError)]


def test_fields_map_onto_the_model(corpus: Path) -> None:
    trials, _ = _split(list(read_path(corpus)))
    trial = trials["NCT01000001"]
    assert trial.brief_title == "Drug A in Knee Osteoarthritis"
    assert trial.brief_summary == "To test Drug A."
    assert trial.conditions == ["Osteoarthritis, Knee"]
    assert [i.name for i in trial.interventions] == ["Drug A", "Placebo"]
    assert all(i.type is None for i in trial.interventions)  # TrialGPT's "drugs" are any intervention
    assert trial.design.phases == [Phase.PHASE1, Phase.PHASE2]
    assert trial.design.enrollment is not None and trial.design.enrollment.count == 120
    assert trial.design.enrollment.type is None
    elig = trial.eligibility
    assert elig.criteria_text == (
        "Inclusion Criteria:\n\nAge 40 to 75 years\n\nKnee pain for 6 months"
        "\n\nExclusion Criteria:\n\nKnee replacement\n\nPregnant or nursing"
    )
    assert elig.inclusion == ["Age 40 to 75 years", "Knee pain for 6 months"]
    assert elig.exclusion == ["Knee replacement", "Pregnant or nursing"]
    # Only what the corpus has: no status, dates, sponsors or sites.
    assert trial.status.overall_status is None and not trial.locations and trial.lead_sponsor is None
    assert trial.is_partial

    (source,) = trial.sources
    assert source.partial and source.layout == READER
    assert source.format is SourceFormat.TRIALGPT_JSONL
    assert source.id == f"{READER}:{corpus}#NCT01000001"
    assert source.location == f"{corpus}#line 1"
    assert source.raw == orjson.dumps(FULL).decode()
    assert source.unread_fields == [] and source.warnings == []
    assert trial.field_sources["eligibility.criteria_text"] == source.id
    assert trial.field_sources["design.phases"] == source.id


def test_lists_given_as_python_reprs_and_unknown_keys(corpus: Path) -> None:
    trials, _ = _split(list(read_path(corpus)))
    trial = trials["NCT01000002"]
    assert [i.name for i in trial.interventions] == ["Aspirin", "Tylenol's"]
    assert trial.conditions == ["Stroke", "Cerebral Infarction"]
    assert trial.design.phases == [Phase.NA]
    assert trial.design.enrollment is None  # "nan": pandas' blank, not an error
    source = trial.sources[0]
    assert source.unread_fields == ["metadata.score", "rank"]
    assert source.warnings == []

    text_only = trials["NCT01000003"]
    assert text_only.brief_title == "Text only" and text_only.brief_summary == "A short summary."
    assert text_only.eligibility.inclusion == ["Adults"]
    assert text_only.eligibility.exclusion == ["Children"]
    assert text_only.sources[0].unread_fields == []


def test_hostile_repr_is_not_evaluated_and_reported_unread(corpus: Path) -> None:
    trials, _ = _split(list(read_path(corpus)))
    trial = trials["NCT01000004"]
    assert trial.interventions == [] and trial.design.enrollment is None
    assert trial.eligibility.exclusion == ["Pregnancy"]  # the rest of the line still reads
    source = trial.sources[0]
    assert source.unread_fields == ["metadata.drugs", "metadata.enrollment"]
    assert any(w.startswith("metadata.drugs: not a list of names") for w in source.warnings)
    assert any("'lots'" in w for w in source.warnings)


def test_bad_lines_are_reported_and_good_lines_land(corpus: Path) -> None:
    trials, errors = _split(list(read_path(corpus)))
    assert sorted(trials) == ["NCT01000001", "NCT01000002", "NCT01000003", "NCT01000004"]
    assert [e.location for e in errors] == [f"{corpus}#line {n}" for n in (3, 5, 7)]
    assert "not a JSON line" in errors[0].reason
    assert "not an NCT id" in errors[1].reason
    assert "not a JSON object" in errors[2].reason
    assert trials["NCT01000003"].sources[0].location == f"{corpus}#line 6"


def test_detected_from_content_and_read_through_compression(tmp_path: Path) -> None:
    data = b"\n".join(orjson.dumps(line) for line in (FULL, REPR_ONLY)) + b"\n"
    reader = get_reader(READER)
    found, confidence = detect_reader(Blob.from_bytes("anything.txt", data))
    assert found is reader and confidence >= 0.9
    # One line longer than the sniffed bytes (criteria run to many kilobytes) is judged by its start.
    long = _line("NCT01000009", inclusion_criteria="inclusion criteria: \n\n " + "x " * 10_000)
    long_data = orjson.dumps(long) + b"\n"
    assert len(long_data) > 8192
    assert detect_reader(Blob.from_bytes("c.jsonl", long_data))[0] is reader

    packed = tmp_path / "corpus.jsonl.gz"
    packed.write_bytes(gzip.compress(data))
    trials, errors = _split(list(read_path(packed)))
    assert sorted(trials) == ["NCT01000001", "NCT01000002"] and not errors
    assert trials["NCT01000001"].sources[0].location == f"{packed}#line 1"  # named as on disk


def test_other_jsonl_formats_are_not_claimed(shared_data: Path, v2_jsonl: Path) -> None:
    reader = get_reader(READER)
    with gzip.open(v2_jsonl) as handle:
        v2_head = handle.read(8192)
    part1 = shared_data / "ctgov_trial_descriptions_100k" / "trial_descriptions.part1.jsonl.xz"
    with lzma.open(part1) as handle:
        dump_head = handle.read(8192)
    queries = (shared_data / "trialgpt_benchmarks" / "trec_2021" / "queries.jsonl").read_bytes()[:8192]
    for head, owner in ((v2_head, "ctgov-v2-json"), (dump_head, "ctgov-descriptions"), (queries, None)):
        assert reader.sniff(head, "x.jsonl") == 0.0
        found, _ = detect_reader(Blob.from_bytes("x.jsonl", head))
        assert (found.name if found else None) == owner
    # An API v2 study carrying an "_id" is still the v2 reader's.
    v2_like = orjson.dumps({"_id": "NCT01000001", "text": "t", "protocolSection": {}}) + b"\n"
    assert reader.sniff(v2_like, "x.jsonl") == 0.0 and reader.sniff(v2_like[:40], "x.jsonl") == 0.0


@pytest.mark.parametrize(
    ("inclusion", "exclusion", "expected"),
    [
        # TrialGPT cut "Key exclusion criteria" after "Key"; the qualifier is dropped with the cut.
        (
            "Key inclusion criteria: \n\n Mania \n\n Key ",
            ": \n\n Dementia \n\n ",
            "Inclusion Criteria:\n\nMania\n\nExclusion Criteria:\n\nDementia",
        ),
        # A qualified exclusion heading reads as the registry wrote it.
        (
            "ELIGIBILITY CRITERIA: \n\n Adults \n\n ",
            " FOR PATIENTS WITH PAH: \n\n Pregnancy \n\n ",
            "ELIGIBILITY CRITERIA:\n\nAdults\n\nExclusion Criteria FOR PATIENTS WITH PAH:\n\nPregnancy",
        ),
        # A heading without its colon, and an exclusion half starting on a new line.
        (
            "inclusion criteria \n\n People may join if they: \n\n Are adults \n\n ",
            " \n\n People may not join if they: \n\n Are pregnant",
            "Inclusion Criteria:\n\nPeople may join if they:\n\nAre adults"
            "\n\nExclusion Criteria:\n\nPeople may not join if they:\n\nAre pregnant",
        ),
        # No heading before the cut: it was the inclusion half all the same.
        ("Adults ", ": Children", "Inclusion Criteria:\n\nAdults\n\nExclusion Criteria: Children"),
        # No exclusion half: the whole text, as written (it may hold exclusions TrialGPT did not cut).
        ("Adults. No children.", "", "Adults. No children."),
        ("", "", None),
    ],
)
def test_criteria_halves_become_one_headed_text(inclusion: str, exclusion: str, expected: str | None) -> None:
    assert criteria_from_halves(inclusion, exclusion) == expected


def test_shared_sample_reads_whole(shared_data: Path) -> None:
    path = shared_data / "trialgpt_benchmarks" / "corpus_format_sample" / "corpus.jsonl"
    trials, errors = _split(list(read_path(path)))
    assert not errors and len(trials) == 50
    assert all(t.is_partial and t.brief_title and t.brief_summary for t in trials.values())
    # Counted from the file independently of the reader.
    assert sum(bool(t.eligibility.criteria_text and t.eligibility.inclusion) for t in trials.values()) == 50
    assert sum(bool(t.eligibility.exclusion) for t in trials.values()) == 49  # one has no exclusion half
    assert sum(bool(t.interventions) for t in trials.values()) == 38
    assert sum(bool(t.conditions) for t in trials.values()) == 50
    assert sum(t.design.enrollment is not None for t in trials.values()) == 49
    phases = Counter("|".join(p.value for p in t.design.phases) for t in trials.values())
    assert phases == {
        "": 26,
        "PHASE4": 8,
        "PHASE3": 6,
        "PHASE2": 5,
        "PHASE1": 3,
        "PHASE1|PHASE2": 1,
        "PHASE2|PHASE3": 1,
    }
    assert all(not t.sources[0].unread_fields and not t.sources[0].warnings for t in trials.values())

    first = trials["NCT00995306"]
    assert first.design.enrollment is not None and first.design.enrollment.count == 695
    assert [i.name for i in first.interventions] == ["Civamide (Zucapsaicin)"]
    assert first.eligibility.criteria_text is not None
    assert first.eligibility.criteria_text.startswith("Inclusion Criteria:\n\nSubject voluntarily agrees")
    assert len(first.eligibility.inclusion) == 11 and len(first.eligibility.exclusion) == 16
    qualified = trials["NCT00098072"].eligibility
    # "Exclusion criteria:  FOR PATIENTS WITH PULMONARY ARTERIAL HYPERTENSION:": whom they exclude stays.
    assert qualified.exclusion[0].startswith(
        "FOR PATIENTS WITH PULMONARY ARTERIAL HYPERTENSION: Pregnant women"
    )
    raw = json.loads(first.sources[0].raw or "")
    assert raw["_id"] == "NCT00995306"


def _v2_study(nct_id: str) -> dict[str, Any]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": "Registry title"},
            "statusModule": {
                "overallStatus": "COMPLETED",
                "lastUpdatePostDate": {"date": "2015-01-01"},
                "startDate": {"date": "2010-03"},
            },
            "designModule": {"phases": ["PHASE2"]},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Sponsor Inc"}},
        }
    }


def test_ingest_into_sqlite_and_merge_with_a_full_record(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    # The command line, as users run it: the bad lines are reported, the good ones land.
    command = ["ingest", "--db", str(db), "--json", "--keep-going", str(corpus)]
    result = subprocess.run(
        [sys.executable, "-m", "trialatlas", *command],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    summary = orjson.loads(result.stdout)
    assert (summary["read"], summary["new"], summary["failed"]) == (4, 4, 3)
    assert [e["location"] for e in summary["errors"]] == [f"{corpus}#line {n}" for n in (3, 5, 7)]

    full = tmp_path / "NCT01000001.json"
    full.write_bytes(orjson.dumps(_v2_study("NCT01000001")))
    store = SqliteStore(db)
    try:
        report = trialatlas.ingest([full], store)
        assert (report.read, report.updated, report.failed) == (1, 1, 0)
        merged = store.get("NCT01000001")
        assert merged is not None and not merged.is_partial
        # The registry record wins where both speak; the corpus fills what the registry left out.
        assert merged.brief_title == "Registry title"
        assert merged.design.phases == [Phase.PHASE2]
        assert merged.status.overall_status is not None and merged.lead_sponsor is not None
        assert merged.eligibility.exclusion == ["Knee replacement", "Pregnant or nursing"]
        assert merged.conditions == ["Osteoarthritis, Knee"]
        assert merged.design.enrollment is not None and merged.design.enrollment.count == 120
        assert sorted(s.id.split(":", 1)[0] for s in merged.sources) == ["ctgov-v2", READER]
        corpus_id = next(s.id for s in merged.sources if s.layout == READER)
        assert merged.field_sources["eligibility.criteria_text"] == corpus_id
        assert merged.field_sources["brief_title"] != corpus_id
        # Reading the corpus again changes nothing: the full record keeps its fields.
        again = trialatlas.ingest([corpus], store)
        assert again.new == 0 and again.failed == 3
        after = store.get("NCT01000001")
        assert after is not None and after.brief_title == "Registry title"
    finally:
        store.close()

    # The same rules in memory, whichever record comes first.
    (partial,) = [r for r in read_blob(Blob.from_bytes("c.jsonl", orjson.dumps(FULL)), READER)]
    assert isinstance(partial, Trial)
    registry = Trial(nct_id="NCT01000001", brief_title="Registry title", brief_summary="Registry summary")
    for merged_trial in (merge_trials(registry, partial), merge_trials(partial, registry)):
        assert merged_trial.brief_summary == "Registry summary"
        assert merged_trial.eligibility.inclusion == ["Age 40 to 75 years", "Knee pain for 6 months"]


TOPICS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<topics task="{task}">
<topic number="1">
A 45-year-old man with a long history that the file wraps
    onto an indented line.
A second line the author wrote.
</topic>
<topic number="2">58 F with asthma &amp; COPD.</topic>
</topics>
"""


def test_load_topics_xml(tmp_path: Path) -> None:
    path = tmp_path / "topics.xml"
    path.write_text(TOPICS_XML.format(task="2021 TREC Clinical Trials"), encoding="utf-8")
    assert load_topics_xml(path) == [
        Topic(
            "trec-20211",
            "A 45-year-old man with a long history that the file wraps onto an indented line.\n"
            "A second line the author wrote.",
        ),
        Topic("trec-20212", "58 F with asthma & COPD."),
    ]
    # load_topics (what eval trec calls) tells the XML from queries.jsonl by its content.
    assert load_topics(path) == load_topics_xml(path)
    path.write_text(TOPICS_XML.format(task="2022 TREC Clinical Trials"), encoding="utf-8")
    assert [t.id for t in load_topics_xml(path)] == ["trec-20221", "trec-20222"]
    path.write_text(TOPICS_XML.format(task="Clinical Trials"), encoding="utf-8")
    assert [t.id for t in load_topics_xml(path)] == ["1", "2"]


def test_load_topics_xml_rejects_bad_files_and_never_expands_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE topics [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<topics task="2021"><topic number="1">Patient &x; text</topic></topics>\n',
        encoding="utf-8",
    )
    (topic,) = load_topics_xml(hostile)
    assert "SECRET" not in topic.text and topic.id == "trec-20211"

    broken = tmp_path / "broken.xml"
    broken.write_text('<topics task="2021"><topic number="1">cut', encoding="utf-8")
    with pytest.raises(ValueError, match="not well-formed"):
        load_topics_xml(broken)
    other = tmp_path / "other.xml"
    other.write_text("<clinical_study/>", encoding="utf-8")
    with pytest.raises(ValueError, match="<topics>"):
        load_topics_xml(other)
    twice = tmp_path / "twice.xml"
    twice.write_text('<topics><topic number="1">a</topic><topic number="1">b</topic></topics>', "utf-8")
    with pytest.raises(ValueError, match="twice"):
        load_topics_xml(twice)


def test_official_2021_topics_match_trialgpt_queries(shared_data: Path) -> None:
    benchmarks = shared_data / "trialgpt_benchmarks"
    topics = load_topics_xml(benchmarks / "trec_official_topics" / "topics2021.xml")
    assert len(topics) == 75
    assert [t.id for t in topics] == [f"trec-2021{n}" for n in range(1, 76)]
    # The same ids and texts as TrialGPT's queries, so either pairs with the TREC 2021 qrels.
    assert topics == load_topics(benchmarks / "trec_2021" / "queries.jsonl")
