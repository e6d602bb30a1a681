"""Round trip: every v2 study read into the model and written back gives the same values.

The comparison covers every field the model holds: the whole ``protocolSection`` (less keys that
are not part of the API v2 schema), ``hasResults``, the whole ``resultsSection``, the MeSH terms
of ``derivedSection`` and the provided documents of ``documentSection``.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import orjson

from trialatlas.export.ctgov_v2 import trial_to_study
from trialatlas.model import Trial
from trialatlas.sources import read_path

# Keys some sample files carry that the API v2 schema does not define (a re-shaped copy of locations).
NON_SCHEMA_KEYS = {"locations_nested"}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in NON_SCHEMA_KEYS:
                out.update(flatten(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{path}[{index}]"))
    elif value not in (None, ""):
        out[path] = value
    return out


def held_part(study: dict[str, Any]) -> dict[str, Any]:
    derived = study.get("derivedSection") or {}
    part: dict[str, Any] = {
        "protocolSection": study["protocolSection"],
        "hasResults": study.get("hasResults"),
        "derivedSection": {
            module: {k: v for k, v in (derived.get(module) or {}).items() if k in ("meshes", "ancestors")}
            for module in ("conditionBrowseModule", "interventionBrowseModule")
        },
    }
    if "resultsSection" in study:
        part["resultsSection"] = study["resultsSection"]
    docs = ((study.get("documentSection") or {}).get("largeDocumentModule") or {}).get("largeDocs")
    if docs:
        part["documentSection"] = {"largeDocumentModule": {"largeDocs": docs}}
    return part


def test_every_v2_study_round_trips(v2_jsonl: Path) -> None:
    trials = {t.nct_id: t for t in read_path(v2_jsonl) if isinstance(t, Trial)}
    assert len(trials) == 809
    mismatches: list[str] = []
    compared = 0
    compared_results = 0
    with gzip.open(v2_jsonl) as handle:
        for line in handle:
            study = orjson.loads(line)
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            original = flatten(held_part(study))
            written = flatten(trial_to_study(trials[nct]))
            compared += len(original)
            compared_results += sum(1 for path in original if path.startswith(".resultsSection"))
            for path in sorted(set(original) | set(written)):
                if original.get(path) != written.get(path):
                    mismatches.append(f"{nct} {path}: {original.get(path)!r} != {written.get(path)!r}")
    assert compared > 100_000  # the comparison really covered the records
    assert sum(1 for t in trials.values() if t.results is not None) == 53
    assert compared_results > 30_000  # every results value of the 53 was compared, not just the protocol
    assert mismatches == [], "\n".join(mismatches[:20])


def test_export_command_writes_one_study_per_trial(v2_jsonl: Path, tmp_path: Path) -> None:
    from trialatlas.services.export import ExportFormat, write_trials

    trials = [
        t for _, t in zip(range(3), (t for t in read_path(v2_jsonl) if isinstance(t, Trial)), strict=False)
    ]
    count = write_trials(trials, ExportFormat.CTGOV_JSON, tmp_path)
    assert count == 3
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{t.nct_id}.json" for t in trials)
    back = orjson.loads((tmp_path / names[0]).read_bytes())
    assert re.match(r"NCT\d{8}$", back["protocolSection"]["identificationModule"]["nctId"])
    # what was written reads back as the same trial
    again = [t for t in read_path(tmp_path / names[0]) if isinstance(t, Trial)]
    assert len(again) == 1
    original = next(t for t in trials if t.nct_id == again[0].nct_id)
    assert trial_to_study(again[0]) == trial_to_study(original)


def test_trials_of_other_registries_export_with_their_registrations(tmp_path: Path) -> None:
    """A trial read from ICTRP keeps its registry ids in the study, and its file is named by its key."""
    from trialatlas.services.export import ExportFormat, write_trials

    fixtures = Path(__file__).parent / "fixtures" / "ictrp" / "ictrp_header.csv"
    trials = {t.key: t for t in read_path(fixtures) if isinstance(t, Trial)}
    chictr = trial_to_study(trials["ChiCTR2000000001"])
    infos = chictr["protocolSection"]["identificationModule"]["secondaryIdInfos"]
    assert {
        "id": "ChiCTR2000000001",
        "type": "REGISTRY",
        "domain": "Chinese Clinical Trial Registry",
    }.items() <= {k: v for k, v in infos[-1].items() if v is not None}.items()
    count = write_trials(trials.values(), ExportFormat.CTGOV_JSON, tmp_path)
    assert count == len(trials)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{key.replace('/', '_')}.json" for key in trials
    )
