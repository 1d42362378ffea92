"""Read the PRISMA-style screening log (``data/screening.yaml``) and count its flow.

The log has two lists. ``searches`` records each search that was run (id, date, source, query)
and the candidate records it ``found``; ``records`` gives each candidate once, with the decision
taken on it. A record that several searches found is one record: the repeats are the duplicates
that PRISMA 2020 removes before screening. Decisions:

- ``included``: a new study in data/ (``study`` names it);
- ``in_graph``: the study was already in data/ before this search (``study`` names it);
- ``excluded``: screened out, with a ``reason`` code and a one-line ``note``;
- ``not_retrieved``: sought but no report could be found or its identifiers seen (``note`` says which);
- ``candidate``: found by ``ldngraph watch`` and not screened yet (a human decides; ``watch status``).

An optional third list, ``saved_searches``, holds the searches ``ldngraph watch`` re-runs: source
(``pubmed`` or ``clinicaltrials.gov``), the query, and when it last ran (see
:mod:`ldngraph.ingest.watch`).

Every problem is reported in one pass as ``FILE:LINE: RECORD: FIELD: message`` and raised as
:class:`~ldngraph.errors.DataError`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from ldngraph.errors import DataError
from ldngraph.ingest.curated import parse_yaml
from ldngraph.limits import read_input_bytes
from ldngraph.model.terms import Curie, Day, HttpUrl

SCREENING_FILE = "screening.yaml"
# \Z, not $: "$" also matches before a final newline, so "2026-11-29\n" passed (issue 27 F18).
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*\Z")


class Decision(StrEnum):
    """What was decided about one candidate record."""

    included = "included"
    in_graph = "in_graph"
    excluded = "excluded"
    not_retrieved = "not_retrieved"
    candidate = "candidate"


class Reason(StrEnum):
    """Why a record was excluded (PRISMA's 'excluded, with reasons')."""

    #: uncontrolled with fewer than 100 participants, a narrative or scoping review, a survey
    design_not_eligible = "design_not_eligible"
    #: the condition is not in the graph and has no controlled LDN trial
    condition_out_of_scope = "condition_out_of_scope"
    #: another report (conference abstract, letter, update) of a study already counted
    secondary_report = "secondary_report"
    #: design or sample size could not be seen in any source
    insufficient_information = "insufficient_information"
    #: grey literature (a technology-assessment note, a blog, a thesis plan, a preprint)
    not_peer_reviewed = "not_peer_reviewed"
    #: a trial registry entry with no journal report (recorded as ongoing or unpublished in the notes)
    registry_only = "registry_only"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(f"'{value}' is not a valid id (lower-case letters, digits, '-' and '_')")
    return value


class Search(_Frozen):
    """One search that was run, and the candidate records it identified."""

    id: str = Field(description="Local id, e.g. 's01'")
    date: Day = Field(description="Day the search was run, YYYY-MM-DD")
    source: str = Field(min_length=1, description="Where it was run (tool and corpus, or a database)")
    query: str = Field(min_length=1, description="The query as sent")
    found: tuple[str, ...] = Field(default=(), description="Ids of the candidate records it identified")
    note: str | None = Field(default=None, description="What the search was for, what it missed")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value)


