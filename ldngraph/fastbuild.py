"""Fast path: the graph of :func:`ldngraph.build.to_graph` written straight to N-Triples / Oxigraph.

``ldngraph push`` (:func:`ldngraph.pipeline.push`) builds through this module, ``ldngraph build``
and everything else through :mod:`ldngraph.build`: the two must not drift apart (build.py's
docstring points back here).

``build.to_graph`` creates an rdflib term per node and adds each triple to rdflib's memory store:
about 7 s per 10^4 studies, too slow for 10^5-study corpora (issue 7: build + score < 60 s). This
module writes the *same triples* as N-Triples text with plain string operations and bulk-loads them
into pyoxigraph (about 10x faster). ``tests/test_fastbuild.py`` holds the two paths together:
isomorphic graphs on the fixture, on the shipped data and on a synthetic corpus. Change both when
the graph shape changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ldngraph.build import CURATORS, evidence_id, get_outcome_kind
from ldngraph.model import Claim, KnowledgeBase, Publication, Study
from ldngraph.score import ScoreReport, materialise
from ldngraph.vocab import (
    BIBO,
    BIOLINK,
    CITO,
    DESIGN_ECO,
    LDN,
    LDNR,
    PREDICATES,
    get_category,
    to_iri,
)

if TYPE_CHECKING:
    import pyoxigraph

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_TRUE = f'"true"^^<{XSD.boolean}>'
_FALSE = f'"false"^^<{XSD.boolean}>'


def _i(iri: object) -> str:
    return f"<{iri}>"


@lru_cache(maxsize=200_000)
def _curie(curie: str) -> str:
    return f"<{to_iri(curie)}>"


def _s(text: str) -> str:
    return '"' + text.translate(_ESCAPE) + '"'


def _typed(text: str, datatype: object) -> str:
    return '"' + text.translate(_ESCAPE) + f'"^^<{datatype}>'


def _b(value: bool) -> str:
    return _TRUE if value else _FALSE


def _int(value: int) -> str:
    return f'"{value}"^^<{XSD.integer}>'


def _double(value: float) -> str:
    return _typed(str(Literal(value)), XSD.double)  # rdflib's lexical form, to match build.py


def _local(kind: str, identifier: str) -> str:
    return f"<{LDNR}{kind}/{identifier}>"


# Predicates and classes used on every record, as N-Triples strings.
T, LABEL, ID, COMMENT, SEEALSO = (
    _i(RDF.type),
    _i(RDFS.label),
    _i(DCTERMS.identifier),
    _i(RDFS.comment),
    _i(RDFS.seeAlso),
)
DESC, TITLE, DATE = _i(DCTERMS.description), _i(DCTERMS.title), _i(DCTERMS.date)


@cache
def _v(name: str) -> str:
    return _i(LDN[name])


# Terms used per record, serialised once.
_BIBO_DOI = _i(BIBO.doi)
_BIBO_PMID = _i(BIBO.pmid)
_BIOLINK_AGENT_TYPE = _i(BIOLINK.agent_type)
_BIOLINK_ASSOCIATION = _i(BIOLINK.Association)
_BIOLINK_KNOWLEDGE_LEVEL = _i(BIOLINK.knowledge_level)
_BIOLINK_OBJECT_ASPECT_QUALIFIER = _i(BIOLINK.object_aspect_qualifier)
_BIOLINK_OBJECT_DIRECTION_QUALIFIER = _i(BIOLINK.object_direction_qualifier)
_BIOLINK_PUBLICATION = _i(BIOLINK.Publication)
_BIOLINK_STUDY = _i(BIOLINK.Study)
_CITO_CITES = _i(CITO.cites)
_CITO_CITESASEVIDENCE = _i(CITO.citesAsEvidence)
_DCTERMS_CREATOR = _i(DCTERMS.creator)
_PROV_AGENT = _i(PROV.Agent)
_PROV_WASATTRIBUTEDTO = _i(PROV.wasAttributedTo)
_PROV_WASDERIVEDFROM = _i(PROV.wasDerivedFrom)
_RDF_OBJECT = _i(RDF.object)
_RDF_PREDICATE = _i(RDF.predicate)
_RDF_SUBJECT = _i(RDF.subject)
_SKOS_ALTLABEL = _i(SKOS.altLabel)
_SKOS_DEFINITION = _i(SKOS.definition)
_SKOS_EXACTMATCH = _i(SKOS.exactMatch)


def iter_ntriples(kb: KnowledgeBase) -> Iterator[str]:
    """Yield N-Triples lines (with newline) for exactly the triples of ``build.to_graph(kb)``."""
    lines: list[str] = []
    add = lines.append

    def emit(s: str, p: str, o: str) -> None:
        add(f"{s} {p} {o} .\n")

    curators = _i(CURATORS)
    emit(curators, T, _PROV_AGENT)
    emit(curators, LABEL, _s("ldngraph curators"))
    _entities(kb, emit)
    studies = kb.study_index
    records: list[tuple[Callable[..., None], object]] = [
        *((_publication, pub) for pub in kb.publications),
        *((_study, study) for study in kb.studies),
    ]
    for writer, record in records:
        writer(record, emit)
        if len(lines) > 50_000:
            yield from lines
            lines.clear()
    for claim in kb.claims:
        _claim(kb, studies, claim, emit)
        if len(lines) > 50_000:
            yield from lines
            lines.clear()
    _sources(kb, emit)
    yield from lines


def _publication(pub: Publication, emit: Callable[[str, str, str], None]) -> None:
    node = _curie(pub.id)
    emit(node, T, _BIOLINK_PUBLICATION)
    emit(node, ID, _s(pub.id))
    emit(node, _v("citationStatus"), _s(pub.status.value))
    emit(node, _v("retracted"), _b(pub.retracted))
    emit(node, _v("citation"), _s(pub.citation))
    emit(node, SEEALSO, _typed(pub.url, XSD.anyURI))
    if pub.pmid:
        emit(node, _BIBO_PMID, _s(pub.pmid))
    if pub.doi:
        emit(node, _BIBO_DOI, _s(pub.doi))
    if pub.pmcid:
        emit(node, _v("pmcid"), _s(pub.pmcid))
    if pub.title:
        emit(node, TITLE, _s(pub.title))
    if pub.journal:
        emit(node, _v("journal"), _s(pub.journal))
    if pub.year:
        emit(node, DATE, _typed(str(pub.year), XSD.gYear))
    for i, author in enumerate(pub.authors):
        emit(node, _DCTERMS_CREATOR, _s(author))
        if i == 0:
            emit(node, _v("firstAuthor"), _s(author))
    for ptype in pub.publication_types:
        emit(node, _v("publicationType"), _s(ptype))
    for url in pub.sources:
        emit(node, _PROV_WASDERIVEDFROM, _typed(url, XSD.anyURI))
    if pub.notes:
        emit(node, COMMENT, _s(pub.notes))


def _entities(kb: KnowledgeBase, emit: Callable[[str, str, str], None]) -> None:
    for ent in kb.entities:
        node = _curie(ent.id)
        kind = ent.kind.value
        emit(node, T, _i(BIOLINK[get_category(ent.id, kind, ent.category)]))
        emit(node, _v("kind"), _s(kind))
        emit(node, LABEL, _s(ent.label))
        emit(node, ID, _s(ent.id))
        for syn in ent.synonyms:
            emit(node, _SKOS_ALTLABEL, _s(syn))
        for xref in ent.xrefs:
            emit(node, _SKOS_EXACTMATCH, _curie(xref))
        if ent.description:
            emit(node, _SKOS_DEFINITION, _s(ent.description))
        if ent.outcome_kind:
            emit(node, _v("outcomeKind"), _s(ent.outcome_kind.value))
        if ent.qualifier:
            emit(node, _v("qualifier"), _s(ent.qualifier))
        if ent.source:
            emit(node, SEEALSO, _typed(ent.source, XSD.anyURI))


def _study(study: Study, emit: Callable[[str, str, str], None]) -> None:
    node = _local("study", study.id)
    emit(node, T, _BIOLINK_STUDY)
    emit(node, _v("studyId"), _s(study.id))
    emit(node, LABEL, _s(study.label))
    emit(node, _v("design"), _s(study.design.value))
    eco = DESIGN_ECO.get(study.design)
    if eco:
        emit(node, _v("evidenceType"), _curie(eco))
    emit(node, _v("population"), _s(study.population.value))
    emit(node, _v("crossover"), _b(study.crossover))
    for name in ("randomised", "controlled", "blinded"):
        value = getattr(study, name)
        if value is not None:
            emit(node, _v(name), _b(value))
    if study.species:
        emit(node, _v("species"), _curie(study.species))
    if study.population_description:
        emit(node, _v("populationDescription"), _s(study.population_description))
    if study.n is not None:
        emit(node, _v("n"), _int(study.n))
    if study.registry:
        emit(node, _v("registry"), _curie(f"NCT:{study.registry}"))
    if study.duration_weeks is not None:
        emit(node, _v("durationWeeks"), _double(study.duration_weeks))
    if study.year is not None:
        emit(node, DATE, _typed(str(study.year), XSD.gYear))
    for pub in study.publications:
        emit(node, _v("reportedIn"), _curie(pub))
    for ref in study.summarises:
        emit(node, _v("summarises"), _local("study", ref))
    for ind in study.indirectness:
        emit(node, _v("indirectness"), _s(ind.value))
    for i, out in enumerate(study.outcomes):
        onode = _local("study", f"{study.id}/outcome/{i + 1}")
        emit(node, _v("hasOutcome"), onode)
        emit(onode, T, _v("StudyOutcome"))
        emit(onode, _v("outcome"), _curie(out.outcome))
        emit(onode, _v("outcomeKind"), _s(out.kind.value))
        emit(onode, _v("effect"), _s(out.effect.value))
        if out.description:
            emit(onode, DESC, _s(out.description))
    if study.notes:
        emit(node, COMMENT, _s(study.notes))


def _claim(
    kb: KnowledgeBase, studies: Mapping[str, Study], claim: Claim, emit: Callable[[str, str, str], None]
) -> None:
    chash = claim.content_hash
    node = _local("claim", chash)
    subj, obj = _curie(claim.subject), _curie(claim.object)
    biolink_name, direction = PREDICATES[claim.predicate]
    pred = _i(BIOLINK[biolink_name])
    emit(subj, pred, obj)
    emit(node, T, _BIOLINK_ASSOCIATION)
    emit(node, T, _v("Claim"))
    emit(node, _v("claimId"), _s(claim.id))
    emit(node, _v("contentHash"), _s(chash))
    emit(node, _RDF_SUBJECT, subj)
    emit(node, _RDF_PREDICATE, pred)
    emit(node, _RDF_OBJECT, obj)
    emit(node, _v("predicate"), _s(claim.predicate.value))
    if direction:
        emit(node, _BIOLINK_OBJECT_DIRECTION_QUALIFIER, _s(direction))
    if claim.qualifiers.outcome:
        emit(node, _v("outcome"), _curie(claim.qualifiers.outcome))
    if claim.qualifiers.aspect:
        emit(node, _BIOLINK_OBJECT_ASPECT_QUALIFIER, _s(claim.qualifiers.aspect))
    if claim.qualifiers.context:
        emit(node, _v("context"), _s(claim.qualifiers.context))
    emit(node, DESC, _s(claim.statement))
    emit(node, _BIOLINK_KNOWLEDGE_LEVEL, _s("knowledge_assertion"))
    emit(node, _BIOLINK_AGENT_TYPE, _s("manual_agent"))
    emit(node, _PROV_WASATTRIBUTEDTO, _i(CURATORS))
    for src in claim.asserted_by:
        emit(node, _v("assertedBy"), _local("source", src))
    if claim.notes:
        emit(node, COMMENT, _s(claim.notes))
    for i, item in enumerate(claim.evidence):
        ev = _local("evidence", evidence_id(claim, i, item))
        emit(node, _v("hasEvidence"), ev)
        emit(ev, T, _v("EvidenceItem"))
        emit(ev, _v("claim"), node)
        emit(ev, _v("study"), _local("study", item.study))
        emit(ev, _v("direction"), _s(item.direction.value))
        if item.outcome:
            emit(ev, _v("outcome"), _curie(item.outcome))
        kind = get_outcome_kind(kb, item)
        if kind is not None:
            emit(ev, _v("outcomeKind"), _s(kind.value))
        for ind in item.indirectness:
            emit(ev, _v("indirectness"), _s(ind.value))
        if item.note:
            emit(ev, DESC, _s(item.note))
        for pub in studies[item.study].publications:
            emit(node, _CITO_CITESASEVIDENCE, _curie(pub))


def _sources(kb: KnowledgeBase, emit: Callable[[str, str, str], None]) -> None:
    claims = kb.claim_index
    for doc in kb.sources:
        node = _local("source", doc.id)
        emit(node, T, _v("SourceDocument"))
        emit(node, TITLE, _s(doc.title))
        emit(node, _v("sourceKind"), _s(doc.kind))
        for cited in doc.cites:
            emit(node, _CITO_CITES, _curie(cited))
        for st in doc.statements:
            snode = _local("source", f"{doc.id}/statement/{st.key}")
            emit(node, _v("hasStatement"), snode)
            emit(snode, LABEL, _s(st.key))
            emit(snode, DESC, _s(st.summary))
            for cid in st.claims:
                emit(snode, _v("encodedBy"), _local("claim", claims[cid].content_hash))
            for gap in st.gaps:
                emit(snode, _v("assertsGap"), _s(gap))


def to_ntriples(kb: KnowledgeBase) -> str:
    """The whole graph as one N-Triples document."""
    return "".join(iter_ntriples(kb))


def iter_scored_chunks(
    kb: KnowledgeBase,
    scores: ScoreReport,
    *,
    lines: int = 500_000,
) -> Iterator[str]:
    """The graph of ``pipeline.load`` (built and scored) as N-Triples chunks of ``lines`` triples.

    The score triples (a few per claim) come from :func:`ldngraph.score.materialise` on an empty
    graph. A triple may appear twice (the same citation from two evidence items): stores keep one.
    """
    chunk: list[str] = []
    for line in iter_ntriples(kb):
        chunk.append(line)
        if len(chunk) >= lines:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk) + materialise(Graph(), kb, scores).serialize(format="nt")


def to_oxigraph(kb: KnowledgeBase, store: pyoxigraph.Store | None = None) -> pyoxigraph.Store:
    """Load the graph of ``kb`` into ``store`` (default: a new in-memory store), in chunks."""
    import pyoxigraph as ox

    store = store if store is not None else ox.Store()
    chunk: list[str] = []
    for line in iter_ntriples(kb):
        chunk.append(line)
        if len(chunk) >= 500_000:
            store.bulk_load("".join(chunk).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
            chunk.clear()
    if chunk:
        store.bulk_load("".join(chunk).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store
