"""Flattened page tables segmented with the names other records know (the store's gazetteer)."""

from __future__ import annotations

from pathlib import Path

from page_renderer import render_page
from trialatlas.model import AgencyClass, Intervention, InterventionType, Sponsor, Trial
from trialatlas.services.ingest import ingest
from trialatlas.sources.pages import PageKnowledge, read_page
from trialatlas.sources.pages.knowledge import default_knowledge
from trialatlas.sources.pages.tables import segment_names
from trialatlas.store import SqliteStore

NHLBI = "National Heart, Lung, and Blood Institute (NHLBI)"


def _knowing(*names: str) -> PageKnowledge:
    knowledge = PageKnowledge.empty()
    for name in names:
        knowledge.add_organisation(name)
    return knowledge


def test_a_run_of_names_is_cut_only_where_one_reading_fits() -> None:
    both = _knowing("Columbia University", NHLBI)
    text = f"Columbia University {NHLBI}"
    assert segment_names(text, 2, both.is_organisation) == ["Columbia University", NHLBI]
    # One name known: the other is what remains, when it can stand as a name of its own.
    assert segment_names(text, 2, _knowing(NHLBI).is_organisation) == ["Columbia University", NHLBI]
    # Nothing known, or two readings as good as each other: no cut.
    assert segment_names(text, 2, _knowing().is_organisation) is None
    rival = _knowing("Alpha Health", "Beta Institute", "Alpha Health Beta", "Institute")
    assert segment_names("Alpha Health Beta Institute", 2, rival.is_organisation) is None
    # A remainder that cannot be a name ("of Medicine") is no reading.
    assert segment_names("Baylor College of Medicine", 2, _knowing("Baylor College").is_organisation) is None


def test_knowledge_without_a_trial_hides_the_names_only_it_gives() -> None:
    own = Trial(
        nct_id="NCT09000010",
        lead_sponsor=Sponsor(name="Only Here Hospital", agency_class=AgencyClass.OTHER),
        collaborators=[Sponsor(name=NHLBI, agency_class=AgencyClass.NIH)],
        interventions=[Intervention(name="Zzyzx-12", type=InterventionType.DRUG)],
    )
    other = Trial(nct_id="NCT09000012", collaborators=[Sponsor(name=NHLBI, agency_class=AgencyClass.NIH)])
    knowledge = PageKnowledge.from_trials([own, other])
    assert knowledge.is_organisation("only here  HOSPITAL") and knowledge.is_intervention("zzyzx-12")
    assert knowledge.agency_class(NHLBI) is AgencyClass.NIH
    left = knowledge.without(own)
    assert not left.is_organisation("Only Here Hospital") and not left.is_intervention("Zzyzx-12")
    assert left.is_organisation(NHLBI)  # another record names it too


def test_layout_b_sponsor_row_is_cut_with_known_names_else_kept_whole() -> None:
    trial = Trial(
        nct_id="NCT09000014",
        brief_title="Sleep apnea and endothelial function",
        lead_sponsor=Sponsor(name="Columbia University"),
        collaborators=[Sponsor(name=NHLBI), Sponsor(name="Fictional Sleep Research Network")],
    )
    page = render_page(trial, "B").encode()
    read = read_page(page, "p.txt", knowledge=_knowing(NHLBI))
    assert isinstance(read, Trial) and read.lead_sponsor is not None
    assert read.lead_sponsor.name == "Columbia University"
    assert [c.name for c in read.collaborators] == [NHLBI, "Fictional Sleep Research Network"]
    assert not any(w.startswith("sponsors:") for w in read.sources[0].warnings)
    whole = read_page(page, "p.txt", knowledge=PageKnowledge.empty())
    assert isinstance(whole, Trial) and whole.lead_sponsor is not None
    assert whole.lead_sponsor.name == f"Columbia University {NHLBI}"
    assert any(w.startswith("sponsors: the table lists 3") for w in whole.sources[0].warnings)


