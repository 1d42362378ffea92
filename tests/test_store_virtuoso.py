"""A real SPARQL server: Virtuoso on 127.0.0.1, loaded over the SPARQL protocol, same rows as locally.

Skipped when Virtuoso is not installed; fails instead when LDNGRAPH_REQUIRE_VIRTUOSO=1 (CI).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_store import QUERIES, QUERY_CASES, QUERY_IDS, tidy
from virtuoso_server import Virtuoso, find_binaries, run_virtuoso

from ldngraph.errors import StoreError
from ldngraph.pipeline import Built, load
from ldngraph.rdf.build import Triple
from ldngraph.rdf.export import GRAPH_NAME
from ldngraph.stores.endpoint import EndpointStore
from ldngraph.stores.query import run_query, run_query_on_store
from ldngraph.stores.store import GraphStore, from_rdflib_graph, open_store

pytestmark = pytest.mark.server

MINI = Path(__file__).parent / "resources" / "mini"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    if find_binaries() is None:
        message = (
            "Virtuoso not installed (virtuoso-t, isql-vt, /etc/virtuoso-opensource-7/virtuoso.ini): "
            "apt-get install virtuoso-opensource to run the SPARQL server tests"
        )
        if os.environ.get("LDNGRAPH_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(message + " (LDNGRAPH_REQUIRE_VIRTUOSO=1 makes this test mandatory)")
        pytest.skip(message)
    with run_virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="module")
def built() -> Built:
    return load(MINI)


@pytest.fixture(scope="module")
def remote(virtuoso: Virtuoso, built: Built) -> GraphStore:
    store = open_store(virtuoso.sparql_url, graph=str(GRAPH_NAME))
    store.clear()
    store.load(built.graph)
    return store


@pytest.fixture(scope="module")
def local(built: Built) -> GraphStore:
    store = open_store("oxigraph")
    store.load(built.graph)
    return store


def test_loaded_through_the_protocol(remote: GraphStore, built: Built) -> None:
    assert len(remote) == len(built.graph)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_rows_as_local(name: str, remote: GraphStore, local: GraphStore) -> None:
    text, bindings = QUERIES[name]
    here, there = local.query(text, bindings), remote.query(text, bindings)
    assert there.columns == here.columns
    assert there.canonical(6) == here.canonical(6)  # Virtuoso writes 6 significant digits


def test_named_graph_keeps_data_apart(virtuoso: Virtuoso, remote: GraphStore) -> None:
    other = open_store(virtuoso.sparql_url, graph="https://example.org/other-graph")
    assert len(other) == 0
    assert len(remote) > 0


def test_chunked_load_and_replace(virtuoso: Virtuoso, built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks force many INSERT DATA requests; clearing first makes a reload idempotent."""
    monkeypatch.setattr("ldngraph.stores.endpoint.CHUNK_TRIPLES", 7)
    store = EndpointStore(virtuoso.sparql_url, graph="https://example.org/chunked")
    for _ in range(2):
        store.clear()
        store.load(built.graph)
    assert len(store) == len(built.graph)
    store.clear()
    assert len(store) == 0


def test_push_command_loads_the_server(virtuoso: Virtuoso, built: Built) -> None:
    from click.testing import CliRunner

    from ldngraph.cli import cli

    graph = "https://example.org/pushed"
    args = ["push", "--data", str(MINI), "--endpoint", virtuoso.sparql_url, "--graph", graph]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(open_store(virtuoso.sparql_url, graph=graph)) == len(built.graph)


@pytest.fixture(scope="module")
def shipped_remote(virtuoso: Virtuoso) -> tuple[Built, GraphStore]:
    built = load()
    remote = open_store(virtuoso.sparql_url, graph="https://example.org/shipped")
    remote.clear()
    remote.load(built.graph)
    return built, remote


@pytest.mark.parametrize(("name", "params"), QUERY_CASES, ids=QUERY_IDS)
def test_every_query_on_the_server(
    name: str, params: dict[str, str], shipped_remote: tuple[Built, GraphStore]
) -> None:
    """Every queries/*.rq, unchanged, with and without its example parameters: same rows."""
    built, remote = shipped_remote
    here = run_query(built.graph, name, params)
    there = run_query_on_store(remote, name, params)
    assert here.rows or params, f"{name} returns no rows on the shipped data"
    assert there.columns == here.columns
    assert tidy(there.rows, 6) == tidy(here.rows, 6)  # Virtuoso writes doubles with 6 significant digits


# -- push is all or nothing -------------------------------------------------------------------------

TMP_GRAPHS = """SELECT (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o } FILTER (STRSTARTS(STR(?g), "urn:ldngraph:tmp:")) }"""


def _tmp_triples(virtuoso: Virtuoso) -> int:
    rows = EndpointStore(virtuoso.sparql_url).query(TMP_GRAPHS).rows
    return int(str(rows[0][0]))


def _fails_after_first(first: list[Triple]) -> Iterator[list[Triple]]:
    yield first
    raise RuntimeError("injected failure after the first chunk")


def test_failed_replace_keeps_the_previous_graph(
    virtuoso: Virtuoso, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push that fails mid-way (after the first chunk, or on a chunk the server refuses) leaves
    the target graph as it was and no temporary graph behind; a good one MOVEs it into place."""
    monkeypatch.setattr("ldngraph.stores.endpoint.CHUNK_TRIPLES", 50)
    store = EndpointStore(virtuoso.sparql_url, graph="https://example.org/atomic")
    store.replace(iter([from_rdflib_graph(built.graph, "test")]))
    before = store.query(QUERIES["all-triples"][0]).canonical(6)
    assert len(before) == len(built.graph)
    new: list[Triple] = [
        (
            ox.NamedNode("https://example.org/new"),
            ox.NamedNode("https://example.org/p"),
            ox.NamedNode("https://example.org/o"),
        )
    ]
    with pytest.raises(RuntimeError, match="injected"):
        store.replace(_fails_after_first(new))
    assert store.query(QUERIES["all-triples"][0]).canonical(6) == before
    with pytest.raises(StoreError, match=re.escape("nothing changed: <https://example.org/atomic> keeps")):
        store.replace(iter([from_rdflib_graph(built.graph, "test"), [("s", "p", "not a term")]]))  # type: ignore[list-item]
    assert store.query(QUERIES["all-triples"][0]).canonical(6) == before
    assert _tmp_triples(virtuoso) == 0
    store.replace(iter([new]))
    assert len(store) == 1
    store.replace(iter([from_rdflib_graph(built.graph, "test")]), append=True)
    assert len(store) == len(built.graph) + 1
    assert _tmp_triples(virtuoso) == 0