class Record(_Frozen):
    """One candidate record (a publication or registry entry) and the decision on it."""

    id: str = Field(description="Local id, e.g. 'raknes2017'")
    label: str = Field(min_length=1, description="First author, year and what it is")
    identifiers: tuple[str, ...] = Field(default=(), description="PMID:/DOI:/NCT ids as seen")
    decision: Decision
    study: str | None = Field(default=None, description="Study id in data/studies.yaml (included/in_graph)")
    reason: Reason | None = Field(default=None, description="Exclusion reason code (excluded)")
    note: str | None = Field(default=None, description="One line: why, in our words")
    sources: tuple[HttpUrl, ...] = Field(default=(), description="URLs where the record was seen")
    ongoing: StrictBool = Field(
        default=False, description="A registered trial with no results yet (protocol or registry entry)"
    )
    condition: Curie | None = Field(
        default=None, description="Condition CURIE an ongoing, withdrawn or unpublished trial addresses"
    )
    registry_status: Literal["withdrawn", "terminated", "completed"] | None = Field(
        default=None,
        description="A registered trial that is not ongoing and has no journal report: withdrawn (never "
        "enrolled), terminated or completed (results unpublished); publication bias reads it",
    )
    title: str | None = Field(default=None, description="Title as the source gives it (watch candidates)")
    added: Day | None = Field(default=None, description="Day `ldngraph watch` logged it, YYYY-MM-DD")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value)

    @model_validator(mode="after")
    def _decision_fields(self) -> Record:
        linked = self.decision in (Decision.included, Decision.in_graph)
        if linked and self.study is None:
            raise ValueError(f"study: a record with decision {self.decision.value} must name its study id")
        if not linked and self.study is not None:
            raise ValueError(
                "study: only included or in_graph records name a study; remove it or fix decision"
            )
        if self.decision is Decision.excluded and self.reason is None:
            raise ValueError("reason: an excluded record needs a reason code")
        if self.decision is not Decision.excluded and self.reason is not None:
            raise ValueError("reason: only excluded records carry a reason code; say why in note instead")
        if self.decision in (Decision.excluded, Decision.not_retrieved) and not self.note:
            raise ValueError(f"note: say in one line why the record is {self.decision.value}")
        if self.ongoing and self.condition is None:
            raise ValueError("condition: an ongoing trial names the condition it addresses (a CURIE)")
        if self.registry_status is not None and self.condition is None:
            raise ValueError(
                "condition: a trial with a registry_status names the condition it addresses (a CURIE)"
            )
        if self.registry_status is not None and self.ongoing:
            raise ValueError("registry_status: an ongoing trial has none; remove one of the two")
        if self.decision is not Decision.not_retrieved and not self.sources:
            raise ValueError("sources: give the URL(s) where the record was seen")
        return self


class SearchSource(StrEnum):
    """Where a saved search runs."""

    pubmed = "pubmed"
    clinicaltrials = "clinicaltrials.gov"


#: The PRISMA 2020 identification route of each source (the box its records are counted in).
PRISMA_SOURCE = {
    SearchSource.pubmed: "Databases: PubMed (E-utilities)",
    SearchSource.clinicaltrials: "Registers: ClinicalTrials.gov (API v2)",
}


class SavedSearch(_Frozen):
    """A search ``ldngraph watch`` re-runs from the day it last ran."""

    id: str = Field(description="Local id, e.g. 'pubmed-ldn'")
    source: SearchSource
    query: str = Field(min_length=1, description="PubMed: the term; ClinicalTrials.gov: query.intr")
    condition: str | None = Field(default=None, description="ClinicalTrials.gov query.cond (optional)")
    last_run: Day | None = Field(default=None, description="Day it last ran, YYYY-MM-DD (none: never)")
    max_hits: int = Field(default=1000, ge=1, le=10_000, description="Hits fetched at most per run")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value)

    @model_validator(mode="after")
    def _condition_only_for_registry(self) -> SavedSearch:
        if self.condition is not None and self.source is SearchSource.pubmed:
            raise ValueError("condition: only ClinicalTrials.gov searches take one (query.cond)")
        return self


class ScreeningLog(_Frozen):
    """The whole log: searches and the records they found."""

    searches: tuple[Search, ...]
    records: tuple[Record, ...]
    saved_searches: tuple[SavedSearch, ...] = ()

    @property
    def record_index(self) -> dict[str, Record]:
        return {r.id: r for r in self.records}


