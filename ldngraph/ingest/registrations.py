"""Registered trials (issue 25): ``data/registrations.yaml``, one entry per trial registration.

Each entry is a trial registry record of an LDN trial as it was last checked: its status
(``recruiting``, ``completed``, ``terminated``, ``withdrawn`` ... the ClinicalTrials.gov
``overallStatus`` in lower case), completion date, whether results are posted (``hasResults``), the
day it was checked, and the study in data/studies.yaml that reports it, once published. Unknown
facts stay empty (``null``): a trial whose completion date, check date or results are unknown is
not judged by the publication-bias rule (:mod:`ldngraph.evidence.publication_bias`).

Problems are reported in one pass as ``FILE:LINE: registration 'ID': FIELD: message``
(:class:`~ldngraph.errors.DataError`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

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
from ldngraph.model import NCT_RE, KnowledgeBase
from ldngraph.model.terms import Curie, Day, HttpUrl  # the model's day, URL and CURIE rules

REGISTRATIONS_FILE = "registrations.yaml"
_MONTH_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?\Z")


class RegistryStatus(StrEnum):
    """ClinicalTrials.gov ``overallStatus`` values of trials, lower case."""

    not_yet_recruiting = "not_yet_recruiting"
    recruiting = "recruiting"
    enrolling_by_invitation = "enrolling_by_invitation"
    active_not_recruiting = "active_not_recruiting"
    suspended = "suspended"
    completed = "completed"
    terminated = "terminated"
    withdrawn = "withdrawn"
    unknown = "unknown"  # the registry's own "unknown status" (not verified for two years)


class Registration(BaseModel):
    """One registered trial, as its registry record was last seen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Registry id, a ClinicalTrials.gov NCT number")
    label: str = Field(min_length=1, description="Short name: acronym or sponsor, condition")
    condition: Curie | None = Field(default=None, description="Condition CURIE the trial addresses")
    status: RegistryStatus | None = Field(default=None, description="overallStatus (None: not known)")
    completion_date: str | None = Field(default=None, description="YYYY-MM or YYYY-MM-DD, as registered")
    results_posted: StrictBool | None = Field(default=None, description="hasResults (None: not known)")
    checked: Day | None = Field(default=None, description="Day the registry record was seen, YYYY-MM-DD")
    study: str | None = Field(default=None, description="Study id in data/studies.yaml once published")
    sources: tuple[HttpUrl, ...] = Field(default=(), description="URLs where the record was seen")
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _nct(cls, value: str) -> str:
        if not NCT_RE.match(value):
            raise ValueError(f"id: '{value}' is not an NCT number like NCT00568555")
        return value

    @field_validator("completion_date")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is not None and not _MONTH_RE.match(value):
            raise ValueError(f"completion_date: must be YYYY-MM or YYYY-MM-DD, not '{value}' (quote it)")
        return value

    @model_validator(mode="after")
    def _facts(self) -> Registration:
        if self.study is None and self.condition is None:
            raise ValueError("condition: a trial with no study in data/ names the condition it addresses")
        if (self.status is not None or self.results_posted is not None) and not self.sources:
            raise ValueError("sources: give the URL(s) where the status or results were seen")
        return self


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "record"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "enum":
        return f"{loc} '{err.get('input')}' is not one of {', '.join(s.value for s in RegistryStatus)}"
    if err["type"] == "missing":
        return f"{loc}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field (see ldngraph/ingest/registrations.py)"
    return msg if msg.split(" ")[0].endswith(":") else f"{loc}: {msg}"


def read_registrations(path: Path | str) -> tuple[Registration, ...]:
    """Read and validate ``path``; raise :class:`DataError` listing every problem."""
    path = Path(path)
    shown = str(path)
    problems: list[str] = []
    try:
        raw = read_input_bytes(path, shown)
    except OSError as exc:
        raise DataError([f"{shown}: cannot read ({exc.strerror})"]) from None
    data, node = parse_yaml(raw, shown, problems)
    if problems:
        raise DataError(problems)
    if not isinstance(data, dict) or set(data) != {"registrations"} or not isinstance(node, yaml.MappingNode):
        raise DataError([f"{shown}:1: expected a mapping with the one key 'registrations:'"])
    items = data["registrations"] or []
    seq = node.value[0][1]
    if not isinstance(items, list) or not isinstance(seq, yaml.SequenceNode):
        raise DataError([f"{shown}:1: 'registrations' must be a list"])
    out: list[Registration] = []
    seen: dict[str, int] = {}
    for item, item_node in zip(items, seq.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            problems.append(f"{shown}:{line}: each registration must be a mapping")
            continue
        fields = {k.value: k.start_mark.line + 1 for k, _ in item_node.value}
        rid = str(item.get("id", f"line {line}"))
        if rid in seen:
            problems.append(f"{shown}:{line}: registration '{rid}': id: repeats line {seen[rid]}; merge them")
        seen.setdefault(rid, line)
        try:
            out.append(Registration.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                first = str(err["loc"][0]) if err["loc"] else ""
                problems.append(f"{shown}:{fields.get(first, line)}: registration '{rid}': {_describe(err)}")
    if problems:
        raise DataError(problems)
    return tuple(out)


def check_against_knowledge_base(regs: tuple[Registration, ...], kb: KnowledgeBase, shown: str) -> list[str]:
    """A linked study must exist, and a study that names a registry id must name this one."""
    problems = []
    for reg in regs:
        if reg.study is None:
            continue
        study = kb.study_index.get(reg.study)
        if study is None:
            problems.append(
                f"{shown}: registration '{reg.id}': study: '{reg.study}' is not in data/studies.yaml; "
                "fix the id"
            )
        elif study.registry is not None and study.registry != reg.id:
            problems.append(
                f"{shown}: registration '{reg.id}': study: '{reg.study}' names registry {study.registry}; "
                "link the registration to the study that reports it"
            )
    return problems


class RegistrationUpdate(BaseModel):
    """A registered trial whose stored registry record (``ldngraph watch``) says more than data/."""

    model_config = ConfigDict(frozen=True)

    id: str
    changes: tuple[tuple[str, str, str], ...] = Field(description="(field, in data/, in the registry)")
    seen: str | None = Field(description="lastUpdatePostDate of the registry record")

    def to_line(self) -> str:
        shown = "; ".join(f"{name} {old} -> {new}" for name, old, new in self.changes)
        return f"{self.id}: {shown} (registry record updated {self.seen or '?'}); edit {REGISTRATIONS_FILE}"


def get_registration_updates(
    regs: tuple[Registration, ...], records: Mapping[str, Any]
) -> list[RegistrationUpdate]:
    """Where the registry records ``watch`` stored (``records``: NCT number -> RegistryRecord)
    differ from data/registrations.yaml: status, completion date, results posted."""
    out = []
    for reg in regs:
        rec = records.get(reg.id)
        if rec is None:
            continue
        status = (rec.status or "").lower() or None
        pairs = (
            ("status", reg.status.value if reg.status else None, status),
            ("completion_date", reg.completion_date, rec.completion_date),
            ("results_posted", reg.results_posted, rec.has_results),
        )
        changes = tuple(
            (name, "null" if old is None else str(old).lower(), str(new).lower())
            for name, old, new in pairs
            if new is not None and old != new
        )
        if changes:
            out.append(RegistrationUpdate(id=reg.id, changes=changes, seen=rec.last_update))
    return out
