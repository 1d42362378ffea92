"""Scores materialised into the graph: the profile node, outcome bodies, claim scores, item weights.

Every outcome body and every claim carries its conclusion, how it was reached (``ldn:basis``:
estimate, review, swim, none), the estimate it rests on (``ldn:effectMeasure``,
``ldn:effectValue``, ``ldn:effectCiLower``, ``ldn:effectCiUpper``) where there is one, and a body
each GRADE domain's levels (``ldn:riskOfBiasLevels`` ...), so a graph read back from a file or a
store shows the same answer as the scorer (``ldngraph diff`` reads them).

The profile's IRI is ``ldnr:profile/VERSION/HASH``: a copy of the profile with the same version
but another number has another content hash, hence another IRI. Path edges carry
``ldn:edgeStrength`` (only the claim standing for each subject -> object edge, see
:func:`ldngraph.evidence.claims.get_edge_claims`), which queries/paths_to_condition.rq reads, so
SPARQL and networkx pick the same claim per edge.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from ldngraph.evidence.bodies import OutcomeBody
from ldngraph.evidence.claims import ScoreReport
from ldngraph.model import KnowledgeBase
from ldngraph.rdf.vocab import LDN, claim_iri, evidence_iri, local, to_iri


def _double(value: float) -> Literal:
    return Literal(float(value), datatype=XSD.double)


#: GRADE domain -> the property holding its levels on an outcome body.
DOMAIN_PROPERTIES = {
    "risk_of_bias": LDN.riskOfBiasLevels,
    "inconsistency": LDN.inconsistencyLevels,
    "indirectness": LDN.indirectnessLevels,
    "imprecision": LDN.imprecisionLevels,
    "publication_bias": LDN.publicationBiasLevels,
}


class TripleSink(Protocol):
    """What :func:`materialise` needs of a graph: ``add((s, p, o))`` (an rdflib ``Graph``, or a
    plain list-like collector when the triples go straight to a store)."""

    def add(self, triple: tuple[Any, Any, Any], /) -> Any: ...


G = TypeVar("G", bound=TripleSink)


class TripleList(list[tuple[Any, Any, Any]]):
    """A list that takes ``add``: :func:`materialise` into it without rdflib's indexes."""

    def add(self, triple: tuple[Any, Any, Any], /) -> None:
        self.append(triple)


def _add_effect(graph: TripleSink, node: URIRef, body: OutcomeBody) -> None:
    syn = body.synthesis
    graph.add((node, LDN.basis, Literal(syn.basis)))
    if syn.magnitude is not None:
        graph.add((node, LDN.magnitude, Literal(syn.magnitude)))
    pooled = syn.effect.pooled
    if pooled is not None:
        graph.add((node, LDN.effectMeasure, Literal(pooled.measure.value)))
        for prop, value in (
            (LDN.effectValue, pooled.value),
            (LDN.effectCiLower, pooled.ci_lower),
            (LDN.effectCiUpper, pooled.ci_upper),
        ):
            graph.add((node, prop, Literal(float(f"{round(value, 6):.7g}"), datatype=XSD.double)))
    if syn.review is not None:
        graph.add((node, LDN.restsOnReview, local("study", syn.review)))


def profile_iri(version: str, content_hash: str | None = None) -> URIRef:
    """The profile's IRI: version and content hash (the hash is part of its identity)."""
    return local("profile", f"{version}/{content_hash}" if content_hash else version)


def body_iri(body_id: str) -> URIRef:
    return local("body", body_id)


