"""What the page reader knows beyond the page: organisation and intervention names seen in other records.

A page saved as text runs a table's cells together ("Columbia University National Heart, Lung, and
Blood Institute (NHLBI)"); where one name ends is then a matter of knowing the names. The knowledge is
a gazetteer of the names in every stored record: sponsors and collaborators with their agency class,
interventions with their type. It comes, in this order of preference, from

1. the knowledge given to :func:`~trialatlas.sources.pages.read_page` (a caller's own);
2. the knowledge in use for this process (:func:`using_knowledge`: the ingest service lends the
   store's, built from its records the first time a page needs it);
3. the shared ClinicalTrials.gov XML archive's records, read once per process, when the shared data
   is there (:func:`default_knowledge`);
4. nothing: the reader then keeps a run-together value whole and says so.

Names are compared case-folded, with runs of spaces made one.
"""

from __future__ import annotations

import contextlib
import re
import tarfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from trialatlas.model import AgencyClass, InterventionType, Trial, coerce_enum
from trialatlas.sources.pages.values import parse_intervention_type

# The shared archive of legacy XML records the fallback gazetteer is read from (names only).
SHARED_ARCHIVE = Path("ctgov_legacy_xml_2023") / "ctgov_legacy_xml_feb2023.tar.gz"
# A name longer than this many words is a sentence, not an organisation or intervention name.
MAX_NAME_WORDS = 16


def fold(name: str) -> str:
    """A name as compared: case-folded, spaces made one, surrounding punctuation of a cell dropped."""
    return re.sub(r"\s+", " ", name).strip(" ,;").casefold()


@dataclass
class PageKnowledge:
    """Organisation and intervention names known from records, with how many records name each."""

    organisations: Counter[str] = field(default_factory=Counter)
    organisation_class: dict[str, AgencyClass] = field(default_factory=dict)
    interventions: Counter[str] = field(default_factory=Counter)
    intervention_type: dict[str, InterventionType] = field(default_factory=dict)
    arm_labels: Counter[str] = field(default_factory=Counter)
    # Outcome measures and time frames ("Overall survival", "2 years"): where a flattened outcome row's
    # cells meet.
    measures: Counter[str] = field(default_factory=Counter)
    time_frames: Counter[str] = field(default_factory=Counter)
    # Names left out (:meth:`without`): a record's own names, when they are named by no other record.
    hidden: frozenset[str] = frozenset()

    @classmethod
    def empty(cls) -> PageKnowledge:
        return cls()

    @classmethod
    def from_trials(cls, trials: Iterable[Trial]) -> PageKnowledge:
        knowledge = cls()
        for trial in trials:
            knowledge.add(trial)
        return knowledge

    def add(self, trial: Trial) -> None:
        """Learn the sponsors, collaborators and interventions one record names."""
        sponsors = [trial.lead_sponsor, *trial.collaborators] if trial.lead_sponsor else trial.collaborators
        for sponsor in sponsors:
            self.add_organisation(sponsor.name, sponsor.agency_class)
        for item in trial.interventions:
            self.add_intervention(item.name, item.type)
        for arm in trial.arms:
            self.add_arm_label(arm.label)
        for outcome in trial.outcomes:
            self.add_outcome(outcome.measure, outcome.time_frame)

    def add_outcome(self, measure: str | None, time_frame: str | None) -> None:
        for counter, value in ((self.measures, measure), (self.time_frames, time_frame)):
            key = fold(value or "")
            if key and len(key.split()) <= MAX_NAME_WORDS:
                counter[key] += 1

    def add_arm_label(self, label: str) -> None:
        key = fold(label)
        if key and len(key.split()) <= MAX_NAME_WORDS:
            self.arm_labels[key] += 1

    def add_organisation(self, name: str, agency_class: AgencyClass | None = None) -> None:
        key = fold(name)
        if key and len(key.split()) <= MAX_NAME_WORDS:
            self.organisations[key] += 1
            if agency_class is not None:
                self.organisation_class.setdefault(key, agency_class)

    def add_intervention(self, name: str, kind: InterventionType | None = None) -> None:
        key = fold(name)
        if key and len(key.split()) <= MAX_NAME_WORDS:
            self.interventions[key] += 1
            if kind is not None:
                self.intervention_type.setdefault(key, kind)

    def without(self, trial: Trial) -> PageKnowledge:
        """This knowledge as it would be without ``trial``'s record: its names that no other record
        names are hidden (to measure a page of a trial the store does not hold)."""
        own: Counter[str] = Counter()
        sponsors = [trial.lead_sponsor, *trial.collaborators] if trial.lead_sponsor else trial.collaborators
        own.update(fold(s.name) for s in sponsors)
        own.update(fold(i.name) for i in trial.interventions)
        own.update(fold(a.label) for a in trial.arms)
        own.update(fold(o.measure) for o in trial.outcomes)
        own.update(fold(o.time_frame) for o in trial.outcomes if o.time_frame)
        counters = (
            self.organisations, self.interventions, self.arm_labels, self.measures, self.time_frames,
        )  # fmt: skip
        hidden = {key for key, count in own.items() if sum(c[key] for c in counters) <= count}
        return PageKnowledge(
            self.organisations,
            self.organisation_class,
            self.interventions,
            self.intervention_type,
            self.arm_labels,
            self.measures,
            self.time_frames,
            frozenset(hidden) | self.hidden,
        )

    def is_organisation(self, name: str) -> bool:
        key = fold(name)
        return key in self.organisations and key not in self.hidden

    def is_intervention(self, name: str) -> bool:
        key = fold(name)
        return key in self.interventions and key not in self.hidden

    def is_measure(self, text: str) -> bool:
        key = fold(text)
        return key in self.measures and key not in self.hidden

    def is_time_frame(self, text: str) -> bool:
        key = fold(text)
        return key in self.time_frames and key not in self.hidden

    def is_arm_label(self, label: str) -> bool:
        key = fold(label)
        return key in self.arm_labels and key not in self.hidden

    def agency_class(self, name: str) -> AgencyClass | None:
        key = fold(name)
        return None if key in self.hidden else self.organisation_class.get(key)

    def __bool__(self) -> bool:
        return bool(self.organisations or self.interventions or self.measures)


