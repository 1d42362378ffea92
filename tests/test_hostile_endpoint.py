"""A hostile SPARQL endpoint or graph file gives one error line, never a traceback (issue 27, F14).

A raw TCP server answers every request with the same bytes: a status line that is not HTTP, a
64 KB header, more than 100 headers, JSON nested 100,000 deep, SPARQL JSON results whose bindings
have the wrong shapes, a count that is not a number, or an HTTP Digest challenge ldngraph cannot
answer (an algorithm urllib does not know, a scheme that is neither Basic nor Digest, a challenge
that does not parse). ``ldngraph query`` (and ``push``, for the count) must end with exit status 1
and one ``Error:`` line naming the URL. ``ldngraph diff`` of a graph file whose scores are not
numbers must do the same, naming the file and the field.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ldngraph.cli import main
from ldngraph.stores.endpoint import PASSWORD_ENV, USER_ENV
from ldngraph.stores.query import get_query

MINI = Path(__file__).parent / "resources" / "mini"
#: The columns of the query the hostile replies answer (its header's Columns: line).
VARS = get_query("claims_by_strength").columns


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their number and order; only the pauses between them shrink."""
    monkeypatch.setattr("ldngraph.stores.endpoint.RETRY_BACKOFF", 0.02)
    monkeypatch.setattr("ldngraph.stores.swap.SWAP_BACKOFF", 0.02)


def _http(body: bytes, *, status: bytes = b"HTTP/1.1 200 OK", headers: bytes = b"") -> bytes:
    return (
        status
        + b"\r\nContent-Type: application/sparql-results+json\r\n"
        + headers
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


def _results(bindings: object, head: object = None) -> bytes:
    return json.dumps(
        {"head": head if head is not None else {"vars": list(VARS)}, "results": {"bindings": bindings}}
    ).encode()


def _challenge(value: bytes) -> bytes:
    return (
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: "
        + value
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )


#: case id -> (the raw reply to every request, what the error line must contain)
REPLIES: dict[str, tuple[bytes, str]] = {
    "bad-status-line": (b"SPARQL/1.1 200 fine\r\n\r\n{}", "not a valid HTTP reply (BadStatusLine"),
    "status-not-a-number": (b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}", "not a valid HTTP reply"),
    "header-64kb": (_http(b"{}", headers=b"X-Big: " + b"a" * 70_000 + b"\r\n"), "(LineTooLong: "),
    "too-many-headers": (
        _http(b"{}", headers=b"".join(b"X-%d: y\r\n" % i for i in range(150))),
        "got more than 100 headers",
    ),
    "json-nested-100000": (_http(b"[" * 100_000 + b"]" * 100_000), "JSON nested too deeply"),
    "binding-nested-deep": (
        _http(
            b'{"head": {"vars": ["claim_id"]}, "results": {"bindings": [{"claim_id": '
            + b"[" * 50_000
            + b"]" * 50_000
            + b"}]}}"
        ),
        "JSON nested too deeply",
    ),
    "head-not-object": (_http(b'{"head": [], "results": {"bindings": []}}'), "no 'head' object"),
    "vars-not-names": (
        _http(_results([], head={"vars": [1, {"a": 2}]})),
        "head.vars is not a list of variable",
    ),
    "vars-not-the-querys": (_http(_results([], head={"vars": ["x"]})), "the query selects claim_id"),
    "bindings-not-list": (_http(_results({"claim_id": 1})), "no results.bindings list"),
    "binding-not-object": (_http(_results([1, 2])), "results.bindings[0] is not an object"),
    "term-not-object": (_http(_results([{"claim_id": "a plain string"}])), "a term must be an object"),
    "term-value-not-string": (
        _http(_results([{"claim_id": {"type": "uri", "value": ["u"]}}])),
        "a term's value must be a string",
    ),
    "term-datatype-not-string": (
        _http(_results([{"claim_id": {"type": "literal", "value": "1", "datatype": 7}}])),
        "xml:lang and datatype must be strings",
    ),
    "term-bad-language": (
        _http(_results([{"claim_id": {"type": "literal", "value": "a", "xml:lang": "not a tag!"}}])),
        "not a valid literal",
    ),
    "term-type-missing": (_http(_results([{"claim_id": {"value": "a"}}])), "term type 'None' is not one of"),
    "truncated-body": (
        b'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{"head"',
        "the reply is '{\"head\"'",
    ),
    "bad-chunking": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "the reply was cut short",
    ),
}

