"""JSON-LD read by three independent readers (pyld, Oxigraph, rdflib) is the Turtle's graph.

pyld and Oxigraph follow JSON-LD 1.1 to the letter (a native 1.0 is an xsd:integer); rdflib is
the lenient one. Each reading must be isomorphic to the Turtle and conform to the SHACL shapes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from ldngraph.pipeline import load
from ldngraph.rdf.export import get_jsonld_context, to_rdf
from ldngraph.rdf.validate import validate_graph
from ldngraph.rdf.vocab import get_prefix_map

MINI = Path(__file__).parent / "resources" / "mini"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that tried to fetch a remote context would fail here."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@cache
def _texts(which: str) -> tuple[str, str]:
    graph = load(MINI if which == "mini" else None).graph
    return to_rdf(graph, "jsonld"), to_rdf(graph, "ttl")


def read_pyld(text: str) -> Graph:
    nquads = jsonld.to_rdf(json.loads(text), {"format": "application/n-quads"})
    return Graph().parse(data=nquads, format="nquads")


def read_oxigraph(text: str) -> Graph:
    triples = pyoxigraph.parse(text.encode("utf-8"), format=pyoxigraph.RdfFormat.JSON_LD)
    nt = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return Graph().parse(data=nt, format="nt")


def read_rdflib(text: str) -> Graph:
    return Graph().parse(data=text, format="json-ld")


READERS: dict[str, Callable[[str], Graph]] = {
    "pyld": read_pyld,
    "oxigraph": read_oxigraph,
    "rdflib": read_rdflib,
}


def _doubles(graph: Graph) -> int:
    return sum(1 for o in graph.objects() if isinstance(o, Literal) and o.datatype == XSD.double)


@pytest.mark.parametrize("which", ["mini", "shipped"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_jsonld_reads_back_as_the_turtle_graph(reader: str, which: str) -> None:
    text, turtle = _texts(which)
    expected = Graph().parse(data=turtle, format="turtle")
    got = READERS[reader](text)
    assert _doubles(got) == _doubles(expected) > 0  # 0.0 and 1.0 stay xsd:double
    assert len(got) == len(expected)
    assert isomorphic(got, expected)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_each_reading_conforms_to_the_shapes(reader: str) -> None:
    report = validate_graph(READERS[reader](_texts("shipped")[0]))
    assert report.conforms, "\n".join(report.to_lines())


def test_whole_number_scores_are_in_the_data() -> None:
    # The case the issue found: scores of exactly 0.0 / 1.0, which a reader could take for integers.
    graph = load(None).graph
    whole = [
        o for o in graph.objects() if isinstance(o, Literal) and o.datatype == XSD.double and o.value % 1 == 0
    ]
    assert len(whole) > 10


@pytest.mark.parametrize("which", ["mini", "shipped"])
def test_context_holds_only_the_prefixes_the_data_uses(which: str) -> None:
    text, _ = _texts(which)
    context = json.loads(text)["@context"]
    prefixes = {k: v for k, v in context.items() if isinstance(v, str)}
    graph = read_rdflib(text)
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    for prefix, ns in prefixes.items():
        assert get_prefix_map()[prefix] == ns, f"{prefix} is not from the curated prefix map"
        assert any(i.startswith(ns) for i in iris), f"context prefix {prefix} is unused"
    for name in ("brick", "odrl", "sosa", "schema1", "dcat"):
        assert name not in context


def test_context_types_every_double_property() -> None:
    graph = load(MINI).graph
    context = get_jsonld_context(graph)
    typed = {v["@id"] for v in context.values() if isinstance(v, dict) and v.get("@type") == "xsd:double"}
    assert {"ldn:strength", "ldn:support", "ldn:weight"} <= typed
