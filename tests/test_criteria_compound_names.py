"""A disease name written straight before another modifies it (issue #14, room auditleft): "lupus
encephalopathy" is one disease, an encephalopathy of lupus, not lupus or encephalopathy, so a patient
with SLE alone does not meet it (NCT00876616 excluded every SLE patient, its own population). Names
separated by a comma or a conjunction stay a list."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import parse_eligibility
from trialatlas.extract.criteria.rules import ConditionRule
from verdict_support import status_of


def _conditions(text: str) -> list[ConditionRule]:
    (criterion,) = parse_eligibility(None, [], [text])
    return [r for r in criterion.rules if isinstance(r, ConditionRule)]


@pytest.mark.parametrize(
    ("text", "head", "modifier"),
    [
        ("Lupus encephalopathy", "encephalopathy", "lupus"),
        ("Diabetic nephropathy", "nephropathy", "diabetic"),
    ],
)
def test_a_name_before_another_modifies_it(text: str, head: str, modifier: str) -> None:
    rules = _conditions(text)
    assert [r.name.lower() for r in rules] == [head]
    assert modifier in rules[0].qualifiers


def test_names_in_a_list_stay_apart() -> None:
    assert len(_conditions("Lupus, encephalopathy or diabetes")) == 3


def test_sle_alone_does_not_meet_lupus_encephalopathy() -> None:
    criterion = (
        "Life-threatening complications such as large hydropericardium, pneumohemorrhagia, lupus "
        "encephalopathy and severe pulmonary hypertension"
    )
    note = "A 30-year-old woman with systemic lupus erythematosus and class IV lupus nephritis."
    assert status_of(criterion, note, kind="exclusion") != "excluded"
    complicated = "SLE complicated by lupus encephalopathy."
    assert status_of("Lupus encephalopathy", complicated, kind="exclusion") == "excluded"
