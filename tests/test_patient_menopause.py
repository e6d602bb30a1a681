"""A woman's menopausal status: from the note's words (menses, menopause), else from her age, and
not applicable to a man."""

from __future__ import annotations

from trialatlas.match.atoms import postmenopausal
from trialatlas.match.judge import RuleJudge
from trialatlas.match.patient import profile_from_note


def _note(text: str) -> str:
    return f"0. {text}\n1. The patient will provide informed consent."


def test_menses_mean_premenopausal_and_menopause_postmenopausal() -> None:
    assert (
        postmenopausal(profile_from_note("A 49-year-old woman with painful irregular periods."))[0] is False
    )
    assert postmenopausal(profile_from_note("A 47-year-old woman, postmenopausal since 45."))[0] is True


def test_age_decides_only_far_from_the_usual_age_of_menopause() -> None:
    assert postmenopausal(profile_from_note("A 29-year-old woman with asthma."))[0] is False
    assert postmenopausal(profile_from_note("A 72-year-old woman with asthma."))[0] is True
    assert postmenopausal(profile_from_note("A 51-year-old woman with asthma."))[0] is None
    # An operation may have ended it early: age alone no longer says premenopausal.
    after_surgery = profile_from_note("A 35-year-old woman. She had a bilateral oophorectomy last year.")
    assert postmenopausal(after_surgery)[0] is None


def test_the_judge_labels_menopause_criteria() -> None:
    judge = RuleJudge()
    young = _note("A 33-year-old woman with heavy periods and pelvic pain.")
    midlife = _note("A 52-year-old woman with knee pain.")
    man = _note("A 60-year-old man with knee pain.")
    assert judge.judge(young, "Premenopausal women", "inclusion").eligibility == "included"
    assert judge.judge(young, "Postmenopausal women", "exclusion").eligibility == "not excluded"
    assert judge.judge(midlife, "Postmenopausal women", "exclusion").eligibility == "not enough information"
    assert judge.judge(man, "Postmenopausal women", "exclusion").eligibility == "not applicable"


def test_a_year_without_a_period_after_forty_is_menopause() -> None:
    late = profile_from_note("A 53-year-old woman. Her last menstrual period was 15 months ago.")
    recent = profile_from_note("A 47-year-old woman. Her last menstrual period was 3 weeks ago.")
    assert postmenopausal(late)[0] is True
    assert postmenopausal(recent)[0] is False


def test_age_alone_says_nothing_without_the_sex() -> None:
    # "61-year-old with osteoporosis" may be a man: the age decides only for a woman (room matchleft).
    assert postmenopausal(profile_from_note("61-year-old with osteoporosis on alendronate."))[0] is None
    assert postmenopausal(profile_from_note("61-year-old woman with osteoporosis."))[0] is True
