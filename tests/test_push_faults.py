"""Push under faults (issue 27, F1): the target graph is always the old graph or the new one, and
push's message and exit code say which.

A :class:`fault_proxy.FaultProxy` stands between ``ldngraph push`` and a real SPARQL server (an
Oxigraph server; Virtuoso too, which LDNGRAPH_REQUIRE_VIRTUOSO=1 makes mandatory). At each step of a
push (the staging inserts, the swap, the final count) it drops the reply after forwarding, answers
502 (not forwarded) or 504 (forwarded), holds the reply past the client's timeout, or resets the
connection; once, or on every request of that step. Then the target graph is read straight from the
server (not through the proxy) with a SELECT of every triple and compared with the graph it held
before (two ``urn:old`` triples) and with the graph push sends (the mini fixture's). Timeouts are
1 s here (``LDNGRAPH_HTTP_MAX_SECONDS``, ``LDNGRAPH_SWAP_TIMEOUT``; a held reply comes after 2 s),
the pauses between retries are shortened, and the graph is tiny, so the whole matrix takes about
half a minute per server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_proxy import FAULTS, OXIGRAPH, FaultProxy, LocalSparql, run_oxigraph
from virtuoso_server import find_binaries, run_virtuoso

from ldngraph.cli import main
from ldngraph.errors import StoreError
from ldngraph.pipeline import push
from ldngraph.stores.endpoint import EndpointStore
from ldngraph.stores.store import OxigraphStore

MINI = Path(__file__).parent / "resources" / "mini"
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
OLD = "INSERT DATA { GRAPH <%s> { <urn:old:a> <urn:old:p> 'old' . <urn:old:b> <urn:old:p> 'older' } }"
TMP_GRAPHS = (
    "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:ldngraph:tmp:')) }"
)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their number and order; only the pauses between them shrink."""
    monkeypatch.setattr("ldngraph.stores.endpoint.RETRY_BACKOFF", 0.02)
    monkeypatch.setattr("ldngraph.stores.swap.SWAP_BACKOFF", 0.02)


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    query_path: str
    update_path: str

    @property
    def query_url(self) -> str:
        return self.base + self.query_path


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(OXIGRAPH).is_file():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    with run_oxigraph(tmp_path_factory.mktemp("oxigraph-faults")) as base:
        yield Server("oxigraph", base, "/query", "/update")


@pytest.fixture(scope="module")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if find_binaries() is None:
        message = (
            "Virtuoso not installed: apt-get install virtuoso-opensource to run the push fault matrix on it"
        )
        if os.environ.get("LDNGRAPH_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(message + " (LDNGRAPH_REQUIRE_VIRTUOSO=1 makes this test mandatory)")
        pytest.skip(message)
    with run_virtuoso(tmp_path_factory.mktemp("virtuoso-faults")) as running:
        base = running.sparql_url.removesuffix("/sparql")
        yield Server("virtuoso", base, "/sparql", "/sparql")


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest) -> Server:
    found: Server = request.getfixturevalue(f"{request.param}_server")
    return found


@pytest.fixture(scope="module")
def new_rows() -> list[tuple[object, ...]]:
    """Every triple push sends for the mini fixture (pushed into a local Oxigraph store)."""
    local = OxigraphStore()
    push(local, MINI)
    return local.query(ALL).canonical(6)


@dataclass(frozen=True)
class Case:
    step: str
    fault: str
    times: int  # how many requests of the step get the fault (99: all of them)
    expect: str  # "new", "old", or "both" (append: old and new triples)
    append: bool = False

    @property
    def id(self) -> str:
        return f"{self.step}-{self.fault}-{'always' if self.times > 1 else 'once'}" + (
            "-append" if self.append else ""
        )


CASES = [
    *(Case(step, fault, 1, "new") for step in ("stage", "swap", "count") for fault in FAULTS),
    # The fault on every request of the step: the staging or the swap cannot happen ...
    Case("stage", "502", 99, "old"),
    Case("swap", "502", 99, "old"),
    # ... or the first swap reached the server and only every reply was lost: push asks the server.
    Case("swap", "504", 99, "new"),
    Case("swap", "reset", 99, "new"),
    Case("count", "502", 99, "new"),
    Case("swap", "drop", 1, "both", append=True),
    Case("swap", "502", 99, "old", append=True),
]


