"""Merging is order-independent: the same records of the same trials, ingested in any order, give the
same trials and the same content digest (the rule is written in ``trialatlas.model.merge``).

On the shared data: legacy XML, API v2 JSON and description dumps of a few hundred trials that
appear in more than one of them (NCT00000410 and NCT00007696 in all three kinds).
"""

from __future__ import annotations

import itertools
import lzma
import re
from pathlib import Path

import pytest

from trialatlas.model import Trial
from trialatlas.model.merge import merge_trials
from trialatlas.services.ingest import ingest_results
from trialatlas.sources.reading import read_path
from trialatlas.store import open_store

_NCT = re.compile(rb'"nct_id":\s*"(NCT\d{8})"')


@pytest.fixture(scope="module")
def overlapping(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Trial]]:
    """Records of trials found in several sources, by source kind."""
    v2 = [
        r
        for r in read_path(shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz")
        if isinstance(r, Trial)
    ]
    xml = [
        r
        for r in read_path(shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz")
        if isinstance(r, Trial)
    ]
    v2_ids = {t.nct_id for t in v2}
    xml_ids = {t.nct_id for t in xml}
    # Description lines of trials also in the XML or v2 sets, read through the descriptions reader.
    dump = tmp_path_factory.mktemp("descriptions") / "descriptions.jsonl"
    wanted = v2_ids | xml_ids
    with dump.open("wb") as out:
        for part in sorted((shared_data / "ctgov_trial_descriptions_100k").glob("*.jsonl.xz")):
            with lzma.open(part, "rb") as stream:
                for line in stream:
                    found = _NCT.search(line[:200])
                    if found and found.group(1).decode() in wanted:
                        out.write(line)
    descriptions = [r for r in read_path(dump) if isinstance(r, Trial)]
    described = {t.nct_id for t in descriptions}
    # A few hundred trials: every one in two kinds of source or more.
    chosen = sorted(xml_ids & described)[:250] + sorted(v2_ids & (xml_ids | described))
    keep = set(chosen)
    return {
        "xml": [t for t in xml if t.nct_id in keep],
        "v2": [t for t in v2 if t.nct_id in keep],
        "descriptions": [t for t in descriptions if t.nct_id in keep],
    }


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_any_order_gives_the_same_digest(overlapping: dict[str, list[Trial]], tmp_path: Path) -> None:
    assert {"NCT00000410", "NCT00007696"} <= {t.nct_id for t in overlapping["v2"]}
    assert {"NCT00000410", "NCT00007696"} <= {t.nct_id for t in overlapping["xml"]}
    assert sum(len(part) for part in overlapping.values()) >= 300
    digests = {}
    for number, order in enumerate(itertools.permutations(["xml", "v2", "descriptions"])):
        store = open_store(str(tmp_path / f"order{number}.db"))
        try:
            for kind in order:
                # Each kind in a batch of its own and, within a batch, in reverse for every other order.
                records = overlapping[kind][:: 1 if number % 2 else -1]
                ingest_results([t.model_copy(deep=True) for t in records], store, batch_size=64)
            digests[order] = store.content_digest()
            if order[:2] == ("v2", "xml"):
                # The legacy XML, read after the v2 record of the same date, no longer takes the v2
                # record's MeSH ids and site coordinates away.
                trial = store.get("NCT00000410")
                assert trial is not None and trial.condition_mesh and all(m.id for m in trial.condition_mesh)
                assert any(location.geo for location in trial.locations)
        finally:
            store.close()
    assert len(set(digests.values())) == 1, digests


def test_merge_of_two_records_is_the_same_either_way(overlapping: dict[str, list[Trial]]) -> None:
    by_id = {t.nct_id: t for t in overlapping["xml"]}
    pairs = [(by_id[t.nct_id], t) for t in overlapping["v2"] if t.nct_id in by_id]
    pairs += [(by_id[t.nct_id], t) for t in overlapping["descriptions"] if t.nct_id in by_id][:50]
    assert len(pairs) >= 50
    for first, second in pairs:
        forward = merge_trials(first, second).model_dump(mode="json")
        backward = merge_trials(second, first).model_dump(mode="json")
        assert forward == backward, first.nct_id
