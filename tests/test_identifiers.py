"""Every CURIE prefix in every output is one bioregistry recognises (or a documented local one),
spelled one way across RDF, JSON-LD, KGX, GraphML and query output."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import bioregistry
import networkx as nx
import pytest

from ldngraph.pipeline import Built, load
from ldngraph.rdf.export import to_graphml, to_kgx, to_rdf
from ldngraph.rdf.vocab import LOCAL_PREFIXES, PREFIX_MAP, get_prefix_map
from ldngraph.stores.query import list_queries, run_query

RESOURCES = Path(__file__).resolve().parent.parent / "ldngraph" / "resources"
CURIE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_.]*):(?P<local>[^\s:][^\s]*)$")
#: Prefixes of identifiers other registries mint inside KGX (Biolink's infores registry).
KGX_EXTRA = {"infores"}


@cache
def _built() -> Built:
    return load(None)


def _prefix(value: object) -> str | None:
    match = CURIE.match(str(value))
    if not match or "//" in str(value):
        return None
    return match["prefix"]


def rdf_prefixes() -> set[str]:
    turtle = to_rdf(_built().graph, "ttl")
    return set(re.findall(r"^@prefix ([A-Za-z][\w.-]*):", turtle, flags=re.MULTILINE))


def jsonld_prefixes() -> set[str]:
    context = json.loads(to_rdf(_built().graph, "jsonld"))["@context"]
    return {k for k, v in context.items() if isinstance(v, str)}


KGX_CURIE_FIELDS = (
    "id", "subject", "object", "predicate", "qualified_predicate", "category", "publications",
    "has_evidence", "xref", "ldn_outcome", "primary_knowledge_source",
)  # fmt: skip


def kgx_prefixes() -> set[str]:
    nodes, edges = to_kgx(_built().graph)
    out: set[str] = set()
    for record in [*nodes, *edges]:
        for field in KGX_CURIE_FIELDS:
            values = record.get(field, [])
            for value in values if isinstance(values, list) else [values]:
                prefix = _prefix(value)
                assert prefix, f"{record['id']}: {field} {value!r} is not a CURIE"
                out.add(prefix)
    return out


def graphml_prefixes(tmp: Path) -> set[str]:
    path = tmp / "g.graphml"
    path.write_text(to_graphml(_built().graph), encoding="utf-8")
    g = nx.read_graphml(path, force_multigraph=True)
    out = {p for n in g.nodes if (p := _prefix(n))}
    for _, _, data in g.edges(data=True):
        for field in ("claim", "predicate", "association", "publications", "has_evidence", "ldn_outcome"):
            for value in str(data.get(field, "")).split("|"):
                if value and (p := _prefix(value)):
                    out.add(p)
    return out


def query_prefixes() -> set[str]:
    out: set[str] = set()
    for query in list_queries():
        params = {p.name: p.example for p in query.parameters if p.required and p.example}
        for row in run_query(_built().graph, query.name, params).rows:
            out |= {p for v in row if isinstance(v, str) and " " not in v and (p := _prefix(v))}
    return out


def test_every_prefix_is_registered_or_local_and_spelled_one_way(tmp_path: Path) -> None:
    outputs = {
        "rdf": rdf_prefixes(),
        "jsonld": jsonld_prefixes(),
        "kgx": kgx_prefixes(),
        "graphml": graphml_prefixes(tmp_path),
        "query": query_prefixes(),
    }
    assert {"PMID", "doi", "MESH", "CHEBI"} <= outputs["kgx"] | outputs["query"]
    spellings: dict[str, set[str]] = {}
    for where, prefixes in outputs.items():
        for prefix in prefixes:
            if prefix in LOCAL_PREFIXES:
                continue
            norm = bioregistry.normalize_prefix(prefix)
            assert norm is not None, f"{where}: prefix {prefix!r} is not in bioregistry"
            assert prefix in get_prefix_map() or prefix in KGX_EXTRA, f"{where}: {prefix!r} is not ours"
            spellings.setdefault(norm, set()).add(prefix)
    assert {k: v for k, v in spellings.items() if len(v) > 1} == {}


def test_local_prefixes_are_unknown_to_bioregistry_and_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for prefix in LOCAL_PREFIXES:
        assert bioregistry.normalize_prefix(prefix) is None or prefix == "ldn"
        assert f"`{prefix}:`" in readme, f"document the local prefix {prefix}: in the README"


def test_shipped_prefix_map_is_the_vocabulary() -> None:
    shipped = json.loads((RESOURCES / "prefix_map.json").read_text("utf-8"))
    assert shipped == get_prefix_map()
    assert set(PREFIX_MAP) <= set(shipped) and set(shipped) >= LOCAL_PREFIXES


@pytest.mark.parametrize("spelling", ["DOI:10.1000/x", "doi:10.1000/x"])
def test_doi_input_spellings_expand_alike_and_compress_to_biolinks(spelling: str) -> None:
    from ldngraph.rdf.vocab import from_iri, to_iri

    assert str(to_iri(spelling)) == "https://doi.org/10.1000/x"
    assert from_iri(to_iri(spelling)) == "doi:10.1000/x"


def test_identifier_iris_are_ones_bioregistry_parses() -> None:
    """IRIs of registered schemes (not RDF vocabularies) resolve back to their prefix in bioregistry."""
    graph = to_rdf(_built().graph, "nt")
    vocabularies = {"biolink", "schema", "SEPIO", "ECO"}  # classes and properties, not records
    checked: set[str] = set()
    for iri in set(re.findall(r"<([^>]+)>", graph)):
        prefix = next((p for p, ns in PREFIX_MAP.items() if iri.startswith(ns)), None)
        if prefix is None or prefix in LOCAL_PREFIXES or prefix in vocabularies:
            continue
        parsed = bioregistry.parse_iri(iri)
        assert parsed is not None and parsed[0], f"{iri} ({prefix}) is not an IRI bioregistry recognises"
        assert parsed[0] == bioregistry.normalize_prefix(prefix), iri
        checked.add(prefix)
    assert {"PMID", "MESH", "CHEBI", "HGNC", "NCT"} <= checked
