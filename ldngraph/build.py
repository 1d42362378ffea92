"""Model -> rdflib Graph. No scoring and no I/O here.

Shape of the graph (see README "Data model"):

* entities are IRIs from standard namespaces (CHEBI, HGNC, CL, MeSH ...) typed with Biolink classes;
* publications are PubMed (or DOI) IRIs with dcterms/bibo metadata and a citation status;
* studies are project IRIs with design attributes, linked to publications by ``ldn:reportedIn``;
* claims are reified ``biolink:Association`` nodes (``rdf:subject/predicate/object``) and also
  asserted as the direct triple, so that simple traversal works;
* evidence items link a claim to a study with a direction (supports/refutes) and an outcome.

Keep in step with :mod:`ldngraph.fastbuild`, which writes the same triples as N-Triples for big
corpora (``ldngraph push``); tests/test_fastbuild.py fails when the two graphs differ.
"""

from __future__ import annotations

import hashlib

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ldngraph.model import (
    Claim,
    EvidenceItem,
    KnowledgeBase,
    OutcomeKind,
    Publication,
    Study,
)
from ldngraph.vocab import (
    BIBO,
    BIOLINK,
    CITO,
    DESIGN_ECO,
    LDN,
    PREDICATES,
    bind_namespaces,
    biolink_predicate,
    get_category,
    local,
    to_iri,
)

CURATORS = local("agent", "ldngraph-curators")


def claim_iri(claim: Claim) -> URIRef:
    return local("claim", claim.content_hash)


def study_iri(study_id: str) -> URIRef:
    return local("study", study_id)


def publication_iri(pub_id: str) -> URIRef:
    return to_iri(pub_id)


def evidence_id(claim: Claim, index: int, item: EvidenceItem) -> str:
    """Stable id of an evidence item: hash of its claim, study, outcome and position."""
    key = f"{claim.content_hash}|{item.study}|{item.outcome or ''}|{index}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def evidence_iri(claim: Claim, index: int, item: EvidenceItem) -> URIRef:
    return local("evidence", evidence_id(claim, index, item))


def get_outcome_kind(kb: KnowledgeBase, item: EvidenceItem) -> OutcomeKind | None:
    """The outcome kind an evidence item rests on: explicit, else the study's, else the outcome's."""
    if item.outcome_kind is not None:
        return item.outcome_kind
    if item.outcome is None:
        return None
    study = kb.study_index.get(item.study)
    if study is not None:
        for out in study.outcomes:
            if out.outcome == item.outcome:
                return out.kind
    entity = kb.entity_index.get(item.outcome)
    return entity.outcome_kind if entity else None


def _add_entities(graph: Graph, kb: KnowledgeBase) -> None:
    for ent in kb.entities:
        node = to_iri(ent.id)
        graph.add((node, RDF.type, BIOLINK[get_category(ent.id, ent.kind.value, ent.category)]))
        graph.add((node, LDN.kind, Literal(ent.kind.value)))
        graph.add((node, RDFS.label, Literal(ent.label)))
        graph.add((node, DCTERMS.identifier, Literal(ent.id)))
        for syn in ent.synonyms:
            graph.add((node, SKOS.altLabel, Literal(syn)))
        for xref in ent.xrefs:
            graph.add((node, SKOS.exactMatch, to_iri(xref)))
        if ent.description:
            graph.add((node, SKOS.definition, Literal(ent.description)))
        if ent.outcome_kind:
            graph.add((node, LDN.outcomeKind, Literal(ent.outcome_kind.value)))
        if ent.qualifier:
            graph.add((node, LDN.qualifier, Literal(ent.qualifier)))
        if ent.source:
            graph.add((node, RDFS.seeAlso, Literal(ent.source, datatype=XSD.anyURI)))


