"""One HTTP request, bounded: total time, reply size, http(s) only, and careful redirects and auth.

Used by the E-utilities client and the SPARQL endpoint store. ``urlopen``'s ``timeout`` bounds
each socket wait, not the request: a server that drips a byte every few seconds kept ``fetch``
running far past ``--timeout``. Here the body is read in pieces against a deadline
(:data:`ldngraph.limits.HTTP_SECONDS`) and a size cap (:data:`ldngraph.limits.HTTP_BYTES`).

Refused (:class:`Refused`, never retried): a URL that is not http(s) (urllib would read a
``file://`` URL from the local disk); a redirect to another scheme, host or port (a POST turned
into a GET on another server, whose reply was then parsed); a 301/302/303 in reply to a POST, even
on the same server (urllib would repeat it as a GET without its body: the query or update is lost
and the reply to something else is read), while a same-origin 307/308 is followed with its method
and body; an authentication challenge urllib cannot answer (a Digest algorithm other than MD5 and
SHA, ``qop=auth-int``, a scheme that is neither Basic nor Digest, a challenge that does not parse);
and, under an auth policy that forbids it, HTTP Basic (:data:`AUTH_POLICIES`). A reply that is not
valid HTTP (a bad status line, a header line over 64 KB, more than 100 headers, a body cut short)
raises :class:`BadReply` instead of one of http.client's own exceptions.
"""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from ldngraph.limits import HTTP_BYTES, HTTP_SECONDS, Limit, LimitError

log = logging.getLogger(__name__)

#: ``any``: answer Basic or Digest, as the server asks; ``digest``: Digest only;
#: ``digest-or-https``: Digest, or Basic over https only (never a readable password on plain http).
AUTH_POLICIES = ("any", "digest", "digest-or-https")


class Refused(urllib.error.URLError):
    """A request ldngraph will not make or a reply it will not follow; never retried."""


class RedirectRefused(Refused):
    """A redirect to another scheme, host or port, or one that would turn a POST into a GET."""


class AuthRefused(Refused):
    """An authentication challenge that cannot or may not be answered."""


