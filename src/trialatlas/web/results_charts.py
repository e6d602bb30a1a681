"""The trial page's results: participant flow as stepped bars, a dot-and-whisker chart per outcome
measure, and per-group adverse event rates, each an inline SVG drawn on the server.

As the other charts (:mod:`trialatlas.web.charts`): no script, no external style, colours from the
page's stylesheet by class, and every piece of registry text goes through ``escape()`` before it is
placed, so a chart may be inserted as :class:`Markup`. Each chart is an ``role="img"`` with an
``aria-label`` and a ``<title>`` that says what it shows; the numbers are also in the tables beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from trialatlas.model import Trial
from trialatlas.services.results import (
    NO_RESULTS_DETAIL,
    RESULTS_ELSEWHERE,
    EventsView,
    FlowPeriodView,
    GroupValue,
    MeasureView,
    ResultsView,
    results_view,
)

# Narrower than the landscape charts: drawn at about this size on a phone, the labels stay readable.
_WIDTH = 480
_LABEL = 176
_ROW = 22
_PAD = 8


def _short(text: str, limit: int = 19) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(kind: str, label: str, height: float) -> str:
    safe = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart results-chart {kind}" '
        f'viewBox="0 0 {_WIDTH} {height:.0f}" role="img" aria-label="{safe}"><title>{safe}</title>'
    )


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="chart-whisker"/>'


def _group_heading(name: str, y: float) -> str:
    """A group's name over its rows, cut short where long (the whole name in its tooltip)."""
    return (
        f'<text x="4" y="{y + 16}" class="chart-group"><title>{escape(name)}</title>'
        f"{escape(_short(name, 52))}</text>"
    )


def _number(value: float) -> str:
    return f"{value:.4g}"


# --- participant flow -------------------------------------------------------------------------


def flow_chart(period: FlowPeriodView) -> Markup:
    """Each group's milestones as stepped bars (started, then each later milestone), one scale for all."""
    counts = [n for step in period.milestones for _, n in step.counts if n is not None]
    top = max(counts, default=0) or 1
    span = _WIDTH - _LABEL - 44
    rows_per_group = len(period.milestones) + 1
    height = _PAD * 2 + _ROW * rows_per_group * len(period.groups)
    parts = [
        _open(
            "flow-chart",
            f"Participant flow, {period.title}: participants at each milestone, by group",
            height,
        )
    ]
    y = _PAD
    for index, group in enumerate(period.groups):
        parts.append(_group_heading(group, y))
        y += _ROW
        for step_number, step in enumerate(period.milestones):
            count = step.counts[index][1]
            width = 0.0 if count is None else max(1.0, span * count / top)
            css = "flow-start" if step_number == 0 else "flow-step"
            shown = "not given" if count is None else str(count)
            parts.append(
                f'<g class="chart-row"><title>{escape(group)}, {escape(step.label)}: {shown}</title>'
                f'<text x="{_LABEL - 6}" y="{y + 16}" class="chart-label" text-anchor="end">'
                f"{escape(_short(step.label.capitalize() if step.label.isupper() else step.label))}</text>"
                f'<rect x="{_LABEL}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 6}" class="{css}"/>'
                f'<text x="{_LABEL + width + 6:.1f}" y="{y + 16}" class="chart-count">{shown}</text></g>'
            )
            y += _ROW
    parts.append("</svg>")
    return Markup("".join(parts))


# --- outcome measures -------------------------------------------------------------------------