class PrismaCounts(_Frozen):
    """The PRISMA 2020 flow of a screening log."""

    identified: int = Field(description="Records identified, summed over searches (with repeats)")
    identified_by_source: dict[str, int] = Field(description="Records identified per source")
    duplicates_removed: int = Field(description="Repeats of a record already found by another search")
    screened: int = Field(description="Unique records screened")
    already_in_graph: int = Field(description="Records of studies the graph held before the searches")
    excluded: int = Field(description="Records excluded")
    excluded_by_reason: dict[str, int] = Field(description="Records excluded, per reason code")
    not_retrieved: int = Field(description="Reports sought but not found")
    included: int = Field(description="Records newly included")
    included_studies: int = Field(description="Distinct studies those records report")
    awaiting: int = Field(default=0, description="Candidates found by `watch`, not screened yet")

    @property
    def sought(self) -> int:
        """Reports sought for retrieval: screened records not already in the graph."""
        return self.screened - self.already_in_graph

    @property
    def assessed(self) -> int:
        """Reports assessed for eligibility: those sought that were retrieved."""
        return self.sought - self.not_retrieved

    def to_lines(self) -> list[str]:
        """One line per PRISMA box, in flow order."""
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.identified_by_source.items()))
        reasons = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(self.excluded_by_reason.items()))
        return [
            f"Records identified: {self.identified} ({sources})",
            f"Duplicates removed: {self.duplicates_removed}",
            f"Records screened: {self.screened}",
            f"Already in the graph: {self.already_in_graph}",
            f"Excluded with reasons: {self.excluded}" + (f" ({reasons})" if reasons else ""),
            f"Reports not retrieved: {self.not_retrieved}",
            f"Newly included: {self.included} records, {self.included_studies} studies",
        ] + ([f"Awaiting screening: {self.awaiting}"] if self.awaiting else [])


def get_registry_trials(log: ScreeningLog) -> list[Record]:
    """Registered trials that are not ongoing and have no journal report (``registry_status``)."""
    return [r for r in log.records if r.registry_status is not None]


def get_ongoing(log: ScreeningLog) -> list[Record]:
    """Registered trials without results (protocols and registry entries), in log order."""
    return [r for r in log.records if r.ongoing]


def get_prisma_counts(log: ScreeningLog) -> PrismaCounts:
    """Count the PRISMA flow of ``log`` (pure; the log is assumed valid)."""
    index = log.record_index
    identified = sum(len(s.found) for s in log.searches)
    by_source: Counter[str] = Counter()
    for search in log.searches:
        by_source[search.source] += len(search.found)
    decisions = Counter(r.decision for r in log.records)
    reasons = Counter(r.reason.value for r in log.records if r.reason is not None)
    included = [index[rid] for rid in index if index[rid].decision is Decision.included]
    return PrismaCounts(
        identified=identified,
        identified_by_source=dict(by_source),
        duplicates_removed=identified - len(log.records),
        screened=len(log.records) - decisions[Decision.candidate],
        already_in_graph=decisions[Decision.in_graph],
        excluded=decisions[Decision.excluded],
        excluded_by_reason=dict(reasons),
        not_retrieved=decisions[Decision.not_retrieved],
        included=len(included),
        included_studies=len({r.study for r in included}),
        awaiting=decisions[Decision.candidate],
    )


# -- reading -------------------------------------------------------------------------------------


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in err["loc"]) or "record"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "enum":
        return f"{loc} '{err.get('input')}' is not one of {err.get('ctx', {}).get('expected', '')}"
    if err["type"] == "missing":
        return f"{loc}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field (see the format at the top of ldngraph/ingest/screening.py)"
    return msg if msg.split(" ")[0].endswith(":") else f"{loc}: {msg}"


def _items(
    node: yaml.MappingNode, data: dict[str, Any], key: str, shown: str, problems: list[str]
) -> list[tuple[dict[str, Any], int, dict[str, int]]]:
    items = data.get(key)
    if not isinstance(items, list):
        problems.append(f"{shown}:1: '{key}' must be a list of records")
        return []
    seq = next(v for k, v in node.value if k.value == key)
    out = []
    for i, item in enumerate(items):
        item_node = seq.value[i]
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            problems.append(f"{shown}:{line}: {key}[{i}]: each entry must be a mapping")
            continue
        fields = {k.value: k.start_mark.line + 1 for k, _ in item_node.value}
        out.append((item, line, fields))
    return out


