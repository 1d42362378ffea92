"""Effect estimates and pooled results as RDF (kept apart so it can move into one mapping module).

* every recorded estimate: ``ldnr:effect/STUDY/I`` (I: the study outcome's number, as in
  ``ldnr:study/STUDY/outcome/I``, which links to it by ``ldn:hasEstimate``), a
  ``ldn:EffectEstimate`` with its study, outcome, measure, value, 95% CI (``ldn:ciFrom`` says
  whether it was reported or derived), analysis-scale SE and ``ldn:varianceFrom``, scale,
  ``ldn:lowerIsBetter``, comparator, time point, and ``prov:wasDerivedFrom`` the source URL;
* every outcome body of an intervention with a headline effect: ``ldnr:pooled/BODYID``, a
  ``ldn:PooledEffect`` with intervention, condition, outcome, k, n, value, 95% CI, tau^2, I^2,
  Q, prediction interval, method and ``ldn:status`` (pooled / single / review); one
  ``ldn:hasMember`` node per estimate in it with the estimate and its weight (percent); and
  ``prov:wasDerivedFrom`` each estimate it rests on.

Numbers are rounded to 6 decimals (as the scores are) so that they survive every RDF format.
queries/effects_for_outcome.rq reads them back; tests/test_effects_rdf.py holds the rows equal to
:func:`ldngraph.evidence.effects.summarise_effects`.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from ldngraph.evidence.bodies import OutcomeBody, build_bodies
from ldngraph.evidence.effects import StudyEffect, get_row_estimate, summarise_body, to_study_effect
from ldngraph.evidence.profile import Profile
from ldngraph.model import EntityKind, KnowledgeBase
from ldngraph.rdf.vocab import LDN, local, study_iri, to_iri, url_iri

DIGITS = 6


def _d(value: float) -> Literal:
    # 6 decimals as the scores, and at most 7 significant digits: rdflib writes xsd:double in
    # Turtle/TriG as %e with 7, so a longer number (a 43.071116 % weight) would not round-trip.
    return Literal(float(f"{round(float(value), DIGITS):.7g}"), datatype=XSD.double)


def effect_iri(study_id: str, index: int) -> URIRef:
    return local("effect", f"{study_id}/{index}")


def pooled_iri(body_id: str) -> URIRef:
    return local("pooled", body_id)


def _effect_node(graph: Graph, node: URIRef, e: StudyEffect, *, reported_ci: bool) -> None:
    graph.add((node, RDF.type, LDN.EffectEstimate))
    graph.add((node, LDN.study, study_iri(e.study)))
    graph.add((node, LDN.outcome, to_iri(e.outcome)))
    graph.add((node, LDN.measure, Literal(e.measure.value)))
    graph.add((node, LDN.value, _d(e.value)))
    if e.ci_lower is not None and e.ci_upper is not None:
        graph.add((node, LDN.ciLower, _d(e.ci_lower)))
        graph.add((node, LDN.ciUpper, _d(e.ci_upper)))
        graph.add((node, LDN.ciFrom, Literal("reported" if reported_ci else "derived")))
    if e.se is not None and e.variance_from is not None:
        graph.add((node, LDN.standardError, _d(e.se)))
        graph.add((node, LDN.varianceFrom, Literal(e.variance_from)))
    graph.add((node, LDN.scale, Literal(e.scale)))
    graph.add((node, LDN.lowerIsBetter, Literal(e.lower_is_better)))
    if e.comparator:
        graph.add((node, LDN.comparator, Literal(e.comparator)))
    if e.time_point:
        graph.add((node, LDN.timePoint, Literal(e.time_point)))
    if e.n is not None:
        graph.add((node, LDN.participants, Literal(e.n)))
    graph.add((node, PROV.wasDerivedFrom, url_iri(e.source)))


def add_effects(
    graph: Graph, kb: KnowledgeBase, profile: Profile, *, bodies: Mapping[str, OutcomeBody] | None = None
) -> Graph:
    """Add every estimate and every body's headline effect to ``graph`` (in place; returns it)."""
    nodes: dict[tuple[str, str, float], URIRef] = {}
    for study in kb.studies:
        for i, out in enumerate(study.outcomes):
            est = get_row_estimate(out) if out.reported else None
            if est is None:
                continue
            e = to_study_effect(study, out.outcome, est)
            node = effect_iri(study.id, i + 1)
            graph.add((local("study", f"{study.id}/outcome/{i + 1}"), LDN.hasEstimate, node))
            # a CI computed here from arm-level data is not a reported one
            reported = est is out.estimate and e.variance_from == "ci" and est.ci_level == 0.95
            _effect_node(graph, node, e, reported_ci=reported)
            nodes[(study.id, out.outcome, e.value)] = node
        if study.review is not None:
            for j, res in enumerate(study.review.pooled):
                e = to_study_effect(study, res.outcome, res.estimate, from_review=True, k=res.k, n=res.n)
                node = local("effect", f"{study.id}/pooled/{j}")
                reported = e.variance_from == "ci" and res.estimate.ci_level == 0.95
                _effect_node(graph, node, e, reported_ci=reported)
                if res.k is not None:
                    graph.add((node, LDN.reportedPooledK, Literal(res.k)))
                nodes[(study.id, res.outcome, e.value)] = node
    entities = kb.entity_index
    bodies = build_bodies(kb, profile) if bodies is None else bodies
    for body in bodies.values():
        subject = entities.get(body.intervention)
        if body.outcome is None or subject is None or subject.kind is not EntityKind.intervention:
            continue
        summary = summarise_body(kb, body)
        pooled = summary.pooled
        if pooled is None:
            continue
        node = pooled_iri(body.id)
        graph.add((node, RDF.type, LDN.PooledEffect))
        graph.add((node, LDN.intervention, to_iri(body.intervention)))
        graph.add((node, LDN.condition, to_iri(body.condition)))
        graph.add((node, LDN.outcome, to_iri(body.outcome)))
        if body.qualifier:
            graph.add((node, LDN.qualifier, Literal(body.qualifier)))
        graph.add((node, LDN.status, Literal(summary.status)))
        graph.add((node, LDN.measure, Literal(pooled.measure.value)))
        graph.add((node, LDN.scale, Literal(pooled.scale)))
        graph.add((node, LDN.k, Literal(pooled.k)))
        if pooled.n is not None:
            graph.add((node, LDN.participants, Literal(pooled.n)))
        graph.add((node, LDN.value, _d(pooled.value)))
        graph.add((node, LDN.ciLower, _d(pooled.ci_lower)))
        graph.add((node, LDN.ciUpper, _d(pooled.ci_upper)))
        for prop, value in (
            (LDN.tauSquared, pooled.tau2),
            (LDN.iSquared, pooled.i2),
            (LDN.q, pooled.q),
            (LDN.piLower, pooled.pi_lower),
            (LDN.piUpper, pooled.pi_upper),
        ):
            if value is not None:
                graph.add((node, prop, _d(value)))
        graph.add((node, LDN.method, Literal(pooled.method)))
        for e in summary.studies:
            member = nodes[(e.study, e.outcome, e.value)]
            link = local("pooled", f"{body.id}/{e.study}/{member.split('/')[-1]}")
            graph.add((node, LDN.hasMember, link))
            graph.add((link, LDN.effect, member))
            graph.add((link, LDN.weight, _d(e.weight if e.weight is not None else 100.0)))
            graph.add((node, PROV.wasDerivedFrom, member))
    return graph
