"""Whether a note's test results show an infection that is active now, for criteria such as "Active
(clinical or subclinical) hepatitis B or hepatitis C infection".

A positive antibody shows that the patient met the pathogen, not that it is there now: "Hepatitis C
antibody positive; HCV RNA undetectable since he was cured" is no active hepatitis C. A test of the
pathogen itself (RNA, DNA, viral load, an antigen, a culture) decides; an antibody alone leaves the
criterion open, except for pathogens never cleared (HIV). The words are data (``infection_markers``
in ``judge_cues.json``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from trialatlas.match.patient import Evidence, PatientInfection
from trialatlas.text.packaged import packaged_json

Marker = Literal["direct", "antibody", "unknown"]
ActiveReading = tuple[Literal["true", "false", "unknown"], str, Evidence | None]


@dataclass(frozen=True)
class _Cues:
    direct: re.Pattern[str]
    antibody: re.Pattern[str]
    cleared: re.Pattern[str]
    protective: re.Pattern[str]
    lifelong: frozenset[str]


@cache
def _cues() -> _Cues:
    data = packaged_json("trialatlas.match", "judge_cues.json")["infection_markers"]

    def words(key: str) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w-])(?:{'|'.join(data[key])})(?![\w-])", re.IGNORECASE)

    lifelong = frozenset(data["lifelong_by_antibody"])
    return _Cues(words("direct"), words("antibody"), words("cleared"), words("protective"), lifelong)


def _said(infection: PatientInfection) -> str:
    """The test's name and the words right after it in the note, up to the next clause: "Hepatitis C"
    is recorded from "Hepatitis C antibody positive", and the antibody is in the words after."""
    evidence = infection.evidence
    if evidence is None or evidence.sentence is None or evidence.end is None:
        return infection.name
    rest = evidence.sentence[evidence.end : evidence.end + 40]
    rest = re.split(r"[;,.]", rest, maxsplit=1)[0]
    return f"{infection.name} {rest}"


def protective(infection: PatientInfection) -> bool:
    """Whether a result is an antibody that is immunity ("Hepatitis B surface antibody reactive after
    vaccination", "anti-HBs positive"): positive, it shows no infection."""
    return _cues().protective.search(_said(infection)) is not None


def marker(infection: PatientInfection) -> Marker:
    """What the result tested: the pathogen itself (``direct``), the patient's antibody, or unsaid."""
    said = _said(infection)
    if _cues().direct.search(said):
        return "direct"
    if _cues().antibody.search(said):
        return "antibody"
    return "unknown"


def _cleared(infection: PatientInfection) -> bool:
    evidence = infection.evidence
    return evidence is not None and _cues().cleared.search(evidence.sentence or "") is not None


def active_reading(pathogen: str, found: Sequence[PatientInfection]) -> ActiveReading | None:
    """How the note's results for ``pathogen`` answer an "active infection" criterion, or None when the
    ordinary reading (any positive result is a positive patient) stands."""
    positive = [i for i in found if i.present]
    if not positive:
        return None
    if pathogen in _cues().lifelong:
        return None
    markers = [(i, marker(i)) for i in positive]
    # A positive test of the pathogen itself, or a positive result the note does not qualify and does
    # not call cured, is an infection present now.
    for infection, kind in markers:
        if kind == "direct" or (kind == "unknown" and not _cleared(infection)):
            return None
    cleared = [i for i in found if not i.present and marker(i) == "direct"]
    if cleared:
        return ("false", f"{cleared[0].name}: {cleared[0].status}, so not active", cleared[0].evidence)
    if any(_cleared(i) for i in positive):
        return ("false", f"{positive[0].name}: cleared, so not active", positive[0].evidence)
    reason = f"{positive[0].name}: an antibody shows exposure, not an active infection"
    return ("unknown", reason, positive[0].evidence)


def cleared_episode(sentence_index: int | None, found: Sequence[PatientInfection]) -> PatientInfection | None:
    """A negative test of the pathogen itself for the pathogen an episode's sentence names ("treated
    for CMV pneumonitis three months ago; CMV PCR has been undetectable for eight weeks"): the episode
    is over. Returns that negative test, or None."""
    if sentence_index is None:
        return None
    named = {
        i.pathogen
        for i in found
        if i.present
        and not i.family
        and i.evidence is not None
        and i.evidence.sentence_index == sentence_index
    }
    for infection in found:
        if infection.pathogen in named and not infection.present and marker(infection) == "direct":
            return infection
    return None