def measure_chart(measure: MeasureView) -> Markup | None:
    """Each group's value as a dot on one axis, with its stated interval or ± spread as a whisker;
    ``None`` when no value is a number (the table shows them as written)."""
    if not measure.charted:
        return None
    # A row label (category, time point) heads its groups' lines; a cell of ``None`` marks a heading.
    lines: list[tuple[str, GroupValue | None]] = []
    for row in measure.rows:
        if row.label:
            lines.append((row.label, None))
        lines.extend((cell.group, cell) for cell in row.values)
    numbers = [n for _, cell in lines if cell for n in (cell.number, cell.low, cell.high) if n is not None]
    low, high = min([*numbers, 0.0]), max([*numbers, 0.0])
    if high == low:
        high = low + 1
    left, right = _LABEL, _WIDTH - 72

    def x(value: float) -> float:
        return left + (right - left) * (value - low) / (high - low)

    height = _PAD * 2 + _ROW * len(lines) + 18
    unit = f" ({measure.units})" if measure.units else ""
    parts = [
        _open("measure-chart", f"{measure.title}{unit}: {measure.statistic or 'value'} by group", height)
    ]
    bottom = _PAD + _ROW * len(lines)
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{_PAD}" x2="{x(0):.1f}" y2="{bottom}" class="chart-zero"/>'
        f'<text x="{left}" y="{bottom + 14}" class="chart-tick">{_number(low)}</text>'
        f'<text x="{right}" y="{bottom + 14}" class="chart-tick" text-anchor="end">{_number(high)}</text>'
    )
    y = _PAD
    for name, cell in lines:
        if cell is None:
            parts.append(_group_heading(name, y))
            y += _ROW
            continue
        middle = y + _ROW / 2
        parts.append(
            f'<g class="chart-row"><title>{escape(name)}: {escape(cell.text)}</title>'
            f'<text x="{left - 6}" y="{y + 16}" class="chart-label" text-anchor="end">'
            f"{escape(_short(name))}</text>"
        )
        if cell.number is not None:
            if cell.low is not None and cell.high is not None:
                parts.append(
                    _line(x(cell.low), middle, x(cell.high), middle)
                    + _line(x(cell.low), middle - 5, x(cell.low), middle + 5)
                    + _line(x(cell.high), middle - 5, x(cell.high), middle + 5)
                )
            parts.append(f'<circle cx="{x(cell.number):.1f}" cy="{middle}" r="4.5" class="chart-dot"/>')
        shown = cell.value if cell.value is not None else "—"
        parts.append(
            f'<text x="{right + 8}" y="{y + 16}" class="chart-count">{escape(_short(shown, 8))}</text></g>'
        )
        y += _ROW
    parts.append("</svg>")
    return Markup("".join(parts))


# --- adverse events ---------------------------------------------------------------------------


def event_rate_chart(events: EventsView) -> Markup:
    """Per group, the share of participants with a serious and with an other adverse event."""
    span = _WIDTH - _LABEL - 50
    height = _PAD * 2 + _ROW * 3 * len(events.groups) + 4
    parts = [_open("events-chart", "Adverse events: share of participants affected, by group", height)]
    y = _PAD
    for index, group in enumerate(events.groups):
        parts.append(_group_heading(group, y))
        y += _ROW
        for label, css, rates in (
            ("Serious", "rate-serious", events.serious_totals),
            ("Other", "rate-other", events.other_totals),
        ):
            rate = rates[index]
            share = rate.rate
            width = 0.0 if share is None else max(1.0, span * share)
            parts.append(
                f'<g class="chart-row"><title>{escape(group)}, {label.lower()} adverse events: '
                f"{escape(rate.text)}</title>"
                f'<text x="{_LABEL - 6}" y="{y + 16}" class="chart-label" text-anchor="end">{label}</text>'
                f'<rect x="{_LABEL}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 6}" class="{css}"/>'
                f'<text x="{_LABEL + width + 6:.1f}" y="{y + 16}" class="chart-count">'
                f"{'not given' if share is None else f'{share:.1%}'}</text></g>"
            )
            y += _ROW
    parts.append("</svg>")
    return Markup("".join(parts))


# --- the page's results section ---------------------------------------------------------------


@dataclass(frozen=True)
class MeasurePanel:
    measure: MeasureView
    chart: Markup | None


@dataclass(frozen=True)
class ResultsPage:
    view: ResultsView | None  # None: no results to show, and ``notice`` says why
    flow_charts: list[Markup] = field(default_factory=list)
    outcomes: list[MeasurePanel] = field(default_factory=list)
    events_chart: Markup | None = None
    notice: str = ""


def results_page(trial: Trial) -> ResultsPage:
    """The results section of the trial page: charts and tables, or the notice that there are none."""
    if trial.results is None:
        return ResultsPage(view=None, notice=RESULTS_ELSEWHERE if trial.has_results else NO_RESULTS_DETAIL)
    view = results_view(trial.results)
    return ResultsPage(
        view=view,
        flow_charts=[flow_chart(period) for period in view.flow],
        outcomes=[MeasurePanel(m, measure_chart(m)) for m in view.outcomes],
        events_chart=event_rate_chart(view.events) if view.events and view.events.groups else None,
    )
