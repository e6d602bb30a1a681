"""Medication atoms: what a medication rule (a drug or class taken, stopped, not tolerated or failed,
by route, window and dose) says of a patient. The other rule kinds are :mod:`trialatlas.match.atoms`.
"""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.drugs import class_closure, drug_classes, same_drug
from trialatlas.extract.criteria.qualifiers import route_groups, systemic_daily_mg_from
from trialatlas.extract.criteria.rules import MedicationRule
from trialatlas.match.denied_classes import denied_class
from trialatlas.match.logic import Truth, never_had, outcome
from trialatlas.match.note_reader import says_ended
from trialatlas.match.patient import Evidence, PatientMedication, PatientProfile
from trialatlas.match.qualified import dose_check
from trialatlas.match.stable_dose import stable_check
from trialatlas.text.packaged import packaged_json


def evaluate_medication(rule: MedicationRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    """What a medication rule says of the patient: allergies and failures, a drug stopped, and a drug
    or class taken, by route, window and dose."""
    if rule.relation in ("allergy", "intolerance", "failure"):
        for allergy in patient.allergies:
            # An allergy to the drug is also an intolerance of it; a failure is something else.
            if rule.relation != "failure" and _names_drug(rule, allergy.drugs, allergy.classes):
                if allergy.present:
                    return outcome("true", f"patient is allergic to {allergy.name}", allergy.evidence)
                return outcome("false", f"patient is not allergic to {allergy.name}", allergy.evidence)
        taken = _taken_now(rule, patient) if rule.relation != "failure" else None
        if taken is not None:
            # "Hypersensitivity to penicillins" for a patient on piperacillin, "inability to tolerate
            # beta-blockers" for one on metoprolol: a medicine taken now with no reaction the note gives
            # is one the patient tolerates.
            return outcome("false", f"patient takes {taken.name} now", taken.evidence)
        if rule.relation == "allergy" and patient.allergy_list_complete:
            return outcome("false", f"{rule.name} is not among the allergies the note gives")
        for condition in patient.conditions:
            sentence = condition.evidence.sentence if condition.evidence else None
            if condition.concept == "allergy" and condition.present and sentence:  # noqa: SIM102
                if any(drug in sentence.lower() for drug in rule.drugs):
                    return outcome("true", f"patient reports {condition.name}", condition.evidence)
        return outcome("unknown", f"no record of {rule.relation} to {rule.name}")
    if rule.relation == "discontinued":
        return _discontinued(rule, patient)
    wanted = rule.drugs
    wanted_class = rule.drug_class
    route_unknown: PatientMedication | None = None
    ended_before: PatientMedication | None = None
    past_only: PatientMedication | None = None
    for medication in patient.medications:
        classes = {b for c in medication.classes for b in class_closure(c)}
        classes |= {c for d in medication.drugs for c in drug_classes(d)}
        drug_hit = any(same_drug(w, given) for w in wanted for given in medication.drugs)
        # "medication(s)" in a criterion names no drug: only a note saying "no medications" decides it.
        class_hit = wanted_class is not None and wanted_class != "medication" and wanted_class in classes
        # A class the criterion names beside drugs counts too; one only inferred from a named drug
        # ("prednisone" is a glucocorticoid) does not widen the drug to its class.
        named_hit = any(c != "medication" and c in classes for c in rule.named_classes)
        if drug_hit or named_hit or (class_hit and not wanted):
            window = rule.window
            ended = medication.ended_days_ago if medication.present else None
            within = window is not None and window.relation == "within" and window.days
            if within and ended is not None and window is not None and ended > (window.days or 0):
                # Ended before the window opened, whatever its route ("received prednisone 3 years
                # ago" for "corticosteroids within 30 days"): it does not count.
                ended_before = ended_before or medication
                continue
            if medication.present and _no_longer_taken(medication) and _asks_now(rule):
                # "Currently on theophylline" for "stopped theophylline three years ago" or "previously
                # took theophylline": a medicine of the past is not taken now.
                past_only = past_only or medication
                continue
            fits = _route_fits(rule, medication)
            if fits is None and medication.present:
                # "Steroids other than topical" and a steroid whose route the note does not give.
                route_unknown = route_unknown or medication
                continue
            if fits is False:
                continue  # given by a route the criterion is not about: another medicine for it
            if not medication.present:
                return never_had(rule.window, medication.name, medication.evidence)
            if window is not None and window.days and ended is not None:
                # "Stopped prednisone 10 days ago" for "corticosteroids within 30 days", "last dose 10
                # days ago" for "at least 4 weeks since prior chemotherapy": the end decides.
                recent = ended <= window.days
                if window.relation in ("within", "after"):
                    return outcome(
                        "true" if recent == (window.relation == "within") else "false",
                        f"{medication.name} ended {ended:.0f} days ago, against '{window.span.text}'",
                        medication.evidence,
                    )
            if rule.window is not None and rule.window.relation == "after":
                # "At least 4 weeks since prior chemotherapy": the note's medicines carry no dates.
                return outcome(
                    "unknown",
                    f"time since {medication.name} not stated ({rule.window.span.text})",
                    medication.evidence,
                )
            why = f"patient takes {medication.name}"
            if rule.dose is not None:
                holds, why = dose_check(rule.dose, medication, patient)
                if not holds:
                    return outcome("unknown" if holds is None else "false", why, medication.evidence)
            if rule.relation == "stable_dose":
                # "On a stable dose of X": taking X is not enough; the note must say the dose is stable.
                stable, why = stable_check(rule, medication)
                truth: Truth = "unknown" if stable is None else "true" if stable else "false"
                return outcome(truth, why, medication.evidence)
            return outcome("true", why, medication.evidence)
    if route_unknown is not None:
        return outcome("unknown", f"route of {route_unknown.name} not stated", route_unknown.evidence)
    if past_only is not None:
        if rule.relation == "current" or (rule.window is not None and rule.window.relation == "current"):
            return outcome("false", f"{past_only.name} was taken before, not now", past_only.evidence)
        # A bare "Theophylline" may ask about now or ever: a medicine of the past leaves it open.
        why = f"{past_only.name} taken before; not stated whether now"
        return outcome("unknown", why, past_only.evidence)
    if ended_before is not None and rule.window is not None:
        return outcome(
            "false",
            f"{ended_before.name} ended {ended_before.ended_days_ago or 0:.0f} days ago, before "
            f"'{rule.window.span.text}'",
            ended_before.evidence,
        )
    if patient.no_medications:
        return never_had(rule.window, rule.name)
    if (denied := denied_class(rule, patient)) is not None:
        return never_had(rule.window, rule.name, denied.evidence)
    if _complete_list_decides(rule, patient):
        return outcome("false", f"{rule.name} not among the medicines the note lists as all taken")
    return outcome("unknown", f"no record of {rule.name}")


# A medicine the note says ended longer ago than this is of the past even where no stop word says so
# ("took ibuprofen yesterday" may still be taken; "received prednisone 3 years ago" is not).
_PAST_MEDICATION_DAYS = 28


def _taken_now(rule: MedicationRule, patient: PatientProfile) -> PatientMedication | None:
    """A medicine of the criterion's drugs or classes the note gives as taken now (not a relative's,
    not stopped or past), in a note that tells of no reaction to any medicine; or None."""
    if any(_reaction().search(sentence) for sentence in patient.sentences):
        return None
    for medication in patient.medications:
        if not medication.present or medication.family or _no_longer_taken(medication):
            continue
        if medication.ended_days_ago is not None or medication.current is False:
            continue
        # A sentence that dates a course ("In 1991 he took zidovudine …") may tell of a past one.
        if medication.evidence is not None and says_ended(medication.evidence.sentence or ""):
            continue
        if _names_drug(rule, medication.drugs, medication.classes):
            return medication
    return None


@cache
def _reaction() -> re.Pattern[str]:
    """Words of a reaction to a medicine (``medication_reaction`` in ``note_cues.json``, data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")["medication_reaction"]
    return re.compile(r"\b(?:" + "|".join(cues) + ")", re.IGNORECASE)


def _no_longer_taken(medication: PatientMedication) -> bool:
    """Whether the note gives a medicine as past: historical, stopped, or ended weeks ago."""
    ended = medication.ended_days_ago
    return medication.current is False or (ended is not None and ended > _PAST_MEDICATION_DAYS)


def _asks_now(rule: MedicationRule) -> bool:
    """Whether a medication criterion asks about now or leaves when open: not one about the past
    ("prior", "history of") nor one with a window reaching back ("within 30 days")."""
    if rule.historical or rule.hypothetical:
        return False
    return rule.window is None or rule.window.relation == "current"


def _discontinued(rule: MedicationRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    """ "Discontinued an antidepressant less than 1 month ago": a stop the note dates decides against the
    window; a drug of the kind the note says is still taken, with no stop, was not discontinued."""
    still_taken: PatientMedication | None = None
    for medication in patient.medications:
        if not medication.present or not _names_drug(rule, medication.drugs, medication.classes):
            continue
        ended = medication.ended_days_ago
        if ended is not None:
            window = rule.window
            recent = window is None or not window.days or ended <= window.days
            # "At least 4 weeks since stopping …" asks the opposite of "within 4 weeks".
            met = not recent if window is not None and window.relation == "after" and window.days else recent
            return outcome(
                "true" if met else "false",
                f"{medication.name} stopped {ended:.0f} days ago",
                medication.evidence,
            )
        if medication.current is not False:
            still_taken = still_taken or medication
    if still_taken is not None:
        return outcome("false", f"patient still takes {still_taken.name}", still_taken.evidence)
    return outcome("unknown", f"no record of stopping {rule.name}")


def _names_drug(rule: MedicationRule, drugs: list[str], classes: list[str]) -> bool:
    """Whether a criterion's drugs or classes name one of ``drugs`` (or a drug of ``classes``)."""
    closure = {b for c in classes for b in class_closure(c)} | {c for d in drugs for c in drug_classes(d)}
    if any(same_drug(w, given) for w in rule.drugs for given in drugs):
        return True
    if any(c != "medication" and c in closure for c in rule.named_classes):
        return True
    wanted_class = rule.drug_class
    return (
        not rule.drugs
        and wanted_class is not None
        and wanted_class != "medication"
        and wanted_class in closure
    )


def _complete_list_decides(rule: MedicationRule, patient: PatientProfile) -> bool:
    """Whether the note's whole list of current medicines rules out what a criterion asks. The list
    tells what is taken now, not what was taken before ("prior gemcitabine", "within 2 weeks"); and a
    class ("vasodilators") is ruled out only when every listed medicine is a known drug whose classes
    are known, so a medicine the vocabulary cannot place never reads as "not that class"."""
    if not patient.medication_list_complete or rule.historical or rule.hypothetical:
        return False
    if rule.window is not None and rule.window.relation != "current":
        return False
    if rule.drugs:
        return True
    if rule.drug_class is None or rule.drug_class == "medication":
        return False
    for medication in patient.medications:
        if not medication.present or "medication" in medication.classes:
            continue
        if not medication.drugs or not any(drug_classes(d) for d in medication.drugs):
            return False
    return True


def _route_fits(rule: MedicationRule, medication: PatientMedication) -> bool | None:
    """Whether a medicine is given by a route the criterion asks about (``routes``) and not by one it
    leaves out (``exempt_routes``); None when the note's route does not tell. A daily mass dose with
    no route word is systemic (local preparations are dosed by strength or in micrograms), but which
    systemic route stays open."""
    if not rule.routes and not rule.exempt_routes:
        return True
    route = medication.route
    if route is not None:
        if rule.routes and route not in rule.routes:
            return False
        return route not in rule.exempt_routes
    systemic = set(route_groups()["systemic"])
    dosed_systemically = (
        medication.daily is True
        and medication.dose_basis is None
        and medication.dose_mg is not None
        and medication.dose_mg >= systemic_daily_mg_from()
    )
    if not dosed_systemically:
        return None
    if rule.routes and systemic.isdisjoint(rule.routes):
        return False
    if rule.routes and not systemic <= set(rule.routes):
        return None  # "oral steroids": systemic, but by mouth or by vein the note does not say
    if systemic & set(rule.exempt_routes):
        return None
    return True


__all__ = ["evaluate_medication"]
