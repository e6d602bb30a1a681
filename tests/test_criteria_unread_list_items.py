"""Words no rule read that are items of the same list as a read atom ("diabetes, zorbal malabsorption,
or quandrel stones") are other branches of that list, and an exclusion's clause with no rule in it is
another branch of the exclusion: a met branch decides, an unread one keeps a cleared list open."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.logic import listed_together
from verdict_support import status_of

LIST = "History of diabetes mellitus, zorbal malabsorption, quandrel stones, or recent fribble excess"


def test_a_met_item_of_an_exclusion_list_excludes_whatever_the_unread_items_say() -> None:
    assert (
        status_of(LIST, "Woman of 48 with type 1 diabetes mellitus on insulin.", kind="exclusion")
        == "excluded"
    )


def test_unread_items_keep_an_exclusion_list_open_when_the_read_item_is_absent() -> None:
    assert status_of(LIST, "Woman of 50. No diabetes (HbA1c 5.2%).", kind="exclusion") == "unknown"


def test_a_bracket_glossing_an_unread_item_is_that_item() -> None:
    text = "Diabetes mellitus, quandrel stones, or fribble excess (more than 15 zorbals a week)"
    assert status_of(text, "Man of 60 with type 2 diabetes on metformin.", kind="exclusion") == "excluded"


@pytest.mark.parametrize(
    ("criterion", "note"),
    [
        ("Investigational zorbal therapies. Current alcohol abuse.", "Man of 41 with current alcohol abuse."),
        ("Prior quandrel immunogen. Pregnancy.", "Woman of 30, pregnant at 12 weeks."),
    ],
)
def test_a_clause_of_an_exclusion_met_on_its_own_excludes(criterion: str, note: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == "excluded"


def test_an_inclusion_needs_or_to_make_its_series_alternatives() -> None:
    # "and" joins requirements of an inclusion: the unread one still has to hold.
    text = "Diabetes mellitus, zorbal neuropathy and quandrel retinopathy"
    assert status_of(text, "Man of 55 with type 2 diabetes.") == "unknown"
    text_or = "Diabetes mellitus, zorbal neuropathy, or quandrel retinopathy"
    assert status_of(text_or, "Man of 55 with type 2 diabetes.") == "met"


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        ("diabetes, zorbal malabsorption, or stones", True),
        ("pain level of 4/10 or greater on a scale", False),  # a value and its operator
        ("diabetes; zorbal malabsorption", False),  # another clause
        ("diabetes requiring insulin for more than a year in the zorbal", False),  # no joint at all
    ],
)
def test_what_counts_as_one_list(text: str, listed: bool) -> None:
    first_end = len(text.split()[0].rstrip(",;"))
    last_start = text.rindex(" ") + 1
    assert listed_together(text, first_end, last_start, "exclusion") is listed