def _rows(server: Server, graph: str) -> list[tuple[object, ...]]:
    return EndpointStore(server.query_url, graph=graph).query(ALL).canonical(6)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_push_under_a_fault_leaves_the_old_or_the_new_graph_and_says_which(
    case: Case,
    server: Server,
    new_rows: list[tuple[object, ...]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LDNGRAPH_HTTP_MAX_SECONDS", "1")
    monkeypatch.setenv("LDNGRAPH_SWAP_TIMEOUT", "1")
    graph = f"urn:ldn:faults:{server.name}:{case.id}"
    direct = EndpointStore(server.query_url, graph=graph, update_url=server.base + server.update_path)
    direct.update(OLD % graph)
    old_rows = _rows(server, graph)
    assert len(old_rows) == 2
    with FaultProxy(server.base, delay=2.0) as proxy:
        proxy.arm(case.step, case.fault, times=case.times)
        args = [
            *("push", "--data", str(MINI), "--graph", graph),
            *("--store", proxy.base + server.query_path, "--update-url", proxy.base + server.update_path),
            *(["--append"] if case.append else []),
        ]
        code, err = _run(args, capsys)
        assert proxy.faulted() >= 1, f"the {case.step} step was never reached: {proxy.seen}"
    assert "Traceback" not in err
    rows = _rows(server, graph)
    expected = {"old": old_rows, "new": new_rows, "both": sorted([*old_rows, *new_rows], key=repr)}[
        case.expect
    ]
    if rows != expected:
        held = {repr(old_rows): "the old graph", repr(new_rows): "the new graph"}.get(
            repr(rows), f"{len(rows)} triples, neither the old graph nor the new one"
        )
        pytest.fail(f"expected the {case.expect} graph, the target holds {held}; push said: {err.strip()}")
    lines = err.strip().splitlines()
    if case.expect == "old":
        assert code == 1, err
        assert len(lines) == 1 and lines[0].startswith("Error: "), err
        assert f"<{graph}> keeps its previous content" in lines[0]
    else:
        assert code == 0, err
        assert lines[-1].startswith(f"loaded the graph into {proxy.base}{server.query_path}"), err
        if case.step != "count" or case.times == 1:
            assert lines[-1].endswith(f"it now holds {len(rows)} triples"), err
        assert "keeps its previous content" not in err
    assert not EndpointStore(server.query_url).query(TMP_GRAPHS).rows, "a temporary graph was left behind"


# -- what is retried, and the swap's own time limit (Oxigraph server only) ---------------------------


def test_only_idempotent_requests_are_retried(oxigraph_server: Server) -> None:
    """A 504 after forwarding: an update that is not idempotent is sent once and reported as
    unclear; an idempotent one (and a query) is sent again; INSERT DATA with a blank node is never
    repeated (a repeat would add a second copy of it)."""
    import pyoxigraph as ox

    from ldngraph.stores.swap import UnclearOutcome

    with FaultProxy(oxigraph_server.base) as proxy:
        store = EndpointStore(
            proxy.base + "/query", graph="urn:ldn:retries", update_url=proxy.base + "/update"
        )
        proxy.arm("stage", "504")
        with pytest.raises(UnclearOutcome, match="HTTP 504"):
            store.update("INSERT DATA { GRAPH <urn:ldn:retries> { <urn:a> <urn:p> 'once' } }")
        assert [step for step, _ in proxy.seen] == ["stage"]
        proxy.arm("stage", "504")
        store.update("INSERT DATA { GRAPH <urn:ldn:retries> { <urn:a> <urn:p> 'twice' } }", idempotent=True)
        assert [step for step, _ in proxy.seen] == ["stage", "stage"]
        proxy.arm("stage", "504")
        blank = (ox.BlankNode(), ox.NamedNode("urn:p"), ox.Literal("b"))
        with pytest.raises(UnclearOutcome):
            store.insert([blank], ox.NamedNode("urn:ldn:retries"))
        assert [step for step, _ in proxy.seen] == ["stage"]
        proxy.arm("count", "504")
        assert len(store) == 3  # the first two inserts were applied, and the blank node once
        assert [step for step, _ in proxy.seen] == ["count", "count"]


def test_swap_timeout_flag_and_variable(
    oxigraph_server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap's reply arrives after 3 s: within --swap-timeout 20 (which wins over the variable)
    there is nothing to report; past LDNGRAPH_SWAP_TIMEOUT=1 the reply counts as lost, the server
    is asked, and push says what it found."""
    monkeypatch.setenv("LDNGRAPH_SWAP_TIMEOUT", "1")
    query, update = oxigraph_server.query_path, oxigraph_server.update_path
    with FaultProxy(oxigraph_server.base, delay=3.0) as proxy:
        base = ["push", "--data", str(MINI), "--graph", "urn:ldn:swap-timeout"]
        base += ["--store", proxy.base + query, "--update-url", proxy.base + update]
        proxy.arm("swap", "delay")
        code, err = _run([*base, "--swap-timeout", "20"], capsys)
        assert code == 0 and proxy.faulted() == 1, err
        assert [step for step, _ in proxy.seen].count("swap") == 1
        assert not err.startswith("note:"), err
        proxy.arm("swap", "delay")
        code, err = _run(base, capsys)
    assert code == 0, err
    lines = err.strip().splitlines()
    assert lines[0].startswith("note: the reply to the swap was lost ("), err
    assert lines[0].endswith("the server shows that <urn:ldn:swap-timeout> holds the new graph"), err
    assert lines[-1].startswith("loaded the graph into")
    code, err = _run([*base, "--swap-timeout", "0"], capsys)
    assert code == 2 and "--swap-timeout" in err


# -- when the server stops answering after the swap (a scripted gateway over pyoxigraph) --------------


def _push_local(local: LocalSparql) -> str:
    store = EndpointStore(f"{local.base}/query", graph="urn:ldn", update_url=f"{local.base}/update")
    store.update(OLD % "urn:ldn")
    with pytest.raises(StoreError) as info:
        push(store, MINI)
    rows = [tuple(map(str, r)) for r in local.store.query("SELECT ?s WHERE { GRAPH <urn:ldn> { ?s ?p ?o } }")]
    assert sorted(rows) == [("<urn:old:a>",), ("<urn:old:b>",)]  # the old graph, untouched
    return str(info.value)


def test_swap_never_applied_and_temporary_graph_not_dropped_says_so() -> None:
    message = _push_local(LocalSparql(refuse=("swap", "drop")))
    assert "(the swap did not happen: <urn:ldn> keeps its previous content for now, but a swap" in message
    assert "could not be dropped" in message and "drop it by hand)" in message


def test_server_that_stops_answering_after_an_unclear_swap_is_reported_as_unknown() -> None:
    message = _push_local(LocalSparql(refuse=("swap",), then=("ask", "drop")))
    assert "could not be asked whether the swap happened" in message
    assert "<urn:ldn> holds either its previous content or the new graph, never a mix" in message
    assert "keeps its previous content)" not in message  # not claimed: push cannot know