def materialise(graph: G, kb: KnowledgeBase, report: ScoreReport) -> G:
    """Add scores to ``graph`` (in place; returns it): profile, bodies, claim scores, item weights."""
    prof = profile_iri(report.profile_version, report.profile_hash)
    graph.add((prof, RDF.type, LDN.EvidenceProfile))
    graph.add((prof, LDN.profileVersion, Literal(report.profile_version)))
    graph.add((prof, LDN.profileHash, Literal(report.profile_hash)))
    graph.add((prof, LDN.hopPenalty, _double(report.hop_penalty)))
    graph.add((prof, LDN.maxHops, Literal(report.max_hops)))  # xsd:integer; the paths query reads it
    for body in report.bodies.values():
        node = body_iri(body.id)
        graph.add((node, RDF.type, LDN.OutcomeBody))
        graph.add((node, LDN.intervention, to_iri(body.intervention)))
        graph.add((node, LDN.condition, to_iri(body.condition)))
        if body.outcome is not None:
            graph.add((node, LDN.outcome, to_iri(body.outcome)))
        if body.qualifier is not None:
            graph.add((node, LDN.qualifier, Literal(body.qualifier)))
        graph.add((node, LDN.question, Literal(body.question)))
        graph.add((node, LDN.critical, Literal(body.critical)))
        graph.add((node, LDN.conclusion, Literal(body.conclusion)))
        graph.add((node, LDN.certainty, Literal(body.certainty.value)))
        graph.add((node, LDN.certaintyRank, Literal(body.certainty.rank)))
        graph.add((node, LDN.startCertainty, Literal(body.start.value)))
        graph.add((node, LDN.studyCount, Literal(len(body.studies))))
        if body.participants is not None:
            graph.add((node, LDN.participants, Literal(body.participants)))
        if body.synthesis.estimate_participants is not None:
            graph.add((node, LDN.estimateParticipants, Literal(body.synthesis.estimate_participants)))
        _add_effect(graph, node, body)
        for d in body.judgements:
            if d.domain in DOMAIN_PROPERTIES:
                graph.add((node, DOMAIN_PROPERTIES[d.domain], Literal(d.levels)))
        for d in body.downgrades:
            graph.add((node, LDN.reason, Literal(d.code)))
        for flag in body.citation_flags:
            graph.add((node, LDN.dataQualityFlag, Literal(flag)))
        graph.add((node, LDN.profileVersion, Literal(body.profile_version)))
        graph.add((node, LDN.profileHash, Literal(body.profile_hash)))
        graph.add((node, LDN.scoredWith, prof))
    for claim in kb.claims:
        score = report.claims[claim.id]
        node = claim_iri(claim)
        graph.add((node, LDN.body, body_iri(score.body)))
        graph.add((node, LDN.support, _double(score.support)))
        graph.add((node, LDN.refute, _double(score.refute)))
        graph.add((node, LDN.strength, _double(score.strength)))
        if claim.id in report.edges:
            graph.add((node, LDN.edgeStrength, _double(score.strength)))
        graph.add((node, LDN.disagreement, _double(score.disagreement)))
        graph.add((node, LDN.conclusion, Literal(score.conclusion)))
        graph.add((node, LDN.holds, Literal(score.holds)))
        _add_effect(graph, node, report.bodies[score.body])
        if score.effect:
            graph.add((node, LDN.effectText, Literal(score.effect)))
        graph.add((node, LDN.certainty, Literal(score.certainty.value)))
        graph.add((node, LDN.certaintyRank, Literal(score.certainty.rank)))
        graph.add((node, LDN.evidenceTier, Literal(score.tier)))
        graph.add((node, LDN.profileVersion, Literal(score.profile_version)))
        graph.add((node, LDN.profileHash, Literal(score.profile_hash)))
        graph.add((node, LDN.scoredWith, prof))
        for reason in score.reasons:
            graph.add((node, LDN.reason, Literal(reason)))
        for flag in score.citation_flags:
            graph.add((node, LDN.dataQualityFlag, Literal(flag)))
        for item, it in zip(claim.evidence, score.items, strict=True):
            ev = evidence_iri(claim, it.index, item)
            graph.add((ev, LDN.weight, _double(it.weight)))
            if it.excluded:
                graph.add((ev, LDN.excluded, Literal(it.excluded)))
    return graph


__all__ = ["DOMAIN_PROPERTIES", "TripleList", "TripleSink", "body_iri", "materialise", "profile_iri"]
