"""HTTP downgrades (issue 27, F23): Basic over plain http, a redirect that turns a POST into a GET,
and an E-utilities base URL that is not http(s).

- ``LDNGRAPH_SPARQL_AUTH=digest`` answers only Digest challenges; ``digest-or-https`` also answers
  Basic, but only over https. A server (or anyone on the path) that asks for Basic over http then
  gets no password: the stub below records every ``Authorization`` header it receives.
- A same-origin 301/302/303 in reply to a POST would make urllib repeat the request as a GET without
  its body (the query or update is lost and the reply to something else is read); it is refused.
  A 307/308 keeps the method and body and is followed (same origin only).
- ``file://`` (or any scheme but http/https) as the E-utilities base URL is refused when the setting
  is read, naming where it came from, and never retried.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from ldngraph.cli import main
from ldngraph.errors import PubMedError, StoreError
from ldngraph.ingest.entrez import read_entrez_config
from ldngraph.stores.endpoint import PASSWORD_ENV, USER_ENV, EndpointStore

SECRET = "s3cret-Pa55word"
#: The policy variable the README documents.
AUTH_ENV = "LDNGRAPH_SPARQL_AUTH"
ROWS = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "7"}}]}}


class Stub(BaseHTTPRequestHandler):
    """``/basic``: asks for HTTP Basic; ``/digest``: HTTP Digest (MD5, qop=auth, checked per RFC
    7616), ``/negotiate-or-digest`` the same after a Negotiate challenge; ``/moved...``: 302 to
    ``/target``; ``/kept...``: 307 to ``/target``; ``/target``: answers a POST that carries a
    query with a count of 7, and anything else (a GET) with a count of 0."""

    authorizations: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _digest_ok(self, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1, ha2 = md5(f"u:r:{SECRET}"), md5(f"{self.command}:{fields['uri']}")
        expected = md5(f"{ha1}:n0nce:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        return fields.get("username") == "u" and fields.get("response") == expected

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization")
        if auth:
            type(self).authorizations.append(auth)
        path = urllib.parse.urlsplit(self.path).path
        ok = json.dumps(ROWS).encode()
        if path == "/basic":
            token = base64.b64encode(f"u:{SECRET}".encode()).decode()
            if auth == f"Basic {token}":
                self._send(200, ok)
            else:
                self._send(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        elif path in {"/digest", "/negotiate-or-digest"}:
            if auth and self._digest_ok(auth):
                self._send(200, ok)
            else:
                self.send_response(401)
                if path == "/negotiate-or-digest":
                    self.send_header("WWW-Authenticate", "Negotiate")
                self.send_header("WWW-Authenticate", 'Digest realm="r", nonce="n0nce", qop="auth"')
                self.send_header("Content-Length", "0")
                self.end_headers()
        elif path.startswith(("/moved", "/kept")):
            self._send(302 if path.startswith("/moved") else 307, headers={"Location": "/target"})
        elif path == "/target":
            if self.command == "POST" and b"query=" in body:
                self._send(200, ok)
            else:
                self._send(
                    200,
                    json.dumps(
                        {**ROWS, "results": {"bindings": [{"n": {"type": "literal", "value": "0"}}]}}
                    ).encode(),
                )
        else:
            self._send(404)

    do_GET = do_POST = _serve


@contextmanager
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Stub.authorizations = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _count(url: str, monkeypatch: pytest.MonkeyPatch, policy: str | None) -> int:
    if policy is None:
        monkeypatch.delenv(AUTH_ENV, raising=False)
    else:
        monkeypatch.setenv(AUTH_ENV, policy)
    return len(EndpointStore(url, credentials=("u", SECRET)))


@pytest.mark.parametrize("policy", ["digest", "digest-or-https"])
def test_basic_over_http_is_refused_when_digest_or_https_is_required(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stub() as base:
        with pytest.raises(StoreError) as info:
            _count(f"{base}/basic", monkeypatch, policy)
        assert Stub.authorizations == []  # the password never left
    message = str(info.value)
    assert message.startswith(f"{base}/basic: the server asks for HTTP Basic")
    assert f"{AUTH_ENV}={policy}" in message
    assert SECRET not in message


@pytest.mark.parametrize("policy", [None, "any", "digest", "digest-or-https"])
def test_digest_is_answered_under_every_policy(policy: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    with stub() as base:
        assert _count(f"{base}/digest", monkeypatch, policy) == 7
        assert all(a.startswith("Digest ") and SECRET not in a for a in Stub.authorizations)


def test_digest_offered_after_another_scheme_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    with stub() as base:
        assert _count(f"{base}/negotiate-or-digest", monkeypatch, "digest") == 7


def test_basic_is_answered_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    with stub() as base:
        assert _count(f"{base}/basic", monkeypatch, None) == 7


def test_unknown_auth_policy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with (
        stub() as base,
        pytest.raises(StoreError, match=f"{AUTH_ENV}='basic-please': give any, digest or digest-or-https"),
    ):
        _count(f"{base}/basic", monkeypatch, "basic-please")


def test_push_with_basic_over_http_refused_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(USER_ENV, "u")
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    monkeypatch.setenv(AUTH_ENV, "digest-or-https")
    mini = Path(__file__).parent / "resources" / "mini"
    with stub() as base:
        with pytest.raises(SystemExit) as info:
            main(["push", "--data", str(mini), "--store", f"{base}/basic"])
        assert Stub.authorizations == []
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"Error: {base}/basic: the server asks for HTTP Basic"), err
    assert "nothing was written" in err[0]


def test_same_origin_302_after_a_post_is_refused_not_turned_into_a_get() -> None:
    with stub() as base:
        store = EndpointStore(f"{base}/moved")
        with pytest.raises(StoreError) as info:
            len(store)
    assert str(info.value).startswith(f"{base}/moved: HTTP 302 redirect to {base}/target")
    assert "GET" in str(info.value)


def test_same_origin_307_after_a_post_keeps_the_method_and_body() -> None:
    with stub() as base:
        assert len(EndpointStore(f"{base}/kept")) == 7


def test_redirected_efetch_post_is_refused() -> None:
    from ldngraph.ingest.entrez import EntrezClient, EntrezConfig

    with stub() as base:
        client = EntrezClient(EntrezConfig(base_url=f"{base}/moved/", email="t@example.org", max_tries=3))
        with pytest.raises(PubMedError, match="would turn the POST into a GET"):
            client.call("efetch", {"id": "1"})
        assert client.requests == 1  # refused at once, not retried


@pytest.mark.parametrize(
    "url",
    ["file:///etc/", "ftp://example.org/eutils/", "data:,x", "http:///no-host/", "eutils.ncbi.nlm.nih.gov"],
)
def test_base_url_that_is_not_http_is_refused_where_it_is_read(url: str, tmp_path: Path) -> None:
    with pytest.raises(PubMedError) as info:
        read_entrez_config(env={"LDNGRAPH_EUTILS_URL": url}, config_path=tmp_path / "none.toml")
    assert str(info.value).startswith("environment variable LDNGRAPH_EUTILS_URL: ")
    assert "http(s) URL" in str(info.value)


def test_fetch_with_a_file_base_url_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "eu").mkdir()
    (tmp_path / "eu" / "efetch.fcgi").write_text("<PubmedArticleSet/>", encoding="utf-8")
    monkeypatch.setenv("NCBI_EMAIL", "t@example.org")
    monkeypatch.setenv("LDNGRAPH_CONFIG", str(tmp_path / "none.toml"))
    start = time.monotonic()
    with pytest.raises(SystemExit) as info:
        main(["fetch", "1", "--cache", str(tmp_path / "cache"), "--base-url", f"file://{tmp_path}/eu/"])
    assert time.monotonic() - start < 5  # no retries with back-off
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: option --base-url: "), err
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_basic_over_http_by_default_is_answered_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(AUTH_ENV, raising=False)
    with stub() as base:
        store = EndpointStore(f"{base}/basic", credentials=("u", SECRET))
        assert len(store) == len(store) == 7  # two requests, each answering the challenge
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "HTTP Basic over plain http" in warnings[0], warnings
    assert f"{AUTH_ENV}=digest-or-https" in warnings[0] and SECRET not in warnings[0]