def test_the_shared_archive_lends_its_names_when_no_store_does() -> None:
    knowledge = default_knowledge()
    assert knowledge.is_organisation("National Cancer Institute (NCI)")
    assert knowledge.agency_class("National Cancer Institute (NCI)") is AgencyClass.NIH
    assert knowledge.intervention_type.get("placebo") is not None


def test_ingest_reads_pages_with_the_names_its_store_holds(tmp_path: Path) -> None:
    """A collaborator only the store knows cuts a page's flattened sponsor row at ingest."""
    partner = "Fictional Consortium for Example Studies"
    known = Trial(nct_id="NCT09000016", brief_title="Stored", collaborators=[Sponsor(name=partner)])
    page_trial = Trial(
        nct_id="NCT09000018",
        brief_title="A page",
        lead_sponsor=Sponsor(name="Made Up General Hospital"),
        collaborators=[Sponsor(name=partner)],
    )
    page = tmp_path / "pages" / "NCT09000018.txt"
    page.parent.mkdir()
    page.write_text(render_page(page_trial, "B"))
    for stored, expected in (([known], ["Made Up General Hospital", partner]), ([], None)):
        store = SqliteStore(tmp_path / f"atlas{len(stored)}.db")
        store.upsert_batch(stored)
        report = ingest([page.parent], store)
        assert report.ok, report.errors
        read = store.get("NCT09000018")
        assert read is not None and read.lead_sponsor is not None
        names = [read.lead_sponsor.name, *(c.name for c in read.collaborators)]
        if expected is None:  # an empty store lends the shared archive's names, which lack both
            assert names == [f"Made Up General Hospital {partner}"]
        else:
            assert names == expected
        store.close()


def test_the_renderer_flattens_layout_c_tables_as_seed_004_does(shared_data: Path) -> None:
    """The arms table of seed 004, rebuilt from its trial's arms and interventions, renders to the very
    line the seed holds: header and every row, ordered by intervention, on one line."""
    from trialatlas.model import Arm

    seed = next((shared_data.parent / "seeds").glob("004_*.txt")).read_text(encoding="utf-8")
    line = next(row for row in seed.splitlines() if row.startswith("Group Intervention Description "))
    read = read_page(seed.encode(), "004.txt", knowledge=PageKnowledge.empty())
    assert isinstance(read, Trial) and [a.label for a in read.arms] == ["Group I", "Group II"]
    rebuilt = Trial(
        nct_id=read.nct_id,
        arms=[Arm(label=a.label, description=a.description) for a in read.arms],
        interventions=[Intervention(name=i.name, arm_labels=i.arm_labels) for i in read.interventions],
    )
    page = render_page(rebuilt, "C").splitlines()
    assert line in page


def test_an_arms_table_whose_cells_run_over_sentences_is_kept_unread() -> None:
    from trialatlas.model import Arm

    trial = Trial(
        nct_id="NCT09000020",
        brief_title="Two arms",
        arms=[
            Arm(label="Arm I (celecoxib)", description="Patients receive celecoxib. Treatment repeats."),
            Arm(label="Arm II (placebo)", description="Patients receive a placebo. Treatment repeats."),
        ],
        interventions=[
            Intervention(name="celecoxib", arm_labels=["Arm I (celecoxib)"]),
            Intervention(name="placebo", arm_labels=["Arm II (placebo)"]),
        ],
    )
    read = read_page(render_page(trial, "C").encode(), "p.txt", knowledge=PageKnowledge.empty())
    assert isinstance(read, Trial)
    warned = any(w.startswith("arms table: rows and cells not told apart") for w in read.sources[0].warnings)
    labels = [a.label for a in read.arms]
    # Either the rows are read right, or the table is kept unread and said so: never a made-up arm.
    assert labels == ["Arm I (celecoxib)", "Arm II (placebo)"] or (warned and not labels)