def _add_publication(graph: Graph, pub: Publication) -> None:
    node = publication_iri(pub.id)
    graph.add((node, RDF.type, BIOLINK.Publication))
    graph.add((node, DCTERMS.identifier, Literal(pub.id)))
    graph.add((node, LDN.citationStatus, Literal(pub.status.value)))
    graph.add((node, LDN.retracted, Literal(pub.retracted)))
    if pub.pubmed_check is not None:
        graph.add((node, LDN.pubmedCheck, Literal(pub.pubmed_check.value)))
    for field in pub.pubmed_mismatch:
        graph.add((node, LDN.pubmedMismatch, Literal(field)))
    graph.add((node, LDN.citation, Literal(pub.citation)))
    graph.add((node, RDFS.seeAlso, Literal(pub.url, datatype=XSD.anyURI)))
    if pub.pmid:
        graph.add((node, BIBO.pmid, Literal(pub.pmid)))
    if pub.doi:
        graph.add((node, BIBO.doi, Literal(pub.doi)))
    if pub.pmcid:
        graph.add((node, LDN.pmcid, Literal(pub.pmcid)))
    if pub.title:
        graph.add((node, DCTERMS.title, Literal(pub.title)))
    if pub.journal:
        graph.add((node, LDN.journal, Literal(pub.journal)))
    if pub.year:
        graph.add((node, DCTERMS.date, Literal(str(pub.year), datatype=XSD.gYear)))
    for i, author in enumerate(pub.authors):
        graph.add((node, DCTERMS.creator, Literal(author)))
        if i == 0:
            graph.add((node, LDN.firstAuthor, Literal(author)))
    for ptype in pub.publication_types:
        graph.add((node, LDN.publicationType, Literal(ptype)))
    for url in pub.sources:
        graph.add((node, PROV.wasDerivedFrom, Literal(url, datatype=XSD.anyURI)))
    if pub.notes:
        graph.add((node, RDFS.comment, Literal(pub.notes)))


def _add_study(graph: Graph, study: Study) -> None:
    node = study_iri(study.id)
    graph.add((node, RDF.type, BIOLINK.Study))
    graph.add((node, LDN.studyId, Literal(study.id)))
    graph.add((node, RDFS.label, Literal(study.label)))
    graph.add((node, LDN.design, Literal(study.design.value)))
    eco = DESIGN_ECO.get(study.design)
    if eco:
        graph.add((node, LDN.evidenceType, to_iri(eco)))
    graph.add((node, LDN.population, Literal(study.population.value)))
    graph.add((node, LDN.crossover, Literal(study.crossover)))
    for name in ("randomised", "controlled", "blinded"):
        value = getattr(study, name)
        if value is not None:
            graph.add((node, LDN[name], Literal(value)))
    if study.species:
        graph.add((node, LDN.species, to_iri(study.species)))
    if study.population_description:
        graph.add((node, LDN.populationDescription, Literal(study.population_description)))
    if study.n is not None:
        graph.add((node, LDN.n, Literal(study.n)))
    if study.registry:
        graph.add((node, LDN.registry, to_iri(f"NCT:{study.registry}")))
    if study.duration_weeks is not None:
        graph.add((node, LDN.durationWeeks, Literal(study.duration_weeks)))
    if study.year is not None:
        graph.add((node, DCTERMS.date, Literal(str(study.year), datatype=XSD.gYear)))
    for pub in study.publications:
        graph.add((node, LDN.reportedIn, publication_iri(pub)))
    for ref in study.summarises:
        graph.add((node, LDN.summarises, study_iri(ref)))
    for ind in study.indirectness:
        graph.add((node, LDN.indirectness, Literal(ind.value)))
    for i, out in enumerate(study.outcomes):
        onode = local("study", f"{study.id}/outcome/{i + 1}")
        graph.add((node, LDN.hasOutcome, onode))
        graph.add((onode, RDF.type, LDN.StudyOutcome))
        graph.add((onode, LDN.outcome, to_iri(out.outcome)))
        graph.add((onode, LDN.outcomeKind, Literal(out.kind.value)))
        graph.add((onode, LDN.effect, Literal(out.effect.value)))
        if out.description:
            graph.add((onode, DCTERMS.description, Literal(out.description)))
    if study.notes:
        graph.add((node, RDFS.comment, Literal(study.notes)))


