"""A count of a day's doses written before the amount: "2 x 500 mg daily", "3 x 400 mg per day".

Registries outside the US (EU, ISRCTN, Chinese and Indian records) write how many times a day a dose is
given as a count and "x" before the amount, the period after it. By the spec the amount is what one
administration gives (basis dose) and the count is the frequency ("2 x 500 mg daily" -> 500 mg, BID; not
1,000 mg a day, nor 500 mg once a day). Read only where the period after the amount is a day: "2 x 500 mg"
alone may count tablets.
"""

from __future__ import annotations

import re

from trialatlas.extract.regimen.models import RegimenItem

_COUNT_BEFORE = re.compile(r"(?<![\d.,/x×-])\b([1-4])\s*[x×]\s*$", re.IGNORECASE)
_DAILY_AFTER = re.compile(
    r"\s*(?:(?:tablets?|capsules?|puffs?|drops?|sprays?|sachets?)\s+)?(?:daily|per\s+day|a\s+day|/\s*d(?:ay)?\b)",
    re.IGNORECASE,
)
_CODES = {1: "QD", 2: "BID", 3: "TID", 4: "QID"}
_PER_DAY = {"day": "dose"}


def apply_times_per_day(text: str, items: list[RegimenItem]) -> None:
    """Give each dose written after "N x" and before a day word the count as its frequency, per dose."""
    for item in items:
        dose = item.dose
        if dose is None:
            continue
        count = _COUNT_BEFORE.search(text, max(0, item.start - 6), item.start)
        if count is None:
            continue
        if dose.basis in _PER_DAY:
            item.dose = dose.model_copy(update={"basis": _PER_DAY[dose.basis]})
        elif not (item.frequency == "QD" and _DAILY_AFTER.match(text, item.end)):
            continue
        item.frequency = _CODES[int(count.group(1))]
