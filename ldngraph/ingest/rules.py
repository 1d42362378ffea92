"""Triage rules for candidates found by ``ldngraph watch``: transparent points, each with its reason.

A candidate's score is the sum of the points of the rules that fired; ``watch`` and ``watch status``
print every rule that fired, so a curator sees why a record ranks where it does. The rules read only
what the source says (publication types, MeSH, registry design and status, the title); they rank
records for a human, they never screen one out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.ingest.registry import RegistryRecord


class RuleHit(BaseModel):
    """One triage rule that fired."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(description="Rule id, e.g. 'pt-rct'")
    points: int
    why: str = Field(description="What in the record made it fire")


#: PubMed publication type -> (rule id, points).
PUBLICATION_TYPES = {
    "Randomized Controlled Trial": ("pt-rct", 5),
    "Meta-Analysis": ("pt-meta-analysis", 4),
    "Systematic Review": ("pt-systematic-review", 4),
    "Clinical Trial": ("pt-clinical-trial", 2),
    "Controlled Clinical Trial": ("pt-controlled-trial", 3),
    "Case Reports": ("pt-case-report", -2),
    "Retracted Publication": ("pt-retracted", -10),
}
_LOW_DOSE = re.compile(r"\blow[- ]dose\b|\bLDN\b|\b[0-5](?:\.\d+)?\s?mg\b", re.IGNORECASE)


def _dose_hit(texts: Iterable[str | None]) -> RuleHit | None:
    for text in texts:
        match = _LOW_DOSE.search(text or "")
        if match:
            return RuleHit(rule="dose", points=1, why=f"mentions '{match.group()}'")
    return None


def _condition_hits(terms: Iterable[str], conditions: dict[str, str]) -> list[RuleHit]:
    """``conditions``: lower-case name or synonym -> the graph's label."""
    hits, seen = [], set()
    for term in terms:
        label = conditions.get(term.strip().lower())
        if label and label not in seen:
            seen.add(label)
            hits.append(RuleHit(rule="condition", points=2, why=f"'{term}' is the graph's condition {label}"))
    return hits


def pubmed_rules(record: PubMedRecord, conditions: dict[str, str]) -> list[RuleHit]:
    hits = []
    for name in record.publication_type_names:
        if name in PUBLICATION_TYPES:
            rule, points = PUBLICATION_TYPES[name]
            hits.append(RuleHit(rule=rule, points=points, why=f"publication type {name}"))
    if record.is_retracted and "Retracted Publication" not in record.publication_type_names:
        hits.append(RuleHit(rule="pt-retracted", points=-10, why="a RetractionIn link"))
    hits += _condition_hits((m.descriptor for m in record.mesh_headings), conditions)
    dose = _dose_hit([record.title])
    return hits + ([dose] if dose else [])


def registry_rules(record: RegistryRecord, conditions: dict[str, str]) -> list[RuleHit]:
    hits = []
    if record.study_type == "INTERVENTIONAL":
        hits.append(RuleHit(rule="reg-interventional", points=2, why="registry study type INTERVENTIONAL"))
    if record.allocation == "RANDOMIZED":
        hits.append(RuleHit(rule="reg-randomised", points=3, why="allocation RANDOMIZED"))
    if record.masking and record.masking != "NONE":
        hits.append(RuleHit(rule="reg-masked", points=1, why=f"masking {record.masking}"))
    late = [p for p in record.phases if p in ("PHASE2", "PHASE3", "PHASE4")]
    if late:
        hits.append(RuleHit(rule="reg-phase", points=1, why=f"phase {', '.join(late)}"))
    if record.has_results:
        hits.append(RuleHit(rule="reg-results", points=2, why="results posted on the registry"))
    if record.enrollment is not None and record.enrollment >= 100:
        hits.append(RuleHit(rule="reg-size", points=1, why=f"enrolment {record.enrollment}"))
    hits += _condition_hits(record.conditions, conditions)
    dose = _dose_hit([record.title, record.official_title, *record.interventions])
    return hits + ([dose] if dose else [])


def score(hits: Iterable[RuleHit]) -> int:
    return sum(h.points for h in hits)


def format_hits(hits: Iterable[RuleHit]) -> str:
    return "; ".join(f"{h.rule} {h.points:+d} ({h.why})" for h in hits) or "no rule fired"
