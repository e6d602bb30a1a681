"""A trial's title quoted in another trial's text.

An extension or a sub-study often names the study it comes from by its title, not only by its
registry number: 'recruited out of the companion study "Anemia in the Elderly"', 'participants who
completed the Good Schools Study'. Sister studies of one programme also carry the same title. Words
two texts share say they are about the same things; a candidate's whole title, word for word and in
order, inside the query's text says the query names that trial.

A title counts when it has at least :data:`MIN_WORDS` words (a one- or two-word title, "Pain" or
"Asthma Study", is found in many texts by chance). Words are the one tokenizer's (stop words kept, so
the title's words must follow one another exactly).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from trialatlas.text.words import tokens

F64 = npt.NDArray[np.float64]

# Fewer words than this make a title too likely to be found in an unrelated text.
MIN_WORDS = 3


def phrase_of(text: str) -> str:
    """``text`` as its words joined by single spaces and wrapped in spaces, so that a phrase is found
    in it by a plain substring test only where it starts and ends on word boundaries."""
    return f" {' '.join(tokens(text))} "


def title_phrase(title: str) -> str | None:
    """The phrase a title is found by, or None for a title too short to tell."""
    words = tokens(title)
    if len(words) < MIN_WORDS:
        return None
    return f" {' '.join(words)} "


def quoted_titles(text_phrase: str, titles: Sequence[str]) -> F64:
    """1.0 for each title found whole, word for word, in the text (:func:`phrase_of`), else 0.0."""
    return found_phrases(text_phrase, [title_phrase(title) for title in titles])


def found_phrases(text_phrase: str, phrases: Sequence[str | None]) -> F64:
    """1.0 for each phrase (:func:`title_phrase`) found in the text, else 0.0."""
    found = (phrase is not None and phrase in text_phrase for phrase in phrases)
    return np.fromiter(found, np.float64, len(phrases))


def quoted_reason(title: str, *, in_title: bool = False) -> str:
    """The reason a person can check: the title this trial's text quotes. Where this trial's own title
    holds it (two trials of one title, or a title inside a longer one), that is what it says: the
    title is shared, not necessarily named as another study."""
    if in_title:
        return f"its whole title is in this trial's title: “{title.strip()}”"
    return f"named by its title in this trial's text: “{title.strip()}”"
