"""Graph build: expected triples on the tiny fixture."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.rdf.build import to_graph
from ldngraph.rdf.vocab import BIOLINK, CITO, LDN, claim_iri, study_iri, to_iri

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


# -- issue 15: identifiers that become IRIs ---------------------------------------------------------

#: A real DOI (Wiley/SICI) with '<' and '>'.
SICI_DOI = "10.1002/(SICI)1097-4636(199706)35:4<451::AID-JBM5>3.0.CO;2-G"


def _with_publication(mini_dir: Path, tmp_path: Path, doi: str) -> Path:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(mini_dir, data)
    path = data / "publications.yaml"
    record = f"  - id: 'DOI:{doi}'\n    doi: '{doi}'\n    status: unresolved\n"
    path.write_text(path.read_text(encoding="utf-8") + record, encoding="utf-8")
    return data


def test_iri_part_is_percent_encoded_one_to_one() -> None:
    from ldngraph.rdf.vocab import decode_iri_part, encode_iri_part, from_iri

    assert to_iri(f"DOI:{SICI_DOI}") == URIRef(
        "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C451::AID-JBM5%3E3.0.CO;2-G"
    )
    for text in [SICI_DOI, 'a b\n"{}|^`\\#?%', "x%3Cy", "caf\u00e9", "a>}} ; DROP"]:
        encoded = encode_iri_part(text)
        assert not set(encoded) & set(' <>"{}|^`\\\n#?'), encoded
        assert decode_iri_part(encoded) == text
        assert from_iri(to_iri(f"DOI:{text}")) == f"doi:{text}"  # output spells it as Biolink does
    assert encode_iri_part("x%3Cy") != encode_iri_part("x<y")  # '%' itself is encoded


def test_doi_with_angle_brackets_exports_and_loads(mini_dir: Path, tmp_path: Path) -> None:
    """Issue 15, point 5: a real DOI with < and > exports to ttl/nt/trig/jsonld and loads in Oxigraph."""
    import pyoxigraph as ox
    from rdflib import Dataset, Graph

    from ldngraph.pipeline import load
    from ldngraph.rdf.export import write_rdf
    from ldngraph.rdf.validate import validate_graph

    bibo_doi = URIRef("http://purl.org/ontology/bibo/doi")
    built = load(_with_publication(mini_dir, tmp_path, SICI_DOI))
    pub = to_iri(f"DOI:{SICI_DOI}")
    assert (pub, bibo_doi, Literal(SICI_DOI)) in built.graph  # the literal keeps the real characters
    for suffix, fmt in [("ttl", "turtle"), ("nt", "nt"), ("trig", "trig"), ("jsonld", "json-ld")]:
        out = tmp_path / f"g.{suffix}"
        write_rdf(built.graph, out)
        back = Dataset(default_union=True)
        back.parse(out, format=fmt)
        assert (pub, bibo_doi, Literal(SICI_DOI)) in back
        plain = Graph()
        for triple in back.triples((None, None, None)):
            plain.add(triple)
        assert validate_graph(plain).conforms
    store = ox.Store()
    store.load(path=str(tmp_path / "g.nt"), format=ox.RdfFormat.N_TRIPLES)
    rows = list(store.query(f"SELECT ?p WHERE {{ ?p <{bibo_doi}> {ox.Literal(SICI_DOI)} }}"))
    assert [r[0].value for r in rows] == [str(pub)]


def test_entity_category_must_be_a_biolink_class_name() -> None:
    """Issue 15, point 1: a category is a Biolink class name, nothing that could end an IRI."""
    import pytest
    from pydantic import ValidationError

    from ldngraph.model import Entity

    base = {"id": "MESH:D005356", "label": "fibromyalgia", "kind": "condition"}
    assert Entity(**base, category="PhenotypicFeature").category == "PhenotypicFeature"
    hostile = (
        "Disease> . } } ; DROP SILENT GRAPH <urn:other> ; "
        "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c"
    )
    for bad in [hostile, "Disease\\n", "Disease\n", "phenotypic feature", "Gene Product", ""]:
        with pytest.raises(ValidationError, match="not a Biolink class name"):
            Entity(**base, category=bad)


def test_id_patterns_refuse_a_trailing_newline() -> None:
    """Issue 15, point 7: '$' let 'id\\n' through; the patterns end in '\\Z'."""
    from ldngraph.model import CURIE_RE, DOI_RE, NCT_RE, PMCID_RE, PMID_RE, SLUG_RE

    for pattern, good in [
        (CURIE_RE, "CL:0000129"),
        (PMID_RE, "111"),
        (DOI_RE, "10.1000/x"),
        (PMCID_RE, "PMC1"),
        (NCT_RE, "NCT01234567"),
        (SLUG_RE, "cells-c"),
    ]:
        assert pattern.match(good)
        assert not pattern.match(good + "\n")


def test_content_hash_has_no_collision_through_separators(mini_dir: Path) -> None:
    """Issue 15, point 12: aspect 'proliferation|context=mouse' is not aspect + context 'mouse'."""
    kb = read_knowledge_base(mini_dir)
    claim = kb.claims[0]
    joined = claim.model_copy(
        update={
            "qualifiers": claim.qualifiers.model_copy(
                update={"aspect": "proliferation|context=mouse", "context": None}
            )
        }
    )
    split = claim.model_copy(
        update={
            "qualifiers": claim.qualifiers.model_copy(update={"aspect": "proliferation", "context": "mouse"})
        }
    )
    assert joined.content_hash != split.content_hash
    assert claim.content_hash == claim.model_copy().content_hash  # ids without '|' keep their hash


def test_mapping_yields_real_terms_only(mini_dir: Path) -> None:
    """Every triple of the one mapping is made of pyoxigraph terms (nothing pasted as text)."""
    import pyoxigraph as ox

    from ldngraph.rdf.build import iter_triples

    kb = read_knowledge_base(mini_dir)
    triples = list(iter_triples(kb))
    assert triples and all(
        isinstance(s, ox.NamedNode | ox.BlankNode)
        and isinstance(p, ox.NamedNode)
        and isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
        for s, p, o in triples
    )
    assert len(to_graph(kb)) == len(set(triples))


def test_publication_known_by_journal_citation_maps_to_a_project_iri(mini_dir: Path, tmp_path: Path) -> None:
    """Schema v2: a publication with id REF:<slug> (journal citation only) gets a project IRI."""
    import shutil

    import pyoxigraph as ox

    from ldngraph.rdf.build import to_oxigraph

    data = tmp_path / "data"
    shutil.copytree(mini_dir, data)
    path = data / "publications.yaml"
    record = (
        "  - id: REF:someone2010\n    journal_citation: Mult Scler 2010;16(8):964-9\n"
        "    status: content_match\n    sources: [https://example.org/abstract]\n"
    )
    path.write_text(path.read_text(encoding="utf-8") + record, encoding="utf-8")
    kb = read_knowledge_base(data)
    node = URIRef("https://w3id.org/ldngraph/id/publication/someone2010")
    graph = to_graph(kb)
    assert (node, RDF.type, BIOLINK.Publication) in graph
    assert to_iri("REF:someone2010") == node
    store = to_oxigraph(kb)
    assert list(store.quads_for_pattern(ox.NamedNode(str(node)), None, None))
