"""An exception keeps its organ: "malignancy other than carcinoma in situ of the cervix" covers a
carcinoma in situ of the cervix, not one of the bladder or the breast, and one whose organ the note
does not give leaves the exclusion open (it may be the cervix's or not)."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of

EXCLUSION = "Prior malignancy other than carcinoma in situ of the cervix"
STUDY_DISEASE = "Metastatic colon cancer diagnosed in March."


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ("Carcinoma in situ of the bladder was resected two years ago.", "excluded"),
        ("Ductal carcinoma in situ of the right breast was excised two years ago.", "excluded"),
        ("Carcinoma in situ of the cervix was treated with a cone biopsy two years ago.", "not excluded"),
        ("Cervical carcinoma in situ was treated two years ago.", "not excluded"),
        ("A carcinoma in situ was excised two years ago.", "unknown"),
    ],
)
def test_an_exception_covers_only_its_own_organ(history: str, expected: str) -> None:
    assert status_of(EXCLUSION, f"{STUDY_DISEASE} {history}", kind="exclusion") == expected


def test_a_carcinoma_in_situ_is_read_with_its_organ() -> None:
    profile = profile_from_note("Carcinoma in situ of the bladder was resected.")
    assert [c.concept for c in profile.conditions] == ["bladder_cancer"]
