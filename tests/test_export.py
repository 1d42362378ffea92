"""Every RDF format round-trips isomorphically; Turtle also parses in pyoxigraph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from rdflib.compare import isomorphic

from ldngraph.errors import ExportError
from ldngraph.export import RDF_FORMATS, from_rdf, guess_format, to_rdf, write_rdf
from ldngraph.pipeline import load


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
@pytest.mark.parametrize("which", ["mini", "shipped"])
def test_round_trip(fmt: str, which: str, mini_dir: Path) -> None:
    graph = load(mini_dir if which == "mini" else None).graph
    again = from_rdf(to_rdf(graph, fmt), fmt)
    assert len(again) == len(graph)
    assert isomorphic(graph, again)


def test_turtle_parses_in_pyoxigraph(mini_dir: Path, tmp_path: Path) -> None:
    graph = load(mini_dir).graph
    path = write_rdf(graph, tmp_path / "g.ttl")
    store = pyoxigraph.Store()
    store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(graph)


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
