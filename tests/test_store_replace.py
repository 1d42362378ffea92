"""Replacing a store's content is all or nothing; ``push`` builds through the fast path; ``auto``.

A push that fails part-way must leave the previous graph as it was (the Virtuoso side of this is
in tests/test_store_virtuoso.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic
from test_store import QUERY_CASES, QUERY_IDS, assert_same_rows_on

from ldngraph import pipeline
from ldngraph.cli import cli, main
from ldngraph.errors import StoreError
from ldngraph.pipeline import Built, load, push
from ldngraph.rdf import build
from ldngraph.stores.store import (
    AUTO_OXIGRAPH_TRIPLES,
    GraphStore,
    MemoryStore,
    OxigraphStore,
    QueryRows,
    open_query_store,
    open_store,
    resolve_auto,
)

MINI = Path(__file__).parent / "resources" / "mini"
ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
NEW: list[build.Triple] = [
    (
        ox.NamedNode("https://example.org/new"),
        ox.NamedNode("https://example.org/p"),
        ox.NamedNode("https://example.org/o"),
    )
]
#: Not a triple: what a broken producer might hand a store; the load fails and nothing changes.
BROKEN = [("https://example.org/s", "https://example.org/p", "not a term")]


def triples(graph: Graph) -> list[build.Triple]:
    return [
        (build.from_rdflib_term(s), build.from_rdflib_term(p), build.from_rdflib_term(o)) for s, p, o in graph
    ]  # type: ignore[misc]


@pytest.fixture(scope="module")
def mini() -> Built:
    return load(MINI)


@pytest.fixture(scope="module")
def shipped() -> Built:
    return load()


def everything(store: GraphStore) -> list[tuple[object, ...]]:
    rows: QueryRows = store.query(ALL)
    return rows.canonical()


def _open(kind: str, tmp_path: Path) -> GraphStore:
    return open_store(f"oxigraph:{tmp_path / 'db'}" if kind == "disk" else kind)


class Boom(RuntimeError):
    """The failure injected after the first chunk (a crash in the middle of a load)."""


def _fails_after_first(first: list[build.Triple]) -> Iterator[list[build.Triple]]:
    yield first
    raise Boom("injected failure after the first chunk")


@pytest.mark.parametrize("kind", ["memory", "oxigraph", "disk"])
def test_failure_after_the_first_chunk_keeps_the_old_graph(kind: str, mini: Built, tmp_path: Path) -> None:
    store = _open(kind, tmp_path)
    store.load(mini.graph)
    before = everything(store)
    with pytest.raises(Boom):
        store.replace(_fails_after_first(NEW))
    assert everything(store) == before
    with pytest.raises(StoreError):
        store.replace(iter([NEW, BROKEN]))  # type: ignore[list-item]
    assert everything(store) == before
    store.close()
    if kind == "disk":
        assert [p.name for p in tmp_path.iterdir()] == ["db"]  # no staging directory left behind
        reopened = _open(kind, tmp_path)
        assert everything(reopened) == before
        reopened.close()


@pytest.mark.parametrize("kind", ["memory", "oxigraph", "disk"])
def test_replace_replaces_and_append_adds(kind: str, mini: Built, tmp_path: Path) -> None:
    store = _open(kind, tmp_path)
    store.load(mini.graph)
    store.replace(iter([NEW]))
    assert len(store) == 1
    store.replace(iter([triples(mini.graph)]), append=True)
    assert len(store) == len(mini.graph) + 1
    store.close()
    if kind == "disk":
        assert [p.name for p in tmp_path.iterdir()] == ["db"]
        assert len(_open(kind, tmp_path)) == len(mini.graph) + 1


@pytest.mark.parametrize("name", ["mini", "shipped"])
def test_push_writes_the_graph_of_load(name: str, mini: Built, shipped: Built) -> None:
    """pipeline.push (build.iter_triples + materialised scores) gives the graph pipeline.load builds."""
    built = mini if name == "mini" else shipped
    store = MemoryStore()
    push(store, MINI if name == "mini" else None)
    assert len(store) == len(built.graph)
    assert isomorphic(store.graph, built.graph)


def test_push_in_several_chunks_is_the_same_graph(mini: Built) -> None:
    kb, scores = mini.kb, mini.scores
    chunks = list(pipeline.iter_scored_chunks(kb, scores, size=50))
    assert len(chunks) > 3 and all(len(chunk) <= 50 for chunk in chunks[:-1])
    merged = MemoryStore()
    for chunk in chunks:
        merged.add_triples(chunk)
    assert isomorphic(merged.graph, mini.graph)


def test_push_command_that_fails_midway_leaves_the_store_intact(
    mini: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", spec]).exit_code == 0
    real = pipeline.iter_scored_chunks

    def broken(*args: object, **kwargs: object) -> Iterator[list[build.Triple]]:
        chunks = real(*args, **{**kwargs, "size": 20})  # type: ignore[arg-type]
        yield next(chunks)
        yield BROKEN  # type: ignore[misc]

    monkeypatch.setattr(pipeline, "iter_scored_chunks", broken)
    with pytest.raises(SystemExit) as exit_info:
        main(["push", "--store", spec])  # the shipped data: would replace the mini graph
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could not load the triples" in err[0] and "nothing changed" in err[0]
    store = open_store(spec)
    assert len(store) == len(mini.graph)
    assert sorted(map(str, (r[0] for r in store.query(ALL)))) == sorted(str(s) for s, _, _ in mini.graph)
    store.close()


# -- auto ------------------------------------------------------------------------------------------


def test_auto_picks_by_size() -> None:
    assert resolve_auto(AUTO_OXIGRAPH_TRIPLES) == "memory"
    assert resolve_auto(AUTO_OXIGRAPH_TRIPLES + 1) == "oxigraph"
    assert resolve_auto(10, threshold=5) == "oxigraph"
    with pytest.raises(StoreError, match="picks memory or oxigraph"):
        open_store("auto")


@pytest.fixture(scope="module")
def auto_stores(shipped: Built) -> dict[str, GraphStore]:
    # thresholds around the graph's own size, so the fixture does not depend on how big data/ is
    small = open_query_store("auto", lambda: shipped.graph, threshold=len(shipped.graph))
    large = open_query_store("auto", lambda: shipped.graph, threshold=len(shipped.graph) - 1)
    assert isinstance(small, MemoryStore) and isinstance(large, OxigraphStore)
    return {"auto-as-memory": small, "auto-as-oxigraph": large}


@pytest.mark.parametrize(("name", "params"), QUERY_CASES, ids=QUERY_IDS)
def test_every_query_gives_the_same_rows_whatever_auto_picks(
    name: str, params: dict[str, str], shipped: Built, auto_stores: dict[str, GraphStore]
) -> None:
    assert_same_rows_on(auto_stores, shipped, name, params)


def test_query_command_default_is_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["query", "paths_to_condition", "--param", "source=LDN", "--format", "json"]
    small = CliRunner().invoke(cli, args)
    monkeypatch.setattr("ldngraph.stores.store.AUTO_OXIGRAPH_TRIPLES", 10)
    picked: list[str] = []
    real_load = OxigraphStore.load

    def spy(self: OxigraphStore, graph: Graph) -> None:
        picked.append("oxigraph")
        real_load(self, graph)

    monkeypatch.setattr(OxigraphStore, "load", spy)
    large = CliRunner().invoke(cli, args)
    explicit = CliRunner().invoke(cli, [*args, "--store", "memory"])
    assert small.exit_code == large.exit_code == explicit.exit_code == 0
    assert picked == ["oxigraph"]  # only the run above the (lowered) threshold used Oxigraph
    assert small.stdout == large.stdout == explicit.stdout != "[]\n"


def test_push_to_a_symlinked_store_keeps_the_link(mini: Built, tmp_path: Path) -> None:
    """Issue 15, point 11: the link was replaced by a directory."""
    real = tmp_path / "real-db"
    link = tmp_path / "db"
    link.symlink_to(real)
    for _ in range(2):  # create, then replace
        assert (
            CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", f"oxigraph:{link}"]).exit_code
            == 0
        )
    assert link.is_symlink() and os.readlink(link) == str(real)
    store = open_store(f"oxigraph:{link}")
    assert len(store) == len(mini.graph)
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "real-db"]


def test_push_removes_staging_directories_of_killed_pushes(tmp_path: Path) -> None:
    """Issue 15, point 11: kill -9 during a push left .NAME.partial-* directories forever."""
    import subprocess

    spec = f"oxigraph:{tmp_path / 'db'}"
    assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", spec]).exit_code == 0
    gone = subprocess.Popen(["true"])  # a pid that has exited
    gone.wait()
    stale = [
        tmp_path / f".db.partial-{gone.pid}-abc",
        tmp_path / ".db.partial-0123456789ab",
        tmp_path / ".db.old-x",
    ]
    live = tmp_path / f".db.partial-{os.getpid()}-def"  # a push still running: kept
    for directory in [*stale, live]:
        directory.mkdir()
        (directory / "CURRENT").write_text("x", encoding="utf-8")
    assert CliRunner().invoke(cli, ["push", "--data", str(MINI), "--store", spec]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["db", live.name])
