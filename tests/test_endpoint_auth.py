"""`push` with a separate update URL and credentials, against real servers.

Oxigraph server (``oxigraph serve``, the pinned ``oxigraph`` test extra) splits ``/query`` and
``/update``; Virtuoso's ``/sparql-auth`` asks for HTTP Digest credentials (user ``dba``). Wrong
kinds of URL and wrong credentials give one line naming the URL, write nothing, and never show the
password.
"""

from __future__ import annotations

import base64
import http.server
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_endpoint_injection import server  # noqa: F401  (the Oxigraph server fixture)
from virtuoso_server import Virtuoso, find_binaries, run_virtuoso

from ldngraph.errors import StoreError
from ldngraph.stores.endpoint import PASSWORD_ENV, USER_ENV, EndpointStore, credentials_from_env

MINI = Path(__file__).parent / "resources" / "mini"
SECRET = "s3cret-Pa55word"


def _push(store: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {USER_ENV, PASSWORD_ENV}}
    environ.update(env or {})
    return subprocess.run(
        [
            *(sys.executable, "-c", "from ldngraph.cli import main; main()", "push", "--data", str(MINI)),
            *("--store", store, "--graph", "urn:ldn", *extra),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=environ,
    )


def _graphs(store: EndpointStore) -> list[tuple[str, int]]:
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    return [(str(g), int(str(n))) for g, n in rows.rows]


def test_separate_update_url_on_oxigraph_server(server: str) -> None:  # noqa: F811
    base = server.removesuffix("/query")
    run = _push(server, "--update-url", f"{base}/update")
    assert run.returncode == 0, run.stderr
    graphs = _graphs(EndpointStore(server))
    assert [g for g, _ in graphs] == ["urn:ldn"]  # no temporary graph left behind
    assert graphs[0][1] > 100


@pytest.mark.parametrize(
    ("query_path", "update_path", "bad", "expected"),
    [
        ("/update", None, "/update", "expected a SPARQL 1.1 query endpoint"),
        ("/store", None, "/store", "expected a SPARQL 1.1 query endpoint"),
        ("", None, "", "expected a SPARQL 1.1 query endpoint"),
        ("/query", "/query", "/query", "expected a SPARQL 1.1 Update endpoint"),
        ("/query", "/store", "/store", "expected a SPARQL 1.1 Update endpoint"),
    ],
    ids=["update-as-query", "store-as-query", "base-url", "query-as-update", "store-as-update"],
)
def test_wrong_kind_of_url_writes_nothing(
    server: str,  # noqa: F811
    query_path: str,
    update_path: str | None,
    bad: str,
    expected: str,
) -> None:
    base = server.removesuffix("/query")
    keep = EndpointStore(server, graph="urn:ldn")
    keep.update("INSERT DATA { GRAPH <urn:ldn> { <urn:old> <urn:p> 'old' } }")
    extra = ["--update-url", base + update_path] if update_path is not None else []
    run = _push(base + query_path, *extra)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"Error: {base}{bad}: HTTP ")
    assert expected in lines[0]
    assert "(nothing was written: <urn:ldn> keeps its previous content)" in lines[0]
    assert "by hand" not in lines[0]
    assert _graphs(EndpointStore(server)) == [("urn:ldn", 1)]


def test_credentials_from_env() -> None:
    assert credentials_from_env({}) is None
    assert credentials_from_env({USER_ENV: "u", PASSWORD_ENV: SECRET}) == ("u", SECRET)
    with pytest.raises(StoreError) as info:
        credentials_from_env({PASSWORD_ENV: SECRET})
    assert (
        str(info.value)
        == f"{PASSWORD_ENV} is set but {USER_ENV} is not; set both (or neither) for the endpoint"
    )


def test_credentials_in_the_url_are_refused_without_echo() -> None:
    with pytest.raises(StoreError) as info:
        EndpointStore(f"http://dba:{SECRET}@127.0.0.1:1/sparql")
    assert SECRET not in str(info.value)
    assert str(info.value).startswith("endpoint http://127.0.0.1:1/sparql carries a user name or password")


