"""The one drug vocabulary (trialatlas.text.drugs): packaged names plus curated additions."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialatlas.extract.criteria.drugs import find_drugs
from trialatlas.extract.regimen.drugs import lookup
from trialatlas.search.synonyms import drug_rows
from trialatlas.text import drugs
from trialatlas.text.drugs import curated_drug_classes, curated_drugs, drug_names, packaged_drug_names


def test_packaged_names_come_with_their_generic_and_brand_flag() -> None:
    rows = packaged_drug_names()
    assert len(rows) > 50_000
    by_name = {(name, generic): brand for name, generic, brand in rows}
    assert ("prograf", "tacrolimus") in by_name
    assert by_name.get(("abacavir", "abacavir")) is False


def test_curated_additions_come_first_and_carry_their_class() -> None:
    first = next(iter(drug_names()))
    assert first.curated and first.drug_class is not None
    curated = {(d.name, d.generic) for d in drug_names() if d.curated}
    assert ("MMF", "mycophenolate mofetil") in curated and ("FK506", "tacrolimus") in curated
    assert "steroids" in curated_drugs().classes["glucocorticoid"]


def test_every_room_reads_the_same_vocabulary() -> None:
    # The regimen's mention finder and the search index's drug table both come from it.
    info = lookup("CellCept")
    assert info is not None and info.name == "mycophenolate mofetil"
    rows = {(name, generic) for name, generic, _ in drug_rows()}
    assert ("cellcept", "mycophenolate mofetil") in rows  # curated
    assert ("cellcept", "mycophenolate") in rows  # packaged


def test_curated_classes_are_part_of_the_vocabulary_and_read_by_criteria() -> None:
    classes = curated_drug_classes()
    assert {"classes", "families", "not_drugs"} <= set(classes) and "_comment" not in classes
    members = set(classes["classes"]["immunosuppressant"]["members"])
    assert "rituximab" in members
    found = {(m.drug, m.drug_class) for m in find_drugs("on warfarin or other anticoagulants")}
    assert found == {("warfarin", None), (None, "anticoagulant")}


def test_the_names_are_cached_and_a_broken_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALATLAS_CACHE", str(tmp_path))
    packaged_drug_names.cache_clear()
    try:
        fresh = packaged_drug_names()
        (cached,) = tmp_path.glob("drug-names-*.json")
        packaged_drug_names.cache_clear()
        assert packaged_drug_names() == fresh
        cached.write_text("[[not json", encoding="utf-8")
        packaged_drug_names.cache_clear()
        monkeypatch.setattr(drugs, "_from_package", lambda: [("x-drug", "x", False)])
        assert packaged_drug_names() == (("x-drug", "x", False),)
    finally:
        packaged_drug_names.cache_clear()
