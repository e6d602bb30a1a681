"""Related trials over a small real store: the five target trials and the 809 API v2 studies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from trialatlas.cli import app, commands
from trialatlas.config import shared_data_dir
from trialatlas.errors import TrialAtlasError
from trialatlas.match.patient import PatientProfile
from trialatlas.model import RelatedTrial
from trialatlas.related import (
    RelatedError,
    build_index,
    index_for,
    more_like_these,
    related_report,
    related_to_patient,
    related_to_text,
    related_trials,
)
from trialatlas.related.dense import available as dense_available
from trialatlas.related.features import trial_features
from trialatlas.related.index import index_path, load_index
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore, TrialStore

LUPUS_NEPHRITIS = {"NCT00371319", "NCT00876616", "NCT03200002", "NCT03580291"}


@pytest.fixture(scope="module")
def store_path(sample_db: Path) -> Path:
    """The target trials and the API v2 sample (conftest's ``sample_db``), read only here."""
    return sample_db


@pytest.fixture
def store(store_path: Path) -> Iterator[TrialStore]:
    with SqliteStore(store_path) as opened:
        yield opened


def test_features_normalise_drugs_and_conditions(store: TrialStore) -> None:
    trial = store.get("NCT00371319")
    assert trial is not None
    features = trial_features(trial)
    drugs = features.families["drug"]
    assert "d:tacrolimus" in drugs and "d:mycophenolate mofetil" in drugs
    assert "dc:immunosuppressant" in drugs
    conditions = features.families["cond"]
    assert "cv:lupus_nephritis" in conditions
    # The vocabulary knows lupus nephritis is a form of lupus.
    assert "cb:sle" in conditions


def test_related_lupus_nephritis_trials_share_condition_and_drugs(store: TrialStore) -> None:
    results = related_trials(store, "NCT00371319", top=10)
    assert len(results) == 10
    keys = [r.nct_id for r in results]
    assert "NCT00371319" not in keys
    # The other three lupus-nephritis trials outrank the 800 unrelated v2 studies.
    assert set(keys[:3]) == LUPUS_NEPHRITIS - {"NCT00371319"}
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    for result in results:
        assert 0.0 <= result.score <= 1.0
        assert all(0.0 <= value <= 1.0 for value in result.components.values())
    first = results[0]
    assert "lupus nephritis" in first.reasons[0]
    assert any(drug in first.reasons[0] for drug in ("tacrolimus", "mycophenolate", "mycophenolic"))
    assert first.components["cond"] > 0.5 and first.components["drug"] > 0.3


def test_reasons_name_shared_design_population_and_country(store: TrialStore) -> None:
    results = {r.nct_id: r for r in related_trials(store, "NCT00371319", top=5)}
    multi_target = results["NCT00876616"]  # both Chinese, randomised, adults
    text = multi_target.why
    assert "both in China" in text
    assert "overlapping ages" in text
    assert text.startswith("both test ")


def test_an_unrelated_trial_ranks_below_related_ones(store: TrialStore) -> None:
    results = related_trials(store, "NCT00371319", top=800)
    rank = {r.nct_id: r.rank for r in results}
    upadacitinib_lupus = rank.get("NCT05843643")  # lupus, another drug
    assert upadacitinib_lupus is not None
    assert max(rank[k] for k in LUPUS_NEPHRITIS - {"NCT00371319"}) < upadacitinib_lupus
    arthritis_registry = rank.get("NCT03840928", len(results) + 1)
    assert upadacitinib_lupus < arthritis_registry


def test_unknown_trial_is_an_error(store: TrialStore) -> None:
    with pytest.raises(RelatedError):
        related_trials(store, "NCT99999999")


def test_listed_relations_are_kept_apart(target_trials: Path, v2_jsonl: Path, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "listed.db") as store:
        assert ingest([target_trials], store).ok
        trial = store.get("NCT00371319")
        assert trial is not None
        page = trial.model_copy(deep=True)
        page.related_trials = [
            RelatedTrial(nct_id="NCT00876616", relation="Related Clinical Trials"),
            RelatedTrial(nct_id="NCT01580865", title="TAC vs MMF", relation="Related Clinical Trials"),
        ]
        store.upsert_batch([page])
        report = related_report(store, "NCT00371319", top=3)
        listed = {relation.nct_id: relation for relation in report.listed}
        assert set(listed) == {"NCT00876616", "NCT01580865"}
        assert listed["NCT00876616"].in_store and listed["NCT00876616"].score is not None
        assert not listed["NCT01580865"].in_store and listed["NCT01580865"].score is None
        assert listed["NCT01580865"].title == "TAC vs MMF"
        computed = {r.nct_id: r for r in report.computed}
        assert computed["NCT00876616"].listed
        assert all(not r.listed for k, r in computed.items() if k != "NCT00876616")


def test_free_text_query(store: TrialStore) -> None:
    results = related_to_text(store, "tacrolimus and MMF induction therapy for LN", top=5)
    assert {r.nct_id for r in results[:3]} <= LUPUS_NEPHRITIS
    assert any("tacrolimus" in r.why for r in results[:3])
    with pytest.raises(RelatedError):
        related_to_text(store, "   ")


def test_patient_query(store: TrialStore) -> None:
    patient = PatientProfile.model_validate(
        {
            "age_years": 30,
            "sex": "female",
            "conditions": [{"name": "lupus nephritis"}],
            "medications": [{"name": "Prograf"}],
        }
    )
    results = related_to_patient(store, patient, top=5)
    assert results[0].nct_id in LUPUS_NEPHRITIS
    assert any("age 30 within" in reason for reason in results[0].reasons)
    child = patient.model_copy(update={"age_years": 8})
    as_adult = {r.nct_id: r for r in related_to_patient(store, patient, top=20)}
    as_child = {r.nct_id: r for r in related_to_patient(store, child, top=20)}
    # Adult-only trials lose their population agreement for a child; the paediatric one gains it.
    adult_trial = results[0].nct_id
    assert as_child[adult_trial].components["pop"] < as_adult[adult_trial].components["pop"]
    assert as_child["NCT04048161"].score > as_adult["NCT04048161"].score


def test_more_like_these(store: TrialStore) -> None:
    results = more_like_these(store, ["NCT00371319", "NCT00876616"], top=5)
    keys = [r.nct_id for r in results]
    assert "NCT00371319" not in keys and "NCT00876616" not in keys
    assert set(keys[:2]) == {"NCT03200002", "NCT03580291"}


def test_index_is_saved_reused_and_caught_up(target_trials: Path, v2_jsonl: Path, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "fresh.db") as store:
        assert ingest([v2_jsonl], store).ok
        index = index_for(store)
        path = index_path(store)
        assert path is not None and path.is_file()
        assert index.size == store.count()
        saved = load_index(path)
        assert saved is not None and saved.keys == index.keys
        for name, family in index.families.items():
            assert np.array_equal(saved.families[name].post_rows, family.post_rows)
        # New trials arrive through the change feed: the index catches up without a rebuild.
        assert ingest([target_trials], store).ok
        updated = index_for(store)
        assert updated.size == store.count()
        assert updated.row_of("NCT00371319") is not None
        keys = [r.nct_id for r in related_trials(store, "NCT00371319", top=3, index=updated)]
        assert set(keys) == LUPUS_NEPHRITIS - {"NCT00371319"}
        # A patched index ranks like a fresh build (idf aside, same features).
        fresh = build_index(store.iter_trials())
        fresh_keys = [r.nct_id for r in related_trials(store, "NCT00371319", top=3, index=fresh)]
        assert set(fresh_keys) == set(keys)
        store.delete(["NCT03200002"])
        assert index_for(store).row_of("NCT03200002") is None


def test_cli_related(store_path: Path) -> None:
    assert commands.related is not None  # the import registers the commands on the app
    runner = CliRunner()
    result = runner.invoke(app, ["related", "NCT00371319", "--db", str(store_path), "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["target"] == "NCT00371319"
    assert len(payload["computed"]) == 3
    assert payload["computed"][0]["reasons"]
    shown = runner.invoke(app, ["related", "NCT00371319", "--db", str(store_path), "--explain"])
    assert shown.exit_code == 0, shown.output
    assert "lupus nephritis" in shown.output and "cond" in shown.output
    missing = runner.invoke(app, ["related", "NCT99999999", "--db", str(store_path)])
    assert missing.exit_code == 1


def test_dense_needs_the_extra_or_reorders(store: TrialStore) -> None:
    if not dense_available():
        with pytest.raises(TrialAtlasError, match="embeddings"):
            related_trials(store, "NCT00371319", top=3, dense=True)
        return
    results = related_trials(store, "NCT00371319", top=3, dense=True)
    assert all("dense" in r.components for r in results)
    assert {r.nct_id for r in results} & LUPUS_NEPHRITIS


def test_seed_pages_keep_their_listed_relations_apart(target_trials: Path, tmp_path: Path) -> None:
    seeds = shared_data_dir().parent / "seeds"
    pages = [*seeds.glob("000_*.txt"), *seeds.glob("002_*.txt")]
    assert len(pages) == 2
    with SqliteStore(tmp_path / "seeds.db") as store:
        assert ingest([target_trials, *pages], store).ok
        see_also = related_report(store, "NCT03580291", top=3)
        assert len(see_also.listed) == 20
        assert {r.relation for r in see_also.listed} == {"See also"}
        held = {r.nct_id for r in see_also.listed if r.in_store}
        assert {"NCT00371319"} <= held
        assert all(r.score is not None for r in see_also.listed if r.in_store)
        # Computed relations are their own list: the top three are the store's other lupus trials.
        assert {r.nct_id for r in see_also.computed} <= LUPUS_NEPHRITIS | {"NCT05916781"}

        steroid_tapering = related_report(store, "NCT05916781", top=2)
        assert {r.nct_id for r in steroid_tapering.listed} == {
            "NCT00404794",
            "NCT00876616",
            "NCT01203709",
            "NCT00371319",
            "NCT01580865",
        }
        first = steroid_tapering.computed[0]
        assert first.listed  # the page lists it too, and it is marked so
        assert "tacrolimus + mycophenolate mofetil" in first.why


def test_an_index_kept_as_bytes_is_the_saved_file_and_ranks_alike(store: TrialStore, tmp_path: Path) -> None:
    """What a PostgreSQL store keeps in its database (the saved layout as bytes) loads into the same
    index as the file beside an SQLite store, and answers the same related lists."""
    from trialatlas.related.index import index_bytes, index_from_bytes, save_index

    index = index_for(store)
    path = tmp_path / "copy.related.arrays"
    save_index(index, path)
    data = index_bytes(index)
    assert path.read_bytes()[: len(data)] == data  # the file only adds padding after the last array
    from_bytes, from_file = index_from_bytes(data), load_index(path)
    assert from_bytes is not None and from_file is not None
    assert from_bytes.keys == from_file.keys == index.keys and from_bytes.marker == index.marker
    for name, family in from_file.families.items():
        assert np.array_equal(from_bytes.families[name].weights, family.weights)
    for key in sorted(LUPUS_NEPHRITIS):
        expected = [(r.nct_id, r.score) for r in related_trials(store, key, top=5, index=from_file)]
        assert [(r.nct_id, r.score) for r in related_trials(store, key, top=5, index=from_bytes)] == expected
    assert index_from_bytes(b"not an index") is None
    assert index_from_bytes(data[:20]) is None
