"""The one drug vocabulary: the names of ``drug-named-entity-recognition`` and the curated additions.

Two parts, one vocabulary:

- the packaged names (:func:`packaged_drug_names`): every variant of the ``drug-named-entity-recognition``
  vocabulary (DrugBank, NHS, MeSH, Medline Plus, Wikipedia) with its canonical name and whether it is a
  brand, read through the package's public module (``drugs_finder``, whose tables its documented
  ``find_drugs``/``add_custom_drug_synonym`` use) rather than by unpickling its data file. Importing the
  package costs about two seconds (it indexes n-grams and imports ``requests``), so the names are kept in
  the cache folder (``trialatlas.config.cache_dir``) keyed by the package's version;
- the curated additions beside this module: ``drugs.json``, generics by class with the abbreviations,
  brands, codes and spellings trial texts use (MMF, FK506, CellCept) and the words that name whole
  classes (steroids, CNIs); ``drug_classes.json``, the pharmacological classes criteria and notes speak
  of (anticoagulants, beta-blockers, DMARDs) with their members, families of generics read as one drug,
  and aliases that mean something else in clinical prose.

:func:`drug_names` gives both, curated first. What a room makes of them (the regimen's mention finder,
the search index's drug table) lives in that room.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialatlas.config import cache_dir
from trialatlas.text.packaged import packaged_json

DRUG_DISTRIBUTION = "drug-named-entity-recognition"


@dataclass(frozen=True, slots=True)
class DrugName:
    """One name of a drug: ``generic`` is the name it is filed under, ``drug_class`` the curated class."""

    name: str
    generic: str
    brand: bool = False
    drug_class: str | None = None
    curated: bool = False


@dataclass(frozen=True, slots=True)
class CuratedDrugs:
    """The curated additions: class -> generic -> other names, and class -> words naming the class."""

    drugs: dict[str, dict[str, tuple[str, ...]]]
    classes: dict[str, tuple[str, ...]]


@cache
def curated_drugs() -> CuratedDrugs:
    """The curated additions shipped beside this module."""
    raw = packaged_json(__package__, "drugs.json")
    return CuratedDrugs(
        drugs={
            drug_class: {generic: tuple(aliases) for generic, aliases in generics.items()}
            for drug_class, generics in raw["drugs"].items()
        },
        classes={name: tuple(words) for name, words in raw["classes"].items()},
    )


@cache
def curated_drug_classes() -> dict[str, Any]:
    """The curated drug classes (``drug_classes.json``): ``classes``, ``families`` and ``not_drugs``."""
    data: dict[str, Any] = packaged_json(__package__, "drug_classes.json")
    data.pop("_comment", None)
    return data


@cache
def regimen_acronyms() -> dict[str, Any]:
    """Chemotherapy regimens named by acronym (``regimens.json``): ``regimens`` (acronym → component
    drugs, ``needs_context``) and the ``context`` words that let an ambiguous acronym count."""
    data: dict[str, Any] = packaged_json(__package__, "regimens.json")
    data.pop("_comment", None)
    return data


def _packaged_version() -> str | None:
    try:
        return importlib.metadata.version(DRUG_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def _from_package() -> list[tuple[str, str, bool]]:
    from drug_named_entity_recognition import drugs_finder  # type: ignore[import-untyped]

    rows: list[tuple[str, str, bool]] = []
    variant_data: dict[str, dict[str, Any]] = drugs_finder.drug_variant_to_variant_data
    for variant, canonicals in drugs_finder.drug_variant_to_canonical.items():
        brand = bool((variant_data.get(variant) or {}).get("is_brand"))
        rows.extend((variant, canonical, brand) for canonical in canonicals)
    return rows


@cache
def packaged_drug_names() -> tuple[tuple[str, str, bool], ...]:
    """``(name, canonical name, is a brand)`` for every name of the packaged vocabulary, lower case;
    empty when the package is not installed."""
    version = _packaged_version()
    if version is None:
        return ()
    folder = cache_dir()
    path = folder / f"drug-names-{version}.json" if folder is not None else None
    if path is not None:
        # The cache is an optimisation only: whatever is wrong with it, the package is read instead.
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            return tuple((str(n), str(g), bool(b)) for n, g, b in cached)
        except (OSError, ValueError, TypeError):
            pass
    rows = _from_package()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(rows), encoding="utf-8")
            partial.replace(path)
        except OSError:
            pass
    return tuple(rows)


def drug_names() -> Iterator[DrugName]:
    """Every name of the vocabulary: the curated ones (generics, their aliases) first, then the packaged."""
    for drug_class, generics in curated_drugs().drugs.items():
        for generic, aliases in generics.items():
            yield DrugName(generic, generic, drug_class=drug_class, curated=True)
            for alias in aliases:
                yield DrugName(alias, generic, drug_class=drug_class, curated=True)
    for name, generic, brand in packaged_drug_names():
        yield DrugName(name, generic, brand=brand)


@cache
def mined_drug_codes() -> dict[str, str]:
    """Development code -> generic, as the registry records pair them in an intervention's names
    (``drug_codes.json``, written by bench/mine_drug_codes.py): "MCI-196" -> colestilan."""
    raw = packaged_json(__package__, "drug_codes.json")
    return {str(code): str(generic) for code, generic in raw["codes"].items()}


@cache
def names_kept_as_written() -> frozenset[str]:
    """Names (lower case) a dose keeps as written although the vocabulary files them under one member:
    class names ("G-CSF"), products with no single generic ("S-1") and a drug's other generic name
    ("paracetamol", filed under acetaminophen); ``named_as_written`` and ``other_generic_names`` in
    drugs.json."""
    raw = packaged_json(__package__, "drugs.json")
    names = [*raw.get("named_as_written", []), *raw.get("other_generic_names", [])]
    return frozenset(" ".join(str(name).lower().split()) for name in names)


@cache
def synonyms_named_by_generic() -> frozenset[str]:
    """Names (lower case) that the packaged vocabulary lists as generics of their own but are a trivial or
    superseded name of the curated generic they are filed under (R82: deoxyspergualin -> gusperimus), so a
    dose of them takes that generic; ``named_by_generic`` in drugs.json."""
    raw = packaged_json(__package__, "drugs.json")
    return frozenset(" ".join(str(name).lower().split()) for name in raw.get("named_by_generic", []))
