"""The cross-mention benchmark: which pairs it finds, the scratch copy without NCT numbers, the halves
and the measures; and the committed pair ids stay those the fixed rule gives."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from trialatlas.eval.crossmention import (
    SEALED,
    TUNING,
    MentionPair,
    is_even,
    mentioned_ids,
    score_pairs,
    scratch_copy,
    split_of,
    strip_references,
    stripped,
)
from trialatlas.model import RelatedTrial, Trial
from trialatlas.sources.reading import read_paths
from trialatlas.store import MemoryStore
from trialatlas.text.words import tokens

PAIRS_FILE = Path(__file__).resolve().parents[1] / "bench" / "related_pairs.tsv"
ANY_NCT = re.compile(r"NCT\s?\d{8}", re.IGNORECASE)


@pytest.fixture(scope="module")
def target_records(target_trials: Path) -> list[Trial]:
    records = [r for r in read_paths([target_trials]) if isinstance(r, Trial)]
    return sorted(records, key=lambda t: t.key, reverse=True)  # NCT04048161 first


def _with_text(trial: Trial, description: str) -> Trial:
    copy = trial.model_copy(deep=True)
    copy.detailed_description = description
    return copy


def test_mentions_are_found_in_any_text_but_not_the_trials_own_ids(target_records: list[Trial]) -> None:
    trial = _with_text(
        target_records[0],
        "Patients who completed study NCT00371319 or nct 00876616 may enter; "
        f"see also {target_records[0].nct_id}.",
    )
    trial.eligibility.criteria_text = "Participated in NCT03200002."
    trial.nct_id_aliases = ["NCT01111110"]
    trial.brief_summary = "An extension (formerly NCT01111110)."
    assert mentioned_ids(trial) == {"NCT00371319", "NCT00876616", "NCT03200002"}


def test_stripped_copy_names_no_nct_number_anywhere(target_records: list[Trial]) -> None:
    trial = _with_text(target_records[1], "Follow-up of NCT00371319 (NCT 00876616).")
    trial.related_trials = [RelatedTrial(nct_id="NCT00371319", relation="See also")]
    clean = stripped(trial)
    assert clean.nct_id == trial.nct_id
    assert clean.related_trials == []
    dumped = clean.model_dump_json(exclude={"nct_id", "sources", "field_sources"})
    assert ANY_NCT.search(dumped) is None
    # Everything else is kept.
    assert clean.brief_title == trial.brief_title
    assert clean.conditions == trial.conditions
    assert "Follow-up of" in (clean.detailed_description or "")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "For more information, please see http://clinicaltrials. gov/show/NCT00000374. Aripiprazole in",
            "For more information, please see Aripiprazole in",
        ),
        (
            "the SEHER trial (ClinicalTrials.\n\ngov ID: NCT02484014), a clustered trial",
            "the SEHER trial ), a clustered trial",
        ),
        (
            "(see http://www.\n\nclinicaltrials.\n\ngov.\n\n Identifier: NCT00942590) SWABIMS evaluated",
            "(see ) SWABIMS evaluated",
        ),
        (
            "see https://www.clinicaltrials.gov/ct2/show/study/NCT01234568?term=abc&rank=1 for details",
            "see for details",
        ),
        (
            "both registered at ClinicalTrials. gov, identifiers NCT00266486 and NCT00354080, respectively",
            "both registered and , respectively",
        ),
        (
            "Patients who completed study NCT00371318 or NCT 0087662 (NCT# pending) may enter",
            "Patients who completed study or ( # pending) may enter",
        ),
        ("No reference here: the WASH Benefits trial at www.washbenefits.net", None),
    ],
)
def test_a_reference_to_a_registered_trial_is_stripped_whole(text: str, kept: str | None) -> None:
    """The words of a registry link ("http", "clinicaltrials", "gov", "show", "identifier") go with its
    id: only two texts that link to the registry would share them."""
    clean = strip_references(text)
    assert tokens(clean) == tokens(kept if kept is not None else text)
    assert (
        not {"nct", "http", "https", "www", "gov", "clinicaltrials", "show", "identifier"}
        & set(tokens(clean))
        or kept is None
    )


def test_scratch_copy_finds_even_queries_with_stored_partners(target_records: list[Trial]) -> None:
    by_id = {t.nct_id: t for t in target_records}
    # NCT04048161 ends in 1 (odd): never a query; NCT03580291 too. NCT00876616 ends in 6: a query.
    records = [
        _with_text(by_id["NCT00876616"], "Extension of NCT00371319; compare NCT99999998 (not stored)."),
        _with_text(by_id["NCT04048161"], "Patients from NCT00371319."),
        by_id["NCT00371319"],
        by_id["NCT03580291"],
    ]
    records[3] = records[3].model_copy(
        update={"related_trials": [RelatedTrial(nct_id="NCT00371319", relation="See also")]}
    )
    with MemoryStore() as scratch:
        benchmark = scratch_copy(records, scratch)
        assert benchmark.pairs == [MentionPair("NCT00876616", "NCT00371319")]
        assert benchmark.listed == {"NCT03580291": ["NCT00371319"]}
        for trial in scratch.iter_trials():
            text = trial.model_dump_json(exclude={"nct_id", "sources", "field_sources"})
            assert ANY_NCT.search(text) is None


def test_halves_are_fixed_and_balanced() -> None:
    ids = [f"NCT{number:08d}" for number in range(1000, 3000, 2)]
    halves = [split_of(nct) for nct in ids]
    assert halves == [split_of(nct) for nct in ids]
    assert 0.4 < halves.count(TUNING) / len(halves) < 0.6
    assert set(halves) == {TUNING, SEALED}


def test_committed_pairs_are_even_and_split_by_the_rule() -> None:
    with PAIRS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) >= 100
    assert set(rows[0]) == {"query", "partner", "half"}
    for row in rows:
        assert is_even(row["query"]) and row["query"] != row["partner"]
        assert row["half"] == split_of(row["query"])


def test_score_pairs_per_half() -> None:
    tuning = next(f"NCT{n:08d}" for n in range(2, 200, 2) if split_of(f"NCT{n:08d}") == TUNING)
    sealed = next(f"NCT{n:08d}" for n in range(2, 200, 2) if split_of(f"NCT{n:08d}") == SEALED)
    pairs = [MentionPair(tuning, "P1"), MentionPair(sealed, "P2")]
    rankings = {
        "trialatlas": {tuning: ["X", "P1"], sealed: ["P2"]},
        "bm25": {tuning: ["P1"], sealed: ["X"] * 10 + ["P2"]},
    }
    scores = score_pairs(pairs, rankings)
    assert scores[TUNING].systems["trialatlas"]["recall@10"] == 1.0
    assert scores[TUNING].systems["trialatlas"]["MRR@10"] == 0.5
    assert scores[TUNING].systems["bm25"]["MRR@10"] == 1.0
    assert scores[SEALED].systems["bm25"]["recall@10"] == 0.0
    assert scores["all"].pairs == 2
    assert scores["all"].recall_gap.mean == pytest.approx(0.5)


@pytest.mark.slow
def test_eval_related_command_on_a_small_store(target_trials: Path, v2_jsonl: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trialatlas.cli import app, commands
    from trialatlas.services.ingest import ingest
    from trialatlas.store import SqliteStore

    assert commands.related is not None  # the import registers the commands
    source = tmp_path / "source.db"
    with SqliteStore(source) as store:
        assert ingest([target_trials, v2_jsonl], store).ok
        # One sister-study mention, as an extension study would write it.
        trial = store.get("NCT00876616")
        assert trial is not None
        store.upsert_batch([_with_text(trial, "Patients who completed study NCT00371319 may enter.")])
    scratch = tmp_path / "scratch.db"
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "related", "--db", str(source), "--scratch", str(scratch), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    cross = payload["cross_mentions"]
    assert cross["pairs"] >= 1 and cross["queries"] >= 1
    every = cross["splits"]["all"]
    assert set(every["systems"]) == {"trialatlas", "bm25"}
    for figures in every["systems"].values():
        assert 0.0 <= figures["recall@10"] <= 1.0
    # The scratch store holds no NCT number in any text, and is reused the second time.
    with SqliteStore(scratch) as copied:
        for copy in copied.iter_trials():
            assert (
                ANY_NCT.search(copy.model_dump_json(exclude={"nct_id", "sources", "field_sources"})) is None
            )
    again = runner.invoke(app, ["eval", "related", "--db", str(source), "--scratch", str(scratch), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout.strip().splitlines()[-1])["cross_mentions"] == cross | {
        "seconds": json.loads(again.stdout.strip().splitlines()[-1])["cross_mentions"]["seconds"]
    }
