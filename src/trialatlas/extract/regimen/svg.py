"""The timeline as an SVG chart, laid out for the width it is shown at.

Each arm is a block; each drug of each phase gets a line of text (phase, drug, dose) across the whole
width, and under it a bar over the phase's real span on a shared time axis in the unit the text used
(months for "0~6th month", weeks otherwise). Labels never sit inside a bar, so none is cut off however
short the bar, and text keeps its size at any width: a phone gets a narrower layout, not a shrunken one.
Alternatives ("A or B") are one bar labelled as a choice; a taper target closes the bar of the drug it
tapers ("→ taper to 5 mg/day"), it is not a drug of its own. Every piece of text is escaped.
"""

from __future__ import annotations

import math
import textwrap
from html import escape

from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.timeline import Phase, TrialTimeline, drug_label

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f", "#edc948")
_PAD = 10
_LINE = 16  # a line of 12 px text
_BAR = 10
_GAP = 8
_CHAR = 7.0  # a generous mean width of a 12 px sans-serif character, for wrapping
_BOLD = 7.6
_STYLE = (
    "text{font-family:system-ui,sans-serif;font-size:12px;fill:#1f2328}"
    ".title,.arm{font-weight:600}.phase{fill:#57606a}.axis{fill:#57606a;font-size:11px}"
    ".tick{stroke:#d0d7de}.bar{fill-opacity:.35;stroke-width:1.5}.open{stroke-dasharray:5 3}"
    ".choice{fill-opacity:.15;stroke-dasharray:2 2}"
)
_UNITS = {"week": (1.0, "w"), "month": (52 / 12, "mo"), "year": (52.0, "y"), "day": (1 / 7, "d")}


def item_label(item: RegimenItem) -> str:
    """One dose as a person reads it: amount, frequency, route."""
    label = item.dose.label() if item.dose else "dose not stated"
    extras = " ".join(x for x in (item.frequency, item.route) if x)
    bands = [c.label() for c in item.conditions if c.kind == "threshold"]
    when = f" ({'; '.join(bands)})" if bands else ""
    return f"{label} {extras}".strip() + when


def phase_rows(phase: Phase) -> list[tuple[str, str, bool]]:
    """(drug, what is given, is a choice) per bar of the phase: doses of one drug joined, alternatives
    joined by "or", a taper target written as the end of the drug's bar, a choice of drugs as one bar."""
    rows: dict[str, list[str]] = {}
    tapers: dict[str, str] = {}
    groups: dict[int, list[str]] = {}
    shown: dict[str | None, str] = {}
    for item in phase.items:
        # One bar per drug however the text wrote it ("MMF", "mycophenolate mofetil"): the first name wins.
        name = shown.setdefault(item.drug, drug_label(item))
        rows.setdefault(name, [])
        label = item_label(item)
        if item.role == "taper" and item.dose is not None:
            tapers[name] = f"→ taper to {item.dose.label()}"
            continue
        if item.role == "continued":
            label += " (continued)"
        if item.alternative_group is not None and item.alternative_group in groups:
            groups[item.alternative_group].append(label)
            continue
        if item.alternative_group is not None:
            groups[item.alternative_group] = [label]
            rows[name].append(f"\0{item.alternative_group}")
            continue
        if label not in rows[name]:
            rows[name].append(label)
    result: list[tuple[str, str, bool]] = []
    for name, labels in rows.items():
        text = "; ".join(" or ".join(groups[int(x[1:])]) if x.startswith("\0") else x for x in labels)
        if name in tapers:
            text = f"{text} {tapers[name]}".strip()
        result.append((name, text or "dose not stated", False))
    result.extend((name, "dose not stated", False) for name in phase.undosed_drugs)
    result.extend((" or ".join(group), "one or the other", True) for group in phase.alternatives)
    return result


def _axis_unit(timeline: TrialTimeline) -> str:
    """Months when the text counts in months or the regimen runs half a year or more; else weeks."""
    units = {phase.unit for arm in timeline.arms for phase in arm.phases}
    if units & {"month", "year"} or timeline.horizon_weeks >= 26:
        return "month"
    return "week"


