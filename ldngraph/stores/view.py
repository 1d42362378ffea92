"""Read-only views of a built graph shared by the outputs a researcher sees (viz, plot, report).

Scores are read from the graph (``ldn:strength``, ``ldn:certainty``, ``ldn:reason`` ... on each
claim node, as materialised by :mod:`ldngraph.evidence.score`), so every output shows exactly what the graph
says. A graph that has not been scored still works: its claims are reported as "unscored".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rdflib import RDF, Graph, URIRef
from rdflib import Literal as RdfLiteral

from ldngraph.model import (
    Claim,
    Direction,
    Entity,
    EntityKind,
    EvidenceItem,
    KnowledgeBase,
    Publication,
    Study,
    get_outcome_kind,
)
from ldngraph.model.names import design_label as design_label  # re-exported (report)
from ldngraph.rdf.vocab import LDN, claim_iri, evidence_iri

#: Certainty labels, best first (GRADE-like; see architecture.md section 3).
CERTAINTIES: tuple[str, ...] = ("high", "moderate", "low", "very_low")
UNSCORED = "unscored"

#: How a claim's evidence points overall.
Status = Literal["supports", "refutes", "conflicting"]

_REASON_LABELS: dict[str, str] = {
    "risk_of_bias": "risk of bias",
    "imprecision": "imprecision",
    "indirectness": "indirectness",
    "inconsistency": "inconsistency",
    "preclinical_only": "preclinical evidence only",
    "theoretical_only": "theoretical evidence only",
    "publication_bias": "publication bias",
    "unverified_citation": "unverified citation",
    "retracted": "retracted publication",
    "no_supporting_evidence": "no supporting evidence",
}


def reason_label(code: str) -> str:
    """Readable name of a certainty downgrade reason code."""
    return _REASON_LABELS.get(code, code.replace("_", " "))


def certainty_label(certainty: str | None) -> str:
    return UNSCORED if certainty is None else certainty.replace("_", " ")


@dataclass(frozen=True)
class ClaimScoreView:
    """The scores the graph holds for one claim (all None when the graph is unscored)."""

    strength: float | None = None
    support: float | None = None
    refute: float | None = None
    disagreement: float | None = None
    certainty: str | None = None
    reasons: tuple[str, ...] = ()
    profile_version: str | None = None
    profile_hash: str | None = None
    conclusion: str | None = None  # the body's: benefit / little_or_no_effect / harm / uncertain /
    # no_human_evidence (evidence model v3)
    holds: bool | None = None  # the body's conclusion is what the claim states
    effect: str | None = None  # the body's effect in words (estimate and CI, or the sign test)
    basis: str | None = None  # estimate / review / swim / none
    excluded: tuple[tuple[int, str], ...] = ()  # (evidence index, why it does not count)
    data_quality: tuple[str, ...] = ()
    tier: str | None = None  # clinical / review / preclinical / theoretical

    @property
    def scored(self) -> bool:
        return self.strength is not None or self.certainty is not None


def _float(graph: Graph, node: URIRef, prop: URIRef) -> float | None:
    value = graph.value(node, prop)
    if isinstance(value, RdfLiteral):
        try:
            return float(value.toPython())
        except (TypeError, ValueError):
            return None
    return None


def _text(graph: Graph, node: URIRef, prop: URIRef) -> str | None:
    value = graph.value(node, prop)
    return None if value is None else str(value)


def get_claim_scores(kb: KnowledgeBase, graph: Graph) -> dict[str, ClaimScoreView]:
    """Claim id -> the scores materialised on its claim node (empty views when unscored)."""
    views: dict[str, ClaimScoreView] = {}
    for claim in kb.claims:
        node = claim_iri(claim)
        reasons = sorted(str(r) for r in graph.objects(node, LDN.reason))
        views[claim.id] = ClaimScoreView(
            strength=_float(graph, node, LDN.strength),
            support=_float(graph, node, LDN.support),
            refute=_float(graph, node, LDN.refute),
            disagreement=_float(graph, node, LDN.disagreement),
            certainty=_text(graph, node, LDN.certainty),
            reasons=tuple(reasons),
            profile_version=_text(graph, node, LDN.profileVersion),
            profile_hash=_text(graph, node, LDN.profileHash),
            conclusion=_text(graph, node, LDN.conclusion),
            holds=None if _text(graph, node, LDN.holds) is None else _text(graph, node, LDN.holds) == "true",
            effect=_text(graph, node, LDN.effectText),
            basis=_text(graph, node, LDN.basis),
            excluded=tuple(
                (i, str(why))
                for i, item in enumerate(claim.evidence)
                if (why := graph.value(evidence_iri(claim, i, item), LDN.excluded)) is not None
            ),
            data_quality=tuple(sorted(str(f) for f in graph.objects(node, LDN.dataQualityFlag))),
            tier=_text(graph, node, LDN.evidenceTier),
        )
    return views


@dataclass(frozen=True)
class BodyView:
    """An outcome body as the graph holds it (ldn:OutcomeBody)."""

    intervention: str
    condition: str
    outcome: str | None
    question: str
    critical: bool
    conclusion: str
    certainty: str
    studies: int
    participants: int | None
    reasons: tuple[str, ...]
    data_quality: tuple[str, ...]
    profile: str


def get_bodies(graph: Graph, condition: str | None = None) -> list[BodyView]:
    """Every outcome body in ``graph`` (of ``condition``, a CURIE), critical outcome first."""
    from ldngraph.rdf.vocab import from_iri

    views = []
    for node in graph.subjects(RDF.type, LDN.OutcomeBody):
        cond = from_iri(str(graph.value(node, LDN.condition))) or ""
        if condition is not None and cond != condition:
            continue
        outcome = graph.value(node, LDN.outcome)
        n = graph.value(node, LDN.participants)
        views.append(
            BodyView(
                intervention=from_iri(str(graph.value(node, LDN.intervention))) or "",
                condition=cond,
                outcome=from_iri(str(outcome)) if outcome is not None else None,
                question=str(graph.value(node, LDN.question)),
                critical=bool(graph.value(node, LDN.critical).toPython()),  # type: ignore[union-attr]
                conclusion=str(graph.value(node, LDN.conclusion)),
                certainty=str(graph.value(node, LDN.certainty)),
                studies=int(graph.value(node, LDN.studyCount).toPython()),  # type: ignore[union-attr]
                participants=None if n is None else int(n.toPython()),  # type: ignore[attr-defined]
                reasons=tuple(sorted(str(r) for r in graph.objects(node, LDN.reason))),
                data_quality=tuple(sorted(str(f) for f in graph.objects(node, LDN.dataQualityFlag))),
                profile=f"{graph.value(node, LDN.profileVersion)}+{graph.value(node, LDN.profileHash)}",
            )
        )
    views.sort(
        key=lambda b: (b.condition, not b.critical, b.question != "effect", b.outcome or "", b.intervention)
    )
    return views


def conclusion_label(conclusion: str | None) -> str:
    """Readable conclusion of a body."""
    return {
        "benefit": "benefit",
        "little_or_no_effect": "little or no important difference",
        "harm": "harm",
        "uncertain": "uncertain (the evidence does not tell which way)",
        "no_human_evidence": "no human evidence (mechanistic or hypothesis only)",
    }.get(conclusion or "", UNSCORED)


def get_status(claim: Claim) -> Status:
    """supports (every item supports), refutes (every item refutes) or conflicting."""
    directions = {item.direction for item in claim.evidence}
    if directions == {Direction.supports}:
        return "supports"
    if directions == {Direction.refutes}:
        return "refutes"
    return "conflicting"


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence item joined with its study, outcome and publications."""

    item: EvidenceItem
    study: Study
    outcome: Entity | None
    outcome_kind: str | None
    publications: tuple[Publication, ...]

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(p.citation for p in self.publications)


