"""What the generalisation cases (c1140-c1191, room judgegen) showed the engine lacked, as general
mechanisms: a woman the note calls postmenopausal cannot conceive, so contraception and pregnancy
criteria do not concern her (the annotators' "not applicable", docs/matching.md's silence table), and
two umbrella conditions criteria name that the vocabulary lacked (atherosclerosis over coronary,
carotid and peripheral artery disease; oesophageal disease over reflux, varices and oesophageal cancer).
"""

from __future__ import annotations

from trialatlas.match.atoms import cannot_conceive
from trialatlas.match.judge import RuleJudge
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _note(text: str) -> str:
    return f"0. {text}\n1. The patient will provide informed consent."


def test_a_woman_the_note_calls_postmenopausal_cannot_conceive() -> None:
    stated = profile_from_note("A 54-year-old woman. She is postmenopausal and uses no contraception.")
    unstated = profile_from_note("A 54-year-old woman with knee pain.")
    assert cannot_conceive(stated) is not None
    # An age alone does not say menopause (51-58 is where it varies).
    assert cannot_conceive(unstated) is None


def test_contraception_does_not_concern_a_postmenopausal_woman() -> None:
    criterion = "Fertile patients must use effective contraception during the study"
    menopausal = "A 54-year-old woman. She is menopausal and uses no contraception."
    young = "A 30-year-old woman. She uses no contraception."
    assert status_of(criterion, menopausal) == "not applicable"
    assert status_of(criterion, young) == "not met"
    # Someone who cannot be pregnant meets a demand not to be.
    assert status_of("Not pregnant or nursing", menopausal) == "met"
    judge = RuleJudge()
    assert judge.judge(_note(menopausal), criterion, "inclusion").eligibility == "not applicable"
    assert judge.judge(_note(young), criterion, "inclusion").eligibility == "not included"


def test_atherosclerosis_is_met_by_its_kinds_and_not_by_other_heart_disease() -> None:
    carotid = "74-year-old man with 80% carotid stenosis on angiography."
    cad = "66-year-old man with coronary artery disease, s/p CABG."
    valve = "34-year-old woman with mitral valve prolapse and severe mitral regurgitation."
    assert status_of("History of atherosclerosis", carotid, kind="exclusion") == "excluded"
    assert status_of("History of atherosclerosis", cad, kind="exclusion") == "excluded"
    assert status_of("History of atherosclerosis", valve, kind="exclusion") != "excluded"
    # Carotid stenosis is a cerebrovascular disease (ICD-10 I65), not a stroke.
    assert status_of("History of cerebrovascular disease", carotid, kind="exclusion") == "excluded"
    assert status_of("History of stroke", carotid, kind="exclusion") != "excluded"


def test_reflux_is_an_oesophageal_disease() -> None:
    reflux = "34-year-old woman. Past medical history: gastric reflux disease, obesity."
    other = "34-year-old woman. Past medical history: asthma."
    assert status_of("Patients must not have esophageal disease.", reflux) == "not met"
    assert status_of("Esophageal disease", reflux, kind="exclusion") == "excluded"
    assert status_of("Esophageal disease", other, kind="exclusion") != "excluded"