def _tick_step(span: float, per_unit: float, room: int) -> float:
    """A round step (in the axis unit) giving at most ``room`` ticks."""
    total = span / per_unit
    for step in (1, 2, 3, 4, 6, 12, 13, 24, 26, 52, 104):
        if total / step <= room:
            return float(step)
    return math.ceil(total / room)


def _wrap(text: str, width: float, char: float = _CHAR) -> list[str]:
    return textwrap.wrap(text, max(12, int(width / char))) or [""]


def render_svg(timeline: TrialTimeline, width: int = 900) -> str:
    """A standalone SVG document of ``timeline`` laid out for ``width`` pixels."""
    width = max(320, min(1600, width))
    inner = width - 2 * _PAD
    horizon = timeline.horizon_weeks
    unit = _axis_unit(timeline)
    per_unit, suffix = _UNITS[unit]
    colours: dict[str, str] = {}
    parts: list[str] = []
    y = _PAD
    title = f"{timeline.trial} — {timeline.title}" if timeline.title else timeline.trial
    for line in _wrap(title, inner, _BOLD):
        y += _LINE
        parts.append(f'<text x="{_PAD}" y="{y}" class="title">{escape(line)}</text>')
    y += 6
    axis_y = y + _LINE
    step = _tick_step(horizon, per_unit, max(2, inner // 70))
    values = _tick_values(horizon, per_unit, step)
    ticks: list[str] = []
    for value in values:
        x = _PAD + inner * (value * per_unit) / horizon
        anchor = "start" if value == 0 else ("end" if x > width - 40 else "middle")
        ticks.append(
            f'<text x="{x:.1f}" y="{axis_y}" class="axis" text-anchor="{anchor}">{value:g} {suffix}</text>'
        )
    y = axis_y + 6
    tick_top = y
    for arm in timeline.arms:
        y += _GAP
        for line in _wrap(arm.arm, inner, _BOLD):
            y += _LINE
            parts.append(f'<text x="{_PAD}" y="{y}" class="arm">{escape(line)}</text>')
        for phase in arm.phases:
            start = phase.start_weeks or 0.0
            end = phase.end_weeks if phase.end_weeks is not None else horizon
            x = _PAD + inner * start / horizon
            bar_width = max(3.0, inner * (end - start) / horizon)
            span = (
                f"{start / per_unit:g}–{'…' if phase.end_weeks is None else f'{end / per_unit:g}'} {suffix}"
            )
            for drug, label, choice in phase_rows(phase):
                colour = colours.setdefault(drug, _PALETTE[len(colours) % len(_PALETTE)])
                # "0–6 months" says its span already; "induction" or "regimen" gets it in brackets.
                when = phase.label if any(ch.isdigit() for ch in phase.label) else f"{phase.label} ({span})"
                text = f"{when} · {drug}: {label}"
                for line in _wrap(text, inner):
                    y += _LINE
                    parts.append(f'<text x="{_PAD}" y="{y}">{escape(line)}</text>')
                y += 4
                classes = "bar" + (" open" if phase.end_weeks is None else "") + (" choice" if choice else "")
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{bar_width:.1f}" height="{_BAR}" rx="2" '
                    f'fill="{colour}" stroke="{colour}" class="{classes}">'
                    f"<title>{escape(text)}</title></rect>"
                )
                y += _BAR
            for branch in phase.branches:
                for line in _wrap(f"↳ {branch.text}", inner):
                    y += _LINE
                    parts.append(f'<text x="{_PAD}" y="{y}" class="phase">{escape(line)}</text>')
        y += _GAP
    grid: list[str] = []
    for value in values:
        x = _PAD + inner * (value * per_unit) / horizon
        grid.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{tick_top}" y2="{y}" class="tick"/>')
    height = y + _PAD
    label = escape(f"Regimen timeline: {title}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<style>{_STYLE}</style><title>{label}</title>" + "".join(grid + ticks + parts) + "</svg>"
    )


def _tick_values(horizon: float, per_unit: float, step: float) -> list[float]:
    values: list[float] = []
    value = 0.0
    while value * per_unit <= horizon + 1e-9:
        values.append(value)
        value += step
    return values
