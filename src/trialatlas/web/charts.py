"""Horizontal bar charts as inline SVG, drawn on the server: no script, no external style, every label
escaped. Colours and fonts come from the page's stylesheet (classes), so the strict CSP holds."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

_WIDTH = 640
_LABEL_WIDTH = 210
_ROW = 22
_TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    value: str  # the raw facet value, for links back to the search


def bar_chart(title: str, bars: list[Bar]) -> Markup:
    """One bar per value, longest to scale, each with its count; empty charts say so."""
    if not bars:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_WIDTH} 30" '
            f'role="img" aria-label="{escape(title)}: no trials">'
            '<text x="8" y="20" class="chart-empty">No trials</text></svg>'
        )
    top = max(bar.count for bar in bars) or 1
    span = _WIDTH - _LABEL_WIDTH - 60
    height = _TOP * 2 + _ROW * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW
        width = max(1.0, span * bar.count / top)
        name = bar.label if len(bar.label) <= 30 else bar.label[:29] + "…"
        parts.append(
            f'<g class="chart-row"><title>{escape(bar.label)}: {bar.count}</title>'
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" class="chart-label" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" '
            f'height="{_ROW - 6}" class="chart-bar"/>'
            f'<text x="{_LABEL_WIDTH + width + 6:.1f}" y="{y + 15}" '
            f'class="chart-count">{bar.count}</text></g>'
        )
    parts.append("</svg>")
    # Markup: every piece of text above went through escape(), so the template may insert it as is.
    return Markup("".join(parts))
