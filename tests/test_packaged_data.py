"""The data files shipped inside the package (vocabularies, cue lists, rule sets) are read one way,
by ``trialatlas.text.packaged``, and each one the code reads is found and parses."""

from __future__ import annotations

from pathlib import Path

import pytest

import trialatlas
from trialatlas.text.packaged import packaged_json, packaged_text, packaged_words

PACKAGE_ROOT = Path(trialatlas.__file__).parent
DATA_FILES = sorted(
    path
    for path in PACKAGE_ROOT.rglob("*")
    if path.suffix in (".json", ".txt") and "static" not in path.parts and "__pycache__" not in path.parts
)


def _package_and_parts(path: Path) -> tuple[str, tuple[str, ...]]:
    # The nearest folder that is a Python package owns the file; the rest of the path are its parts.
    folder = path.parent
    while not (folder / "__init__.py").exists():
        folder = folder.parent
    package = ".".join(("trialatlas", *folder.relative_to(PACKAGE_ROOT).parts)).rstrip(".")
    return package, path.relative_to(folder).parts


def test_the_package_ships_its_vocabularies() -> None:
    names = {path.name for path in DATA_FILES}
    assert {"note_cues.json", "stop_words.txt", "vehicles.txt", "dose_forms.txt", "qualifiers.json"} <= names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda path: str(path.relative_to(PACKAGE_ROOT)))
def test_every_shipped_data_file_reads_through_the_one_reader(path: Path) -> None:
    package, parts = _package_and_parts(path)
    assert packaged_text(package, *parts) == path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = packaged_json(package, *parts)
        assert isinstance(data, dict | list) and data


def test_a_json_file_is_a_fresh_object_each_time() -> None:
    first = packaged_json("trialatlas.match", "note_cues.json")
    first.clear()
    assert packaged_json("trialatlas.match", "note_cues.json")


def test_a_word_list_leaves_out_comments_and_blank_lines() -> None:
    text = packaged_text("trialatlas.extract.regimen", "vehicles.txt")
    words = packaged_words("trialatlas.extract.regimen", "vehicles.txt")
    assert any(line.startswith("#") for line in text.splitlines())
    assert words and not any(word.startswith("#") or not word or word != word.strip() for word in words)
    assert all(word in text for word in words)
