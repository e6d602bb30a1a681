"""Routes of medicines: a criterion about "systemic" or "inhaled" steroids, or "steroids other than
topical", is judged on the patient's medicines given by those routes; a note's route is read beside
the drug ("hydrocortisone 1% cream", "gemcitabine 500 mg IV weekly"), and a route the note does not
give leaves the criterion open."""

from __future__ import annotations

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of

OTHER_THAN_TOPICAL = "Steroids other than topical."


def test_the_note_gives_the_route_beside_the_drug_and_a_stage_is_no_route() -> None:
    note = (
        "Woman, 60, with stage IV pancreatic cancer. She received gemcitabine 500 mg IV weekly. "
        "She uses hydrocortisone 1% cream for eczema and inhaled budesonide for asthma."
    )
    routes = {m.drugs[0]: m.route for m in profile_from_note(note).medications if m.drugs}
    assert routes["gemcitabine"] == "intravenous"
    assert routes["hydrocortisone"] == "topical"
    assert routes["budesonide"] == "inhaled"


def test_a_topical_steroid_alone_does_not_exclude_from_steroids_other_than_topical() -> None:
    note = "Man, 35, with HIV. He uses hydrocortisone 1% cream for seborrheic dermatitis."
    assert status_of(OTHER_THAN_TOPICAL, note, kind="exclusion") != "excluded"


def test_a_daily_oral_dose_beside_the_cream_excludes() -> None:
    note = "Man, 35, with HIV. He uses hydrocortisone 1% cream and takes prednisone 20 mg daily for eczema."
    assert status_of(OTHER_THAN_TOPICAL, note, kind="exclusion") == "excluded"


def test_a_steroid_with_no_route_and_no_dose_leaves_it_open() -> None:
    note = "Woman, 50, with asthma. She takes budesonide."
    assert status_of(OTHER_THAN_TOPICAL, note, kind="exclusion") == "unknown"


def test_a_criterion_about_one_route_is_not_met_by_another() -> None:
    inhaled = "Current use of inhaled corticosteroids"
    assert (
        status_of(inhaled, "Man, 70, with COPD, on prednisone 10 mg daily.", kind="exclusion") != "excluded"
    )
    on_inhaler = "Man, 70, with COPD, using inhaled fluticasone twice daily."
    assert status_of(inhaled, on_inhaler, kind="exclusion") == "excluded"
    systemic = "Current systemic corticosteroid therapy"
    assert (
        status_of(systemic, "Woman, 40, using fluticasone nasal spray daily.", kind="exclusion") != "excluded"
    )
    assert (
        status_of(systemic, "Woman, 40, on prednisone 40 mg daily for a flare.", kind="exclusion")
        == "excluded"
    )
