"""Model -> RDF: the one mapping of the knowledge base to triples. No scoring and no I/O here.

Shape of the graph (see README "Data model"):

* entities are IRIs from standard namespaces (CHEBI, HGNC, CL, MeSH ...) typed with Biolink classes;
* publications are PubMed (or DOI, or project ``REF:``) IRIs with dcterms/bibo metadata and a
  citation status;
* studies are project IRIs with design attributes, linked to publications by ``ldn:reportedIn``;
* claims are reified ``biolink:Association`` nodes (``rdf:subject/predicate/object``) and also
  asserted as the direct triple, so that simple traversal works;
* evidence items link a claim to a study with a direction (supports/refutes) and an outcome.

Every triple is made of real pyoxigraph terms (``NamedNode``/``Literal``), never of text pasted
together: an IRI is built only by :func:`ldngraph.rdf.vocab.expand` / :func:`ldngraph.rdf.vocab.local_iri`
(which percent-encode whatever an identifier holds) and checked again by pyoxigraph, and literal
text is escaped by the serialisers. One function per record kind (``entity_triples``,
``publication_triples``, ``study_triples``, ``claim_triples``, ``source_triples``) returns its
triples; the sinks below consume :func:`iter_triples`:

* :func:`to_graph`: an rdflib ``Graph`` (small data: export, report, viz, SHACL);
* :func:`to_oxigraph`: a pyoxigraph store, bulk loaded (10^5-study corpora);
* :func:`ldngraph.pipeline.iter_scored_chunks` adds the scores and cuts the triples into chunks for
  :meth:`ldngraph.stores.store.GraphStore.replace` (``ldngraph push``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ldngraph.model import (
    Claim,
    Entity,
    EvidenceItem,
    KnowledgeBase,
    Publication,
    SourceDocument,
    Study,
    evidence_id,
    get_outcome_kind,
)
from ldngraph.rdf.vocab import (
    BIBO,
    BIOLINK,
    CITO,
    DESIGN_ECO,
    LDN,
    PREDICATES,
    bind_namespaces,
    expand,
    get_category,
    local,
    local_iri,
)

Node = ox.NamedNode | ox.BlankNode
Triple = tuple[Node, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]

CURATORS = local("agent", "ldngraph-curators")


# -- pyoxigraph terms -------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def node(curie: str) -> ox.NamedNode:
    """The IRI node of a CURIE (entity, publication, ECO class ...)."""
    return ox.NamedNode(expand(curie))


def local_node(kind: str, identifier: str) -> ox.NamedNode:
    """The IRI node of a project resource (study, claim, evidence item, source ...)."""
    return ox.NamedNode(local_iri(kind, identifier))


def _n(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def text(value: str) -> ox.Literal:
    return ox.Literal(value)


_XSD_BOOLEAN, _XSD_INTEGER, _XSD_DOUBLE = _n(XSD.boolean), _n(XSD.integer), _n(XSD.double)
_XSD_GYEAR, _XSD_ANYURI = _n(XSD.gYear), _n(XSD.anyURI)
_TRUE, _FALSE = ox.Literal("true", datatype=_XSD_BOOLEAN), ox.Literal("false", datatype=_XSD_BOOLEAN)


def boolean(value: bool) -> ox.Literal:
    return _TRUE if value else _FALSE


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_XSD_INTEGER)


def double(value: float) -> ox.Literal:
    return ox.Literal(str(Literal(float(value))), datatype=_XSD_DOUBLE)  # rdflib's lexical form


def year(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_XSD_GYEAR)


def any_uri(value: str) -> ox.Literal:
    return ox.Literal(value, datatype=_XSD_ANYURI)


@cache
def v(name: str) -> ox.NamedNode:
    """A term of the project vocabulary (``ldn:``)."""
    return _n(LDN[name])


TYPE, LABEL, IDENTIFIER, COMMENT = _n(RDF.type), _n(RDFS.label), _n(DCTERMS.identifier), _n(RDFS.comment)
SEE_ALSO, DESCRIPTION, TITLE, DATE = (
    _n(RDFS.seeAlso),
    _n(DCTERMS.description),
    _n(DCTERMS.title),
    _n(DCTERMS.date),
)
CREATOR, DERIVED_FROM = _n(DCTERMS.creator), _n(PROV.wasDerivedFrom)
ALT_LABEL, DEFINITION, EXACT_MATCH = _n(SKOS.altLabel), _n(SKOS.definition), _n(SKOS.exactMatch)
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = _n(RDF.subject), _n(RDF.predicate), _n(RDF.object)
CITES, CITES_AS_EVIDENCE = _n(CITO.cites), _n(CITO.citesAsEvidence)
_CURATORS = _n(CURATORS)
_KNOWLEDGE_ASSERTION, _MANUAL_AGENT = text("knowledge_assertion"), text("manual_agent")


@cache
def biolink(name: str) -> ox.NamedNode:
    """A Biolink class or slot; ``name`` is checked by the model (Biolink names are identifiers)."""
    return ox.NamedNode(f"{BIOLINK}{name}")


# -- one function per record kind ------------------------------------------------------------------


def curators_triples() -> list[Triple]:
    return [(_CURATORS, TYPE, _n(PROV.Agent)), (_CURATORS, LABEL, text("ldngraph curators"))]


def entity_triples(ent: Entity) -> list[Triple]:
    s = node(ent.id)
    kind = ent.kind.value
    out: list[Triple] = [
        (s, TYPE, biolink(get_category(ent.id, kind, ent.category))),
        (s, v("kind"), text(kind)),
        (s, LABEL, text(ent.label)),
        (s, IDENTIFIER, text(ent.id)),
    ]
    add = out.append
    for syn in ent.synonyms:
        add((s, ALT_LABEL, text(syn)))
    for xref in ent.xrefs:
        add((s, EXACT_MATCH, node(xref)))
    if ent.description:
        add((s, DEFINITION, text(ent.description)))
    if ent.outcome_kind:
        add((s, v("outcomeKind"), text(ent.outcome_kind.value)))
    if ent.qualifier:
        add((s, v("qualifier"), text(ent.qualifier)))
    if ent.source:
        add((s, SEE_ALSO, any_uri(ent.source)))
    return out


def publication_triples(pub: Publication) -> list[Triple]:
    s = node(pub.id)
    out: list[Triple] = [
        (s, TYPE, biolink("Publication")),
        (s, IDENTIFIER, text(pub.id)),
        (s, v("citationStatus"), text(pub.status.value)),
        (s, v("retracted"), boolean(pub.retracted)),
        (s, v("citation"), text(pub.citation)),
        (s, SEE_ALSO, any_uri(pub.url)),
    ]
    add = out.append
    if pub.pubmed_check is not None:
        add((s, v("pubmedCheck"), text(pub.pubmed_check.value)))
    for field in pub.pubmed_mismatch:
        add((s, v("pubmedMismatch"), text(field)))
    if pub.pmid:
        add((s, _n(BIBO.pmid), text(pub.pmid)))
    if pub.doi:
        add((s, _n(BIBO.doi), text(pub.doi)))  # the DOI's own characters, whatever they are
    if pub.pmcid:
        add((s, v("pmcid"), text(pub.pmcid)))
    if pub.title:
        add((s, TITLE, text(pub.title)))
    if pub.journal:
        add((s, v("journal"), text(pub.journal)))
    if pub.year:
        add((s, DATE, year(pub.year)))
    for i, author in enumerate(pub.authors):
        add((s, CREATOR, text(author)))
        if i == 0:
            add((s, v("firstAuthor"), text(author)))
    for ptype in pub.publication_types:
        add((s, v("publicationType"), text(ptype)))
    for url in pub.sources:
        add((s, DERIVED_FROM, any_uri(url)))
    if pub.notes:
        add((s, COMMENT, text(pub.notes)))
    return out


def study_triples(study: Study) -> list[Triple]:
    s = local_node("study", study.id)
    out: list[Triple] = [
        (s, TYPE, biolink("Study")),
        (s, v("studyId"), text(study.id)),
        (s, LABEL, text(study.label)),
        (s, v("design"), text(study.design.value)),
        (s, v("population"), text(study.population.value)),
        (s, v("crossover"), boolean(study.crossover)),
    ]
    add = out.append
    eco = DESIGN_ECO.get(study.design)
    if eco:
        add((s, v("evidenceType"), node(eco)))
    for name in ("randomised", "controlled", "blinded"):
        value = getattr(study, name)
        if value is not None:
            add((s, v(name), boolean(value)))
    if study.species:
        add((s, v("species"), node(study.species)))
    if study.population_description:
        add((s, v("populationDescription"), text(study.population_description)))
    if study.n is not None:
        add((s, v("n"), integer(study.n)))
    if study.registry:
        add((s, v("registry"), node(f"NCT:{study.registry}")))
    if study.duration_weeks is not None:
        add((s, v("durationWeeks"), double(study.duration_weeks)))
    if study.year is not None:
        add((s, DATE, year(study.year)))
    for pub in study.publications:
        add((s, v("reportedIn"), node(pub)))
    for ref in study.summarises:
        add((s, v("summarises"), local_node("study", ref)))
    for ind in study.indirectness:
        add((s, v("indirectness"), text(ind.value)))
    for i, outcome in enumerate(study.outcomes):
        o = local_node("study", f"{study.id}/outcome/{i + 1}")
        add((s, v("hasOutcome"), o))
        add((o, TYPE, v("StudyOutcome")))
        add((o, v("outcome"), node(outcome.outcome)))
        add((o, v("outcomeKind"), text(outcome.kind.value)))
        add((o, v("effect"), text(outcome.effect.value)))
        if outcome.description:
            add((o, DESCRIPTION, text(outcome.description)))
    if study.notes:
        add((s, COMMENT, text(study.notes)))
    return out


def claim_triples(
    kb: KnowledgeBase, claim: Claim, studies: Mapping[str, Study] | None = None
) -> list[Triple]:
    studies = kb.study_index if studies is None else studies
    chash = claim.content_hash
    s = local_node("claim", chash)
    subj, obj = node(claim.subject), node(claim.object)
    biolink_name, direction = PREDICATES[claim.predicate]
    pred = biolink(biolink_name)
    out: list[Triple] = [
        (subj, pred, obj),
        (s, TYPE, biolink("Association")),
        (s, TYPE, v("Claim")),
        (s, v("claimId"), text(claim.id)),
        (s, v("contentHash"), text(chash)),
        (s, RDF_SUBJECT, subj),
        (s, RDF_PREDICATE, pred),
        (s, RDF_OBJECT, obj),
        (s, v("predicate"), text(claim.predicate.value)),
        (s, DESCRIPTION, text(claim.statement)),
        (s, biolink("knowledge_level"), _KNOWLEDGE_ASSERTION),
        (s, biolink("agent_type"), _MANUAL_AGENT),
        (s, _n(PROV.wasAttributedTo), _CURATORS),
    ]
    add = out.append
    if direction:
        add((s, biolink("object_direction_qualifier"), text(direction)))
    if claim.qualifiers.outcome:
        add((s, v("outcome"), node(claim.qualifiers.outcome)))
    if claim.qualifiers.aspect:
        add((s, biolink("object_aspect_qualifier"), text(claim.qualifiers.aspect)))
    if claim.qualifiers.context:
        add((s, v("context"), text(claim.qualifiers.context)))
    for src in claim.asserted_by:
        add((s, v("assertedBy"), local_node("source", src)))
    if claim.notes:
        add((s, COMMENT, text(claim.notes)))
    for i, item in enumerate(claim.evidence):
        out.extend(evidence_triples(kb, claim, s, i, item))
        for pub in studies[item.study].publications:
            add((s, CITES_AS_EVIDENCE, node(pub)))
    return out


def evidence_triples(
    kb: KnowledgeBase, claim: Claim, claim_node: ox.NamedNode, index: int, item: EvidenceItem
) -> list[Triple]:
    e = local_node("evidence", evidence_id(claim, index, item))
    out: list[Triple] = [
        (claim_node, v("hasEvidence"), e),
        (e, TYPE, v("EvidenceItem")),
        (e, v("claim"), claim_node),
        (e, v("study"), local_node("study", item.study)),
        (e, v("direction"), text(item.direction.value)),
    ]
    add = out.append
    if item.outcome:
        add((e, v("outcome"), node(item.outcome)))
    kind = get_outcome_kind(kb, item)
    if kind is not None:
        add((e, v("outcomeKind"), text(kind.value)))
    for ind in item.indirectness:
        add((e, v("indirectness"), text(ind.value)))
    if item.note:
        add((e, DESCRIPTION, text(item.note)))
    return out


def source_triples(kb: KnowledgeBase, doc: SourceDocument) -> list[Triple]:
    s = local_node("source", doc.id)
    out: list[Triple] = [
        (s, TYPE, v("SourceDocument")),
        (s, TITLE, text(doc.title)),
        (s, v("sourceKind"), text(doc.kind)),
    ]
    add = out.append
    for cited in doc.cites:
        add((s, CITES, node(cited)))
    for st in doc.statements:
        st_node = local_node("source", f"{doc.id}/statement/{st.key}")
        add((s, v("hasStatement"), st_node))
        add((st_node, LABEL, text(st.key)))
        add((st_node, DESCRIPTION, text(st.summary)))
        for cid in st.claims:
            add((st_node, v("encodedBy"), local_node("claim", kb.claim_index[cid].content_hash)))
        for gap in st.gaps:
            add((st_node, v("assertsGap"), text(gap)))
    return out


def iter_triples(kb: KnowledgeBase) -> Iterator[Triple]:
    """Every triple of the knowledge base's graph (no scores), as pyoxigraph terms."""
    yield from curators_triples()
    for ent in kb.entities:
        yield from entity_triples(ent)
    for pub in kb.publications:
        yield from publication_triples(pub)
    for study in kb.studies:
        yield from study_triples(study)
    studies = kb.study_index
    for claim in kb.claims:
        yield from claim_triples(kb, claim, studies)
    for doc in kb.sources:
        yield from source_triples(kb, doc)


