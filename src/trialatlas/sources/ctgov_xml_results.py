"""Legacy XML ``<clinical_results>`` (public.xsd) onto the results model.

The legacy layout names the same things as API v2 ``resultsSection`` with other tags: the mapping
builds the v2-shaped values and validates them through :class:`trialatlas.model.results.Results`, so
both readers share one model. Spellings are mapped onto v2 codes by the results vocabulary; the
"Total, serious adverse events" rows of the legacy event lists become the per-group totals v2 keeps
on its event groups, not events.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from pydantic import ValidationError

from trialatlas.model.results import (
    Results,
    legacy_event_total,
    pi_employee,
    restrictive_agreement,
    results_code,
)

Element = etree._Element
Json = dict[str, Any]


def _text(element: Element | None, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(tag)
    if found is None:
        return None
    text = found.findtext("textblock") if found.find("textblock") is not None else found.text
    if text is None:
        return None
    text = text.replace("\r", "").strip()
    return text or None


def _attr(element: Element, name: str) -> str | None:
    value = element.get(name)
    return value.strip() or None if value is not None else None


def _groups(element: Element | None) -> list[Json]:
    if element is None:
        return []
    return [
        {"id": gid, "title": _text(group, "title"), "description": _text(group, "description")}
        for group in element.iterfind("group_list/group")
        if (gid := _attr(group, "group_id"))
    ]


def _denoms(element: Element | None) -> list[Json]:
    if element is None:
        return []
    return [
        {
            "units": _text(analyzed, "units"),
            "counts": [
                {"group_id": gid, "value": _attr(count, "value")}
                for count in analyzed.iterfind("count_list/count")
                if (gid := _attr(count, "group_id"))
            ],
        }
        for analyzed in element.iterfind("analyzed_list/analyzed")
    ]


def _flow_counts(element: Element) -> list[Json]:
    return [
        {"group_id": gid, "num_subjects": _attr(p, "count"), "comment": (p.text or "").strip() or None}
        for p in element.iterfind("participants_list/participants")
        if (gid := _attr(p, "group_id"))
    ]


def _participant_flow(flow: Element) -> Json:
    return {
        "recruitment_details": _text(flow, "recruitment_details"),
        "pre_assignment_details": _text(flow, "pre_assignment_details"),
        "groups": _groups(flow),
        "periods": [
            {
                "title": _text(period, "title"),
                "milestones": [
                    {"type": title, "achievements": _flow_counts(m)}
                    for m in period.iterfind("milestone_list/milestone")
                    if (title := _text(m, "title"))
                ],
                "drop_withdraws": [
                    {"type": title, "reasons": _flow_counts(r)}
                    for r in period.iterfind("drop_withdraw_reason_list/drop_withdraw_reason")
                    if (title := _text(r, "title"))
                ],
            }
            for period in flow.iterfind("period_list/period")
        ],
    }


def _classes(measure: Element) -> list[Json]:
    return [
        {
            "title": _text(cls, "title"),
            "denoms": _denoms(cls),
            "categories": [
                {
                    "title": _text(category, "title"),
                    "measurements": [
                        {
                            "group_id": gid,
                            "value": _attr(m, "value"),
                            "spread": _attr(m, "spread"),
                            "lower_limit": _attr(m, "lower_limit"),
                            "upper_limit": _attr(m, "upper_limit"),
                            "comment": (m.text or "").strip() or None,
                        }
                        for m in category.iterfind("measurement_list/measurement")
                        if (gid := _attr(m, "group_id"))
                    ],
                }
                for category in cls.iterfind("category_list/category")
            ],
        }
        for cls in measure.iterfind("class_list/class")
    ]


def _measure_common(measure: Element) -> Json:
    return {
        "param_type": results_code("param_type", _text(measure, "param")),
        "dispersion_type": results_code("dispersion_type", _text(measure, "dispersion")),
        "unit_of_measure": _text(measure, "units"),
        "denoms": _denoms(measure),
        "classes": _classes(measure),
    }


def _baseline(baseline: Element) -> Json:
    return {
        "population_description": _text(baseline, "population"),
        "groups": _groups(baseline),
        "denoms": _denoms(baseline),
        "measures": [
            {
                "title": title,
                "description": _text(measure, "description"),
                "population_description": _text(measure, "population"),
                **_measure_common(measure),
            }
            for measure in baseline.iterfind("measure_list/measure")
            if (title := _text(measure, "title"))
        ],
    }


def _analysis(analysis: Element) -> Json:
    upper_comment = _text(analysis, "ci_upper_limit_na_comment")
    return {
        "group_ids": [
            text for g in analysis.iterfind("group_id_list/group_id") if (text := (g.text or "").strip())
        ],
        "group_description": _text(analysis, "groups_desc"),
        "non_inferiority_type": results_code("non_inferiority_type", _text(analysis, "non_inferiority_type")),
        "non_inferiority_comment": _text(analysis, "non_inferiority_desc"),
        "p_value": _text(analysis, "p_value"),
        "p_value_comment": _text(analysis, "p_value_desc"),
        "statistical_method": _text(analysis, "method"),
        "statistical_comment": _text(analysis, "method_desc"),
        "param_type": _text(analysis, "param_type"),
        "param_value": _text(analysis, "param_value"),
        "ci_pct_value": _text(analysis, "ci_percent"),
        "ci_num_sides": results_code("ci_num_sides", _text(analysis, "ci_n_sides")),
        "ci_lower_limit": _text(analysis, "ci_lower_limit"),
        "ci_upper_limit": _text(analysis, "ci_upper_limit"),
        "ci_upper_limit_comment": upper_comment,
        "dispersion_type": results_code("dispersion_type", _text(analysis, "dispersion_type")),
        "dispersion_value": _text(analysis, "dispersion_value"),
        "estimate_comment": _text(analysis, "estimate_desc"),
        "other_analysis_description": _text(analysis, "other_analysis_desc"),
    }


def _outcome(outcome: Element) -> Json | None:
    title = _text(outcome, "title")
    if title is None:
        return None
    measure = outcome.find("measure")
    fields: Json = {
        "type": results_code("outcome_type", _text(outcome, "type")),
        "title": title,
        "description": _text(outcome, "description") or _text(measure, "description"),
        "population_description": _text(outcome, "population") or _text(measure, "population"),
        "time_frame": _text(outcome, "time_frame"),
        "anticipated_posting_date": _text(outcome, "posting_date"),
        "groups": _groups(outcome),
        "analyses": [_analysis(a) for a in outcome.iterfind("analysis_list/analysis")],
    }
    if measure is not None:
        fields.update(_measure_common(measure))
        fields["type_units_analyzed"] = _text(measure, "units_analyzed")
    return fields


def _adverse_events(reported: Element) -> Json:
    groups = {g["id"]: g for g in _groups(reported)}
    lists: dict[str, list[Json]] = {"serious_events": [], "other_events": []}
    threshold = None
    for tag, key in (("serious_events", "serious_events"), ("other_events", "other_events")):
        section = reported.find(tag)
        if section is None:
            continue
        threshold = threshold or _text(section, "frequency_threshold")
        vocabulary = _text(section, "default_vocab")
        assessment = _text(section, "default_assessment")
        for category in section.iterfind("category_list/category"):
            organ_system = _text(category, "title")
            for event in category.iterfind("event_list/event"):
                term_element = event.find("sub_title")
                term = (term_element.text or "").strip() if term_element is not None else ""
                if not term:
                    continue
                counts = [
                    {
                        "group_id": gid,
                        "num_events": _attr(c, "events"),
                        "num_affected": _attr(c, "subjects_affected"),
                        "num_at_risk": _attr(c, "subjects_at_risk"),
                    }
                    for c in event.iterfind("counts")
                    if (gid := _attr(c, "group_id"))
                ]
                total = legacy_event_total(term)
                if total is not None:
                    for count in counts:
                        group = groups.get(count["group_id"])
                        if group is not None:
                            group[f"{total}_num_affected"] = count["num_affected"]
                            group[f"{total}_num_at_risk"] = count["num_at_risk"]
                    continue
                lists[key].append(
                    {
                        "term": term,
                        "organ_system": organ_system,
                        "source_vocabulary": _attr(term_element, "vocab")
                        if term_element is not None
                        else None,
                        "assessment_type": results_code(
                            "assessment_type", _text(event, "assessment") or assessment
                        ),
                        "notes": _text(event, "description"),
                        "stats": counts,
                    }
                )
                if lists[key][-1]["source_vocabulary"] is None:
                    lists[key][-1]["source_vocabulary"] = vocabulary
    return {
        "frequency_threshold": threshold,
        "time_frame": _text(reported, "time_frame"),
        "description": _text(reported, "desc"),
        "event_groups": list(groups.values()),
        **lists,
    }


def _point_of_contact(element: Element | None) -> Json | None:
    if element is None:
        return None
    return {
        "title": _text(element, "name_or_title"),
        "organization": _text(element, "organization"),
        "email": _text(element, "email"),
        "phone": _text(element, "phone"),
        "phone_ext": _text(element, "phone_ext"),
    }


def _certain_agreement(element: Element | None) -> Json | None:
    if element is None:
        return None
    restrictive_text = _text(element, "restrictive_agreement")
    restrictive = restrictive_agreement(restrictive_text)
    return {
        "pi_sponsor_employee": pi_employee(_text(element, "pi_employee")),
        "restrictive_agreement": restrictive,
        "other_details": restrictive_text if restrictive else None,
    }


def map_results(element: Element, warnings: list[str]) -> Results | None:
    """The results of one ``<clinical_results>`` element; ``None`` (with a warning) when unreadable."""
    flow = element.find("participant_flow")
    baseline = element.find("baseline")
    reported = element.find("reported_events")
    fields: Json = {
        "participant_flow": _participant_flow(flow) if flow is not None else None,
        "baseline": _baseline(baseline) if baseline is not None else None,
        "outcome_measures": [o for e in element.iterfind("outcome_list/outcome") if (o := _outcome(e))],
        "adverse_events": _adverse_events(reported) if reported is not None else None,
        "limitations": _text(element, "limitations_and_caveats"),
        "point_of_contact": _point_of_contact(element.find("point_of_contact")),
        "certain_agreement": _certain_agreement(element.find("certain_agreements")),
    }
    try:
        return Results.model_validate(fields)
    except ValidationError as exc:
        # Unreadable results cost the results, not the trial: shown as "not read", never guessed.
        first = str(exc).splitlines()[1:2]
        warnings.append(f"clinical_results not read: {first}")
        return None