def _validated(
    rows: Iterable[tuple[dict[str, Any], int, dict[str, int]]],
    model: type[Search] | type[Record] | type[SavedSearch],
    kind: str,
    shown: str,
    problems: list[str],
) -> list[tuple[Any, int, dict[str, int]]]:
    out: list[tuple[Any, int, dict[str, int]]] = []
    seen: dict[str, int] = {}
    for raw, line, fields in rows:
        rid = str(raw.get("id", f"line {line}"))
        if rid in seen:
            problems.append(
                f"{shown}:{line}: {kind} '{rid}': id: repeats the id at line {seen[rid]}; rename one"
            )
        seen.setdefault(rid, line)
        try:
            out.append((model.model_validate(raw), line, fields))
        except ValidationError as exc:
            for err in exc.errors():
                first = str(err["loc"][0]) if err["loc"] else ""
                problems.append(f"{shown}:{fields.get(first, line)}: {kind} '{rid}': {_describe(err)}")
    return out


def read_screening_log(path: Path | str) -> ScreeningLog:
    """Read and validate a screening log; raise :class:`DataError` listing every problem."""
    path = Path(path)
    shown = str(path)
    problems: list[str] = []
    try:
        raw = read_input_bytes(path, shown)  # a regular file of at most LDNGRAPH_MAX_INPUT_BYTES (F18)
    except OSError as exc:
        raise DataError([f"{shown}: cannot read ({exc.strerror})"]) from None
    data, node = parse_yaml(raw, shown, problems)
    if problems:
        raise DataError(problems)
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise DataError([f"{shown}:1: expected a mapping with the keys 'searches:' and 'records:'"])
    for key_node, _ in node.value:
        if key_node.value not in ("searches", "records", "saved_searches"):
            problems.append(
                f"{shown}:{key_node.start_mark.line + 1}: unknown top-level key '{key_node.value}'; "
                "use 'saved_searches:', 'searches:' and 'records:' only"
            )
    for key in ("searches", "records"):
        if key not in data:
            problems.append(f"{shown}:1: missing top-level key '{key}:'")
    if problems:
        raise DataError(problems)
    search_rows = _items(node, data, "searches", shown, problems)
    record_rows = _items(node, data, "records", shown, problems)
    saved_rows = _items(node, data, "saved_searches", shown, problems) if "saved_searches" in data else []
    saved = _validated(saved_rows, SavedSearch, "saved search", shown, problems)
    searches = _validated(search_rows, Search, "search", shown, problems)
    records = _validated(record_rows, Record, "record", shown, problems)
    # Cross-references use the raw ids, so one bad record or search is reported once, not again
    # as a dangling reference.
    record_ids = {str(raw.get("id")) for raw, _, _ in record_rows}
    found = {str(rid) for raw, _, _ in search_rows for rid in (raw.get("found") or [])}
    for search, line, fields in searches:
        for rid in search.found:
            if rid not in record_ids:
                problems.append(
                    f"{shown}:{fields.get('found', line)}: search '{search.id}': found: "
                    f"'{rid}' is not a record id; add it under records: or fix the spelling"
                )
        repeats = [rid for rid, n in Counter(search.found).items() if n > 1]
        if repeats:
            problems.append(
                f"{shown}:{fields.get('found', line)}: search '{search.id}': found: "
                f"{', '.join(repeats)} listed twice; list each record once per search"
            )
    for rec, line, _ in records:
        if rec.id not in found:
            problems.append(
                f"{shown}:{line}: record '{rec.id}': no search found it; add it to the 'found' list "
                "of the search(es) that identified it"
            )
    if problems:
        raise DataError(problems)
    return ScreeningLog(
        searches=tuple(s for s, _, _ in searches),
        records=tuple(r for r, _, _ in records),
        saved_searches=tuple(s for s, _, _ in saved),
    )


def check_against_studies(log: ScreeningLog, study_ids: Iterable[str]) -> list[str]:
    """Problems linking the log to data/studies.yaml: every named study must exist."""
    known = set(study_ids)
    return [
        f"record '{rec.id}': study: '{rec.study}' is not in data/studies.yaml; add the study or fix the id"
        for rec in log.records
        if rec.study is not None and rec.study not in known
    ]