# -- sinks ------------------------------------------------------------------------------------------


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    """The rdflib term of a pyoxigraph term (plain strings stay plain, as rdflib writes them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if not isinstance(term, ox.Literal):
        raise TypeError(f"not an RDF term: {term!r}")
    if term.language:
        return Literal(term.value, lang=term.language)
    dtype = term.datatype.value
    return Literal(term.value) if dtype == str(XSD.string) else Literal(term.value, datatype=URIRef(dtype))


def from_rdflib_term(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term of an rdflib term (raises ValueError for an invalid IRI)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_graph(kb: KnowledgeBase) -> Graph:
    """Build the rdflib graph of a knowledge base (no scores; see :mod:`ldngraph.evidence.score`)."""
    graph = bind_namespaces(Graph())
    convert = lru_cache(maxsize=None)(to_rdflib_term)
    add = graph.add
    for s, p, o in iter_triples(kb):
        add((convert(s), convert(p), convert(o)))
    return graph


def _quads(triples: Iterable[Triple]) -> Iterator[ox.Quad]:
    quad = ox.Quad
    for s, p, o in triples:
        yield quad(s, p, o)


def to_oxigraph(kb: KnowledgeBase, store: ox.Store | None = None) -> ox.Store:
    """Load the graph of ``kb`` into ``store`` (default: a new in-memory store)."""
    store = store if store is not None else ox.Store()
    store.bulk_extend(_quads(iter_triples(kb)))
    return store


def to_ntriples(triples: Iterable[Triple]) -> bytes:
    """N-Triples written by pyoxigraph's serialiser (every term escaped by the library)."""
    return ox.serialize((ox.Triple(s, p, o) for s, p, o in triples), format=ox.RdfFormat.N_TRIPLES) or b""
