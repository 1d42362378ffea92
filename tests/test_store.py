"""Store backends give the same rows: rdflib memory, Oxigraph in memory, Oxigraph on disk."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from ldngraph.cli import cli
from ldngraph.errors import QueryError, StoreError
from ldngraph.locations import get_queries_dir
from ldngraph.pipeline import Built, load
from ldngraph.rdf.sparql import inject_values, to_python
from ldngraph.rdf.vocab import to_iri
from ldngraph.stores.endpoint import EndpointStore, get_update_url
from ldngraph.stores.query import list_queries, run_query, run_query_on_store
from ldngraph.stores.store import GraphStore, OxigraphStore, QueryRows, open_store

PREFIXES = """PREFIX ldn: <https://w3id.org/ldngraph/vocab/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
LDN_IRI = to_iri("CHEBI:7465")
MINI = Path(__file__).parent / "resources" / "mini"

#: name -> (query, bindings). Together they cover OPTIONAL, GROUP BY, sub-selects with a bound
#: parameter inside, FILTER, numbers, booleans, language-less strings and unbound columns.
QUERIES: dict[str, tuple[str, dict[str, URIRef | Literal]]] = {
    "all-triples": ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {}),
    "evidence-by-direction": (
        PREFIXES
        + """SELECT ?claim ?direction (COUNT(?e) AS ?n) WHERE {
  ?claim ldn:hasEvidence ?e . ?e ldn:direction ?direction
} GROUP BY ?claim ?direction ORDER BY ?claim ?direction""",
        {},
    ),
    "two-hop-per-edge-rollup": (
        PREFIXES
        + """SELECT ?mid ?target ?n1 ?n2 WHERE {
  { SELECT ?source ?mid (COUNT(?e) AS ?n1) WHERE {
      ?c rdf:subject ?source ; rdf:object ?mid ; ldn:hasEvidence ?e } GROUP BY ?source ?mid }
  { SELECT ?mid ?target (COUNT(?e) AS ?n2) WHERE {
      ?c rdf:subject ?mid ; rdf:object ?target ; ldn:hasEvidence ?e } GROUP BY ?mid ?target }
  # rdflib 7.6 joins a GROUP BY sub-select that matches nothing as one all-unbound row
  # (RDFLib/rdflib#3382); Oxigraph and Virtuoso return no row, as SPARQL 1.1 says. Hence:
  FILTER (BOUND(?target))
}""",
        {"source": LDN_IRI},
    ),
    "studies-of-a-design": (
        PREFIXES
        + """SELECT ?study ?label ?n ?blinded WHERE {
  ?study ldn:design ?design ; rdfs:label ?label .
  OPTIONAL { ?study ldn:n ?n }
  OPTIONAL { ?study ldn:blinded ?blinded }
} ORDER BY ?study""",
        {"design": Literal("rct")},
    ),
    "mean-n-and-flags": (
        PREFIXES
        + """SELECT (AVG(?n) AS ?mean) (SUM(?n) AS ?total) (MAX(?n) AS ?max) WHERE {
  ?study ldn:n ?n ; ldn:randomised true }""",
        {},
    ),
    "unbound-columns": (
        PREFIXES
        + """SELECT ?pub ?title WHERE {
  ?pub ldn:citationStatus ?status . OPTIONAL { ?pub <http://purl.org/dc/terms/title> ?title }
  FILTER (?status != "verified") }""",
        {},
    ),
    "injection-attempt-is-just-a-value": (
        PREFIXES + "SELECT ?s WHERE { ?s rdfs:label ?label }",
        {"label": Literal('x" } ?s ?p ?o . { "')},
    ),
}


@pytest.fixture(scope="module")
def built(mini_dir_module: Path) -> Built:
    return load(mini_dir_module)


@pytest.fixture(scope="module")
def mini_dir_module() -> Path:
    return Path(__file__).parent / "resources" / "mini"


@pytest.fixture(scope="module")
def stores(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, GraphStore]]:
    path = tmp_path_factory.mktemp("oxi") / "store"
    opened = {spec: open_store(spec) for spec in ("memory", "oxigraph", f"oxigraph:{path}")}
    for store in opened.values():
        store.load(built.graph)
    yield opened
    for store in opened.values():
        store.close()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_backends_give_identical_rows(name: str, stores: dict[str, GraphStore]) -> None:
    text, bindings = QUERIES[name]
    results = {spec: store.query(text, bindings) for spec, store in stores.items()}
    reference = results["memory"]
    if name != "injection-attempt-is-just-a-value":
        assert reference.rows, f"query {name} returns nothing on the fixture: it tests nothing"
    for spec, rows in results.items():
        assert rows.columns == reference.columns, spec
        assert rows.canonical() == reference.canonical(), spec