def get_evidence_rows(kb: KnowledgeBase, claim: Claim) -> list[EvidenceRow]:
    """The claim's evidence items with everything a card or a brief shows about them."""
    studies, pubs, entities = kb.study_index, kb.publication_index, kb.entity_index
    rows = []
    for item in claim.evidence:
        study = studies[item.study]
        kind = get_outcome_kind(kb, item)
        rows.append(
            EvidenceRow(
                item=item,
                study=study,
                outcome=entities.get(item.outcome) if item.outcome else None,
                outcome_kind=kind.value if kind else None,
                publications=tuple(pubs[p] for p in study.publications if p in pubs),
            )
        )
    return rows


def get_claim_conditions(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Claim id -> the conditions it bears on: its object if a condition, else the conditions
    reachable downstream from its object (a mechanism edge bears on what the mechanism feeds)."""
    entities = kb.entity_index
    out: dict[str, set[str]] = {}
    for claim in kb.claims:
        out.setdefault(claim.subject, set()).add(claim.object)

    def downstream(start: str) -> set[str]:
        seen, stack = {start}, [start]
        while stack:
            for nxt in out.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    result: dict[str, tuple[str, ...]] = {}
    for claim in kb.claims:
        reach = downstream(claim.object)
        conds = sorted(c for c in reach if c in entities and entities[c].kind is EntityKind.condition)
        result[claim.id] = tuple(conds)
    return result


def entities_of_kind(kb: KnowledgeBase, kind: EntityKind) -> list[Entity]:
    return sorted((e for e in kb.entities if e.kind is kind), key=lambda e: e.label.casefold())


def claims_about(kb: KnowledgeBase, curie: str) -> list[Claim]:
    """Claims with ``curie`` as subject or object, in file order."""
    return [c for c in kb.claims if curie in (c.subject, c.object)]
