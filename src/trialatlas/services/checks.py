"""Request checks that need no request model: page bounds and trial ids.

A module of its own, importing nothing heavy, so that the command line can declare its options and
``show`` can look a trial up without loading the request models (and, through them, the regimen
parser, the matcher and the search engine).
"""

from __future__ import annotations

import re

from trialatlas.errors import QueryError
from trialatlas.text.schema_patterns import portable

# Results per page for the page, the API and the CLI (the search package allows more; snippets cost).
MAX_LIMIT = 100
MAX_PAGE = 10_000


# A trial id as the store is asked for it: an NCT id, a store key ("ORG:" and the sponsor's id), or an
# org study or secondary id (ASCII letters, digits, ``_ . : / ( ) # -``, spaces inside). A JSON-Schema regex
# as well: the API's path parameters state the rule the check applies.
TRIAL_ID_PATTERN = portable(
    r"^\s*(ORG:[^\x00-\x1f\x7f]{1,200}|[\w.:/()#-]([\w .:/()#-]{0,198}[\w.:/()#-])?)\s*$"
)
_TRIAL_ID = re.compile(TRIAL_ID_PATTERN)


def check_trial_id(nct: str) -> str:
    """Ids are checked before the store sees them, so that a malformed one is a 4xx, not a lookup."""
    if not _TRIAL_ID.fullmatch(nct):
        raise QueryError(f"{nct[:60]!r} is not a trial id (NCT followed by 8 digits, or an org study id)")
    return nct.strip()


__all__ = ["MAX_LIMIT", "MAX_PAGE", "TRIAL_ID_PATTERN", "check_trial_id"]
