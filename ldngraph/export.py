"""Serialise the graph: one pure ``to_*`` function per format and thin ``write_*`` wrappers.

RDF formats round-trip isomorphically (``rdflib.compare.isomorphic``); the tests hold them to it.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Graph

from ldngraph.atomic import write_text_atomic
from ldngraph.errors import ExportError
from ldngraph.vocab import LDNR

#: CLI format name -> rdflib serializer name.
RDF_FORMATS: dict[str, str] = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "trig": "trig"}
#: File suffix -> CLI format name.
SUFFIX_FORMATS: dict[str, str] = {
    ".ttl": "ttl",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".nt": "nt",
    ".trig": "trig",
}
#: Named graph that TriG output puts the evidence graph in.
GRAPH_NAME = LDNR["graph/ldn-evidence"]


def to_rdf(graph: Graph, fmt: str) -> str:
    """Serialise ``graph`` in one of :data:`RDF_FORMATS`."""
    if fmt not in RDF_FORMATS:
        raise ExportError(f"unknown RDF format '{fmt}'; use one of {', '.join(RDF_FORMATS)}")
    if fmt == "trig":
        ds = Dataset()
        for prefix, ns in graph.namespaces():
            ds.bind(prefix, ns)
        named = ds.graph(GRAPH_NAME)
        for triple in graph:
            named.add(triple)
        return ds.serialize(format="trig")
    if fmt == "jsonld":
        context = {p: str(ns) for p, ns in graph.namespaces() if p}
        return graph.serialize(format="json-ld", context=context, auto_compact=True)
    return graph.serialize(format=RDF_FORMATS[fmt])


def from_rdf(text: str, fmt: str) -> Graph:
    """Parse what :func:`to_rdf` wrote back into a Graph (TriG: the evidence named graph)."""
    if fmt == "trig":
        ds = Dataset()
        ds.parse(data=text, format="trig")
        out = Graph()
        for triple in ds.graph(GRAPH_NAME):
            out.add(triple)
        return out
    if fmt not in RDF_FORMATS:
        raise ExportError(f"unknown RDF format '{fmt}'; use one of {', '.join(RDF_FORMATS)}")
    return Graph().parse(data=text, format=RDF_FORMATS[fmt])


def guess_format(path: Path | str) -> str:
    """RDF format from a file suffix (``.ttl`` -> ``ttl``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise ExportError(
            f"{path}: cannot tell the format from '{suffix or 'no suffix'}'; "
            f"use --format with one of {', '.join(RDF_FORMATS)}"
        )
    return SUFFIX_FORMATS[suffix]


def write_rdf(graph: Graph, path: Path | str, fmt: str | None = None) -> Path:
    """Write ``graph`` to ``path`` atomically in ``fmt`` (guessed from the suffix if None)."""
    return write_text_atomic(path, to_rdf(graph, fmt or guess_format(path)))
