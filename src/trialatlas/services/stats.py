"""Store statistics: counts of trials by registry, status, phase, study type, country and start year."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from trialatlas.model.registries import registry_name
from trialatlas.store.base import TrialStore

NONE_LABEL = "(not given)"


@dataclass
class StoreStats:
    trials: int = 0
    partial: int = 0
    by_registry: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_phase: list[tuple[str, int]] = field(default_factory=list)
    by_study_type: list[tuple[str, int]] = field(default_factory=list)
    by_country: list[tuple[str, int]] = field(default_factory=list)
    by_start_year: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "trials": self.trials,
            "partial": self.partial,
            "by_registry": dict(self.by_registry),
            "by_status": dict(self.by_status),
            "by_phase": dict(self.by_phase),
            "by_study_type": dict(self.by_study_type),
            "by_country": dict(self.by_country),
            "by_start_year": dict(self.by_start_year),
        }


def store_stats(store: TrialStore) -> StoreStats:
    """Counts over every trial in the store (a trial in several registries, countries or phases counts
    in each)."""
    registry: Counter[str] = Counter()
    status: Counter[str] = Counter()
    phase: Counter[str] = Counter()
    study_type: Counter[str] = Counter()
    country: Counter[str] = Counter()
    start_year: Counter[str] = Counter()
    stats = StoreStats()
    for trial in store.iter_trials():
        stats.trials += 1
        stats.partial += trial.is_partial
        for code in trial.registries or [NONE_LABEL]:
            registry[registry_name(code) if code != NONE_LABEL else code] += 1
        # str() turns vocabulary members into their plain v2 spelling (JSON keys must be plain str).
        status[str(trial.status.overall_status or NONE_LABEL)] += 1
        study_type[str(trial.design.study_type or NONE_LABEL)] += 1
        for p in [str(p) for p in trial.design.phases] or [NONE_LABEL]:
            phase[p] += 1
        for c in trial.countries or [NONE_LABEL]:
            country[c] += 1
        start = trial.status.start_date
        start_year[start.date[:4] if start else NONE_LABEL] += 1
    stats.by_registry = registry.most_common()
    stats.by_status = status.most_common()
    stats.by_phase = phase.most_common()
    stats.by_study_type = study_type.most_common()
    stats.by_country = country.most_common()
    stats.by_start_year = sorted(start_year.items(), reverse=True)
    return stats