#: case id -> (the raw 401 challenge, what the error line must contain); run with credentials set
CHALLENGES: dict[str, tuple[bytes, str]] = {
    "digest-sha-512": (b'Digest realm="r", nonce="n", algorithm="SHA-512-256", qop="auth"', "SHA-512-256"),
    "digest-unknown-algorithm": (b'Digest realm="r", nonce="n", algorithm="ROT13"', "ROT13"),
    "digest-no-key-values": (b"Digest realm", "Digest"),
    "auth-negotiate": (b"Negotiate", "Negotiate"),
    "digest-qop-auth-int": (b'Digest realm="r", nonce="n", qop="auth-int"', "auth-int"),
}


class _Raw(socketserver.BaseRequestHandler):
    answer: Callable[[dict[str, list[str]]], bytes] = staticmethod(lambda form: b"")

    def handle(self) -> None:
        data = b""
        self.request.settimeout(5)
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = next(
                (int(x.split(b":", 1)[1]) for x in lines if x.lower().startswith(b"content-length:")), 0
            )
            while len(body) < length:
                body += self.request.recv(65536)
            self.request.sendall(type(self).answer(urllib.parse.parse_qs(body.decode("utf-8", "replace"))))
            self.request.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@contextmanager
def raw_server(answer: bytes | Callable[[dict[str, list[str]]], bytes]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 answering every request with ``answer`` (or ``answer(form)``)."""
    reply = answer
    respond = staticmethod(reply if callable(reply) else lambda form: reply)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), type("Handler", (_Raw,), {"answer": respond}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, *parts: str) -> str:
    assert "Traceback" not in err, err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


@pytest.mark.parametrize("case", sorted(REPLIES))
def test_hostile_endpoint_reply_gives_one_line(
    case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LDNGRAPH_HTTP_MAX_SECONDS", "5")
    reply, expect = REPLIES[case]
    with raw_server(reply) as url:
        code, err = run_cli(["query", "claims_by_strength", "--store", url, "--no-labels"], capsys)
    assert_one_line(code, err, url, expect)


@pytest.mark.parametrize("case", sorted(CHALLENGES))
def test_digest_challenge_ldngraph_cannot_answer_gives_one_line(
    case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(USER_ENV, "u")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-Pa55")
    challenge, expect = CHALLENGES[case]
    with raw_server(_challenge(challenge)) as url:
        code, err = run_cli(["query", "claims_by_strength", "--store", url, "--no-labels"], capsys)
    line = assert_one_line(code, err, url, expect)
    assert "s3cret" not in line
    assert "cannot reach" not in line  # the server answered: it is not a network problem


def _count_is(value: str) -> Callable[[dict[str, list[str]]], bytes]:
    """A fake endpoint that takes every update and answers every ASK true, but counts ``value``."""

    def answer(form: dict[str, list[str]]) -> bytes:
        if "update" in form:
            return b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        if "COUNT" in " ".join(form.get("query", [])):
            return _http(_results([{"n": {"type": "literal", "value": value}}], head={"vars": ["n"]}))
        return _http(b'{"head": {}, "boolean": true}')

    return answer


def test_count_that_is_not_a_number_gives_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with raw_server(_count_is("many")) as url:
        code, err = run_cli(["push", "--data", str(MINI), "--store", url, "--graph", "urn:ldn"], capsys)
    assert_one_line(code, err, url, "'many'")


# -- hostile graph files in diff ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini_ttl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ldngraph.pipeline import load

    path = tmp_path_factory.mktemp("diff") / "mini.ttl"
    load(MINI).graph.serialize(path, format="turtle")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("ldn:strength 2.4e-02", 'ldn:strength "abc"^^xsd:double', "strength"),
        ("ldn:strength 2.4e-02", 'ldn:strength "high"', "strength"),
        ("ldn:strength 2.4e-02", "ldn:strength <http://example.org/x>", "strength"),
        ("ldn:participants 40", 'ldn:participants "forty"^^xsd:integer', "participants"),
        ("ldn:weight 4.5e-01", 'ldn:weight "x"', "weight"),
    ],
    ids=["double-not-a-number", "string-strength", "iri-strength", "integer-not-a-number", "string-weight"],
)
def test_diff_of_a_graph_with_ill_typed_scores_gives_one_line(
    old: str, new: str, expect: str, mini_ttl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = mini_ttl.read_text(encoding="utf-8")
    assert old in text
    hostile = tmp_path / "hostile.ttl"
    hostile.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, err = run_cli(["diff", str(mini_ttl), str(hostile)], capsys)
    assert_one_line(code, err, str(hostile), expect)
