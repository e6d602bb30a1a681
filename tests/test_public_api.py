"""The public surface: ``import trialatlas`` gives the documented API, sorted, each name real."""

from __future__ import annotations

from pathlib import Path

import pytest

import trialatlas
from trialatlas.errors import TrialAtlasError


def test_all_is_sorted_and_resolvable() -> None:
    assert trialatlas.__all__ == sorted(trialatlas.__all__)
    for name in trialatlas.__all__:
        assert getattr(trialatlas, name) is not None, name


def test_every_error_is_in_the_one_tree() -> None:
    names = [n for n in trialatlas.__all__ if n.endswith("Error") and n != "RecordError"]
    errors = [getattr(trialatlas, n) for n in names]
    assert errors and all(issubclass(e, TrialAtlasError) for e in errors)


def test_python_functions_do_what_the_cli_does(target_trials: Path, tmp_path: Path) -> None:
    store = trialatlas.open_store(str(tmp_path / "atlas.db"))
    try:
        report = trialatlas.ingest([target_trials], store)
        assert (report.read, report.new, report.failed) == (5, 5, 0)
        trial = store.get("NCT04048161")
        assert trial is not None and trial.acronym == "STAMP"
        results = trialatlas.search(store, "tacrolimus nephrotic")
        assert "NCT04048161" in [hit.trial.nct_id for hit in results.hits]
        study = trialatlas.trial_to_study(trial)
        assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT04048161"
        stats = trialatlas.store_stats(store)
        assert stats.trials == 5
    finally:
        store.close()


def test_the_atlas_answers_with_the_interfaces_documents(target_trials: Path, tmp_path: Path) -> None:
    with trialatlas.open_atlas(str(tmp_path / "atlas.db")) as atlas:
        ingested = atlas.ingest([target_trials])
        assert isinstance(ingested, trialatlas.IngestResponse) and (ingested.new, ingested.failed) == (5, 0)
        found = atlas.search({"q": "tacrolimus nephrotic", "phase": "4"})
        assert [hit.trial.key for hit in found.hits] == ["NCT04048161"]
        answer = atlas.match(
            {"note": "A 9-year-old boy with steroid-dependent nephrotic syndrome.", "top": 3}
        )
        assert isinstance(answer, trialatlas.MatchResponse) and answer.trials
        assert answer.trials[0].nct_id == "NCT04048161"
        with pytest.raises(trialatlas.QueryError, match="top"):
            atlas.match({"note": "x", "top": 0})


def test_a_misspelt_search_field_is_an_error_not_ignored(tmp_path: Path) -> None:
    with (
        trialatlas.open_atlas(str(tmp_path / "atlas.db")) as atlas,
        pytest.raises(trialatlas.QueryError, match="'phse'"),
    ):
        atlas.search({"q": "lupus", "phse": "2"})


def test_search_values_of_the_wrong_type_are_refused_not_dropped(tmp_path: Path) -> None:
    with trialatlas.open_atlas(str(tmp_path / "atlas.db")) as atlas:
        request = trialatlas.SearchRequest(phase=["2,3", " "], country=["Korea, Republic of"])
        assert (request.phase, request.country) == (["2", "3"], ["Korea, Republic of"])
        with pytest.raises(trialatlas.QueryError, match="phase"):
            atlas.search({"phase": [2, 3]})
