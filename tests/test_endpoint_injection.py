"""A push to a SPARQL endpoint touches only ldngraph's own graph, whatever the data holds.

Runs a real Oxigraph server (the ``oxigraph`` binary from PyPI, a test extra) on 127.0.0.1 with a
second named graph that ldngraph does not own, then pushes a fixture whose publication id and DOI
carry the SPARQL that once closed the ``INSERT DATA`` block and dropped that graph (issue 15, point 1).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ldngraph.stores.endpoint import EndpointStore

MINI = Path(__file__).parent / "resources" / "mini"
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
OTHER = "urn:someone-else"
#: A DOI the model accepts (no white space) whose text, pasted into ``INSERT DATA`` as an IRI, once
#: closed ldngraph's GRAPH block and wrote the rest of the chunk into a graph it does not own.
HOSTILE_DOI = f"10.1000/x><urn:p><urn:o>}}GRAPH<{OTHER}>{{<urn:evil"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not Path(OXIGRAPH).is_file():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = _free_port()
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(tmp_path / "srv"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("the oxigraph server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _hostile_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    path = data / "publications.yaml"
    record = f"  - id: 'DOI:{HOSTILE_DOI}'\n    doi: '{HOSTILE_DOI}'\n    status: unresolved\n"
    path.write_text(path.read_text(encoding="utf-8") + record, encoding="utf-8")
    return data


def test_push_leaves_a_graph_it_does_not_own_untouched(server: str, tmp_path: Path) -> None:
    other = EndpointStore(server, graph=OTHER)
    other.update(f"INSERT DATA {{ GRAPH <{OTHER}> {{ <urn:keep> <urn:p> 'kept' }} }}")
    data = _hostile_data(tmp_path)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ldngraph.cli import main; main()",
            "push",
            "--data",
            str(data),
            "--store",
            server,
            "--graph",
            "urn:ldn",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert [tuple(map(str, r)) for r in other.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")] == [
        ("urn:keep", "urn:p", "kept")
    ]
    mine = EndpointStore(server, graph="urn:ldn")
    rows = mine.query("SELECT ?doi WHERE { ?pub <http://purl.org/ontology/bibo/doi> ?doi }").rows
    assert sorted(str(r[0]) for r in rows) == sorted(
        [HOSTILE_DOI, "10.1000/fixture.2"]
    )  # real characters kept
    graphs = EndpointStore(server).query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert sorted(str(r[0]) for r in graphs) == sorted([OTHER, "urn:ldn"])  # no graph injected
