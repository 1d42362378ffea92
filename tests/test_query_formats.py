"""`query --format sparql-json` is W3C SPARQL 1.1 Query Results JSON that standard clients read back.

SPARQLWrapper reads it from a loopback HTTP server posing as an endpoint; rdflib's result parser
reads it directly; Oxigraph's own serialisation of the same query gives the same bindings.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib.query import Result
from SPARQLWrapper import JSON, SPARQLWrapper

from ldngraph.cli import cli
from ldngraph.pipeline import load
from ldngraph.stores.query import get_concat_columns, get_prologue, get_query, run_query, run_query_on_store
from ldngraph.stores.store import MemoryStore, OxigraphStore

MINI = Path(__file__).parent / "resources" / "mini"


def _cli_sparql_json(*args: str) -> str:
    result = CliRunner().invoke(cli, ["query", *args, "--format", "sparql-json"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback 'SPARQL endpoint' that answers every request with the bytes it is given."""
    body: list[bytes] = [b""]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(body[0])

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sparql", body
    finally:
        server.shutdown()
        server.server_close()


def test_sparqlwrapper_reads_the_output(endpoint: tuple[str, list[bytes]]) -> None:
    url, body = endpoint
    text = _cli_sparql_json("claims_by_strength")
    body[0] = text.encode("utf-8")
    client = SPARQLWrapper(url)
    client.setQuery("SELECT * WHERE { ?s ?p ?o }")
    client.setReturnFormat(JSON)
    got = client.query().convert()
    assert isinstance(got, dict)
    expected = run_query(load(None).graph, "claims_by_strength")
    assert got["head"]["vars"] == list(expected.columns)
    rows = got["results"]["bindings"]
    assert len(rows) == len(expected.rows) > 0
    assert rows[0]["strength"]["datatype"] == "http://www.w3.org/2001/XMLSchema#double"
    assert float(rows[0]["strength"]["value"]) == pytest.approx(
        expected.rows[0][expected.columns.index("strength")]
    )


def test_rdflib_result_parser_reads_the_output() -> None:
    text = _cli_sparql_json("studies_by_design", "--data", str(MINI))
    parsed = Result.parse(io.StringIO(text), format="json")
    expected = run_query(load(MINI).graph, "studies_by_design")
    assert [str(v) for v in parsed.vars or []] == list(expected.columns)
    got = [tuple(row.get(v) for v in parsed.vars or []) for row in parsed.bindings]
    assert got == [tuple(row) for row in expected.terms]


def test_output_matches_what_oxigraph_itself_serialises() -> None:
    # The same query on Oxigraph, serialised by Oxigraph as SPARQL JSON: same bindings, full IRIs.
    graph = load(MINI).graph
    store = OxigraphStore()
    store.load(graph)
    name = "studies_by_design"
    ours = json.loads(run_query_on_store(store, name).to_sparql_json())
    native = store.store.query(get_prologue() + get_query(name).text)
    theirs = json.loads(native.serialize(format=pyoxigraph.QueryResultsFormat.JSON).decode("utf-8"))
    store.close()

    def norm(rows: list[dict[str, dict[str, str]]]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in rows)

    assert ours["head"] == theirs["head"]
    assert norm(ours["results"]["bindings"]) == norm(theirs["results"]["bindings"])
    assert any(
        b["type"] == "uri" and b["value"].startswith("http")
        for r in ours["results"]["bindings"]
        for b in r.values()
    )


def test_group_concat_is_ordered_the_same_on_every_store() -> None:
    built = load(None)
    oxi = OxigraphStore()
    oxi.load(built.graph)
    for name in ("claims_by_strength", "publications_by_status"):
        concat = get_concat_columns(get_query(name).text)
        assert concat, f"{name} has no GROUP_CONCAT"
        memory = run_query(built.graph, name)
        via_store = run_query_on_store(MemoryStore(built.graph), name)
        on_oxigraph = run_query_on_store(oxi, name)
        for result in (memory, via_store, on_oxigraph):
            for column, sep in concat.items():
                i = result.columns.index(column)
                for row in result.rows:
                    parts = str(row[i]).split(sep)
                    assert parts == sorted(parts)
        assert sorted(map(repr, memory.rows)) == sorted(map(repr, on_oxigraph.rows))
        assert sorted(map(repr, via_store.terms)) == sorted(map(repr, on_oxigraph.terms))
    oxi.close()


def test_concat_columns_are_found_in_any_spelling() -> None:
    text = 'SELECT (GROUP_CONCAT(?x) AS ?xs) (group_concat(distinct str(?y); separator="|") as $ys) {}'
    assert get_concat_columns(text) == {"xs": " ", "ys": "|"}
