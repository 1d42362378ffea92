"""ldngraph.rdf.vocab: the CURIE compression a query's rows go through agrees with curies'."""

from __future__ import annotations

from rdflib import URIRef

from ldngraph.pipeline import load
from ldngraph.rdf.vocab import PREFIX_MAP, decode_iri_part, from_iri, get_converter


def _by_curies(iri: str) -> str | None:
    curie = get_converter().compress(iri)
    return decode_iri_part(curie) if curie is not None else None


def test_from_iri_agrees_with_curies_on_every_iri_of_the_shipped_graph() -> None:
    graph = load(None, None).graph
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    assert len(iris) > 500
    assert [i for i in sorted(iris) if from_iri(i) != _by_curies(i)] == []


def test_from_iri_agrees_with_curies_at_the_edges() -> None:
    cases = ["https://example.org/not-ours", "", "urn:x"]
    for base in PREFIX_MAP.values():
        cases += [base, base + "x", base + "a%20b", base + "a/b#c", base[:-1]]
    assert {c: from_iri(c) for c in cases} == {c: _by_curies(c) for c in cases}
