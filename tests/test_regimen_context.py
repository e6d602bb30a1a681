"""The trial's own intervention list as context for naming a dose's drug (extract/regimen/context.py)."""

from __future__ import annotations

import orjson

from trialatlas.extract.regimen.batch import export_text, parse_jsonl
from trialatlas.extract.regimen.context import trial_interventions
from trialatlas.extract.regimen.timeline import arm_timeline
from trialatlas.model import Intervention, InterventionType, Trial


def drugs(text: str, interventions: list[list[str]] | None = None) -> list[str | None]:
    return [item["drug"] for item in export_text(text, interventions=interventions or ())["items"]]


def test_a_code_the_trial_lists_names_the_dose_before_it() -> None:
    text = "one time 150 μg/disc dose of KTP-001 by intradiscal injection"
    assert drugs(text, [["KTP-001"]]) == ["ktp-001"]


def test_an_unknown_product_is_named_as_written_and_the_plain_text_api_is_unchanged() -> None:
    text = "Approved standard of care macrocyclic GBCA, 0.1 mmol Gd/kg body weight, intravenous, single dose"
    assert drugs(text, [["macrocyclic GBCA"], ["Gadopiclenol"]]) == ["macrocyclic gbca"]
    assert drugs(text) == [None]


def test_a_code_takes_the_generic_the_record_lists_beside_it_but_not_a_chemical_synonym() -> None:
    assert drugs("15mg OPC-41061", [["OPC-41061(Tolvaptan)"]]) == ["tolvaptan"]
    assert drugs("NOV-002 60 mg IV", [["NOV 002", "Oxidized glutathione"]]) == ["nov-002"]


def test_an_abbreviation_the_record_lists_stands_for_its_interventions_generic() -> None:
    text = "LSD 100 µg per os, three times in three weeks"
    assert drugs(text, [["Lysergic Acid Diethylamide", "LSD"], ["Placebo"]]) == ["lysergic acid diethylamide"]


def test_a_name_listed_under_several_interventions_names_none_of_them() -> None:
    text = "6 infusions of ofatumumab with CHOP every 3 weeks. The first infusion will be 300mg"
    listed = [["Ofatumumab"], ["Cyclophosphamide", "CHOP"], ["Doxorubicin", "CHOP"]]
    assert drugs(text, listed) == ["ofatumumab"]


def test_a_number_inside_a_listed_name_is_part_of_it_not_a_dose() -> None:
    text = "MART-1:26-35(27L) peptide 1 mg in IFA SQ on the morning of the cell infusion"
    listed = [["MART-1:26-35(27L)", "melanoma-associated antigen recognized by T cells"]]
    items = export_text(text, interventions=listed)["items"]
    read = [(i["drug"], i["amount_low"], i["unit"]) for i in items]
    assert read == [("mart-1:26-35(27l) peptide", 1, "mg")]


def test_procedures_and_radiation_are_no_context_and_the_batch_reads_interventions() -> None:
    trial = Trial(
        nct_id="NCT00000002",
        interventions=[
            Intervention(name="KTP-001", type=InterventionType.DRUG),
            Intervention(name="Hypofractionated radiotherapy", type=InterventionType.RADIATION),
            Intervention(name="Nerve block RX-22", type=InterventionType.PROCEDURE),
        ],
    )
    assert trial_interventions(trial) == [["KTP-001"]]
    line = orjson.dumps({"id": "a", "text": "5 μg/disc dose of KTP-001", "interventions": [["KTP-001"]]})
    assert [item["drug"] for item in next(parse_jsonl([line]))["items"]] == ["ktp-001"]


def test_an_arm_timeline_reads_the_trials_names() -> None:
    timeline = arm_timeline("Cohort 1", "one time 5 μg/disc dose of KTP-001", listed=[["KTP-001"]])
    assert [item.drug for phase in timeline.phases for item in phase.items if item.dose] == ["ktp-001"]


def test_a_short_form_of_a_listed_generic_names_its_dose_and_an_unrelated_word_does_not() -> None:
    listed = [["Temsirolimus (CCI-779)", "Torisel"], ["Prednisone"]]
    assert drugs("20 mg/m2 IV TEMSR weekly", listed) == ["temsirolimus"]
    assert drugs("Pred 40 mg daily for 4 weeks", listed) == ["prednisone"]
    assert drugs("Pred 40 mg daily for 4 weeks") == [None]
    assert drugs("Then 40 mg daily for 4 weeks", listed) == [None]