def test_ordered_queries_keep_their_order(stores: dict[str, GraphStore]) -> None:
    text, bindings = QUERIES["studies-of-a-design"]
    orders = {spec: [to_python(r[0]) for r in s.query(text, bindings)] for spec, s in stores.items()}
    assert orders["memory"] == orders["oxigraph"] == sorted(orders["memory"], key=str)  # type: ignore[arg-type]


def test_bound_parameter_restricts_rows(stores: dict[str, GraphStore]) -> None:
    text, _ = QUERIES["studies-of-a-design"]
    for store in stores.values():
        rct = store.query(text, {"design": Literal("rct")}).canonical()
        vitro = store.query(text, {"design": Literal("in_vitro")}).canonical()
        assert [r[1] for r in rct] == ["Trial A"]
        assert [r[1] for r in vitro] == ["Cells C"]


def test_sizes_agree(built: Built, stores: dict[str, GraphStore]) -> None:
    assert {len(store) for store in stores.values()} == {len(built.graph)}


def test_is_empty_looks_at_every_graph(tmp_path: Path) -> None:
    """is_empty (used instead of a full count before querying a disk store) sees named graphs too."""
    import pyoxigraph as ox

    store = OxigraphStore(tmp_path / "s")
    assert store.is_empty()
    node = ox.NamedNode("https://example.org/a")
    store.store.add(ox.Quad(node, node, node, ox.NamedNode("https://example.org/g")))
    assert not store.is_empty() and len(store) == 1
    store.store.clear()
    store.store.add(ox.Quad(node, node, ox.Literal("x")))
    assert not store.is_empty()


def test_disk_store_persists(built: Built, tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    store = open_store(spec)
    store.load(built.graph)
    store.close()
    reopened = open_store(spec)
    assert len(reopened) == len(built.graph)
    reopened.clear()
    assert len(reopened) == 0
    reopened.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sqlite", "unknown store 'sqlite'; use memory | oxigraph"),
        ("oxigraph:", "give a directory after 'oxigraph:'"),
    ],
)
def test_bad_specs_say_how_to_fix(spec: str, message: str) -> None:
    with pytest.raises(StoreError, match=message.replace("|", r"\|")):
        open_store(spec)


def test_oxigraph_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(StoreError, match="is a file; Oxigraph needs a directory"):
        open_store(f"oxigraph:{target}")


def test_push_refuses_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    """A push replaces PATH with a new store: it must never do so to someone's own directory."""
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("precious", encoding="utf-8")
    result = CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", f"oxigraph:{docs}"])
    assert isinstance(result.exception, StoreError)
    assert "is a directory that is not an Oxigraph store" in str(result.exception)
    assert sorted(p.name for p in docs.iterdir()) == ["thesis.txt"]
    assert (docs / "thesis.txt").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydocs"]  # no staging directory left


@pytest.mark.parametrize("create", [True, False])
def test_no_store_opened_in_a_directory_that_is_not_a_store(tmp_path: Path, create: bool) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(StoreError, match=r"not an Oxigraph store.*give a new or empty directory"):
        open_store(f"oxigraph:{tmp_path}", create=create)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("empty_dir", [True, False])
def test_read_only_commands_create_no_store(tmp_path: Path, empty_dir: bool) -> None:
    target = tmp_path / "db"
    if empty_dir:
        target.mkdir()
    result = CliRunner().invoke(cli, ["query", "gaps", "--data", str(MINI), "--store", f"oxigraph:{target}"])
    assert isinstance(result.exception, StoreError)
    message = str(result.exception)
    assert ("is an empty directory" if empty_dir else "does not exist") in message
    assert f"create and fill it with: ldngraph push --store oxigraph:{target}" in message
    assert target.exists() == empty_dir
    assert not empty_dir or not any(target.iterdir())


