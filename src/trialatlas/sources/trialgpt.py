"""TrialGPT's trial corpora (``corpus.jsonl``): one ClinicalTrials.gov trial a line, reduced for retrieval.

Each line is ``{"_id": "NCT…", "title", "text", "metadata": {"brief_title", "phase", "drugs",
"drugs_list", "diseases", "diseases_list", "enrollment", "inclusion_criteria", "exclusion_criteria",
"brief_summary"}}`` (ncbi-nlp/TrialGPT; the BEIR layout with a metadata object). ``text`` repeats the
metadata as ``"Summary: …\\nInclusion criteria: …\\nExclusion criteria: …"`` and is read only where
the metadata lacks a part. The corpora were exported through pandas, so numbers come as ``"695.0"``,
blanks as ``""`` or ``"nan"``, and lists twice: as a list and as its Python ``repr``.

The records hold no status, dates, sponsors, design details or sites, so every trial is partial: it
gives criteria to trials known only by their text, and a full registry record of the same trial wins.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import orjson

from trialatlas.model.enums import Phase, SourceFormat, coerce_phases
from trialatlas.model.trial import Design, Eligibility, Enrollment, Intervention, SourceRecord, Trial
from trialatlas.sources.base import (
    Blob,
    NctJsonLinesReader,
    ReadResult,
    RecordError,
)
from trialatlas.sources.textblocks import split_criteria
from trialatlas.text.registry_ids import is_nct_id

LAYOUT = "trialgpt-corpus"

# Metadata keys this reader maps; a list and its repr are read as one field (the list preferred).
_METADATA_KEYS = frozenset(
    {
        "brief_title",
        "brief_summary",
        "phase",
        "enrollment",
        "drugs",
        "drugs_list",
        "diseases",
        "diseases_list",
        "inclusion_criteria",
        "exclusion_criteria",
    }
)
_TOP_KEYS = frozenset({"_id", "title", "text", "metadata"})

# pandas writes a missing value as NaN, which reaches the JSON as "nan" (or None → "None").
_BLANKS = frozenset({"", "nan", "none", "null"})
# A repr longer than this is not a list of names; literal_eval's cost and recursion stay bounded.
_MAX_LIST_TEXT = 100_000

# TrialGPT's text: "Summary: S\nInclusion criteria: I\nExclusion criteria: E" (I and E may hold line
# breaks but never the other marker: TrialGPT cut the criteria at the first "exclusion criteria").
_TEXT_LAYOUT = re.compile(
    r"^Summary:[ ]?(?P<summary>.*?)\nInclusion criteria:[ ]?(?P<inclusion>.*?)"
    r"(?:\nExclusion criteria:[ ]?(?P<exclusion>.*))?$",
    re.DOTALL,
)
# The heading TrialGPT left at the start of its inclusion half ("inclusion criteria:", "Key inclusion
# criteria"), replaced by the registry's own spelling so the criteria splitter finds it.
_INCLUSION_HEADING = re.compile(
    r"^\W*(?:(?:key|main|major|general|principal|specific)\s+)?inclusion(?:\s+criteri(?:a|on)\s*:?|\s*:)\s*",
    re.IGNORECASE,
)
# Any criteria heading at the start of the inclusion half ("ELIGIBILITY CRITERIA:"): left as written.
_ANY_HEADING = re.compile(r"^\W*[\w ]{0,30}criteri(?:a|on)\b", re.IGNORECASE)
# TrialGPT cut "Key exclusion criteria" after "Key": the qualifier belongs to the exclusion heading.
_CUT_QUALIFIER = re.compile(r"(?:^|\n)\s*(?:key|main|major|general|principal|specific)\s*$", re.IGNORECASE)
# What may follow the cut on the exclusion heading's line: a qualifier ending in a colon.
_HEADING_QUALIFIER = re.compile(r"^[^:\n]{1,60}:$")


def _is_corpus_object(record: Any) -> bool:
    if not isinstance(record, dict) or "protocolSection" in record:
        return False
    nct_id = record.get("_id")
    if not isinstance(nct_id, str) or not is_nct_id(nct_id.strip().upper()):
        return False
    metadata = record.get("metadata")
    if isinstance(metadata, dict) and ("inclusion_criteria" in metadata or "exclusion_criteria" in metadata):
        return True
    return isinstance(record.get("text"), str)


class TrialGPTCorpusReader(NctJsonLinesReader):
    """Reader of TrialGPT ``corpus.jsonl`` files (and any BEIR corpus of NCT-keyed trials)."""

    name = "trialgpt-corpus"
    id_field = "_id"

    def is_record(self, record: Any) -> bool:
        return _is_corpus_object(record)

    def sniff_start(self, head: bytes) -> float:
        # Criteria run to many kilobytes, so a first line is often longer than the sniffed bytes.
        if b'"protocolSection"' in head or not self.starts_with_id(head):
            return 0.0
        if b'"inclusion_criteria"' in head or b'"exclusion_criteria"' in head:
            return 0.9
        return 0.8 if b'"text"' in head else 0.0

    def record(
        self, blob: Blob, location: str, line: bytes, record: dict[str, Any], nct_id: str
    ) -> ReadResult:
        metadata = record.get("metadata", {})
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            return RecordError(location, f"metadata is a {type(metadata).__name__}, not an object")
        for key, value in (("title", record.get("title")), ("text", record.get("text"))):
            if value is not None and not isinstance(value, str):
                return RecordError(location, f"{key} is a {type(value).__name__}, not text")
        mapping = _Mapping(record, metadata)
        trial = mapping.trial(nct_id)
        if not trial.filled_fields():
            return RecordError(location, "not a TrialGPT corpus record: no title, text or metadata")
        trial.sources = [
            SourceRecord(
                id=f"{self.name}:{blob.name}#{nct_id}",
                format=SourceFormat.TRIALGPT_JSONL,
                location=location,
                partial=True,
                layout=LAYOUT,
                raw=line.decode("utf-8").rstrip("\r\n"),
                unread_fields=mapping.unread,
                warnings=mapping.warnings,
            )
        ]
        return trial


class _Mapping:
    """One corpus object mapped to the model, with the keys it could not read and why."""

    def __init__(self, record: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.record = record
        self.metadata = metadata
        self.warnings: list[str] = []
        self.unread = sorted(
            [key for key in record if key not in _TOP_KEYS]
            + [f"metadata.{key}" for key in metadata if key not in _METADATA_KEYS]
        )

    def _unread(self, key: str, why: str) -> None:
        if key not in self.unread:
            self.unread.append(key)
            self.unread.sort()
        self.warnings.append(f"{key}: {why}")

    def trial(self, nct_id: str) -> Trial:
        text_parts = self._text_parts()
        title = _text(self.record.get("title"))
        brief_title = self._meta_text("brief_title") or title
        if title and brief_title and title != brief_title:
            self.warnings.append("title differs from metadata.brief_title: the brief title is kept")
        summary = self._meta_text("brief_summary") or _text(text_parts.get("summary"))
        inclusion = self._meta_raw("inclusion_criteria")
        exclusion = self._meta_raw("exclusion_criteria")
        if inclusion is None and exclusion is None:
            inclusion, exclusion = text_parts.get("inclusion"), text_parts.get("exclusion")
        criteria_text = criteria_from_halves(inclusion, exclusion)
        included, excluded = split_criteria(criteria_text)
        return Trial(
            nct_id=nct_id,
            brief_title=brief_title,
            brief_summary=summary,
            conditions=self._names("diseases_list", "diseases"),
            interventions=[Intervention(name=name) for name in self._names("drugs_list", "drugs")],
            design=Design(phases=self._phases(), enrollment=self._enrollment()),
            eligibility=Eligibility(criteria_text=criteria_text, inclusion=included, exclusion=excluded),
            is_partial=True,
        )

    def _text_parts(self) -> dict[str, str]:
        """The parts of ``text`` (an empty dict when it is absent or not in TrialGPT's layout)."""
        text = self.record.get("text")
        if not isinstance(text, str) or not text.strip():
            return {}
        match = _TEXT_LAYOUT.match(text.replace("\r\n", "\n"))
        if match is None:
            self._unread("text", "not in TrialGPT's 'Summary: …\\nInclusion criteria: …' layout")
            return {}
        return {key: value for key, value in match.groupdict().items() if value is not None}

    def _meta_raw(self, key: str) -> str | None:
        value = self.metadata.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self._unread(f"metadata.{key}", f"a {type(value).__name__}, not text")
            return None
        return value

    def _meta_text(self, key: str) -> str | None:
        return _text(self._meta_raw(key))

    def _names(self, list_key: str, repr_key: str) -> list[str]:
        """Names from the list, else from its repr string; both missing or blank give none."""
        for key in (list_key, repr_key):
            if key not in self.metadata:
                continue
            names = _name_list(self.metadata[key])
            if names is None:
                self._unread(f"metadata.{key}", f"not a list of names: {_short(self.metadata[key])}")
                continue
            if names or key == repr_key:
                return names
        return []

    def _phases(self) -> list[Phase]:
        value = self.metadata.get("phase")
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "|".join(value)
        if value is None or (isinstance(value, str) and value.strip().lower() in _BLANKS):
            return []
        if not isinstance(value, str):
            self._unread("metadata.phase", f"a {type(value).__name__}, not text")
            return []
        phases = coerce_phases(value)
        if not phases:
            self._unread("metadata.phase", f"unknown phase {_short(value)}")
        return phases

    def _enrollment(self) -> Enrollment | None:
        value = self.metadata.get("enrollment")
        if value is None or (isinstance(value, str) and value.strip().lower() in _BLANKS):
            return None
        count: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            count = value
        elif isinstance(value, str):
            try:
                count = float(value.strip().replace(",", ""))
            except ValueError:
                count = None
        if count is None or count != count or count < 0 or count > 2**31 or count != int(count):
            self._unread("metadata.enrollment", f"not a participant count: {_short(value)}")
            return None
        # Neither actual nor anticipated: the corpus does not say which.
        return Enrollment(count=int(count))


def criteria_from_halves(inclusion: str | None, exclusion: str | None) -> str | None:
    """One eligibility text, headed as the registry heads it, from TrialGPT's two halves.

    TrialGPT cut the registry text at the first "exclusion criteria" and dropped those words: the
    inclusion half keeps its own heading ("inclusion criteria:"), the exclusion half starts with
    what followed the cut (": …", " FOR PATIENTS WITH …: …"). The words go back, so a qualified
    heading reads as written, and line breaks are tidied into the registry's paragraph layout.
    """
    include = _paragraphs(inclusion)
    exclude = _paragraphs(exclusion)
    if exclude is not None and include is not None:
        include = _CUT_QUALIFIER.sub("", include) or None
    parts: list[str] = []
    if include is not None:
        heading = _INCLUSION_HEADING.match(include)
        if heading is not None or (exclude is not None and not _ANY_HEADING.match(include)):
            # TrialGPT's own heading, or a text it put before the exclusion half all the same.
            kept = include[heading.end() :].lstrip() if heading is not None else include
            parts.append("Inclusion Criteria:" + (f"\n\n{kept}" if kept else ""))
        else:
            parts.append(include)
    if exclude is not None and exclusion is not None:
        # The heading line's rest, read from the raw half: tidying would pull the first criterion
        # up onto it when the half starts with a line break.
        first, _, rest = exclusion.replace("\r", "").partition("\n")
        first = first.strip()
        if not first or first.startswith(":"):
            title, body = "Exclusion Criteria" + (first or ":"), _paragraphs(rest)
        elif _HEADING_QUALIFIER.match(first):
            title, body = f"Exclusion Criteria {first}", _paragraphs(rest)
        else:
            title, body = "Exclusion Criteria:", exclude
        parts.append(title + (f"\n\n{body}" if body else ""))
    return "\n\n".join(parts) or None


def _paragraphs(text: str | None) -> str | None:
    """TrialGPT's `` \\n\\n ``-separated paragraphs, stripped and set a blank line apart."""
    if text is None:
        return None
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if out:
            out.append("\n\n" if blank else "\n")
        out.append(line)
        blank = False
    return "".join(out) or None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text.lower() not in _BLANKS else None


def _name_list(value: Any) -> list[str] | None:
    """Names from a list or its JSON or Python repr; ``None`` when the value is neither."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _BLANKS:
            return []
        if not text.startswith("["):
            return [text]
        if len(text) > _MAX_LIST_TEXT:
            return None
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                # Literals only: never evaluates code. Bad or pathological reprs raise, and are unread.
                value = ast.literal_eval(text)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        return None
    names: list[str] = []
    for item in value:
        name = item.strip()
        if name and name.lower() not in _BLANKS and name not in names:
            names.append(name)
    return names


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


trialgpt_reader = TrialGPTCorpusReader()
