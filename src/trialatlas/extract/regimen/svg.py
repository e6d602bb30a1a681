"""The timeline as an SVG chart: one row per arm, one bar per drug per phase, labelled with the dose."""

from __future__ import annotations

from html import escape

from trialatlas.extract.regimen.timeline import Phase, TrialTimeline, drug_label

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_LEFT = 170
_WIDTH = 900
_LANE = 20
_PAD = 10


def _bars(phase: Phase) -> list[tuple[str, str]]:
    """(drug, label) per drug of the phase, doses of one drug joined."""
    bars: dict[str, list[str]] = {}
    for item in phase.items:
        name = drug_label(item)
        label = item.dose.label() if item.dose else "dose not stated"
        if item.frequency:
            label += f" {item.frequency}"
        bars.setdefault(name, [])
        if label not in bars[name]:
            bars[name].append(label)
    for name in phase.undosed_drugs:
        bars.setdefault(name, ["dose not stated"])
    return [(name, "; ".join(labels)) for name, labels in bars.items()]


def render_svg(timeline: TrialTimeline) -> str:
    """A standalone SVG document of ``timeline``."""
    horizon = timeline.horizon_weeks
    scale = (_WIDTH - _LEFT - _PAD) / horizon
    colours: dict[str, str] = {}
    rows: list[str] = []
    y = 40
    for arm in timeline.arms:
        lanes = max((len(_bars(p)) for p in arm.phases), default=1) or 1
        height = lanes * _LANE + _PAD
        rows.append(f'<text x="{_PAD}" y="{y + 14}" class="arm">{escape(arm.arm[:28])}</text>')
        rows.append(
            f'<line x1="{_PAD}" x2="{_WIDTH - _PAD}" y1="{y + height}" y2="{y + height}" class="sep"/>'
        )
        for phase in arm.phases:
            start = phase.start_weeks or 0.0
            end = phase.end_weeks if phase.end_weeks is not None else horizon
            x = _LEFT + start * scale
            width = max(2.0, (end - start) * scale - 2)
            rows.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{height - 4}" class="phase">'
                f"<title>{escape(phase.label)}</title></rect>"
            )
            for lane, (drug, label) in enumerate(_bars(phase)):
                colour = colours.setdefault(drug, _PALETTE[len(colours) % len(_PALETTE)])
                by = y + 2 + lane * _LANE
                open_end = ' stroke-dasharray="4 2"' if phase.end_weeks is None else ""
                rows.append(
                    f'<rect x="{x + 1:.1f}" y="{by}" width="{max(1.0, width - 2):.1f}" height="{_LANE - 4}" '
                    f'fill="{colour}" fill-opacity="0.8" stroke="{colour}"{open_end}>'
                    f"<title>{escape(drug)}: {escape(label)} ({escape(phase.label)})</title></rect>"
                )
                rows.append(
                    f'<text x="{x + 4:.1f}" y="{by + 12}" class="bar">{escape(drug)} {escape(label)}</text>'
                )
        y += height + _PAD
    ticks = []
    step = 4 if horizon <= 52 else (13 if horizon <= 156 else 26)
    week = 0.0
    while week <= horizon + 1e-9:
        x = _LEFT + week * scale
        ticks.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="28" y2="{y}" class="tick"/>')
        ticks.append(f'<text x="{x:.1f}" y="24" class="axis">w{week:g}</text>')
        week += step
    title = escape(f"{timeline.trial} {timeline.title}"[:110])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{y + _PAD}" '
        f'viewBox="0 0 {_WIDTH} {y + _PAD}" role="img" aria-label="{title}">'
        "<style>text{font-family:sans-serif;font-size:11px}.arm{font-weight:bold}.bar{fill:#fff;font-size:10px}"
        ".axis{fill:#666;font-size:9px;text-anchor:middle}.tick{stroke:#ddd}.sep{stroke:#bbb}"
        ".phase{fill:#f4f4f4;stroke:#999}</style>"
        f'<text x="{_PAD}" y="12" class="arm">{title}</text>' + "".join(ticks) + "".join(rows) + "</svg>"
    )
