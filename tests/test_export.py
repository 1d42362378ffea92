"""Every RDF format round-trips isomorphically; Turtle also parses in pyoxigraph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from rdflib.compare import isomorphic

from ldngraph.errors import ExportError
from ldngraph.pipeline import load
from ldngraph.rdf.export import RDF_FORMATS, from_rdf, guess_format, to_rdf, with_interop, write_rdf


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
@pytest.mark.parametrize("which", ["mini", "shipped"])
def test_round_trip(fmt: str, which: str, mini_dir: Path) -> None:
    graph = with_interop(load(mini_dir if which == "mini" else None).graph)
    again = from_rdf(to_rdf(graph, fmt), fmt)
    assert len(again) == len(graph)
    assert isomorphic(graph, again)


def test_turtle_parses_in_pyoxigraph(mini_dir: Path, tmp_path: Path) -> None:
    graph = load(mini_dir).graph
    path = write_rdf(graph, tmp_path / "g.ttl")
    store = pyoxigraph.Store()
    store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(with_interop(graph))


def test_guess_format() -> None:
    assert guess_format("x.ttl") == "ttl"
    assert guess_format("x.JSONLD") == "jsonld"
    with pytest.raises(ExportError, match="cannot tell the format"):
        guess_format("x.xyz")


def test_failed_write_leaves_old_file(mini_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.ttl"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ExportError):
        write_rdf(load(mini_dir).graph, target, "xml")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.ttl"]


def test_written_files_get_umask_permissions(mini_dir: Path, tmp_path: Path) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = write_rdf(load(mini_dir).graph, tmp_path / "shared.ttl")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_rdf_states_dataset_metadata_and_biolink_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import version

    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, RDF, XSD

    from ldngraph.rdf.biolink import BIOLINK_VERSION
    from ldngraph.rdf.export import DATASET, LICENSE

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    g = from_rdf(to_rdf(load(None).graph, "ttl"), "ttl")
    schema = "http://schema.org/"
    assert (DATASET, RDF.type, URIRef(schema + "Dataset")) in g
    assert g.value(DATASET, URIRef(schema + "version")) == Literal(version("ldngraph"))
    assert g.value(DATASET, URIRef(schema + "license")) == URIRef(LICENSE)
    assert g.value(DATASET, URIRef(schema + "dateCreated")) == Literal("2026-01-01", datatype=XSD.date)
    assert g.value(DATASET, URIRef(schema + "schemaVersion")) == Literal(BIOLINK_VERSION)
    assert g.value(DATASET, DCTERMS.conformsTo) == URIRef("https://w3id.org/biolink/vocab/")
    assert len(set(g.objects(DATASET, URIRef(schema + "isBasedOn")))) >= 2


def test_rdf_has_sepio_classes_and_biolink_qualifier_values() -> None:
    from rdflib import Literal
    from rdflib.namespace import RDF

    from ldngraph.rdf.biolink import ASPECTS
    from ldngraph.rdf.vocab import BIOLINK, LDN, to_iri

    graph = load(None).graph
    g = with_interop(graph)
    claims = set(g.subjects(RDF.type, LDN.Claim))
    assert claims == set(g.subjects(RDF.type, to_iri("SEPIO:0000001")))
    assert set(g.subjects(RDF.type, LDN.EvidenceItem)) == set(g.subjects(RDF.type, to_iri("SEPIO:0000002")))
    values = {str(o) for o in g.objects(None, BIOLINK.object_aspect_qualifier)}
    assert values and values <= set(ASPECTS.values())  # Biolink's allowed values only
    texts = {str(o) for o in graph.objects(None, BIOLINK.object_aspect_qualifier)}
    assert {str(o) for o in g.objects(None, LDN.aspect)} == texts  # the curated wording is kept
    for claim in claims:
        if g.value(claim, BIOLINK.object_direction_qualifier):
            assert g.value(claim, BIOLINK.qualified_predicate) == BIOLINK.causes
    assert isomorphic(with_interop(g), g)  # idempotent
    assert Literal("neuroinflammation") not in set(g.objects(None, BIOLINK.object_aspect_qualifier))
