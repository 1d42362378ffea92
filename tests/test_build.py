"""Graph build: expected triples on the tiny fixture."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ldngraph.build import claim_iri, study_iri, to_graph
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.vocab import BIOLINK, CITO, LDN, to_iri

CHEBI = URIRef("http://purl.obolibrary.org/obo/CHEBI_7465")
MESH_FM = URIRef("http://id.nlm.nih.gov/mesh/D005356")
PMID_111 = URIRef("https://pubmed.ncbi.nlm.nih.gov/111")


def test_prefix_map_expands_standard_ids() -> None:
    assert to_iri("CHEBI:7465") == CHEBI
    assert to_iri("PMID:111") == PMID_111
    assert to_iri("HGNC:11850") == URIRef("http://identifiers.org/hgnc/11850")
    assert to_iri("CL:0000129") == URIRef("http://purl.obolibrary.org/obo/CL_0000129")


def test_claim_is_reified_and_direct(mini_dir: Path) -> None:
    kb = read_knowledge_base(mini_dir)
    graph = to_graph(kb)
    claim = kb.claim_index["ldn-pain"]
    node = claim_iri(claim)
    pred = BIOLINK.in_clinical_trials_for
    assert (CHEBI, pred, MESH_FM) in graph
    assert (node, RDF.type, BIOLINK.Association) in graph
    assert (node, RDF.subject, CHEBI) in graph
    assert (node, RDF.predicate, pred) in graph
    assert (node, RDF.object, MESH_FM) in graph
    assert (node, LDN.contentHash, Literal(claim.content_hash)) in graph
    assert (node, CITO.citesAsEvidence, PMID_111) in graph
    directions = sorted(str(graph.value(ev, LDN.direction)) for ev in graph.objects(node, LDN.hasEvidence))
    assert directions == ["refutes", "supports"]


def test_studies_and_publications(mini_dir: Path) -> None:
    graph = to_graph(read_knowledge_base(mini_dir))
    trial = study_iri("trial-a")
    assert (trial, LDN.design, Literal("rct")) in graph
    assert (trial, LDN.n, Literal(40)) in graph
    assert (trial, LDN.randomised, Literal(True)) in graph
    assert (trial, LDN.reportedIn, PMID_111) in graph
    assert (trial, LDN.evidenceType, to_iri("ECO:0000180")) in graph
    assert (study_iri("cells-c"), LDN.evidenceType, to_iri("ECO:0000181")) in graph
    unresolved = to_iri("PMID:333")
    assert (unresolved, LDN.citationStatus, Literal("unresolved")) in graph
    assert graph.value(unresolved, URIRef("http://purl.org/dc/terms/title")) is None


def test_decreases_carries_direction_qualifier(mini_dir: Path) -> None:
    kb = read_knowledge_base(mini_dir)
    graph = to_graph(kb)
    node = claim_iri(kb.claim_index["ldn-microglia"])
    assert (node, BIOLINK.object_direction_qualifier, Literal("decreased")) in graph
    assert (node, RDF.predicate, BIOLINK.affects) in graph
    assert (to_iri("CL:0000129"), RDFS.label, Literal("microglial cell")) in graph
