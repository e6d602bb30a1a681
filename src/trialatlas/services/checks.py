"""Request checks that need no request model: page bounds and trial ids.

A module of its own, importing nothing heavy, so that the command line can declare its options and
``show`` can look a trial up without loading the request models (and, through them, the regimen
parser, the matcher and the search engine).
"""

from __future__ import annotations

import re

from trialatlas.errors import QueryError

# Results per page for the page, the API and the CLI (the search package allows more; snippets cost).
MAX_LIMIT = 100
MAX_PAGE = 10_000


def _is_org_key(text: str) -> bool:
    # The store's key prefix is read where it is used: the store package loads the trial model.
    from trialatlas.store.base import ORG_KEY_PREFIX

    return text.startswith(ORG_KEY_PREFIX) and len(ORG_KEY_PREFIX) < len(text) <= len(ORG_KEY_PREFIX) + 200


def check_trial_id(nct: str) -> str:
    """Ids are checked before the store sees them, so that a malformed one is a 4xx, not a lookup."""
    from trialatlas.text.registry_ids import is_nct_id

    text = nct.strip()
    if (
        not text
        or len(text) > 210
        or not (is_nct_id(text) or _is_org_key(text) or re.fullmatch(r"[\w .:/()#-]{1,200}", text))
    ):
        raise QueryError(f"{nct[:60]!r} is not a trial id (NCT followed by 8 digits, or an org study id)")
    return text


__all__ = ["MAX_LIMIT", "MAX_PAGE", "check_trial_id"]