@pytest.mark.parametrize("empty_dir", [True, False])
def test_push_creates_a_store_in_a_missing_or_empty_directory(tmp_path: Path, empty_dir: bool) -> None:
    target = tmp_path / "db"
    if empty_dir:
        target.mkdir()
    spec = f"oxigraph:{target}"
    for _ in range(2):  # and pushing again over the store it made is fine
        assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", spec]).exit_code == 0
    result = CliRunner().invoke(
        cli, ["query", "gaps", "--data", str(MINI), "--store", spec, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)


def test_a_backup_of_a_store_is_a_store(tmp_path: Path) -> None:
    """Oxigraph's own Store.backup writes no IDENTITY file; such a copy still opens and answers."""
    spec = f"oxigraph:{tmp_path / 'db'}"
    assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", spec]).exit_code == 0
    store = open_store(spec)
    assert isinstance(store, OxigraphStore)
    store.store.backup(str(tmp_path / "copy"))
    store.close()
    copy = f"oxigraph:{tmp_path / 'copy'}"
    result = CliRunner().invoke(
        cli, ["query", "gaps", "--data", str(MINI), "--store", copy, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)
    assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", copy]).exit_code == 0


def test_unreachable_endpoint_is_a_store_error() -> None:
    store = open_store(f"http://127.0.0.1:{_closed_port()}/sparql", timeout=2)
    with pytest.raises(StoreError, match="cannot reach the SPARQL endpoint"):
        store.query("ASK { ?s ?p ?o }")


@pytest.mark.parametrize("spec", ["memory", "oxigraph"])
def test_syntax_error_is_a_query_error(spec: str) -> None:
    with pytest.raises(QueryError):
        open_store(spec).query("SELECT ?s WHERE { ?s ")


@pytest.mark.parametrize(
    "value",
    [URIRef("http://example.org/a> . ?s ?p ?o . <x"), BNode("b1"), "plain text"],
)
def test_bad_parameter_values_are_refused(value: object) -> None:
    for spec in ("memory", "oxigraph"):
        with pytest.raises(QueryError):
            open_store(spec).query("SELECT ?s WHERE { ?s ?p ?o }", {"o": value})  # type: ignore[dict-item]
    with pytest.raises(QueryError):
        inject_values("SELECT ?s WHERE { ?s ?p ?o }", {"o": value})  # type: ignore[dict-item]


def test_bad_parameter_name_is_refused() -> None:
    with pytest.raises(QueryError, match="not a SPARQL variable name"):
        inject_values("SELECT * { ?s ?p ?o }", {"o } DROP ALL {": Literal("x")})


def test_values_go_into_every_where_group_and_skip_comments_and_strings() -> None:
    text = """# a comment with { braces
SELECT ?x WHERE { ?x ?p "a { string" { SELECT ?x { ?x ?p ?y } } }"""
    out = inject_values(text, {"p": URIRef("http://example.org/p")})
    assert out.count("VALUES (?p) { (<http://example.org/p>) }") == 2
    assert out.startswith("# a comment with { braces\nSELECT ?x WHERE {\n  VALUES")
    construct = inject_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"p": URIRef("http://e.org/p")})
    assert construct.startswith("CONSTRUCT { ?s ?p ?o } WHERE {\n  VALUES")


_TEXT_QUERY = 'SELECT ?v ?w WHERE { BIND(?x AS ?v) BIND(STRLEN(?x) AS ?w) } # { "'


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    lang=st.sampled_from([None, "en", "de-CH"]),
)
def test_values_block_round_trips_any_literal(text: str, lang: str | None) -> None:
    """Whatever the text, VALUES binding (remote path) returns exactly the bound literal."""
    literal = Literal(text, lang=lang) if lang else Literal(text)
    store = OxigraphStore()
    injected = store.query(inject_values(_TEXT_QUERY, {"x": literal}))
    substituted = store.query(_TEXT_QUERY, {"x": literal})
    assert injected.rows == substituted.rows
    assert injected.rows[0][0] == literal
    typed = Literal("3.5", datatype=XSD.double)
    assert store.query(inject_values(_TEXT_QUERY, {"x": typed})).rows[0][0] == typed


