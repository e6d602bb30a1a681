"""A dose given before an event that happens once ("150 mg pregabalin orally one hour before surgery").

By the spec a single administration is "once": a single dose, a loading dose, one named day of a
schedule that does not repeat. A dose timed by "before" ("prior to", "at", "at the end of") an event a
patient goes through once in a trial (an operation, an induction of anaesthesia, a delivery, a transplant:
single_events.txt) names one such time, as "day -3" does. Read only where nothing else gives the dose a
frequency and the dose's own clause, and its sentence, hold no word that makes a schedule repeat (R140).
"After" is not read: doses after an operation are mostly given on a schedule ("6, 12 and 18 hours after
surgery").
"""

from __future__ import annotations

import re
from functools import lru_cache

from trialatlas.text.packaged import packaged_words


@lru_cache(maxsize=1)
def _before_event() -> re.Pattern[str]:
    events = sorted(packaged_words(__package__, "single_events.txt"), key=len, reverse=True)
    alternatives = "|".join(re.escape(event).replace(r"\ ", r"\s+") for event in events)
    return re.compile(
        r"\b(?:before|prior\s+to|preceding|at\s+(?:the\s+)?(?:(?:end|start|beginning|time)\s+of\s+)?)\s*"
        r"(?:the\s+|his\s+|her\s+|their\s+)?(?:" + alternatives + r")\b",
        re.IGNORECASE,
    )


def before_single_event(clause: str) -> bool:
    """Whether ``clause`` (a dose's own words) times the dose before an event that happens once."""
    return _before_event().search(clause) is not None
