"""The landscape page: the trials of a search charted by phase, status, start year, country and
sponsor class, each chart with the trials that give no value counted (never dropped), and each
downloadable as SVG and its data as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from markupsafe import Markup

from trialatlas.errors import QueryError
from trialatlas.search import FACETS
from trialatlas.services.atlas import Atlas
from trialatlas.services.models import SearchRequest, Stats
from trialatlas.web.charts import Bar, bar_chart, column_chart
from trialatlas.web.urls import FILTER_FACETS, search_url, selected_keys
from trialatlas.web.views import facet_label

# --- landscape -----------------------------------------------------------------------------------


@dataclass
class ChartView:
    title: str
    facet: str
    svg: Markup
    bars: list[Bar]
    note: str | None = None
    not_given: int = 0
    not_given_label: str = ""
    svg_url: str = ""
    csv_url: str = ""


@dataclass
class LandscapeView:
    total: int
    charts: list[ChartView]
    interpreted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChartSpec:
    title: str
    facet: str
    not_given: str  # what the bar of trials without a value says
    columns: bool = False  # a linear year axis rather than bars by count
    top: int | None = None  # only the most frequent values


CHARTS: dict[str, ChartSpec] = {
    spec.facet: spec
    for spec in (
        ChartSpec("Trials by phase", "phase", "Phase not given"),
        ChartSpec("Trials by status", "status", "Status not given"),
        ChartSpec("Trials by start year", "start_year", "Start date not given", columns=True),
        ChartSpec("Trials by country (top 15)", "country", "No site country given", top=15),
        ChartSpec("Trials by lead sponsor class", "sponsor_class", "Sponsor class not given"),
    )
}
# Every value of a facet (start years, phases, statuses: tens at most; countries: some hundreds).
_ALL_VALUES = 1000


def _selecting(request: SearchRequest, facet: str, values: list[str]) -> SearchRequest:
    """``request`` with its selection of ``facet`` replaced by ``values`` (none: the facet is free)."""
    if facet in FILTER_FACETS:
        return request.model_copy(update={facet: values, "cursor": None})
    kept = [entry for entry in request.facet if entry.partition(":")[0].strip() != facet]
    return request.model_copy(update={"facet": kept + [f"{facet}:{v}" for v in values], "cursor": None})


def _not_given(atlas: Atlas, request: SearchRequest, facet: str, values: list[str]) -> int:
    """Trials of the search, counted without its own choice of ``facet`` (as the facet's bars are),
    that have no value of it: all of them, less those with any value. Counted, never assumed, since
    a trial may hold several values (phases 1 and 2, several countries)."""
    free = _selecting(request, facet, [])
    everything = atlas.stats(free, facets=False).total
    if not values:
        return everything
    return everything - atlas.stats(_selecting(free, facet, values), facets=False).total


def _year_axis(bars: list[Bar]) -> list[Bar]:
    """Every year from the first to the last, those without a trial as zero, in order."""
    years = {int(bar.value): bar for bar in bars if bar.value.isdigit()}
    if not years:
        return bars
    return [years.get(year, Bar(str(year), 0, str(year))) for year in range(min(years), max(years) + 1)]


def _chart(atlas: Atlas, request: SearchRequest, spec: ChartSpec, stats: Stats) -> ChartView:
    counts = stats.facets.get(spec.facet, [])
    missing = _not_given(atlas, request, spec.facet, [c.value for c in counts])
    if spec.top is not None:
        counts = sorted(counts, key=lambda c: (-c.count, c.value))[: spec.top]
    bars = [Bar(facet_label(spec.facet, c.value), c.count, c.value) for c in counts]
    if spec.columns:
        bars = _year_axis(bars)
        svg = column_chart(spec.title, bars)
    else:
        drawn = [*bars, Bar(spec.not_given, missing, "", not_given=True)] if missing else bars
        svg = bar_chart(spec.title, drawn)
    note = None
    if selected_keys(request, spec.facet):
        # Facet counts leave out the facet's own selection, so that its alternatives show.
        name = FACETS[spec.facet].label.lower()
        note = f"Counted without the {name} filter: the other bars show what choosing them would add."
    return ChartView(
        title=spec.title,
        facet=spec.facet,
        svg=svg,
        bars=bars,
        note=note,
        not_given=missing,
        not_given_label=spec.not_given,
        svg_url=search_url(request, path=f"/landscape/{spec.facet}.svg", cursor=None),
        csv_url=search_url(request, path=f"/landscape/{spec.facet}.csv", cursor=None),
    )


def landscape_view(atlas: Atlas, request: SearchRequest) -> LandscapeView:
    stats = atlas.stats(request, list(CHARTS), top=_ALL_VALUES)
    charts = [_chart(atlas, request, spec, stats) for spec in CHARTS.values()]
    return LandscapeView(total=stats.total, charts=charts, interpreted=stats.interpreted)


def landscape_chart(atlas: Atlas, request: SearchRequest, facet: str) -> ChartView:
    """One chart of the landscape, for its downloads; raises QueryError for a chart that is not one."""
    spec = CHARTS.get(facet)
    if spec is None:
        raise QueryError(f"no chart {facet[:40]!r}; charts are {', '.join(CHARTS)}")
    return _chart(atlas, request, spec, atlas.stats(request, [facet], top=_ALL_VALUES))


def chart_csv(chart: ChartView) -> str:
    """A chart's data: one row per value (as the registry codes it, and as shown) with its count,
    and the trials with no value last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([chart.facet, "label", "trials"])
    writer.writerows([bar.value, bar.label, bar.count] for bar in chart.bars)
    writer.writerow(["", chart.not_given_label, chart.not_given])
    return out.getvalue()