def test_push_into_a_disk_store_replaces_by_default(built: Built, mini_dir: Path, tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    for args in ([], [], ["--append"]):
        result = CliRunner().invoke(cli, ["push", "--data", str(mini_dir), "--store", spec, *args])
        assert result.exit_code == 0, result.output
    store = open_store(spec)
    assert len(store) == len(built.graph)  # pushed three times, appended once: still one copy
    assert store.query(*QUERIES["all-triples"]).canonical() == open_store_with(built).canonical()
    store.close()


def open_store_with(built: Built) -> QueryRows:
    store = open_store("memory")
    store.load(built.graph)
    return store.query(*QUERIES["all-triples"])


def test_push_refuses_a_store_that_forgets(mini_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["push", "--data", str(mini_dir), "--endpoint", "memory"])
    assert result.exit_code == 2
    assert "keeps nothing after the command" in result.output


# -- every shipped query, unchanged, on every backend ---------------------------------------------

QUERY_FILES = sorted(get_queries_dir().glob("*.rq"))


def query_cases() -> list[tuple[str, dict[str, str]]]:
    """Every named query without parameters (where it can) and with every documented example."""
    cases: list[tuple[str, dict[str, str]]] = []
    for named in list_queries():
        examples = {p.name: p.example for p in named.parameters if p.example is not None}
        if not any(p.required for p in named.parameters):
            cases.append((named.name, {}))
        if examples:
            cases.append((named.name, examples))
    return cases


QUERY_CASES = query_cases()
QUERY_IDS = [f"{name}-{'examples' if params else 'plain'}" for name, params in QUERY_CASES]


def tidy(rows: tuple[tuple[object, ...], ...], digits: int = 9) -> list[tuple[object, ...]]:
    """Rows as sorted tuples, floats to ``digits`` significant digits and space-separated lists
    sorted (GROUP_CONCAT order is engine-defined)."""

    def one(value: object) -> object:
        if isinstance(value, float):
            return float(f"{value:.{digits}g}")
        if isinstance(value, str):
            return " ".join(sorted(value.split(" ")))
        return value

    return sorted((tuple(map(one, row)) for row in rows), key=repr)


def loose(rows: QueryRows, digits: int = 9) -> list[tuple[object, ...]]:
    return tidy(rows.rows, digits)


@pytest.fixture(scope="module")
def shipped() -> Built:
    return load()


@pytest.fixture(scope="module")
def shipped_stores(shipped: Built) -> Iterator[dict[str, GraphStore]]:
    opened = {spec: open_store(spec) for spec in ("memory", "oxigraph")}
    for store in opened.values():
        store.load(shipped.graph)
    yield opened


def test_query_cases_cover_every_file() -> None:
    assert {name for name, _ in QUERY_CASES} == {p.stem for p in QUERY_FILES}


@pytest.mark.parametrize(("name", "params"), QUERY_CASES, ids=QUERY_IDS)
def test_every_query_gives_the_same_rows_on_every_local_store(
    name: str, params: dict[str, str], shipped: Built, shipped_stores: dict[str, GraphStore]
) -> None:
    assert_same_rows_on(shipped_stores, shipped, name, params)


def assert_same_rows_on(
    stores: dict[str, GraphStore], built: Built, name: str, params: dict[str, str]
) -> None:
    """Every store answers query ``name`` with the columns and rows rdflib gives on ``built.graph``."""
    reference = run_query(built.graph, name, params)
    assert reference.rows or params, f"{name} returns no rows on the shipped data"
    for spec, store in stores.items():
        result = run_query_on_store(store, name, params)
        assert result.columns == reference.columns, spec
        assert tidy(result.rows) == tidy(reference.rows), spec


def test_query_command_on_a_pushed_disk_store(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    args = ["query", "paths_to_condition", "--param", "source=LDN", "--format", "json"]
    empty = CliRunner().invoke(cli, [*args, "--store", spec])
    assert empty.exit_code != 0 and "does not exist; create and fill it with: ldngraph push" in str(
        empty.exception
    )
    assert not (tmp_path / "db").exists()
    assert CliRunner().invoke(cli, ["push", "--store", spec]).exit_code == 0
    local = CliRunner().invoke(cli, args)
    on_disk = CliRunner().invoke(cli, [*args, "--store", spec])
    assert local.exit_code == on_disk.exit_code == 0
    assert json.loads(on_disk.stdout) == json.loads(local.stdout) != []


@pytest.mark.parametrize(
    ("url", "update"),
    [
        ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update"),
        ("http://h:7200/repositories/ldn", "http://h:7200/repositories/ldn/statements"),
        ("http://h:8890/sparql", "http://h:8890/sparql"),
    ],
)
def test_update_url_follows_the_server_convention(url: str, update: str) -> None:
    assert get_update_url(url) == update


@pytest.mark.parametrize("graph", ["not an iri", "ldn-graph", "http://example.org/a b"])
def test_bad_named_graph_is_refused(graph: str) -> None:
    with pytest.raises(StoreError, match="must be an absolute IRI"):
        open_store("http://127.0.0.1:1/sparql", graph=graph)


def test_default_graph_means_no_named_graph() -> None:
    store = open_store("http://127.0.0.1:1/sparql", graph="default")
    assert isinstance(store, EndpointStore) and store.graph is None


CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"


@pytest.mark.parametrize("spec", ["memory", "oxigraph"])
def test_every_store_has_a_default_query_timeout(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15, point 4: a cartesian product ran past 20 s; now it stops at LDNGRAPH_QUERY_TIMEOUT.

    200 triples: 8 million rows to count, about 2 s in Oxigraph (whose thread finishes in the
    background) and far longer in rdflib (whose thread is stopped).
    """
    import time

    from rdflib import Graph

    monkeypatch.setenv("LDNGRAPH_QUERY_TIMEOUT", "0.5")
    graph = Graph()
    for i in range(200):
        graph.add((URIRef(f"https://example.org/{i}"), URIRef("https://example.org/p"), Literal(i)))
    store = open_store(spec)
    store.load(graph)
    start = time.monotonic()
    with pytest.raises(QueryError, match=r"LDNGRAPH_QUERY_TIMEOUT=0\.5"):
        store.query(CARTESIAN)
    assert time.monotonic() - start < 3
    monkeypatch.setenv("LDNGRAPH_QUERY_TIMEOUT", "60")
    assert len(store.query("SELECT ?s WHERE { ?s ?p ?o }")) == 200  # the store still answers
