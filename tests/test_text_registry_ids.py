"""Trial-registry ids (trialatlas.text.registry_ids), checked against the WHO ICTRP export rows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from trialatlas.config import shared_data_dir
from trialatlas.text.registry_ids import (
    NCT_IN_TEXT,
    find_registry_ids,
    identify,
    is_nct_id,
    record_url,
    registry_of,
)

ICTRP = shared_data_dir() / "ictrp_export" / "ictrp_export_sample.csv"


def test_nct_id_is_exact_and_agrees_with_the_registry_shape() -> None:
    assert is_nct_id("NCT01234567")
    for bad in ("NCT1234567", "NCT012345678", "nct01234567", " NCT01234567", "NCT0123456a"):
        assert not is_nct_id(bad)
    assert NCT_IN_TEXT.findall("see NCT01234567, not XNCT01234568 or NCT012345678") == ["NCT01234567"]
    # Any spelling the registry shape reads comes out as the canonical id the records carry.
    found = identify("nct 01234567")
    assert found is not None and found.registry == "ctgov" and is_nct_id(found.id)


@pytest.mark.parametrize(
    ("identifier", "registry", "canonical"),
    [
        ("NCT04048161", "ctgov", "NCT04048161"),
        ("EUCTR2019-004010-34-PL", "euctr", "EUCTR2019-004010-34"),
        ("EudraCT number: 2013-004422-29", "euctr", "EUCTR2013-004422-29"),
        ("2022-500244-37-00", "ctis", "2022-500244-37-00"),
        ("ISRCTN15668391", "isrctn", "ISRCTN15668391"),
        ("ChiCTR1900022258", "chictr", "ChiCTR1900022258"),
        ("ChiCTR-TRC-12002345", "chictr", "ChiCTR-TRC-12002345"),
        ("ACTRN12619000423112", "anzctr", "ACTRN12619000423112"),
        ("JPRN-UMIN000037291", "jprn", "JPRN-UMIN000037291"),
        ("JPRN-jRCTb031190001", "jprn", "JPRN-jRCTb031190001"),
        ("DRKS00017475", "drks", "DRKS00017475"),
        ("CTRI/2019/02/017575", "ctri", "CTRI/2019/02/017575"),
        ("IRCT20190122042450N3", "irct", "IRCT20190122042450N3"),
        ("KCT0004211", "cris", "KCT0004211"),
        ("NTR7241", "ntr", "NTR7241"),
        ("NL7842", "ntr", "NL7842"),
        ("PACTR201908793583382", "pactr", "PACTR201908793583382"),
        ("RBR-96cy3k", "rebec", "RBR-96cy3k"),
        ("SLCTR/2019/012", "slctr", "SLCTR/2019/012"),
        ("TCTR20190109001", "tctr", "TCTR20190109001"),
        ("PER-016-17", "repec", "PER-016-17"),
        ("LBCTR2019010184", "lbctr", "LBCTR2019010184"),
        ("ITMCTR2000003405", "itmctr", "ITMCTR2000003405"),
        ("RPCEC00000321", "rpcec", "RPCEC00000321"),
    ],
)
def test_each_registry_shape(identifier: str, registry: str, canonical: str) -> None:
    found = identify(identifier)
    assert found is not None and (found.registry, found.id) == (registry, canonical)
    assert registry_of(canonical) == registry
    assert [(r.registry, r.id) for r in find_registry_ids(f"Also registered as {identifier}.")] == [
        (registry, canonical)
    ]


def test_ids_inside_text_stand_alone_and_are_found_once() -> None:
    assert find_registry_ids("NL67751.078.18 and XNCT01234567 and NCT01234567X") == []
    assert identify("Not applicable") is None
    text = "NCT01234567; EudraCT 2019-001749-42, EU CT 2022-500244-37-00 and CTRI/2019/02/017575."
    assert [r.id for r in find_registry_ids(text)] == [
        "NCT01234567",
        "EUCTR2019-001749-42",
        "2022-500244-37-00",
        "CTRI/2019/02/017575",
    ]
    assert record_url("ISRCTN15668391") == "https://www.isrctn.com/ISRCTN15668391"


@pytest.mark.skipif(not ICTRP.is_file(), reason="shared ICTRP export not available")
def test_every_ictrp_trial_id_has_a_known_shape() -> None:
    with ICTRP.open(encoding="utf-8", errors="replace", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) > 200
    unknown = [row["TrialID"] for row in rows if identify(row["TrialID"]) is None]
    assert unknown == []
    registries = Counter(registry_of(row["TrialID"]) for row in rows)
    assert len(registries) >= 14
    # The export says 13 non-NCT rows name an NCT id among their secondary ids.
    naming_nct = [
        row
        for row in rows
        if not row["TrialID"].startswith("NCT")
        and any(r.registry == "ctgov" for r in find_registry_ids(row["SecondaryIDs"]))
    ]
    assert len(naming_nct) == 13


def test_the_id_caches_keep_a_few_batches_of_ids_not_every_id_seen() -> None:
    from trialatlas.store.base import _normalize_id, normalize_id
    from trialatlas.text.registry_ids import ID_CACHE_SIZE, _identify

    for index in range(ID_CACHE_SIZE + 1000):
        normalize_id(f"nct9{index:07d}")
    for cached in (_identify, _normalize_id):
        assert cached.cache_info().maxsize == ID_CACHE_SIZE
        assert cached.cache_info().currsize == ID_CACHE_SIZE


def test_a_batch_of_trials_finds_its_ids_again_in_the_caches(tmp_path: Path) -> None:
    # Every id of a batch is asked for several times while it is read, planned and written: the
    # caches must hold a whole batch's ids, or the repeats miss.
    from trialatlas.model import SecondaryId, Trial
    from trialatlas.services.ingest import DEFAULT_BATCH_SIZE, ingest_results
    from trialatlas.store import SqliteStore
    from trialatlas.store.base import _normalize_id
    from trialatlas.text.registry_ids import _identify

    trials = [
        Trial(
            nct_id=f"NCT9{index:07d}",
            org_study_id=f"ORG-{index}",
            secondary_ids=[
                SecondaryId(id=f"2016-{index:06d}-24"),
                SecondaryId(id=f"ISRCTN{index:08d}"),
            ],
            brief_title=f"Trial {index}",
        )
        for index in range(DEFAULT_BATCH_SIZE)
    ]
    _identify.cache_clear()
    _normalize_id.cache_clear()
    store = SqliteStore(tmp_path / "store.db")
    report = ingest_results(trials, store)
    store.close()
    assert report.new == DEFAULT_BATCH_SIZE
    for cached in (_identify, _normalize_id):
        info = cached.cache_info()
        assert info.currsize >= 3 * DEFAULT_BATCH_SIZE  # the batch's ids, each kept
        assert info.misses == info.currsize  # none evicted and asked for again
        assert info.hits >= info.misses  # each asked for again
