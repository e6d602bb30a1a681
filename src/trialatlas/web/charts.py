"""Bar and column charts as SVG, drawn on the server: no script, no external style, every label
escaped. On the page, colours and fonts come from the stylesheet (classes), so the strict CSP holds;
the same SVG also carries them as presentation attributes (which the stylesheet overrides), so a
downloaded chart looks the same on its own."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# The chart is drawn this wide and scaled to its card, its text with it: a card is about 300-330 px
# wide on a 360-390 px phone, so text keeps at least 12 px of its 13 there (at 480 it shrank to 9 px);
# the stylesheet caps the drawn width (svg.chart max-width) so a wide screen does not blow it up.
_WIDTH = 320
_LABEL_WIDTH = 165
_ROW = 22
_TOP = 8
_FONT = 'font-family="system-ui, sans-serif" font-size="13"'
_INK, _MUTED, _BAR, _GIVEN_NOT = "#1b1f24", "#57606a", "#0b5cad", "#8c959f"
# Column charts: the plot's height, and the room for the count axis (left), the years (below) and
# half the last year's label (right).
_PLOT_HEIGHT, _AXIS_LEFT, _AXIS_BELOW, _AXIS_RIGHT = 170, 44, 28, 18
# Year labels need this many px each, so a long axis labels every 2nd, 5th or 10th year.
_YEAR_LABEL_PX = 40


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    value: str  # the raw facet value, for links back to the search ("" for "not given")
    not_given: bool = False


def _open(height: int, title: str, *, empty: bool = False) -> str:
    label = f"{escape(title)}: no trials" if empty else escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-label="{label}" {_FONT}>'
        f"<title>{escape(title)}</title>"
    )


def _empty(title: str) -> Markup:
    return Markup(
        _open(30, title, empty=True)
        + f'<text x="8" y="20" class="chart-empty" fill="{_INK}">No trials</text></svg>'
    )


def bar_chart(title: str, bars: list[Bar]) -> Markup:
    """One bar per value, longest to scale, each with its count; empty charts say so."""
    if not bars:
        return _empty(title)
    top = max(bar.count for bar in bars) or 1
    span = _WIDTH - _LABEL_WIDTH - 50
    height = _TOP * 2 + _ROW * len(bars)
    parts = [_open(height, title)]
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW
        width = max(1.0, span * bar.count / top)
        name = bar.label if len(bar.label) <= 24 else bar.label[:23] + "…"
        kind = "chart-bar not-given" if bar.not_given else "chart-bar"
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {bar.count}</title>'
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" class="chart-label" fill="{_INK}" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" '
            f'height="{_ROW - 6}" class="{kind}" fill="{_GIVEN_NOT if bar.not_given else _BAR}"/>'
            f'<text x="{_LABEL_WIDTH + width + 6:.1f}" y="{y + 15}" '
            f'class="chart-count" fill="{_MUTED}">{bar.count}</text></g>'
        )
    parts.append("</svg>")
    # Markup: every piece of text above went through escape(), so the template may insert it as is.
    return Markup("".join(parts))


def _label_step(columns: int, width: float) -> int:
    for step in (1, 2, 5, 10, 20, 50):
        if width * step / columns >= _YEAR_LABEL_PX or step == 50:
            return step
    return 50


def _count_step(top: int) -> int:
    """A round step for the count axis giving about four gridlines."""
    raw = max(1.0, top / 4)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)


def column_chart(title: str, bars: list[Bar]) -> Markup:
    """Columns along a linear axis (years, in order, empty ones included as zero), a count axis with
    gridlines, and every column titled with its value and count; empty charts say so."""
    if not bars:
        return _empty(title)
    top = max(bar.count for bar in bars) or 1
    step = _count_step(top)
    ceiling = step * math.ceil(top / step)
    plot_width = _WIDTH - _AXIS_LEFT - _AXIS_RIGHT
    column = plot_width / len(bars)
    height = _TOP + _PLOT_HEIGHT + _AXIS_BELOW
    base = _TOP + _PLOT_HEIGHT
    parts = [_open(height, title)]
    for tick in range(0, ceiling + 1, step):
        y = base - _PLOT_HEIGHT * tick / ceiling
        parts.append(
            f'<line x1="{_AXIS_LEFT}" x2="{_WIDTH - _AXIS_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{_AXIS_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-count" '
            f'fill="{_MUTED}">{tick}</text>'
        )
    label_every = _label_step(len(bars), plot_width)
    for index, bar in enumerate(bars):
        x = _AXIS_LEFT + index * column
        bar_height = _PLOT_HEIGHT * bar.count / ceiling
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {bar.count}</title>'
            f'<rect x="{x + column * 0.1:.1f}" y="{base - bar_height:.1f}" width="{column * 0.8:.1f}" '
            f'height="{bar_height:.1f}" class="chart-bar" fill="{_BAR}"/></g>'
        )
        if label_every == 1 or (bar.value.isdigit() and int(bar.value) % label_every == 0):
            parts.append(
                f'<text x="{x + column / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                f'class="chart-label" fill="{_INK}">{escape(bar.label)}</text>'
            )
    parts.append(
        f'<line x1="{_AXIS_LEFT}" x2="{_WIDTH - _AXIS_RIGHT}" y1="{base}" y2="{base}" class="chart-axis" '
        f'stroke="{_MUTED}" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))


def standalone_svg(chart: Markup) -> bytes:
    """A chart as a file of its own (a download): an XML declaration, white behind it."""
    # The white sheet goes after the <title>, which stays the first child for screen readers.
    body = str(chart).replace("</title>", '</title><rect width="100%" height="100%" fill="#fff"/>', 1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
