"""Bounded HTTP requests (issue 15, points 4 and 10): total time, reply size, redirects."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ldngraph.errors import StoreError
from ldngraph.limits import LimitError
from ldngraph.stores.endpoint import EndpointStore
from ldngraph.web import RedirectRefused, request_bytes


class Handler(BaseHTTPRequestHandler):
    target = ""  # where /redirect-away points

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self) -> None:
        if self.path.startswith("/drip"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)  # every read waits well under the socket timeout
        elif self.path.startswith("/big"):
            body = b"y" * 5000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/redirect-away"):
            self.send_response(307)
            self.send_header("Location", self.target)
            self.end_headers()
        elif self.path.startswith("/redirect-here"):
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
        else:
            body = b'{"head": {"vars": []}, "results": {"bindings": []}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    do_GET = do_POST = _reply


@contextmanager
def serving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_slow_drip_stops_at_the_total_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDNGRAPH_HTTP_MAX_SECONDS", "1")
    with serving() as base:
        start = time.monotonic()
        with pytest.raises(LimitError, match="LDNGRAPH_HTTP_MAX_SECONDS=1"):
            request_bytes(urllib.request.Request(f"{base}/drip"), timeout=5)
        assert time.monotonic() - start < 3  # the drip alone would take 50 s


def test_reply_size_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDNGRAPH_HTTP_MAX_BYTES", "1000")
    with serving() as base:
        with pytest.raises(LimitError, match="LDNGRAPH_HTTP_MAX_BYTES=1000"):
            request_bytes(urllib.request.Request(f"{base}/big"), timeout=5)
        monkeypatch.setenv("LDNGRAPH_HTTP_MAX_BYTES", "5000")
        assert request_bytes(urllib.request.Request(f"{base}/big"), timeout=5) == b"y" * 5000


def test_redirect_to_another_port_is_refused_same_origin_followed() -> None:
    with serving() as base, serving() as other:
        Handler.target = f"{other}/ok"
        with pytest.raises(RedirectRefused, match="another host or port"):
            request_bytes(urllib.request.Request(f"{base}/redirect-away", data=b"q=1"), timeout=5)
        assert b"results" in request_bytes(urllib.request.Request(f"{base}/redirect-here"), timeout=5)
        store = EndpointStore(f"{base}/redirect-away")
        with pytest.raises(StoreError, match=r"redirect to .* refused"):
            store.query("SELECT * WHERE { ?s ?p ?o }")
