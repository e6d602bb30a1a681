"""A lower bound on a drug's amount is a dose statement (R154): "statins (at least 40mg simvastatin
daily)", "patients requiring more than 10 mg of morphine". amount_kinds.py marks an amount after a comparison
word a "limit"; here it stays a dose when the bound is a lower one (lower_bound_words.txt) and the amount's
noun, right after it, is a drug the text names ("40mg simvastatin", "10 mg of morphine", "60 mg oral
morphine"). Any other limit is no dose: a threshold of what is measured ("iron excretion of at least 0.25
mg/kg/day", "a meal with more than 20 grams of carbohydrate") or a cap ("not to exceed 300 mcg/day"; R31,
R98 decide those). The spec's Not items list lab, weight, age and body-size thresholds, not a drug's own
amount."""

from __future__ import annotations

import re
from collections.abc import Sequence

from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.drugs import Mention
from trialatlas.text.packaged import packaged_words

_LOWER_BOUND = re.compile(
    r"\b(?:"
    + "|".join(
        sorted(
            (
                r"\s+".join(map(re.escape, w.split()))
                for w in packaged_words(__package__, "lower_bound_words.txt")
            ),
            key=len,
            reverse=True,
        )
    )
    + r")\s*$",
    re.IGNORECASE,
)
# Between the amount and its drug: nothing, "of", or one word (a route or form: "oral", "IV").
_TO_DRUG = re.compile(r"\s*(?:of\s+)?(?:[A-Za-z.]+\s+)?", re.IGNORECASE)


def bound_kind(text: str, amount: Amount, mentions: Sequence[Mention]) -> str:
    """ "dose" for a lower bound on the drug named right after the amount, else "stop"."""
    if not _LOWER_BOUND.search(text, max(0, amount.start - 20), amount.start):
        return "stop"
    for mention in mentions:
        if mention.start < amount.end:
            continue
        gap = _TO_DRUG.match(text, amount.end, mention.start)
        return "dose" if gap is not None and gap.end() == mention.start else "stop"
    return "stop"
