"""An exception to a condition ("No other prior malignancy except nonmelanoma skin cancer") stops
mattering once none of the patient's conditions of that kind is, or may be, the exempted one; the
statement is then about a disease beside the one under study, so two distinct ones are needed."""

from __future__ import annotations

from verdict_support import status_of

CRITERION = "No other prior malignancy except nonmelanoma skin cancer"


def test_a_second_cancer_that_is_not_exempted_fails_it() -> None:
    note = "Woman of 47 with cervical cancer. She had breast cancer treated with lumpectomy in 2012."
    assert status_of(CRITERION, note) == "not met"


def test_the_disease_under_study_alone_is_not_another_malignancy() -> None:
    assert status_of(CRITERION, "Woman of 47 with cervical cancer.") == "unknown"


def test_a_cancer_that_may_be_the_exempted_kind_stays_open() -> None:
    note = "Woman of 47 with cervical cancer and a squamous cell carcinoma of the skin removed in 2019."
    assert status_of(CRITERION, note) == "unknown"


def test_a_time_window_is_not_judged_on_an_unknown_one_of_two() -> None:
    # Which of the two cancers the window is about cannot be told: open.
    criterion = "No other malignancy within the past 5 years except nonmelanoma skin cancer"
    note = "Woman of 60 with ovarian cancer diagnosed this year; breast cancer treated 12 years ago."
    assert status_of(criterion, note) == "unknown"


def test_plural_names_of_a_condition_are_the_condition() -> None:
    note = "Man of 29, healthy volunteer. No known bleeding disorder."
    assert status_of("No bleeding disorders.", note) == "met"
