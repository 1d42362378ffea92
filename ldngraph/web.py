"""One HTTP request, bounded: total time, reply size, and no redirect to another host or port.

Used by the E-utilities client and the SPARQL endpoint store. ``urlopen``'s ``timeout`` bounds
each socket wait, not the request: a server that drips a byte every few seconds kept ``fetch``
running far past ``--timeout``. Here the body is read in pieces against a deadline
(:data:`ldngraph.limits.HTTP_SECONDS`) and a size cap (:data:`ldngraph.limits.HTTP_BYTES`), and a
redirect is followed only to the same scheme, host and port (a POST turned into a GET on another
server, whose reply was then parsed, is refused).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from ldngraph.limits import HTTP_BYTES, HTTP_SECONDS, Limit, LimitError


class RedirectRefused(urllib.error.URLError):
    """A redirect to another scheme, host or port."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            raise RedirectRefused(
                f"HTTP {code} redirect to {newurl[:200]} (another host or port) refused; use that URL"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOriginRedirects())


def build_opener(urls: list[str], user: str, password: str) -> urllib.request.OpenerDirector:
    """An opener with the same redirect rule that answers HTTP Basic and Digest challenges from
    ``urls`` (and paths below them) only: the credentials are never offered to another host."""
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, urls, user, password)
    return urllib.request.build_opener(
        _SameOriginRedirects(),
        urllib.request.HTTPDigestAuthHandler(manager),  # tried first (handler_order 490)
        urllib.request.HTTPBasicAuthHandler(manager),
    )


def request_bytes(
    request: urllib.request.Request,
    timeout: float,
    *,
    total: Limit = HTTP_SECONDS,
    opener: urllib.request.OpenerDirector | None = None,
) -> bytes:
    """The reply body of ``request``; raises ``HTTPError``/``URLError`` like ``urlopen``, and
    :class:`ldngraph.limits.LimitError` past the ``total`` time limit or the size limit."""
    seconds = total.get()
    deadline = time.monotonic() + seconds
    timeout = min(timeout, seconds)
    cap = HTTP_BYTES.as_int()
    with (opener or _OPENER).open(request, timeout=timeout) as reply:
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise LimitError(f"{request.full_url}: the reply took longer than the {total.hint()}")
            chunk = reply.read1(1 << 16)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > cap:
                raise LimitError(f"{request.full_url}: a reply larger than the {HTTP_BYTES.hint()}")
            chunks.append(chunk)
