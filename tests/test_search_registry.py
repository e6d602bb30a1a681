"""The registry facet: trials counted and filtered by the registries holding a record of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest_pg import backend_store
from trialatlas.search import SearchIndex, search
from trialatlas.search.filters import Filters
from trialatlas.services.ingest import ingest
from trialatlas.store import TrialStore

FIXTURES = Path(__file__).parent / "fixtures" / "ictrp"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrialStore]:
    with backend_store(request, tmp_path_factory.mktemp("registry")) as atlas:
        ingest([FIXTURES / "ictrp_header.csv", shared_data / "eu_isrctn_ctrdata"], atlas)
        SearchIndex.for_store(atlas).sync(atlas)
        yield atlas


def test_registry_counts(store: TrialStore) -> None:
    results = search(store, "", facet_limit=100)
    counts = {count.value: count.count for count in results.facets["registry"]}
    # The NCT trial, its ChiCTR and EU CTR rows are one trial counted under each registry.
    assert counts == {
        "ISRCTN": 9,
        "EU CTIS": 4,
        "EU Clinical Trials Register": 5,
        "ClinicalTrials.gov": 1,
        "Chinese Clinical Trial Registry": 1,
        "Australian New Zealand Clinical Trials Registry": 1,
    }
    assert results.total == 9 + 4 + 4 + 1 + 1


def test_registry_filter(store: TrialStore) -> None:
    chinese = search(store, "", Filters(facet_values={"registry": ["Chinese Clinical Trial Registry"]}))
    assert [hit.trial.key for hit in chinese.hits] == ["NCT09000002"]
    eu = search(store, "", Filters(facet_values={"registry": ["eu ctis"]}), limit=50)
    assert sorted(hit.trial.key for hit in eu.hits) == [
        "2022-500244-37-00", "2023-505613-24-00", "2023-508143-51-01", "2024-510663-34-00",
    ]  # fmt: skip
