"""What the regimen tests share: one item as a row of the spec's seven fields, and the checks every
labelled set's test makes of its file (its own texts, of even-numbered trials, labels only)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from trialatlas.eval.regimens import FIELDS
from trialatlas.extract.regimen.batch import export_text

FIXTURES = Path(__file__).parent / "fixtures"

Row = tuple[object, ...]

# A labelled text's id: an arm's or an intervention's description in the shared records, or sentences S to E
# of a trial's detailed description in the descriptions dump (trialatlas.eval.regimens).
TEXT_ID = re.compile(r"NCT\d{8}:(?:(?:arm|int):\d+|desc:\d+-\d+)")


def flat(text: str) -> list[Row]:
    """The items the parser exports for ``text``, each as its seven fields in the spec's order."""
    return [tuple(item[field] for field in FIELDS) for item in export_text(text)["items"]]


def label_ids(path: Path) -> list[str]:
    return [orjson.loads(line)["id"] for line in path.read_bytes().splitlines() if line.strip()]


def set_path(name: str) -> Path:
    return FIXTURES / f"regimens_{name}.jsonl"


def every_set() -> list[str]:
    """The names of every labelled regimen set in the fixtures (``regimens_<name>.jsonl``)."""
    return sorted(path.stem.removeprefix("regimens_") for path in FIXTURES.glob("regimens_*.jsonl"))


def assert_apart_and_labels_only(path: Path, *, at_least: int, sharing: Iterable[str] = ()) -> None:
    """``path`` holds at least ``at_least`` distinct texts of even-numbered trials, none in any other
    labelled set but those named in ``sharing`` (sets drawn together on purpose), and only ids and
    items (the texts themselves are read from the shared data). Every set is checked against every
    other, so a set added later needs no list of the sets before it."""
    ids = label_ids(path)
    assert len(ids) >= at_least and len(set(ids)) == len(ids)
    assert all(TEXT_ID.fullmatch(text_id) for text_id in ids)
    assert all(int(text_id.split(":")[0][-1]) % 2 == 0 for text_id in ids)
    own = path.stem.removeprefix("regimens_")
    for name in every_set():
        if name != own and name not in set(sharing):
            assert not set(ids) & set(label_ids(set_path(name))), name
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    assert all(set(row) == {"id", "items"} for row in rows)
    assert all(set(item) == set(FIELDS) for row in rows for item in row["items"])


def assert_shared_texts_agree(first: str, second: str) -> None:
    """Two sets drawn at the same time by rooms that could not see each other's draw may hold a text in
    common; each labelled it without the other's labels. Allowed only where both gave it the same items
    (in any order) and both put it in the same half (even positions tune, odd ones are sealed), so no
    sealed text is tuned on through the other set."""
    rows = {
        name: {
            row["id"]: (
                position % 2,
                sorted(orjson.dumps(item, option=orjson.OPT_SORT_KEYS) for item in row["items"]),
            )
            for position, row in enumerate(
                orjson.loads(line) for line in set_path(name).read_bytes().splitlines() if line.strip()
            )
        }
        for name in (first, second)
    }
    shared = set(rows[first]) & set(rows[second])
    assert all(rows[first][text_id] == rows[second][text_id] for text_id in shared), sorted(shared)


def assert_scores_hold(scores: dict[str, Any], *, strict: float, paired: float, over_baseline: float) -> None:
    """A labelled set's scores stay at or above their floors (strict and paired F1), strict F1 clear of
    the plain regex baseline's by ``over_baseline`` and paired F1 above the baseline's."""
    parser, baseline = scores["parser"], scores["baseline"]
    assert parser["strict"]["f1"] >= strict
    assert parser["items"]["f1"] >= paired
    assert parser["strict"]["f1"] > baseline["strict"]["f1"] + over_baseline
    assert parser["items"]["f1"] > baseline["items"]["f1"]
