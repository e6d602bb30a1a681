"""Arm timelines, the SVG chart, and the ``regimen`` command over a real store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from trialatlas.cli import app, commands  # noqa: F401  (registers the commands)
from trialatlas.extract.regimen import arm_timeline, render_svg, trial_timeline
from trialatlas.model import Arm, ArmGroupType, Intervention, InterventionType, Trial

TAC_ARM = (
    "Tacrolimus: 0.5mg and 1mg; Capsule; 0.05-0.10mg/kg/day,BID; Steroid: 5mg; Oral tablets; "
    "1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd;"
)
TAC_INTERVENTION = (
    "The patients will be divided into two groups randomly. Tacrolimus dose: 0.05-0.10 mg/kg/day, BID. "
    "The concentration for tacrolimus is 5-10 ng/ml,then reduce the dosage of drugs to maintian the "
    "concentration for tacrolimus is \\< 5ng/ml. Total duration : 1 year.\n\nSteroid dose: 1.0-1.5 "
    "mg/kg, qod "
    "or 0.5-0.75 mg/kg/day, qd, then gradually taper the steroid to 5mg/day."
)
MMF_ARM = (
    "Mycophenolate Mofetil: 250mg; Dispersible tablets; 20\\~30mg/kg/day,BID; Steroid: 5mg; Oral tablets; "
    "1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd;"
)


def seed_001() -> Trial:
    return Trial(
        nct_id="NCT04048161",
        brief_title="Study of Tacrolimus vs Mycophenolate Mofetil in Pediatric Patients With Nephrotic "
        "Syndrome",
        arms=[
            Arm(
                label="Tacrolimus(Group A)",
                type=ArmGroupType.EXPERIMENTAL,
                description=TAC_ARM,
                intervention_names=["Drug: Tacrolimus"],
            ),
            Arm(
                label="Mycophenolate Mofetil(Group B)",
                type=ArmGroupType.ACTIVE_COMPARATOR,
                description=MMF_ARM,
                intervention_names=["Drug: Mycophenolate Mofetil"],
            ),
        ],
        interventions=[
            Intervention(
                type=InterventionType.DRUG,
                name="Tacrolimus",
                description=TAC_INTERVENTION,
                arm_labels=["Tacrolimus(Group A)"],
            ),
        ],
    )


def seed_000() -> Trial:
    return Trial(
        nct_id="NCT03580291",
        brief_title="Steroid tapering in lupus nephritis",
        arms=[
            Arm(
                label="steroid tapering group",
                description="0\\~6th month: mycophenolate mofetil (1g/d) + tacrolimus (2.0mg/d) + "
                "steroid (1 pill/d) "
                "6th\\~18th month: mycophenolate mofetil (1g/d) + tacrolimus (2.0mg/d) 18th\\~30th month: "
                "Participants who stop steroid treatment and do not flare will be randomly assigned to "
                "monotherapy "
                "with mycophenolate mofetil or tacrolimus",
            ),
            Arm(
                label="steroid maintenance group",
                description="0\\~18th month: mycophenolate mofetil (1g/d) + tacrolimus (2.0mg/d) + "
                "steroid (1 pill/d) "
                "18th\\~24th month: Participants who do not flare will stop the use of steroid. "
                "24th\\~30th month: "
                "Participants who do not flare will be randomly assigned to monotherapy with mycophenolate "
                "mofetil or tacrolimus",
            ),
        ],
    )


def seed_003() -> Trial:
    arm = Arm(
        label="Belimumab and multi-target therapy group",
        description="Patients with severe lupus nephritis will be enrolled and received pulse "
        "methylprednisolone at a "
        "dose of 1.5 to 3.0g, followed by intravenous belimumab at a dose of 10mg per kilogram at weeks "
        "2, 4, and 6, "
        "and every 4 weeks thereafter. Multitarget therapy will be also administered during the "
        "induction phase. "
        "Induction therapy will last for 24 weeks.",
        intervention_names=[
            "Drug: Methylprednisolone Injectable Suspension",
            "Drug: Belimumab Injection",
            "Drug: Immunosuppressive Agents",
        ],
    )
    return Trial(
        nct_id="NCT05000000",
        brief_title="Belimumab with multitarget therapy",
        arms=[arm],
        interventions=[
            Intervention(
                name="Methylprednisolone Injectable Suspension",
                description="Methylprednisolone pulse therapy, total dose from 1500mg to 3000mg.",
            ),
            Intervention(
                name="Belimumab Injection",
                description="Belimumab at a dose of 10mg per kilogram at weeks "
                "2, 4, and 6, and every 4 weeks for 24 weeks.",
            ),
            Intervention(
                name="Immunosuppressive Agents",
                description="1. Mycophenolate Mofetil, oral, 1.0-1.5g per "
                "day;\n2. Tacrolimus, oral, 2-4mg per day.",
            ),
        ],
    )


def _phases(timeline_arm: object) -> list[tuple[str, float | None, float | None, list[str]]]:
    return [
        (p.label, p.start_weeks, p.end_weeks, sorted({i.drug or "?" for i in p.items if i.dose}))
        for p in timeline_arm.phases  # type: ignore[attr-defined]
    ]


def test_month_ranges_become_ordered_phases_with_branches() -> None:
    tapering, maintenance = trial_timeline(seed_000()).arms
    assert _phases(tapering) == [
        ("0–6 months", 0.0, 26.0, ["glucocorticoid", "mycophenolate mofetil", "tacrolimus"]),
        ("6–18 months", 26.0, 78.0, ["mycophenolate mofetil", "tacrolimus"]),
        ("18–30 months", 78.0, 130.0, []),
    ]
    assert [b.kind for b in tapering.phases[2].branches] == ["randomisation"]
    assert [p.label for p in maintenance.phases] == ["0–18 months", "18–24 months", "24–30 months"]
    assert maintenance.phases[1].branches[0].kind == "stop"


def test_named_phases_and_interventions_merge() -> None:
    (arm,) = trial_timeline(seed_003()).arms
    (induction,) = arm.phases
    assert (induction.label, induction.start_weeks, induction.end_weeks) == ("induction", 0.0, 24.0)
    drugs = [(i.drug, i.dose.label() if i.dose else None) for i in induction.items]
    # The intervention's belimumab and methylprednisolone doses repeat the arm's: kept once.
    assert drugs == [
        ("methylprednisolone", "1.5–3 g"),
        ("belimumab", "10 mg/kg"),
        ("mycophenolate mofetil", "1–1.5 g/day"),
        ("tacrolimus", "2–4 mg/day"),
    ]
    belimumab = induction.items[1]
    assert belimumab.schedule_weeks == [2.0, 4.0, 6.0] and belimumab.frequency == "Q4W"


def test_induction_then_maintenance_and_open_ended_single_phase() -> None:
    timeline = arm_timeline(
        "Group I",
        "Patients are treated with glucocorticoids and mycophenolate mofetil in remission induction period "
        "(6 months), during which glucocorticoids are tapered regularly and discontinued in 6 months. "
        "Afterwards, "
        "patients are treated with low dose mycophenolate (1-1.5g/day) during remission maintenance "
        "period for "
        "12 months.",
    )
    assert _phases(timeline) == [
        ("induction", 0.0, 26.0, []),
        ("maintenance", 26.0, 78.0, ["mycophenolate mofetil"]),
    ]
    assert timeline.phases[0].undosed_drugs == ["glucocorticoid", "mycophenolate mofetil"]
    single = arm_timeline("A", "Letrozole 2.5 mg po daily")
    assert len(single.phases) == 1 and single.phases[0].open_ended


def test_intervention_enriches_arm_items() -> None:
    tac_arm = trial_timeline(seed_001()).arms[0]
    (phase,) = tac_arm.phases
    tacrolimus = next(i for i in phase.items if i.drug == "tacrolimus")
    assert [t.high for t in tacrolimus.targets] == [10, 5]
    assert tacrolimus.duration is not None and tacrolimus.duration.unit == "year"
    assert tacrolimus.formulations[0].strengths == [0.5, 1.0]


def test_svg_has_a_block_per_arm_and_a_labelled_bar_per_drug() -> None:
    timeline = trial_timeline(seed_000())
    svg = render_svg(timeline)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text or "" for t in root.iter(f"{ns}text")]
    assert "steroid tapering group" in labels and "steroid maintenance group" in labels
    assert any("tacrolimus: 2 mg/day QD" in label for label in labels)
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill")]
    # tapering: 3 drugs, then MMF+TAC, then the choice MMF or TAC; maintenance: 3, MMF+TAC continued
    # after the steroid stops, then the choice: 12 bars, none for the steroid after it is stopped.
    assert len(bars) == 12
    titles = [r.findtext(f"{ns}title") or "" for r in bars]
    assert not any(t.startswith(("6–18", "18–")) and "steroid" in t.split("·")[1] for t in titles)
    assert sum("(continued)" in t for t in titles) == 2
    assert sum("one or the other" in t for t in titles) == 2
    # The axis is the regimen's real span, in the months the text counts in.
    assert "30 mo" in labels or "30 mo" in " ".join(labels)


def test_regimen_command_prints_arms_and_writes_svg(tmp_path: Path) -> None:
    from trialatlas.store import open_store

    db = tmp_path / "t.db"
    store = open_store(str(db))
    store.upsert_batch([seed_000()])
    store.close()
    svg = tmp_path / "chart.svg"
    result = CliRunner().invoke(app, ["regimen", "NCT03580291", "--db", str(db), "--svg", str(svg)])
    assert result.exit_code == 0, result.output
    assert "steroid tapering group" in result.output and "18–30 months" in result.output
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    missing = CliRunner().invoke(app, ["regimen", "NCT99999999", "--db", str(db)])
    assert missing.exit_code == 1


def test_a_phase_carries_only_the_notes_its_own_text_states() -> None:
    """NCT05916781: the 0–6 month phase took the 18–30 month sentence's stop note (cut mid-word) and its
    randomisation as its items' adjustments and conditions; each phase keeps what its own text says."""
    for arm, description in zip(trial_timeline(seed_000()).arms, seed_000().arms, strict=True):
        words = " ".join((description.description or "").replace("\\~", "~").split())
        for phase in arm.phases:
            for item in phase.items:
                for note in [*(a.text for a in item.adjustments), *(c.text for c in item.conditions)]:
                    assert note in phase.text, (phase.label, note)
                    # A note is whole words of the text: it ends where a word of the description ends.
                    at = words.find(note)
                    assert at >= 0, note
                    after = words[at + len(note) : at + len(note) + 1]
                    assert not after.isalnum(), note
    tapering = trial_timeline(seed_000()).arms[0]
    first = tapering.phases[0]
    assert not any(item.adjustments or item.conditions for item in first.items)
    # The stop itself is still read, by the phase that states it.
    assert tapering.phases[2].stopped == ["glucocorticoid"]


def test_one_pill_a_day_is_shown_in_the_singular_and_kept_in_the_spec_unit(tmp_path: Path) -> None:
    """The seed's "steroid (1 pill/d)": the item keeps the spec's unit "tablets"; shown "1 tablet/day"."""
    timeline = trial_timeline(seed_000())
    steroid = next(i for i in timeline.arms[0].phases[0].items if i.drug == "glucocorticoid")
    assert steroid.dose is not None and steroid.dose.unit == "tablets"
    assert steroid.dose.label() == "1 tablet/day"
    svg = render_svg(timeline)
    assert "1 tablet/day" in svg and "1 tablets" not in svg
    from trialatlas.store import open_store

    db = tmp_path / "t.db"
    store = open_store(str(db))
    store.upsert_batch([seed_000()])
    store.close()
    result = CliRunner().invoke(app, ["regimen", "NCT03580291", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "1 tablet/day" in result.output and "1 tablets" not in result.output
    # No note cut mid-word ("... randomly assigned to monotherapy wit").
    assert "monotherapy wit" not in result.output.replace("monotherapy with", "")