def _add_claim(graph: Graph, kb: KnowledgeBase, claim: Claim) -> None:
    node = claim_iri(claim)
    subj, obj = to_iri(claim.subject), to_iri(claim.object)
    pred = biolink_predicate(claim.predicate)
    graph.add((subj, pred, obj))
    graph.add((node, RDF.type, BIOLINK.Association))
    graph.add((node, RDF.type, LDN.Claim))
    graph.add((node, LDN.claimId, Literal(claim.id)))
    graph.add((node, LDN.contentHash, Literal(claim.content_hash)))
    graph.add((node, RDF.subject, subj))
    graph.add((node, RDF.predicate, pred))
    graph.add((node, RDF.object, obj))
    graph.add((node, LDN.predicate, Literal(claim.predicate.value)))
    direction = PREDICATES[claim.predicate][1]
    if direction:
        graph.add((node, BIOLINK.object_direction_qualifier, Literal(direction)))
    if claim.qualifiers.outcome:
        graph.add((node, LDN.outcome, to_iri(claim.qualifiers.outcome)))
    if claim.qualifiers.aspect:
        graph.add((node, BIOLINK.object_aspect_qualifier, Literal(claim.qualifiers.aspect)))
    if claim.qualifiers.context:
        graph.add((node, LDN.context, Literal(claim.qualifiers.context)))
    graph.add((node, DCTERMS.description, Literal(claim.statement)))
    graph.add((node, BIOLINK.knowledge_level, Literal("knowledge_assertion")))
    graph.add((node, BIOLINK.agent_type, Literal("manual_agent")))
    graph.add((node, PROV.wasAttributedTo, CURATORS))
    for src in claim.asserted_by:
        graph.add((node, LDN.assertedBy, local("source", src)))
    if claim.notes:
        graph.add((node, RDFS.comment, Literal(claim.notes)))
    studies = kb.study_index
    for i, item in enumerate(claim.evidence):
        ev = evidence_iri(claim, i, item)
        graph.add((node, LDN.hasEvidence, ev))
        graph.add((ev, RDF.type, LDN.EvidenceItem))
        graph.add((ev, LDN.claim, node))
        graph.add((ev, LDN.study, study_iri(item.study)))
        graph.add((ev, LDN.direction, Literal(item.direction.value)))
        if item.outcome:
            graph.add((ev, LDN.outcome, to_iri(item.outcome)))
        kind = get_outcome_kind(kb, item)
        if kind is not None:
            graph.add((ev, LDN.outcomeKind, Literal(kind.value)))
        for ind in item.indirectness:
            graph.add((ev, LDN.indirectness, Literal(ind.value)))
        if item.note:
            graph.add((ev, DCTERMS.description, Literal(item.note)))
        for pub in studies[item.study].publications:
            graph.add((node, CITO.citesAsEvidence, publication_iri(pub)))


def to_graph(kb: KnowledgeBase) -> Graph:
    """Build the RDF graph of a knowledge base (no scores; see :mod:`ldngraph.score`)."""
    graph = bind_namespaces(Graph())
    graph.add((CURATORS, RDF.type, PROV.Agent))
    graph.add((CURATORS, RDFS.label, Literal("ldngraph curators")))
    _add_entities(graph, kb)
    for pub in kb.publications:
        _add_publication(graph, pub)
    for study in kb.studies:
        _add_study(graph, study)
    for claim in kb.claims:
        _add_claim(graph, kb, claim)
    for doc in kb.sources:
        node = local("source", doc.id)
        graph.add((node, RDF.type, LDN.SourceDocument))
        graph.add((node, DCTERMS.title, Literal(doc.title)))
        graph.add((node, LDN.sourceKind, Literal(doc.kind)))
        for cited in doc.cites:
            graph.add((node, CITO.cites, publication_iri(cited)))
        for st in doc.statements:
            snode = local("source", f"{doc.id}/statement/{st.key}")
            graph.add((node, LDN.hasStatement, snode))
            graph.add((snode, RDFS.label, Literal(st.key)))
            graph.add((snode, DCTERMS.description, Literal(st.summary)))
            for cid in st.claims:
                graph.add((snode, LDN.encodedBy, claim_iri(kb.claim_index[cid])))
            for gap in st.gaps:
                graph.add((snode, LDN.assertsGap, Literal(gap)))
    return graph
