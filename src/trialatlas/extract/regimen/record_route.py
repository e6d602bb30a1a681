"""A product record's route field ("Route: INTRATHECAL USE", "Route of administration: Oral use") is the
route of every dose the record states (R98: "the route of the record"; spec: a route stated for a drug
applies to all its doses). The EU CTR, CTIS and ICTRP readers write a product's fields as one line, with its
strength and maximum doses after the route: a dose there states no route of its own and is separated from the
field by the other fields' amounts. Read only where the text has one such field and it names one route.
"""

from __future__ import annotations

import re

from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.passes import _Doc

_ROUTE_FIELD = re.compile(r"\broute(?:\s+of\s+administration)?\s*:\s*", re.IGNORECASE)


def share_record_route(doc: _Doc, items: list[RegimenItem]) -> None:
    """Give each dose without a route the route the record's one route field states."""
    if not any(item.dose is not None and item.route is None for item in items):
        return
    fields = list(_ROUTE_FIELD.finditer(doc.text))
    if len(fields) != 1:
        return
    field_end = fields[0].end()
    stated = {span[2] for span in doc.routes if field_end <= span[0] <= field_end + 2}
    if len(stated) != 1:
        return
    route = stated.pop()
    for item in items:
        if item.dose is not None and item.route is None:
            item.route = route
