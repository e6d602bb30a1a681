"""Labelled regimen texts from shared sources the regimen sampler never read (the ``gen_other`` set).

Each id names its source, then the trial as that source writes it, so no id can be read as a text
of the ClinicalTrials.gov folders the other sets come from:

- ``ctgovxml:NCT…:arm:N`` / ``ctgovxml:NCT…:int:N``: the N-th arm group's or intervention's
  description of a legacy-XML record in ``ctgov_format_fixtures`` or ``ctgov_target_trials``;
- ``ictrp:<TrialID>``: a WHO ICTRP export row's ``Interventions`` field, its ``<br>`` line breaks
  as line breaks (``ictrp_fields.lines_of``), nothing else changed;
- ``ctis:<ctNumber>:int:N``, ``euctr:<EudraCT number with its state>:int:N``,
  ``isrctn:ISRCTN…:int:N``: the N-th intervention's description as the project's reader of that
  registry writes it (the EU readers join a product's form, route, strength and doses into it).

Every text is read from the shared data through the project's own readers, with its trial's
intervention names as context (context.py), as a stored trial's texts are read.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import orjson

from trialatlas.extract.regimen.context import trial_interventions
from trialatlas.model.enums import SourceFormat

# The folders each id prefix is read from.
OTHER_FOLDERS: dict[str, tuple[str, ...]] = {
    "ctgovxml": ("ctgov_format_fixtures", "ctgov_target_trials"),
    "ictrp": ("ictrp_export",),
    "ctis": ("eu_isrctn_ctrdata",),
    "euctr": ("eu_isrctn_ctrdata",),
    "isrctn": ("eu_isrctn_ctrdata",),
}


def is_other_id(text_id: str) -> bool:
    """Whether a text id names one of these sources (its prefix before the first colon)."""
    return text_id.split(":", 1)[0] in OTHER_FOLDERS


def trial_key(text_id: str) -> str:
    """The part of an id that names its trial (``ictrp:CTRI/2019/07/020174``, ``ctgovxml:NCT…``)."""
    prefix, _, rest = text_id.partition(":")
    return f"{prefix}:{rest.split(':', 1)[0]}"


@functools.cache
def other_texts(data_dir: Path) -> tuple[dict[str, str], dict[str, list[list[str]]]]:
    """Every text of these sources by id, and each trial's interventions by ``trial_key``."""
    from trialatlas.model import Trial
    from trialatlas.sources import read_paths
    from trialatlas.sources.ictrp_fields import lines_of

    folders = sorted({folder for group in OTHER_FOLDERS.values() for folder in group})
    texts: dict[str, str] = {}
    listed: dict[str, list[list[str]]] = {}
    for trial in read_paths([data_dir / folder for folder in folders]):
        if not isinstance(trial, Trial) or not trial.sources:
            continue
        source = trial.sources[0]
        registry = (source.registry or "").lower()
        if source.format is SourceFormat.ICTRP_CSV:
            field = orjson.loads(source.raw or "{}").get("Interventions") or ""
            text = "\n".join(lines_of(html.unescape(field)))
            key = f"ictrp:{trial.nct_id or source.registry_id}"
            if text:
                texts.setdefault(key, text)
            listed.setdefault(key, trial_interventions(trial))
            continue
        if trial.nct_id is not None:
            key = f"ctgovxml:{trial.nct_id}"
            described = [("arm", [arm.description for arm in trial.arms])]
        elif registry in ("ctis", "euctr", "isrctn"):
            key = f"{registry}:{source.registry_id}"
            described = []
        else:
            continue
        described.append(("int", [intervention.description for intervention in trial.interventions]))
        for kind, descriptions in described:
            for position, description in enumerate(descriptions):
                if description:
                    texts.setdefault(f"{key}:{kind}:{position}", description)
        listed.setdefault(key, trial_interventions(trial))
    return texts, listed
