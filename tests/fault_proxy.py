"""A fault-injecting HTTP proxy for the push tests, and a throwaway Oxigraph server.

:class:`FaultProxy` sits in front of a real SPARQL server (Oxigraph server, Virtuoso) and forwards
every request to it, except that the first ``times`` requests of one *step* of a push get a *fault*:

- ``drop``: forward, then close the connection without a reply (the reply was lost);
- ``502``: answer 502 Bad Gateway without forwarding (the request never reached the server);
- ``504``: forward, then answer 504 Gateway Timeout (the server did the work, the gateway gave up);
- ``delay``: forward, then hold the server's reply for :attr:`FaultProxy.delay` seconds (past the
  client's timeout);
- ``reset``: forward, then reset the connection (TCP RST).

Steps are told apart by the request's text: ``stage`` (``INSERT DATA``), ``swap`` (the request that
writes the target from the temporary graph: ``MOVE``/``ADD``, or a ``DELETE``/``INSERT`` template),
``count`` (a ``COUNT`` query that does not name a temporary graph), ``ask`` (``ASK``), ``drop``
(``DROP``) and ``other``. Standard library only (http.server + threading).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FAULTS = ("drop", "502", "504", "delay", "reset")
STEPS = ("stage", "swap", "count", "ask", "drop", "other")
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


def step_of(form: dict[str, list[str]]) -> str:
    """Which step of a push a SPARQL protocol request is (see the module docs)."""
    if "update" in form:
        text = " ".join(form["update"]).lstrip()
        if re.match(r"(?i)INSERT\s+DATA\b", text):
            return "stage"
        if re.match(r"(?i)(MOVE|ADD|COPY|DELETE\s*\{|INSERT\s*\{)", text):
            return "swap"
        if re.match(r"(?i)DROP\b", text):
            return "drop"
        return "other"
    text = " ".join(form.get("query", []))
    if re.search(r"(?i)\bCOUNT\s*\(", text) and "urn:ldngraph:tmp:" not in text:
        return "count"
    if re.match(r"(?is)\s*(PREFIX[^\n]*\n\s*)*ASK\b", text):
        return "ask"
    return "other"


class FaultProxy:
    """Forwards to ``upstream`` (scheme://host:port); see the module docs for faults and steps."""

    def __init__(self, upstream: str, *, delay: float = 3.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.step: str | None = None
        self.fault: str | None = None
        self.times = 0
        self.seen: list[tuple[str, str | None]] = []  # (step, fault applied or None) per request
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def arm(self, step: str, fault: str, *, times: int = 1) -> None:
        """The next ``times`` requests of ``step`` get ``fault``; everything else is forwarded."""
        assert step in STEPS and fault in FAULTS, (step, fault)
        with self._lock:
            self.step, self.fault, self.times = step, fault, times
            self.seen = []

    def disarm(self) -> None:
        with self._lock:
            self.step, self.fault, self.times = None, None, 0

    def faulted(self) -> int:
        """How many requests got the armed fault."""
        return sum(1 for _, fault in self.seen if fault is not None)

    def _take(self, step: str) -> str | None:
        with self._lock:
            fault = None
            if step == self.step and self.times > 0:
                self.times -= 1
                fault = self.fault
            self.seen.append((step, fault))
            return fault

    def _forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, bytes]:
        request = urllib.request.Request(
            self.upstream + path, data=body or None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.headers.get("Content-Type", ""), reply.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", exc.read()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _cut(self, *, reset: bool) -> None:
                self.close_connection = True
                if reset:  # SO_LINGER 0: close() sends RST instead of FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
                self.connection.close()

            def _serve(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = urllib.parse.urlsplit(self.path).query
                text = body.decode("utf-8", "replace") if method == "POST" else query
                fault = proxy._take(step_of(urllib.parse.parse_qs(text)))
                if fault == "502":
                    self._send(502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in {"content-type", "accept", "authorization"}
                }
                status, kind, reply = proxy._forward(method, self.path, body, headers)
                if fault == "drop":
                    self._cut(reset=False)
                elif fault == "reset":
                    self._cut(reset=True)
                elif fault == "504":
                    self._send(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>")
                else:
                    if fault == "delay":
                        time.sleep(proxy.delay)
                    with contextlib.suppress(OSError):  # the client may have given up waiting
                        self._send(status, kind, reply)

            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

        return Handler

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def run_oxigraph(directory: Path) -> Iterator[str]:
    """An Oxigraph server on 127.0.0.1 storing in ``directory``; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(directory), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            raise RuntimeError("the oxigraph server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class LocalSparql:
    """A small SPARQL 1.1 protocol server on 127.0.0.1 backed by a pyoxigraph ``Store`` (queries
    on ``/query``, updates on ``/update``), answering 502 to every request of the steps in
    ``refuse`` (see :func:`step_of`) without running it; from the first swap request on, also to
    those in ``then``."""

    def __init__(self, *, refuse: tuple[str, ...] = (), then: tuple[str, ...] = ()) -> None:
        import pyoxigraph as ox

        self.store = ox.Store()
        self.refuse, self.then = set(refuse), then
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        import pyoxigraph as ox

        local = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                form = urllib.parse.parse_qs(
                    self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                )
                step = step_of(form)
                if step == "swap":
                    local.refuse.update(local.then)
                if step in local.refuse:
                    self._send(502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
                    return
                try:
                    if "update" in form:
                        local.store.update(form["update"][0])
                        self._send(204, "text/plain", b"")
                        return
                    result = local.store.query(form["query"][0])
                    body = result.serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
                    self._send(200, "application/sparql-results+json", body or b"")
                except (SyntaxError, OSError, ValueError) as exc:
                    self._send(400, "text/plain", str(exc).encode())

        return Handler