class _BasicOnly(http.server.BaseHTTPRequestHandler):
    """A SPARQL stub behind HTTP Basic (user ``u``, password :data:`SECRET`): COUNT answers 1."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = base64.b64encode(f"u:{SECRET}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {token}":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ldn"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (
            b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "1"}}]}}'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def basic_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BasicOnly)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_http_basic_credentials(basic_server: str) -> None:
    assert len(EndpointStore(basic_server, credentials=("u", SECRET))) == 1
    with pytest.raises(StoreError) as info:
        len(EndpointStore(basic_server, credentials=("u", "wrong")))
    assert str(info.value) == (
        f"{basic_server}: the server refused the user name and password from {USER_ENV} and {PASSWORD_ENV} "
        "(HTTP 401); check them"
    )
    with pytest.raises(StoreError, match="asks for a user name and password"):
        len(EndpointStore(basic_server))


# -- Virtuoso /sparql-auth (HTTP Digest) ------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    if find_binaries() is None:
        message = "Virtuoso not installed: apt-get install virtuoso-opensource to run the server tests"
        if os.environ.get("LDNGRAPH_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(message + " (LDNGRAPH_REQUIRE_VIRTUOSO=1 makes this test mandatory)")
        pytest.skip(message)
    with run_virtuoso(tmp_path_factory.mktemp("virtuoso-auth")) as running:
        yield running


def _auth_url(virtuoso: Virtuoso) -> str:
    return virtuoso.sparql_url + "-auth"


@pytest.mark.server
def test_sparql_auth_asks_for_digest(virtuoso: Virtuoso) -> None:
    request = urllib.request.Request(_auth_url(virtuoso) + "?query=ASK%7B%7D")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 401
    assert info.value.headers["WWW-Authenticate"].lower().startswith("digest")


@pytest.mark.server
def test_push_to_sparql_auth_with_digest_credentials(virtuoso: Virtuoso) -> None:
    run = _push(
        virtuoso.sparql_url, "--update-url", _auth_url(virtuoso), env={USER_ENV: "dba", PASSWORD_ENV: "dba"}
    )
    assert run.returncode == 0, run.stderr
    assert "dba" not in run.stderr + run.stdout  # no credential echoed
    store = EndpointStore(_auth_url(virtuoso), graph="urn:ldn", credentials=("dba", "dba"))
    assert len(store) > 100
    assert not [g for g, _ in _graphs(store) if g.startswith("urn:ldngraph:tmp:")]


@pytest.mark.server
@pytest.mark.parametrize("policy", ["digest", "digest-or-https"])
def test_push_with_digest_required_still_reaches_sparql_auth(virtuoso: Virtuoso, policy: str) -> None:
    """LDNGRAPH_SPARQL_AUTH refuses Basic over http (tests/test_http_downgrade.py), not Digest."""
    env = {USER_ENV: "dba", PASSWORD_ENV: "dba", "LDNGRAPH_SPARQL_AUTH": policy}
    run = _push(virtuoso.sparql_url, "--update-url", _auth_url(virtuoso), env=env)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().startswith("loaded the graph into"), run.stderr


@pytest.mark.server
def test_wrong_credentials_are_refused_and_not_echoed(virtuoso: Virtuoso) -> None:
    auth = _auth_url(virtuoso)
    run = _push(auth, env={USER_ENV: "dba", PASSWORD_ENV: SECRET})
    assert run.returncode == 1
    assert SECRET not in run.stderr + run.stdout
    assert run.stderr.strip() == (
        f"Error: {auth}: the server refused the user name and password from {USER_ENV} and {PASSWORD_ENV} "
        "(HTTP 401); check them (nothing was written: <urn:ldn> keeps its previous content)"
    )


@pytest.mark.server
def test_missing_credentials_say_which_variables(virtuoso: Virtuoso) -> None:
    auth = _auth_url(virtuoso)
    run = _push(auth)
    assert run.returncode == 1
    assert run.stderr.strip().startswith(
        f"Error: {auth}: the server asks for a user name and password (HTTP 401)"
    )
    assert f"set {USER_ENV} and {PASSWORD_ENV}" in run.stderr
