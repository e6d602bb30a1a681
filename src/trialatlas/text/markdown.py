"""Registry text as a person reads it: the markdown escapes ClinicalTrials.gov API v2 writes into its free
text ("titer \\>= 1:80", "\\[OCS\\]", "\\~", "\\^") undone, as the registry's own page renders them.

Stored text and API documents keep the source's text as given; the readers of saved pages, the CLI and
the web pages show it through :func:`unescape_markdown`.
"""

from __future__ import annotations

import re

# A backslash before the ASCII punctuation markdown lets it escape; before anything else (a letter, a
# digit: "C:\\data", "\\n") a backslash is text and stays.
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~<>^|=])")


def unescape_markdown(text: str) -> str:
    """``text`` with markdown backslash escapes undone ("\\>=" → ">=")."""
    return _MD_ESCAPE.sub(r"\1", text) if "\\" in text else text


__all__ = ["unescape_markdown"]
