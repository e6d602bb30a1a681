"""Round trip over the shared records: trial → page renderer (each layout) → page reader → same fields?

What counts as a field, precisely: a leaf value of the trial at a dotted path (``arms.label``,
``eligibility.minimum_age``, ``design.phases``) among the paths the layout's page shows
(``SHOWN_FIELDS``), in the part of the trial the page shows (``visible_part``). A list contributes one
field per item, its index ignored: the fields of a trial form a multiset of (path, value) pairs.
Values are compared normalised: text as its case-folded word tokens (line breaks, list bullets and
markdown escapes do not count), ages in years, dates as ISO partial dates, enums by value, numbers and
booleans as written. The share kept is the size of the multiset intersection of original and read-back
fields over the size of the original's, summed over all records.

Pages are rendered as a text save shows them (tables flattened into words) and as an HTML save (table
cells kept); the text save of layouts B and C is where most is lost.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from page_renderer import SHOWN_FIELDS, page_as_html, render_page, visible_part
from trialatlas.model import Trial
from trialatlas.sources import read_path
from trialatlas.sources.pages import read_page
from trialatlas.sources.pages.knowledge import default_knowledge

Fields = Counter[tuple[str, str]]


def _norm(value: Any) -> str | None:
    if isinstance(value, dict):
        if "years" in value:
            return str(round(float(value["years"]), 4))
        if "date" in value:
            return str(value["date"])
        return None
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str):
        return " ".join(re.findall(r"\w+", value.casefold())) or None
    return None


def fields(trial: Trial, shown: frozenset[str]) -> Fields:
    """The trial's fields among the ``shown`` paths, as a multiset of (path, normalised value)."""
    found: Fields = Counter()

    def walk(path: str, value: Any) -> None:
        if path in shown:
            for item in value if isinstance(value, list) else [value]:
                normalised = _norm(item)
                if normalised:
                    found[(path, normalised)] += 1
        elif isinstance(value, dict):
            for key, child in value.items():
                walk(f"{path}.{key}" if path else key, child)
        elif isinstance(value, list):
            for child in value:
                walk(path, child)

    walk("", trial.model_dump(mode="json", exclude={"sources", "field_sources"}))
    return found


def kept_share(trials: Iterable[Trial], layout: str, *, html: bool = False) -> tuple[float, Counter[str]]:
    """The share of fields a round trip through ``layout`` keeps, and the count lost per path."""
    shown = SHOWN_FIELDS[layout]
    total = kept = 0
    lost: Counter[str] = Counter()
    for trial in trials:
        page = render_page(trial, layout, cells=html)
        data = (page_as_html(page) if html else page).encode("utf-8")
        # The names the shared archive lends, less those only this trial's record gives: the page is
        # read as the page of a trial not yet stored.
        knowledge = default_knowledge().without(trial)
        result = read_page(data, f"{trial.nct_id}.{'html' if html else 'txt'}", knowledge=knowledge)
        assert isinstance(result, Trial), f"{trial.nct_id} in layout {layout}: {result}"
        assert result.sources[0].layout == layout.split("-")[0]
        original = fields(visible_part(trial, layout), shown)
        both = original & fields(result, shown)
        total += sum(original.values())
        kept += sum(both.values())
        lost.update({path: count - both[(path, value)] for (path, value), count in original.items()})
    return kept / total, +lost


@pytest.fixture(scope="module")
def xml_trials(shared_data: Path) -> list[Trial]:
    """Every tenth record of the legacy XML archive (679 trials, 1999–2023 registrations)."""
    archive = shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"
    records = itertools.islice(read_path(archive), 0, None, 10)
    return [record for record in records if isinstance(record, Trial)]


@pytest.fixture(scope="module")
def v2_trials(v2_jsonl: Path) -> list[Trial]:
    """The API v2 sample (809 trials, modern records with long outcome descriptions)."""
    return [record for record in read_path(v2_jsonl) if isinstance(record, Trial)]


def test_the_measure_counts_a_changed_or_missing_field_as_lost(xml_trials: list[Trial]) -> None:
    trial = next(t for t in xml_trials if len(t.locations) >= 3 and t.arms)
    shown = SHOWN_FIELDS["A"]
    same = fields(trial, shown)
    changed = trial.model_copy(deep=True)
    changed.locations[0].city = "Elsewhere"
    changed.arms = changed.arms[1:]
    changed.brief_title = (trial.brief_title or "") + " (extended)"
    after = fields(changed, shown)
    first_arm = fields(Trial(arms=trial.arms[:1]), shown)
    assert sum((same - after).values()) == 2 + sum(first_arm.values())
    # Reformatting that keeps the words (line breaks, bullets, escapes) is not a change.
    reworded = trial.model_copy(deep=True)
    reworded.brief_summary = "\n\n* " + (trial.brief_summary or "").replace(" ", "\n")
    assert fields(reworded, shown) == same


@pytest.mark.slow
@pytest.mark.parametrize(
    ("layout", "floor"),
    [
        ("A", 0.97),
        ("A-bare", 0.97),
        # Known gap (issue 17's goal is 0.97): the text save of B and C flattens the sponsor, arms and
        # outcome tables as the seed pages show; these floors guard against regressions only.
        ("B", 0.96),
        ("C", 0.93),
    ],
)
def test_round_trip_of_xml_records_keeps_its_floor(
    xml_trials: list[Trial], layout: str, floor: float
) -> None:
    assert len(xml_trials) >= 500
    share, lost = kept_share(xml_trials, layout)
    print(
        f"\nlayout {layout}, text save, {len(xml_trials)} XML records: {share:.2%} kept; most lost: "
        f"{lost.most_common(4)}"
    )
    assert share >= floor


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["B", "C"])
def test_round_trip_of_xml_records_saved_as_html_keeps_table_cells(
    xml_trials: list[Trial], layout: str
) -> None:
    share, lost = kept_share(xml_trials, layout, html=True)
    print(
        f"\nlayout {layout}, HTML save, {len(xml_trials)} XML records: {share:.2%} kept; most lost: "
        f"{lost.most_common(4)}"
    )
    assert share >= 0.98


@pytest.mark.slow
@pytest.mark.parametrize(
    ("layout", "html", "floor"),
    [
        ("A", False, 0.97),
        ("A-bare", False, 0.97),
        ("B", True, 0.98),
        ("C", True, 0.98),
        # Known gap: the text save of B and C flattens outcome tables whose long modern descriptions and
        # time frames cannot all be told apart again; this floor guards against regressions only. Layout
        # C's save runs a whole outcome table into one line (seed 004), so its floor is lower.
        ("B", False, 0.80),
        ("C", False, 0.72),
    ],
)
def test_round_trip_of_api_v2_records(v2_trials: list[Trial], layout: str, html: bool, floor: float) -> None:
    assert len(v2_trials) >= 500
    share, lost = kept_share(v2_trials, layout, html=html)
    save = "HTML" if html else "text"
    print(
        f"\nlayout {layout}, {save} save, {len(v2_trials)} v2 records: {share:.2%} kept; most lost: "
        f"{lost.most_common(4)}"
    )
    assert share >= floor
