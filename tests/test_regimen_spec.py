"""The spec's rules (specs/regimen-items.md), one case each, answers written from the spec."""

from __future__ import annotations

import pytest

from regimen_sets import Row, flat

Flat = Row


SPEC_CASES: list[tuple[str, list[Flat]]] = [
    # Frequencies: divided doses, per-period amounts, consecutive days, lists, single doses, rates.
    (
        "a daily dose of 1000 mg divided and given every 12 hours",
        [(None, 1000, 1000, "mg", "day", "BID", None)],
    ),
    ("hydroxyurea 20 mg/kg/day in two divided doses", [("hydroxyurea", 20, 20, "mg", "kg/day", "BID", None)]),
    ("2 mg per kilogram per day of prednisone", [("prednisone", 2, 2, "mg", "kg/day", "QD", None)]),
    ("Fludarabine 30 mg/m2/day x 3 days", [("fludarabine", 30, 30, "mg", "m2/day", "QD", None)]),
    ("one oral dose of 200 mg", [(None, 200, 200, "mg", "dose", "once", "oral")]),
    ("a single injection of 40 mg", [(None, 40, 40, "mg", "dose", "once", None)]),
    ("trastuzumab 4 mg/kg loading dose", [("trastuzumab", 4, 4, "mg", "kg", "once", None)]),
    ("Navelbine 20 mg/m2 days 1, 3 and 5", [("vinorelbine", 20, 20, "mg", "m2", "QOD", None)]),
    # Routes: "IV or orally" is no route; a route stated for a drug applies to all its doses.
    ("ondansetron 8 mg IV or orally", [("ondansetron", 8, 8, "mg", "dose", None, None)]),
    # Drugs: combinations in order, brackets are aliases, "X or placebo" is X, a salt is kept.
    (
        "ezetimibe (+) simvastatin 10/40mg once daily",
        [("ezetimibe", 10, 10, "mg", "dose", "QD", None), ("simvastatin", 40, 40, "mg", "dose", "QD", None)],
    ),
    (
        "Moxifloxacin (Avelox, BAY12-8039) 400 mg tablets once daily",
        [("moxifloxacin", 400, 400, "mg", "dose", "QD", "oral")],
    ),
    ("imatinib mesylate 400 mg daily", [("imatinib mesylate", 400, 400, "mg", "dose", "QD", None)]),
    # Escalation levels belong to the drug the sentence doses, not the one it is combined with.
    (
        "Imatinib 400 mg daily combined with metformin; escalation to 600, 800 mg daily",
        [
            ("imatinib", 400, 400, "mg", "dose", "QD", None),
            ("imatinib", 600, 600, "mg", "dose", "QD", None),
            ("imatinib", 800, 800, "mg", "dose", "QD", None),
        ],
    ),
    # Not items: weight bands, volume infusion rates, diluents, vial strengths, compositions.
    ("patients weighing 40-60 kg receive 20 mg", [(None, 20, 20, "mg", "dose", None, None)]),
    (
        "ceftriaxone 1 g (350 mg/mL solution administered at 2.5 mL/min)",
        [("ceftriaxone", 1, 1, "g", "dose", None, None)],
    ),
    (
        "cyclophosphamide, available in the strength of 1 gram, 0.5 g/m2 monthly",
        [("cyclophosphamide", 0.5, 0.5, "g", "m2", "QM", None)],
    ),
    (
        "pirfenidone 801 mg (3 pills of 267 mg each), three times daily",
        [("pirfenidone", 801, 801, "mg", "dose", "TID", "oral")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_CASES)
def test_spec_case(text: str, expected: list[Flat]) -> None:
    assert flat(text) == expected


def test_alternatives_are_marked_never_concurrent() -> None:
    from trialatlas.extract.regimen import parse_regimen

    items = parse_regimen("Steroid dose: 1.0-1.5 mg/kg, qod or 0.5-0.75 mg/kg/day, qd").dosed_items
    assert len(items) == 2
    assert items[0].alternative_group is not None
    assert items[0].alternative_group == items[1].alternative_group
    both = parse_regimen("tacrolimus 2 mg daily and MMF 1 g twice daily").dosed_items
    assert all(item.alternative_group is None for item in both)


# The spec as the parser's contract: every example and rule of specs/regimen-items.md, each written two or
# three ways as registry texts phrase it (some inside longer arm descriptions), the expected items written
# from the spec before the parser ran on them. Made-up codes are of the spec's "xyz-1234" kind.
N = None
CONTRACT: list[tuple[str, list[Row]]] = [
    # Amounts: "2 to 3 grams" -> 2, 3; "2 x 10e6 cells" -> 2e6; carboplatin "AUC 5" -> 5 AUC.
    (
        "Patients receive metformin 2 to 3 grams daily by mouth.",
        [("metformin", 2, 3, "g", "dose", "QD", "oral")],
    ),
    ("Levetiracetam 500 to 750 mg twice daily.", [("levetiracetam", 500, 750, "mg", "dose", "BID", N)]),
    (
        "Tisagenlecleucel 2 x 10e6 cells given by intravenous infusion once.",
        [("tisagenlecleucel", 2e6, 2e6, "cells", "dose", "once", "iv")],
    ),
    (
        "Arm B: autologous mesenchymal stromal cells, 5 x 10e6 cells intravenously on day 1.",
        [("mesenchymal stromal cells", 5e6, 5e6, "cells", "dose", "once", "iv")],
    ),
    (
        "Carboplatin AUC 5 IV on day 1 of each 21-day cycle.",
        [("carboplatin", 5, 5, "AUC", "dose", "Q3W", "iv")],
    ),
    # Units: µg/ug -> mcg, U -> units, cc -> mL; IU, mmol, puffs as written.
    ("Fentanyl 1 µg/kg IV once before induction.", [("fentanyl", 1, 1, "mcg", "kg", "once", "iv")]),
    (
        "Heparin 5000 U subcutaneously every 12 hours.",
        [("heparin", 5000, 5000, "units", "dose", "BID", "sc")],
    ),
    ("Cholecalciferol 1000 IU daily.", [("cholecalciferol", 1000, 1000, "IU", "dose", "QD", N)]),
    (
        "Potassium chloride 20 mmol orally twice daily.",
        [("potassium chloride", 20, 20, "mmol", "dose", "BID", "oral")],
    ),
    ("Lactulose 10 cc orally three times daily.", [("lactulose", 10, 10, "mL", "dose", "TID", "oral")]),
    ("Inhaled albuterol 2 puffs four times daily.", [("albuterol", 2, 2, "puffs", "dose", "QID", "inhaled")]),
    # Basis: "20 mg daily" -> dose + QD; "20 mg/day" -> day + QD; "mg/d", "per day", "mg/24 h" -> day.
    ("Atorvastatin 20 mg daily.", [("atorvastatin", 20, 20, "mg", "dose", "QD", N)]),
    (
        "Participants take prednisone 20 mg once daily with breakfast for 4 weeks.",
        [("prednisone", 20, 20, "mg", "dose", "QD", N)],
    ),
    ("Prednisone 20 mg/day.", [("prednisone", 20, 20, "mg", "day", "QD", N)]),
    (
        "Hydroxychloroquine 400 mg per day by mouth.",
        [("hydroxychloroquine", 400, 400, "mg", "day", "QD", "oral")],
    ),
    ("Allopurinol 300 mg/d for the whole study.", [("allopurinol", 300, 300, "mg", "day", "QD", N)]),
    ("Morphine 60 mg/24 h.", [("morphine", 60, 60, "mg", "day", "QD", N)]),
    # "75 mg/m2 bd" -> m2 + BID.
    ("Cytarabine 75 mg/m2 bd subcutaneously.", [("cytarabine", 75, 75, "mg", "m2", "BID", "sc")]),
    (
        "Capecitabine 1000 mg/m2 bd on days 1-14 of a 21-day cycle.",
        [("capecitabine", 1000, 1000, "mg", "m2", "BID", N)],
    ),
    # "2 mg per kilogram per day" -> kg/day; mg/week -> week + QW; mg/m2/day -> m2/day.
    ("Prednisolone 2 mg per kilogram per day.", [("prednisolone", 2, 2, "mg", "kg/day", "QD", N)]),
    (
        "Methylprednisolone 1 mg per kg per day intravenously.",
        [("methylprednisolone", 1, 1, "mg", "kg/day", "QD", "iv")],
    ),
    ("Methotrexate 15 mg/week orally.", [("methotrexate", 15, 15, "mg", "week", "QW", "oral")]),
    ("Methotrexate 15 mg per week.", [("methotrexate", 15, 15, "mg", "week", "QW", N)]),
    ("Fludarabine 25 mg/m2/day IV on days 1-5.", [("fludarabine", 25, 25, "mg", "m2/day", "QD", "iv")]),
    # Frequencies: q24h/daily/nightly/QHS -> QD.
    ("Ceftriaxone 2 g IV q24h.", [("ceftriaxone", 2, 2, "g", "dose", "QD", "iv")]),
    ("Melatonin 3 mg nightly.", [("melatonin", 3, 3, "mg", "dose", "QD", N)]),
    ("Simvastatin 40 mg QHS.", [("simvastatin", 40, 40, "mg", "dose", "QD", N)]),
    ("Quetiapine 25 mg orally qhs for 8 weeks.", [("quetiapine", 25, 25, "mg", "dose", "QD", "oral")]),
    # q12h/bd/"at 12-hour intervals" -> BID; q8h -> TID; q6h -> QID.
    ("Vancomycin 1 g IV q12h.", [("vancomycin", 1, 1, "g", "dose", "BID", "iv")]),
    (
        "Enoxaparin 1 mg/kg subcutaneously at 12-hour intervals.",
        [("enoxaparin", 1, 1, "mg", "kg", "BID", "sc")],
    ),
    (
        "Oral valganciclovir 900 mg given at 12-hour intervals for 21 days.",
        [("valganciclovir", 900, 900, "mg", "dose", "BID", "oral")],
    ),
    ("Metronidazole 500 mg IV q8h.", [("metronidazole", 500, 500, "mg", "dose", "TID", "iv")]),
    ("Ibuprofen 400 mg orally q6h.", [("ibuprofen", 400, 400, "mg", "dose", "QID", "oral")]),
    # Alternate days -> QOD.
    ("Prednisone 10 mg on alternate days.", [("prednisone", 10, 10, "mg", "dose", "QOD", N)]),
    ("Aspirin 81 mg every other day.", [("aspirin", 81, 81, "mg", "dose", "QOD", N)]),
    # Every 30 days / monthly -> QM; every 28 days / 4 weeks -> Q4W; every 21 days -> Q3W.
    (
        "Leuprolide 7.5 mg intramuscularly every 30 days.",
        [("leuprolide", 7.5, 7.5, "mg", "dose", "QM", "im")],
    ),
    ("Denosumab 120 mg subcutaneously monthly.", [("denosumab", 120, 120, "mg", "dose", "QM", "sc")]),
    ("Zoledronic acid 4 mg IV every 28 days.", [("zoledronic acid", 4, 4, "mg", "dose", "Q4W", "iv")]),
    ("Fulvestrant 500 mg IM every 4 weeks.", [("fulvestrant", 500, 500, "mg", "dose", "Q4W", "im")]),
    ("Docetaxel 75 mg/m2 IV every 21 days.", [("docetaxel", 75, 75, "mg", "m2", "Q3W", "iv")]),
    # Divided doses: "1000 mg daily in two divided doses" -> day + BID; "divided in 3 doses" -> TID.
    (
        "Mycophenolate mofetil 1000 mg daily in two divided doses.",
        [("mycophenolate mofetil", 1000, 1000, "mg", "day", "BID", N)],
    ),
    ("Hydroxyurea 1500 mg/day divided in 3 doses.", [("hydroxyurea", 1500, 1500, "mg", "day", "TID", N)]),
    (
        "Gabapentin 900 mg per day given in three divided doses.",
        [("gabapentin", 900, 900, "mg", "day", "TID", N)],
    ),
    # A run of consecutive days -> QD ("days 1-5", "x 5 days", "days -6 to -2", "days 1 and 2").
    ("Cytarabine 100 mg/m2 IV days 1-5.", [("cytarabine", 100, 100, "mg", "m2", "QD", "iv")]),
    ("Dexamethasone 40 mg x 4 days.", [("dexamethasone", 40, 40, "mg", "dose", "QD", N)]),
    ("Busulfan 0.8 mg/kg IV on days -6 to -2.", [("busulfan", 0.8, 0.8, "mg", "kg", "QD", "iv")]),
    ("Ondansetron 8 mg on days 1 and 2.", [("ondansetron", 8, 8, "mg", "dose", "QD", N)]),
    # Rest periods of cycles are ignored.
    (
        "Capecitabine 825 mg/m2 orally daily on days 1-14 of each 28-day cycle.",
        [("capecitabine", 825, 825, "mg", "m2", "QD", "oral")],
    ),
    (
        "Gemcitabine 1000 mg/m2 IV on days 1, 8, 15 of a 21-day cycle.",
        [("gemcitabine", 1000, 1000, "mg", "m2", "QW", "iv")],
    ),
    (
        "Patients in the control arm receive paclitaxel 80 mg/m2 on days 1, 8 and 15 of each 28-day cycle.",
        [("paclitaxel", 80, 80, "mg", "m2", "QW", N)],
    ),
    (
        "Daunorubicin 60 mg/m2 IV on days 1, 3 and 5 of every 3-week cycle.",
        [("daunorubicin", 60, 60, "mg", "m2", "QOD", "iv")],
    ),
    # One administration per cycle -> the cycle length.
    (
        "Cisplatin 75 mg/m2 IV on day 1 of each 21-day cycle.",
        [("cisplatin", 75, 75, "mg", "m2", "Q3W", "iv")],
    ),
    (
        "Oxaliplatin 85 mg/m2 on day 1 of each 14-day cycle for 12 cycles.",
        [("oxaliplatin", 85, 85, "mg", "m2", "Q2W", N)],
    ),
    # Evenly spaced lists -> that interval; uneven lists -> null.
    ("Cetuximab 500 mg/m2 in weeks 1, 3 and 5.", [("cetuximab", 500, 500, "mg", "m2", "Q2W", N)]),
    ("Bevacizumab 10 mg/kg at weeks 1, 3, 5 and 7.", [("bevacizumab", 10, 10, "mg", "kg", "Q2W", N)]),
    (
        "Infliximab 5 mg/kg by intravenous infusion at weeks 0, 2 and 6.",
        [("infliximab", 5, 5, "mg", "kg", N, "iv")],
    ),
    ("Zoledronic acid 4 mg IV at months 0, 3 and 12.", [("zoledronic acid", 4, 4, "mg", "dose", N, "iv")]),
    # once: a single dose, one time, one oral dose, a loading dose, one named day of a non-repeating schedule.
    ("Azithromycin 1 g orally as a single dose.", [("azithromycin", 1, 1, "g", "dose", "once", "oral")]),
    ("Tranexamic acid 1 g IV one time.", [("tranexamic acid", 1, 1, "g", "dose", "once", "iv")]),
    ("Clopidogrel 600 mg loading dose.", [("clopidogrel", 600, 600, "mg", "dose", "once", N)]),
    ("Melphalan 140 mg/m2 IV on day -3.", [("melphalan", 140, 140, "mg", "m2", "once", "iv")]),
    (
        "Conditioning: rituximab 375 mg/m2 on day -7 before the transplant.",
        [("rituximab", 375, 375, "mg", "m2", "once", N)],
    ),
    # PRN, BIW, TIW.
    ("Ibuprofen 400 mg orally as needed for pain.", [("ibuprofen", 400, 400, "mg", "dose", "PRN", "oral")]),
    (
        "Interferon alfa-2b 3 million units subcutaneously three times weekly.",
        [("interferon alfa-2b", 3e6, 3e6, "units", "dose", "TIW", "sc")],
    ),
    ("Teriparatide 40 mcg twice weekly.", [("teriparatide", 40, 40, "mcg", "dose", "BIW", N)]),
    # continuous = rate dosing ("0.05 mg/kg/h") or an explicit continuous infusion.
    ("Midazolam 0.05 mg/kg/h.", [("midazolam", 0.05, 0.05, "mg", "kg/hour", "continuous", N)]),
    (
        "Sedation with ketamine 0.1 mg/kg/hour intravenously during the procedure.",
        [("ketamine", 0.1, 0.1, "mg", "kg/hour", "continuous", "iv")],
    ),
    (
        "Heparin 18 units/kg/hour by continuous infusion.",
        [("heparin", 18, 18, "units", "kg/hour", "continuous", "iv")],
    ),
    (
        "5-FU 1000 mg/m2/day as a continuous intravenous infusion on days 1-4.",
        [("fluorouracil", 1000, 1000, "mg", "m2/day", "continuous", "iv")],
    ),
    # null when not stated.
    ("Aspirin 100 mg.", [("aspirin", 100, 100, "mg", "dose", N, N)]),
    # Route: stated, or implied by an unambiguous form (tablet/capsule/PO -> oral; infusion/"by vein" -> iv;
    # patch -> transdermal).
    ("Metformin 500 mg tablets twice daily.", [("metformin", 500, 500, "mg", "dose", "BID", "oral")]),
    ("Omeprazole 20 mg capsule once daily.", [("omeprazole", 20, 20, "mg", "dose", "QD", "oral")]),
    ("Warfarin 5 mg PO daily.", [("warfarin", 5, 5, "mg", "dose", "QD", "oral")]),
    ("Cyclophosphamide 750 mg/m2 by vein once.", [("cyclophosphamide", 750, 750, "mg", "m2", "once", "iv")]),
    ("Nicotine patch 21 mg daily.", [("nicotine", 21, 21, "mg", "dose", "QD", "transdermal")]),
    # "injection" alone and alternatives ("IV or orally") -> null.
    ("Methotrexate 25 mg injection once weekly.", [("methotrexate", 25, 25, "mg", "dose", "QW", N)]),
    ("Triptorelin 3.75 mg injection every 4 weeks.", [("triptorelin", 3.75, 3.75, "mg", "dose", "Q4W", N)]),
    ("Levofloxacin 500 mg IV or orally once daily.", [("levofloxacin", 500, 500, "mg", "dose", "QD", N)]),
    ("Fluconazole 400 mg orally or intravenously daily.", [("fluconazole", 400, 400, "mg", "dose", "QD", N)]),
    # A route stated for a drug applies to all its doses.
    (
        "Prednisone is given orally: 60 mg daily for 2 weeks, then 40 mg daily for 2 weeks, "
        "then 20 mg daily.",
        [
            ("prednisone", 60, 60, "mg", "dose", "QD", "oral"),
            ("prednisone", 40, 40, "mg", "dose", "QD", "oral"),
            ("prednisone", 20, 20, "mg", "dose", "QD", "oral"),
        ],
    ),
    (
        "Oral dexamethasone 20 mg on days 1-4, followed by 10 mg on days 9-12.",
        [
            ("dexamethasone", 20, 20, "mg", "dose", "QD", "oral"),
            ("dexamethasone", 10, 10, "mg", "dose", "QD", "oral"),
        ],
    ),
    (
        "Trastuzumab 8 mg/kg IV loading dose, then 6 mg/kg every 3 weeks.",
        [
            ("trastuzumab", 8, 8, "mg", "kg", "once", "iv"),
            ("trastuzumab", 6, 6, "mg", "kg", "Q3W", "iv"),
        ],
    ),
    # Not items: diluents and vehicles.
    (
        "Oxaliplatin 85 mg/m2 diluted in 500 mL D5W.",
        [("oxaliplatin", 85, 85, "mg", "m2", N, N)],
    ),
    (
        "Docetaxel 75 mg/m2 in 250 mL normal saline every 3 weeks.",
        [("docetaxel", 75, 75, "mg", "m2", "Q3W", N)],
    ),
    (
        "Cyclophosphamide 500 mg/m2 in sodium chloride 15 mL.",
        [("cyclophosphamide", 500, 500, "mg", "m2", N, N)],
    ),
    # ...concentrations when a dose is also given.
    ("Ketorolac 30 mg (15 mg/mL) IV.", [("ketorolac", 30, 30, "mg", "dose", N, "iv")]),
    ("Morphine 2 mg IV of a 1 mg/mL solution.", [("morphine", 2, 2, "mg", "dose", N, "iv")]),
    # ...vial and tablet strengths listed as available.
    (
        "Cyclophosphamide is supplied in 1 g vials; the dose is 750 mg/m2 IV.",
        [("cyclophosphamide", 750, 750, "mg", "m2", N, "iv")],
    ),
    (
        "Tacrolimus capsules of 0.5 mg and 1 mg; dose 0.1 mg/kg/day in two divided doses.",
        [("tacrolimus", 0.1, 0.1, "mg", "kg/day", "BID", "oral")],
    ),
    # ...infusion rates of a volume.
    (
        "Iron sucrose 200 mg infused at 5 mL/min.",
        [("iron sucrose", 200, 200, "mg", "dose", N, "iv")],
    ),
    # ...drug levels and targets.
    (
        "Tacrolimus 0.05 mg/kg twice daily, adjusted to a trough of 5-10 ng/mL.",
        [("tacrolimus", 0.05, 0.05, "mg", "kg", "BID", N)],
    ),
    ("Cyclosporine to keep trough levels between 100-200 ng/mL.", []),
    # ...dose increments.
    (
        "Insulin glargine 10 units daily, increased by 2 units every 3 days.",
        [("insulin glargine", 10, 10, "units", "dose", "QD", N)],
    ),
    # ...radiation.
    ("Radiotherapy 60 Gy in 30 fractions.", []),
    (
        "Cisplatin 40 mg/m2 weekly with radiotherapy 2 Gy daily.",
        [("cisplatin", 40, 40, "mg", "m2", "QW", N)],
    ),
    # ...lab, weight, age or body-size thresholds.
    ("Patients with serum creatinine above 1.5 mg/dL are excluded.", []),
    (
        "Children aged 6 to 12 years receive montelukast 5 mg once daily.",
        [("montelukast", 5, 5, "mg", "dose", "QD", N)],
    ),
    # Several items for one drug: loading + maintenance, titration and taper steps, cohort levels, weight- or
    # renal-function-based alternatives; the same dose restated counts once.
    (
        "Metoprolol 25 mg twice daily, titrated to 50 mg twice daily and then 100 mg twice daily.",
        [
            ("metoprolol", 25, 25, "mg", "dose", "BID", N),
            ("metoprolol", 50, 50, "mg", "dose", "BID", N),
            ("metoprolol", 100, 100, "mg", "dose", "BID", N),
        ],
    ),
    (
        "Prednisone 40 mg daily for 1 week, then 30 mg daily for 1 week, then 20 mg daily.",
        [
            ("prednisone", 40, 40, "mg", "dose", "QD", N),
            ("prednisone", 30, 30, "mg", "dose", "QD", N),
            ("prednisone", 20, 20, "mg", "dose", "QD", N),
        ],
    ),
    (
        "Cohort 1: XYZ-2102 100 mg daily; cohort 2: 200 mg daily; cohort 3: 400 mg daily.",
        [
            ("xyz-2102", 100, 100, "mg", "dose", "QD", N),
            ("xyz-2102", 200, 200, "mg", "dose", "QD", N),
            ("xyz-2102", 400, 400, "mg", "dose", "QD", N),
        ],
    ),
    (
        "Rivaroxaban 20 mg OD if CrCl ≥ 50 mL/min, else 15 mg OD.",
        [("rivaroxaban", 20, 20, "mg", "dose", "QD", N), ("rivaroxaban", 15, 15, "mg", "dose", "QD", N)],
    ),
    (
        "MMF 1000 mg twice daily if weight > 50 kg, 750 mg twice daily if weight < 50 kg.",
        [
            ("mycophenolate mofetil", 1000, 1000, "mg", "dose", "BID", N),
            ("mycophenolate mofetil", 750, 750, "mg", "dose", "BID", N),
        ],
    ),
    (
        "Aspirin 100 mg daily during weeks 1-4 and 100 mg daily during weeks 5-8.",
        [("aspirin", 100, 100, "mg", "dose", "QD", N)],
    ),
    (
        "Everolimus 5 mg daily given with exemestane; dose escalation to 7.5 and 10 mg daily.",
        [
            ("everolimus", 5, 5, "mg", "dose", "QD", N),
            ("everolimus", 7.5, 7.5, "mg", "dose", "QD", N),
            ("everolimus", 10, 10, "mg", "dose", "QD", N),
        ],
    ),
    # Drug naming: brand -> generic, standard abbreviation -> generic, misspelling -> generic, codes and salts
    # as written, placebo only with an amount, a class name with a dose as written.
    ("Prograf 0.1 mg/kg/day.", [("tacrolimus", 0.1, 0.1, "mg", "kg/day", "QD", N)]),
    ("CellCept 1 g twice daily.", [("mycophenolate mofetil", 1, 1, "g", "dose", "BID", N)]),
    ("Neoral 5 mg/kg/day.", [("cyclosporine", 5, 5, "mg", "kg/day", "QD", N)]),
    ("Sandimmune 3 mg/kg/day IV.", [("cyclosporine", 3, 3, "mg", "kg/day", "QD", "iv")]),
    ("MTX 15 mg weekly.", [("methotrexate", 15, 15, "mg", "dose", "QW", N)]),
    ("CTX 750 mg/m2 IV every 3 weeks.", [("cyclophosphamide", 750, 750, "mg", "m2", "Q3W", "iv")]),
    (
        "Ara-C 100 mg/m2/day continuous infusion days 1-7.",
        [("cytarabine", 100, 100, "mg", "m2/day", "continuous", "iv")],
    ),
    (
        "ATG 2.5 mg/kg/day on days -3 to -1.",
        [("antithymocyte globulin", 2.5, 2.5, "mg", "kg/day", "QD", N)],
    ),
    ("CsA 3 mg/kg/day.", [("cyclosporine", 3, 3, "mg", "kg/day", "QD", N)]),
    ("TAC 0.05 mg/kg twice daily.", [("tacrolimus", 0.05, 0.05, "mg", "kg", "BID", N)]),
    ("BCNU 300 mg/m2 IV on day -6.", [("carmustine", 300, 300, "mg", "m2", "once", "iv")]),
    ("Cyclophosphamid 500 mg/m2 IV.", [("cyclophosphamide", 500, 500, "mg", "m2", N, "iv")]),
    ("Tacrolimous 2 mg twice daily.", [("tacrolimus", 2, 2, "mg", "dose", "BID", N)]),
    ("XYZ-1234 50 mg once daily.", [("xyz-1234", 50, 50, "mg", "dose", "QD", N)]),
    (
        "Metformin hydrochloride 500 mg twice daily.",
        [("metformin hydrochloride", 500, 500, "mg", "dose", "BID", N)],
    ),
    ("Placebo 10 mg tablets once daily.", [("placebo", 10, 10, "mg", "dose", "QD", "oral")]),
    ("Matching placebo once daily.", []),
    ("Placebo capsules twice daily for 12 weeks.", []),
    ("G-CSF 5 mcg/kg/day subcutaneously.", [("g-csf", 5, 5, "mcg", "kg/day", "QD", "sc")]),
    ("Steroid 1 mg/kg/day.", [("steroid", 1, 1, "mg", "kg/day", "QD", N)]),
    (
        "GnRH agonist 3.75 mg IM every 4 weeks.",
        [("gnrh agonist", 3.75, 3.75, "mg", "dose", "Q4W", "im")],
    ),
]

# Found by writing further phrasings of the same rules after the first run (expected items from the spec).
CONTRACT += [
    # A route stated for a drug applies to all its doses, past a cap written between them.
    (
        "Prednisone 1 mg/kg/day (maximum 60 mg/day) by mouth.",
        [("prednisone", 1, 1, "mg", "kg/day", "QD", "oral")],
    ),
    (
        "Vincristine 1.4 mg/m2 (maximum 2 mg) IV on day 1 of each 21-day cycle.",
        [("vincristine", 1.4, 1.4, "mg", "m2", "Q3W", "iv")],
    ),
    # A form written for a product holding several drugs implies the route of each.
    (
        "Hyzaar tablets (losartan 50 mg / hydrochlorothiazide 12.5 mg) once daily.",
        [
            ("losartan", 50, 50, "mg", "dose", "QD", "oral"),
            ("hydrochlorothiazide", 12.5, 12.5, "mg", "dose", "QD", "oral"),
        ],
    ),
    (
        "Exforge tablets (amlodipine 5 mg / valsartan 160 mg) once daily.",
        [
            ("amlodipine", 5, 5, "mg", "dose", "QD", "oral"),
            ("valsartan", 160, 160, "mg", "dose", "QD", "oral"),
        ],
    ),
    # Each item belongs to the drug that the sentence doses: not another drug offered instead, nor one
    # named only as the time of the dose.
    (
        "1 g orally three times daily (or amoxicillin 500 mg orally three times daily)",
        [(N, 1, 1, "g", "dose", "TID", "oral"), ("amoxicillin", 500, 500, "mg", "dose", "TID", "oral")],
    ),
    (
        "100 mg/m2/day by continuous infusion starting 24 hours before the first dose of cisplatin.",
        [(N, 100, 100, "mg", "m2/day", "continuous", "iv")],
    ),
    # once is a single administration: a run of one day is one; "once yearly" repeats, at an interval the
    # list does not hold (null).
    ("Vincristine 1.4 mg/m2 iv for 1 day.", [("vincristine", 1.4, 1.4, "mg", "m2", "once", "iv")]),
    ("Cytarabine 100 mg/m2 x 1 day.", [("cytarabine", 100, 100, "mg", "m2", "once", N)]),
    ("Zoledronic acid 5 mg IV once yearly.", [("zoledronic acid", 5, 5, "mg", "dose", N, "iv")]),
    ("Cholecalciferol 100,000 IU once quarterly.", [("cholecalciferol", 100000, 100000, "IU", "dose", N, N)]),
    # A schedule written once after the doses it follows is each one's ("days 1, 8 of a 21-day cycle" -> QW).
    (
        "Gemcitabine 1000 mg/m2 and cisplatin 25 mg/m2 given on days 1 and 8 of a 21-day cycle.",
        [("gemcitabine", 1000, 1000, "mg", "m2", "QW", N), ("cisplatin", 25, 25, "mg", "m2", "QW", N)],
    ),
    # Brand -> generic, but a brand of two drugs does not rename the generic a dose names.
    (
        "CPX-351 (Vyxeos): daunorubicin 29 mg/m2 and cytarabine 65 mg/m2 administered intravenously "
        "on days 1 and 3.",
        [("daunorubicin", 29, 29, "mg", "m2", "QOD", "iv"), ("cytarabine", 65, 65, "mg", "m2", "QOD", "iv")],
    ),
    # A loading dose is once, however "loading" is written; the dose after it is not a loading dose.
    (
        "Herceptin 8 mg/kg loading then 6 mg/kg every 3 weeks.",
        [("trastuzumab", 8, 8, "mg", "kg", "once", N), ("trastuzumab", 6, 6, "mg", "kg", "Q3W", N)],
    ),
    (
        "Trastuzumab 4 mg/kg loading, 2 mg/kg weekly.",
        [("trastuzumab", 4, 4, "mg", "kg", "once", N), ("trastuzumab", 2, 2, "mg", "kg", "QW", N)],
    ),
    # Dose increments are not items, in a taper as in a titration.
    (
        "Oral prednisone 0.5 mg/kg/day tapered by 5 mg every week to 10 mg/day.",
        [
            ("prednisone", 0.5, 0.5, "mg", "kg/day", "QD", "oral"),
            ("prednisone", 10, 10, "mg", "day", "QD", "oral"),
        ],
    ),
    ("Prednisone 60 mg daily, tapering by 10 mg weekly.", [("prednisone", 60, 60, "mg", "dose", "QD", N)]),
    # Brand -> generic for a short brand written as a word (an abbreviation in capitals keeps its generic).
    ("Botox 100 units.", [("onabotulinumtoxina", 100, 100, "units", "dose", N, N)]),
    ("Xeomin 100 units IM.", [("incobotulinumtoxina", 100, 100, "units", "dose", N, "im")]),
    # A development code stays as written: its number is part of the name, not an amount.
    (
        "The study drug (XYZ-2120, 100 mg) is given with food once daily.",
        [("xyz-2120", 100, 100, "mg", "dose", "QD", N)],
    ),
    (
        "Dexmedetomidine 1 mcg/kg loading over 10 minutes followed by 0.5 mcg/kg/h infusion.",
        [
            ("dexmedetomidine", 1, 1, "mcg", "kg", "once", "iv"),
            ("dexmedetomidine", 0.5, 0.5, "mcg", "kg/hour", "continuous", "iv"),
        ],
    ),
    # A cell count written as a power of ten after the product name: unit cells; "IA" is intra-arterial (R5).
    (
        "Autologous lymphocytes 10^9-10^11 IV over 30 minutes.",
        [("lymphocytes", 1e9, 1e11, "cells", "dose", N, "iv")],
    ),
    (
        "Oral indinavir 350 mg/m2 every 8 hours; peptide pulsed dendritic cells 1 x 10^6 injection.",
        [
            ("indinavir", 350, 350, "mg", "m2", "TID", "oral"),
            ("peptide pulsed dendritic cells", 1e6, 1e6, "cells", "dose", N, N),
        ],
    ),
    ("Melphalan 30 mg IA.", [("melphalan", 30, 30, "mg", "dose", N, "intra-arterial")]),
    ("Patients with stage IA disease receive cisplatin 75 mg/m2.", [("cisplatin", 75, 75, "mg", "m2", N, N)]),
    # Dose-escalation levels: one item each, however the list is joined.
    (
        "Dose levels: 10, 15 and 25 mg.",
        [(N, 10, 10, "mg", "dose", N, N), (N, 15, 15, "mg", "dose", N, N), (N, 25, 25, "mg", "dose", N, N)],
    ),
    (
        "Lenalidomide at 10, 15, 20 or 25 mg.",
        [
            ("lenalidomide", 10, 10, "mg", "dose", N, N),
            ("lenalidomide", 15, 15, "mg", "dose", N, N),
            ("lenalidomide", 20, 20, "mg", "dose", N, N),
            ("lenalidomide", 25, 25, "mg", "dose", N, N),
        ],
    ),
    (
        "XYZ-2106 dose levels of 50, 100 and 200 mg once daily.",
        [
            ("xyz-2106", 50, 50, "mg", "dose", "QD", N),
            ("xyz-2106", 100, 100, "mg", "dose", "QD", N),
            ("xyz-2106", 200, 200, "mg", "dose", "QD", N),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONTRACT)
def test_spec_contract(text: str, expected: list[Row]) -> None:
    assert flat(text) == expected