class BadReply(urllib.error.URLError):
    """The server's reply is not valid HTTP (status line, headers, or a body cut short)."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        try:
            same = _origin(newurl) == _origin(req.full_url)
        except ValueError:  # e.g. an invalid port or IPv6 literal in the Location header
            same = False
        if not same:
            raise RedirectRefused(
                f"HTTP {code} redirect to {newurl[:200]} (another host or port) refused; use that URL"
            )
        if req.get_method() == "POST":
            if code in (307, 308):  # the method and body are kept, as RFC 9110 says
                return urllib.request.Request(
                    newurl,
                    data=req.data,
                    headers=dict(req.headers),
                    origin_req_host=req.origin_req_host,
                    unverifiable=True,
                    method="POST",
                )
            raise RedirectRefused(
                f"HTTP {code} redirect to {newurl[:200]} would turn the POST into a GET without its "
                "body (the request would be lost); give that URL instead"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any
    ) -> Any:
        try:
            return super().http_error_302(req, fp, code, msg, headers)
        except ValueError:
            location = str(headers.get("location") or headers.get("uri") or "")[:200]
            raise RedirectRefused(f"HTTP {code} redirect to an invalid URL '{location}' refused") from None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _Digest(urllib.request.HTTPDigestAuthHandler):
    """urllib's Digest handler, with a :class:`AuthRefused` for what it cannot answer (its own
    ``ValueError`` escaped as a traceback)."""

    retried: int  # set by urllib's AbstractDigestAuthHandler (not in its type stubs)

    def http_error_auth_reqed(
        self, auth_header: str, host: str, req: urllib.request.Request, headers: Any
    ) -> Any:
        # Every challenge counts, not only the first header (urllib's own raised ValueError on
        # "Negotiate" even when a Digest challenge followed).
        challenges = [str(c) for c in (headers.get_all(auth_header) or [])]
        by_scheme = {(c.split() or [""])[0].lower(): c for c in reversed(challenges)}
        if "digest" in by_scheme:
            if self.retried > 5:
                raise urllib.error.HTTPError(req.full_url, 401, "digest auth failed", headers, None)
            self.retried += 1
            return self.retry_http_digest_auth(req, by_scheme["digest"])
        if "basic" in by_scheme or not challenges:
            return None  # the Basic handler answers (or there is nothing to answer)
        schemes = ", ".join(sorted({(c.split() or ["?"])[0][:40] for c in challenges}))
        raise AuthRefused(
            f"the server asks for HTTP {schemes} authentication; ldngraph answers only Basic and Digest"
        )

    def retry_http_digest_auth(self, req: urllib.request.Request, auth: str) -> Any:
        try:
            _, challenge = auth.split(" ", 1)
            fields = urllib.request.parse_keqv_list(
                [x for x in urllib.request.parse_http_list(challenge) if x]
            )
        except ValueError:
            raise AuthRefused(f"the server's HTTP Digest challenge does not parse ('{auth[:80]}')") from None
        if "realm" not in fields or "nonce" not in fields:
            raise AuthRefused(f"the server's HTTP Digest challenge has no realm or nonce ('{auth[:80]}')")
        qop = fields.get("qop")
        if qop and "auth" not in [q.strip() for q in qop.split(",")]:
            raise AuthRefused(
                f"the server asks for HTTP Digest with qop '{qop[:40]}'; ldngraph answers qop 'auth' only"
            )
        return super().retry_http_digest_auth(req, auth)

    def get_algorithm_impls(self, algorithm: str) -> Any:
        try:
            return super().get_algorithm_impls(algorithm)
        except ValueError:
            raise AuthRefused(
                f"the server asks for HTTP Digest with algorithm '{algorithm[:40]}'; ldngraph (urllib) "
                "answers MD5 and SHA only"
            ) from None


class _Basic(urllib.request.HTTPBasicAuthHandler):
    """urllib's Basic handler under an auth policy (:data:`AUTH_POLICIES`)."""

    def __init__(self, manager: urllib.request.HTTPPasswordMgr, policy: str, setting: str) -> None:
        super().__init__(manager)
        self.policy, self.setting = policy, setting
        self.warned = False

    def http_error_auth_reqed(
        self, authreq: str, host: str, req: urllib.request.Request, headers: Any
    ) -> Any:
        try:
            return super().http_error_auth_reqed(authreq, host, req, headers)
        except ValueError:  # a scheme urllib does not know; the Digest handler names it first
            raise AuthRefused(
                "the server asks for an HTTP authentication scheme ldngraph does not answer"
            ) from None

    def retry_http_basic_auth(self, host: str, req: urllib.request.Request, realm: str) -> Any:
        https = urllib.parse.urlsplit(req.full_url).scheme == "https"
        if self.policy == "digest":
            raise AuthRefused(
                f"the server asks for HTTP Basic, which sends the password readable; {self.setting} allows "
                "only Digest: have the server ask for Digest, or allow Basic over https with digest-or-https"
            )
        if self.policy == "digest-or-https" and not https:
            raise AuthRefused(
                f"the server asks for HTTP Basic over plain http, which sends the password readable to "
                f"anyone on the path; {self.setting} allows Basic only over https: use the https URL"
            )
        if not https and not self.warned:
            self.warned = True  # once per opener (urllib answers every request's challenge anew)
            log.warning(
                "sending the password with HTTP Basic over plain http to %s (readable on the path); "
                "set %s to refuse",
                host,
                self.setting.split("=", 1)[0] + "=digest-or-https",
            )
        return super().retry_http_basic_auth(host, req, realm)


_OPENER = urllib.request.build_opener(_SameOriginRedirects())


def build_opener(
    urls: list[str], user: str, password: str, *, policy: str = "any", setting: str = "auth policy"
) -> urllib.request.OpenerDirector:
    """An opener with the same redirect rule that answers HTTP Basic and Digest challenges from
    ``urls`` (and paths below them) only, under ``policy`` (one of :data:`AUTH_POLICIES`; ``setting``
    names where it came from, for messages): the credentials are never offered to another host."""
    if policy not in AUTH_POLICIES:
        raise ValueError(f"unknown auth policy {policy!r}")
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, urls, user, password)
    return urllib.request.build_opener(
        _SameOriginRedirects(),
        _Digest(manager),  # tried first (handler_order 490)
        _Basic(manager, policy, setting),
    )


def request_bytes(
    request: urllib.request.Request,
    timeout: float,
    *,
    total: Limit = HTTP_SECONDS,
    opener: urllib.request.OpenerDirector | None = None,
) -> bytes:
    """The reply body of ``request``; raises ``HTTPError``/``URLError`` like ``urlopen`` (with
    :class:`Refused` and :class:`BadReply` among the latter), and
    :class:`ldngraph.limits.LimitError` past the ``total`` time limit or the size limit."""
    scheme = urllib.parse.urlsplit(request.full_url).scheme
    if scheme not in {"http", "https"}:
        raise Refused(f"'{request.full_url[:200]}' is not an http(s) URL; only http and https are fetched")
    seconds = total.get()
    deadline = time.monotonic() + seconds
    timeout = min(timeout, seconds)
    cap = HTTP_BYTES.as_int()
    try:
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
    except http.client.RemoteDisconnected:
        raise  # a ConnectionResetError too: the connection closed before any reply
    except http.client.IncompleteRead as exc:
        raise BadReply(f"the reply was cut short ({len(exc.partial)} bytes read)") from None
    except http.client.HTTPException as exc:
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise BadReply(f"not a valid HTTP reply ({type(exc).__name__}: {detail})") from None