# Re-entrant: a lent provider may fall back on the default knowledge while its own is being built.
_lock = threading.RLock()
_lent: list[Callable[[], PageKnowledge]] = []
_default: list[PageKnowledge] = []


@contextlib.contextmanager
def using_knowledge(provider: Callable[[], PageKnowledge]) -> Iterator[None]:
    """Within the block, pages read in this process use the knowledge ``provider`` gives (called once,
    the first time a page needs it)."""
    cache: list[PageKnowledge] = []

    def once() -> PageKnowledge:
        with _lock:
            if not cache:
                cache.append(provider())
            return cache[0]

    _lent.append(once)
    try:
        yield
    finally:
        _lent.remove(once)


def current_knowledge() -> PageKnowledge:
    """The knowledge lent for this process (:func:`using_knowledge`), else :func:`default_knowledge`."""
    if _lent:
        return _lent[-1]()
    return default_knowledge()


def default_knowledge() -> PageKnowledge:
    """The names in the shared XML archive's records (read once per process), or none without it."""
    with _lock:
        if not _default:
            from trialatlas.config import shared_data_dir

            _default.append(knowledge_from_xml_archive(shared_data_dir() / SHARED_ARCHIVE))
        return _default[0]


def knowledge_from_xml_archive(path: Path) -> PageKnowledge:
    """Sponsor, collaborator and intervention names of the legacy XML records in a ``.tar.gz``.

    Only the name elements are read (a few seconds for the 6,786 records); an archive that is missing
    or broken gives what was read before the fault.
    """
    knowledge = PageKnowledge()
    if not path.is_file():
        return knowledge
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".xml"):
                    continue
                stream = archive.extractfile(member)
                if stream is None:
                    continue
                root = etree.fromstring(stream.read(), parser)
                _learn_xml(knowledge, root)
    except (OSError, tarfile.TarError, etree.XMLSyntaxError, EOFError):
        return knowledge
    return knowledge


def _learn_xml(knowledge: PageKnowledge, root: etree._Element) -> None:
    for path in ("sponsors/lead_sponsor", "sponsors/collaborator"):
        for sponsor in root.iterfind(path):
            name = sponsor.findtext("agency")
            if name:
                kind = coerce_enum(AgencyClass, sponsor.findtext("agency_class") or "")
                knowledge.add_organisation(name, kind)
    for item in root.iterfind("intervention"):
        name = item.findtext("intervention_name")
        if name:
            knowledge.add_intervention(
                name, parse_intervention_type(item.findtext("intervention_type") or "")
            )


__all__ = [
    "PageKnowledge",
    "current_knowledge",
    "default_knowledge",
    "fold",
    "knowledge_from_xml_archive",
    "using_knowledge",
]
