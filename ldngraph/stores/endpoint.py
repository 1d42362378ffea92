"""A remote SPARQL 1.1 endpoint as a graph store (plain HTTP per the SPARQL 1.1 Protocol).

Queries are POSTed as ``query=`` forms and read back as SPARQL JSON results; updates as ``update=``
forms. Loading sends ``INSERT DATA { GRAPH <g> { ... } }`` in chunks of serialised triples (Virtuoso
refuses ``INSERT DATA`` into its default graph: "SP031 No plain default graph specified"), and the
store then queries with ``default-graph-uri=<g>`` so the named graph is the query's default graph.

:meth:`EndpointStore.replace` (``ldngraph push``) never leaves the target graph half-written or
empty, whatever fails on the way: it stages into a temporary named graph and swaps it in with one
guarded request, asks the server which state it is in after any unclear outcome, and reports that
state (see :mod:`ldngraph.stores.swap`). Only idempotent requests (queries, ``INSERT DATA`` of
ground triples, ``DROP``, ``DELETE DATA``) are retried on 502/503/504, timeouts and lost
connections; an update that is not idempotent raises :class:`UnclearOutcome` instead.

Updates go to ``update_url`` (``--update-url``; guessed by :func:`get_update_url` when not given).
Credentials come from the environment (:data:`USER_ENV`, :data:`PASSWORD_ENV`) and answer HTTP
Basic or Digest challenges (Virtuoso's ``/sparql-auth`` uses Digest) from the query and update
URLs only, under the policy of :data:`AUTH_ENV` (:func:`auth_policy_from_env`: ``digest`` or
``digest-or-https`` keep a password from going readable over plain http); they never appear in a
message (:func:`credentials_from_env`). A reply that is not valid HTTP or not SPARQL JSON results
of the expected shape gives one :class:`ldngraph.errors.StoreError` line naming the URL.

Nothing here pastes user text into a query: parameters become a ``VALUES`` block written from typed
rdflib terms (:func:`ldngraph.rdf.sparql.inject_values`), and loaded data arrives as pyoxigraph terms
(:mod:`ldngraph.rdf.build`) and is written by pyoxigraph's N-Triples serialiser, so a value can never
close the ``INSERT DATA`` block and touch another graph (tests/test_endpoint_injection.py).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from ldngraph.errors import QueryError, StoreError
from ldngraph.limits import HTTP_SECONDS, QUERY_SECONDS, Limit, LimitError
from ldngraph.rdf.build import Triple, to_ntriples
from ldngraph.rdf.sparql import IRI_RE, Bindings, Term, check_bindings, inject_values, plain_literal
from ldngraph.stores.protocol import QueryRows, ReplaceReport, first_line, from_rdflib_graph, parse_ntriples
from ldngraph.stores.swap import TMP_GRAPH_PREFIX as TMP_GRAPH_PREFIX  # re-exported
from ldngraph.stores.swap import UnclearOutcome, replace_graph
from ldngraph.web import AUTH_POLICIES, BadReply, Refused, build_opener, request_bytes

#: Triples per INSERT DATA request: small enough for every server's request limits.
CHUNK_TRIPLES = 2000
#: ``--graph default``: use the server's default graph (no GRAPH clause, no default-graph-uri).
DEFAULT_GRAPH = "default"
_RETRIES = 3
#: Seconds before the first retry of an idempotent request, doubled for each next one.
RETRY_BACKOFF = 0.5
#: Environment variables holding the user name and password for an endpoint that asks for them.
USER_ENV = "LDNGRAPH_SPARQL_USER"
PASSWORD_ENV = "LDNGRAPH_SPARQL_PASSWORD"
#: Which HTTP authentication to answer: ``any`` (default), ``digest``, ``digest-or-https``.
AUTH_ENV = "LDNGRAPH_SPARQL_AUTH"
_RESULTS = (
    "expected SPARQL JSON results from a SPARQL 1.1 query endpoint (e.g. http://HOST:8890/sparql, "
    "http://HOST:7878/query)"
)


def credentials_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(user, password)`` from :data:`USER_ENV` and :data:`PASSWORD_ENV`, or None when neither
    is set; one without the other is an error (naming the variable, never its value)."""
    env = os.environ if environ is None else environ
    user, password = env.get(USER_ENV, ""), env.get(PASSWORD_ENV, "")
    if not user and not password:
        return None
    if not user or not password:
        missing = USER_ENV if not user else PASSWORD_ENV
        given = PASSWORD_ENV if not user else USER_ENV
        raise StoreError(f"{given} is set but {missing} is not; set both (or neither) for the endpoint")
    return user, password


def auth_policy_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The auth policy of :data:`AUTH_ENV` (see :data:`ldngraph.web.AUTH_POLICIES`); ``any`` if unset."""
    env = os.environ if environ is None else environ
    value = env.get(AUTH_ENV, "").strip() or "any"
    if value not in AUTH_POLICIES:
        raise StoreError(
            f"{AUTH_ENV}={value[:40]!r}: give any, digest or digest-or-https (digest: answer only HTTP "
            "Digest; digest-or-https: Digest, or Basic over https only)"
        )
    return value


def _check_url(url: str, what: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise StoreError(f"{what} '{url[:200]}' is not an http(s) URL; give e.g. http://HOST:8890/sparql")
    if parts.username is not None or parts.password is not None:
        shown = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
        raise StoreError(
            f"{what} {shown} carries a user name or password; remove it from the URL and set "
            f"{USER_ENV} and {PASSWORD_ENV} instead"
        )
    return url


def _describe(body: bytes) -> str:
    """What a reply that is not the expected one looks like, in a few words (one line)."""
    text = body.decode("utf-8", "replace").strip()
    if re.search(r"(?i)<!doctype\s+html|<html[\s>]|<body[\s>]", text[:2000]):
        return "an HTML page"
    if not text:
        return "an empty reply"
    return "'" + " ".join(text.split())[:160] + "'"


def _json(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise StoreError(
            f"{url}: the reply is JSON nested too deeply to be SPARQL results; {_RESULTS}"
        ) from None
    except ValueError:
        raise StoreError(f"{url}: the reply is {_describe(raw)}, {_RESULTS}") from None


_TERM_TYPES = ("uri", "bnode", "literal", "typed-literal")


def _term(value: Any) -> Term:
    """The rdflib term of one SPARQL JSON term object; ``ValueError`` naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"a term must be an object, got {type(value).__name__}")
    kind, text = value.get("type"), value.get("value")
    if kind not in _TERM_TYPES:
        raise ValueError(f"term type {str(kind)[:40]!r} is not one of {', '.join(_TERM_TYPES)}")
    if not isinstance(text, str):
        raise ValueError(f"a term's value must be a string, got {type(text).__name__}")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    lang, dtype = value.get("xml:lang"), value.get("datatype")
    if (lang is not None and not isinstance(lang, str)) or (dtype is not None and not isinstance(dtype, str)):
        raise ValueError("a literal's xml:lang and datatype must be strings")
    try:
        if lang:
            return Literal(text, lang=lang)
        return plain_literal(Literal(text, datatype=URIRef(dtype)) if dtype else Literal(text))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a valid literal ({first_line(exc)[:80]})") from None


_SELECT = re.compile(
    r"^\s*(?:(?:#[^\n]*|(?:PREFIX|BASE)\s[^\n]*)?\n\s*)*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?", re.I
)


def get_projection(text: str) -> tuple[str, ...] | None:
    """The variables a SELECT query projects, in order (``SELECT ?a (COUNT(?b) AS ?n)``: a, n), or
    None when that cannot be told without a full parser (``SELECT *``, no SELECT at the top)."""
    start = _SELECT.match(text)
    if start is None:
        return None
    names: list[str] = []
    depth, i = 0, start.end()
    while i < len(text):
        char = text[i]
        if char == "(":
            depth += 1
            if depth == 1:
                group = i
        elif char == ")":
            depth -= 1
            if depth == 0:
                found = re.search(r"(?i)\bAS\s+[?$](\w+)\s*$", text[group + 1 : i])
                names += [found.group(1)] if found else []
        elif depth == 0 and char in "?$":
            name = re.match(r"\w+", text[i + 1 :])
            names += [name.group(0)] if name else []
            i += len(name.group(0)) if name else 0
        elif depth == 0 and (char in "{*" or text[i : i + 5].upper() == "WHERE"):
            break
        i += 1
    return tuple(names) if names and char != "*" else None


def parse_results(raw: bytes, url: str, expected: tuple[str, ...] | None = None) -> QueryRows:
    """SPARQL 1.1 Query Results JSON (a SELECT) as :class:`QueryRows`; any other reply, or one of
    the wrong shape (``expected``: the variables the query projects), is a :class:`StoreError`
    naming ``url`` and what is wrong."""
    doc = _json(raw, url)

    def wrong(what: str) -> StoreError:
        return StoreError(f"{url}: the reply is not SPARQL JSON results ({what}); {_RESULTS}")

    head = doc.get("head") if isinstance(doc, dict) else None
    if not isinstance(head, dict):
        raise (
            wrong("no 'head' object")
            if isinstance(doc, dict)
            else StoreError(f"{url}: the reply is {_describe(raw)}, {_RESULTS}")
        )
    columns = head.get("vars", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise wrong("head.vars is not a list of variable names")
    if expected is not None and set(columns) != set(expected):
        shown = ", ".join(c[:40] for c in columns[:10])
        raise wrong(f"head.vars holds {shown or 'nothing'}, the query selects {', '.join(expected)}")
    results = doc.get("results")
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(bindings, list):
        raise wrong("no results.bindings list")
    rows: list[tuple[Term | None, ...]] = []
    for i, binding in enumerate(bindings):
        if not isinstance(binding, dict):
            raise wrong(f"results.bindings[{i}] is not an object")
        row: list[Term | None] = []
        for column in columns:
            try:
                row.append(_term(binding[column]) if column in binding else None)
            except ValueError as exc:
                raise wrong(f"results.bindings[{i}].{column[:40]}: {exc}") from None
        rows.append(tuple(row))
    return QueryRows(tuple(columns), tuple(rows))


def get_update_url(url: str) -> str:
    """Where updates go: Oxigraph server and Fuseki split ``/query`` and ``/update``; GraphDB and
    RDF4J take updates on ``/repositories/ID/statements``; Virtuoso and most others on the same URL."""
    if url.endswith("/query"):
        return url.removesuffix("/query") + "/update"
    if re.search(r"/repositories/[^/]+/?$", url):
        return url.rstrip("/") + "/statements"
    return url


def _refused_connection(exc: BaseException) -> bool:
    """True when the request certainly never reached the server (the connection was refused)."""
    return isinstance(getattr(exc, "reason", exc), ConnectionRefusedError)


class EndpointStore:
    """A SPARQL 1.1 endpoint; ``graph`` is the named graph ldngraph reads and writes (None: default)."""

    def __init__(
        self,
        url: str,
        *,
        graph: str | None = None,
        update_url: str | None = None,
        credentials: tuple[str, str] | None = None,
        timeout: float = 60.0,
        swap_timeout: float | None = None,
    ) -> None:
        self.spec = url
        self.swap_timeout = swap_timeout  # seconds for the swap of a push (None: LDNGRAPH_SWAP_TIMEOUT)
        self.url = _check_url(url, "endpoint")
        self.update_url = _check_url(update_url, "update URL") if update_url else get_update_url(url)
        self._credentials = credentials is not None
        self._opener = None
        if credentials is not None:
            policy = auth_policy_from_env()
            self._opener = build_opener(
                [self.url, self.update_url], *credentials, policy=policy, setting=f"{AUTH_ENV}={policy}"
            )
        self.confirmed_updates = 0  # updates the server confirmed
        self.unclear_updates = 0  # updates whose outcome is unknown (they may have been applied)
        if graph == DEFAULT_GRAPH:
            graph = None
        if graph is not None and not (
            graph.startswith(("http://", "https://", "urn:")) and IRI_RE.match(graph)
        ):
            raise StoreError(
                f"named graph '{graph}' must be an absolute IRI (e.g. https://example.org/ldn) "
                f"or '{DEFAULT_GRAPH}' for the server's default graph"
            )
        self.graph = URIRef(graph) if graph else None
        self.timeout = timeout

    # -- HTTP ---------------------------------------------------------------------------------------

    def _post(
        self,
        url: str,
        form: list[tuple[str, str]],
        accept: str,
        *,
        total: Limit = HTTP_SECONDS,
        timeout: float | None = None,
        idempotent: bool = True,
    ) -> bytes:
        """POST ``form``; an idempotent request is retried on 502/503/504, timeouts, lost
        connections and replies that are not HTTP. A request that is not idempotent is sent once:
        when its outcome is unclear it raises :class:`UnclearOutcome`."""
        body = urllib.parse.urlencode(form).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                "Accept": accept,
                "User-Agent": "ldngraph",
            },
        )
        tries = _RETRIES if idempotent else 1
        is_update = form[0][0] == "update"
        reached = False  # whether an attempt may have reached the server (and been applied)
        for attempt in range(tries):
            status: int | None = None  # HTTP status of a transient failure; 0: not valid HTTP
            try:
                return request_bytes(request, timeout or self.timeout, total=total, opener=self._opener)
            except Refused as exc:
                raise StoreError(f"{url}: {exc.reason}") from None
            except urllib.error.HTTPError as exc:
                reply = exc.read() if exc.fp is not None else b""
                if exc.code not in {502, 503, 504}:
                    self._refused(url, exc.code, reply)  # the server answered: it did not apply it
                reached, status, problem = True, exc.code, f"HTTP {exc.code}: {_describe(reply)}"
            except LimitError as exc:
                reached, problem = True, str(exc).removeprefix(f"{url}: ")
                if idempotent:
                    self.unclear_updates += is_update
                    raise
            except BadReply as exc:
                reached, status, problem = True, 0, str(exc.reason)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reached = reached or not _refused_connection(exc)
                problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
            if attempt + 1 < tries:
                time.sleep(RETRY_BACKOFF * 2**attempt)
                continue
            self.unclear_updates += is_update and reached
            if not idempotent and reached:
                raise UnclearOutcome(f"{url}: {problem}")
            if status == 0:
                raise StoreError(f"{url}: {problem}; check that the URL is a SPARQL endpoint")
            if status is not None:
                raise QueryError(f"{url}: {problem}")
            raise StoreError(
                f"{url}: cannot reach the SPARQL endpoint ({problem}); check the URL and that the "
                "server is running"
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(self, url: str, code: int, reply: bytes) -> None:
        """Raise the error for a reply the server meant: 401, 403 or another failure status."""
        if code == 401 and self._credentials:
            raise StoreError(
                f"{url}: the server refused the user name and password from {USER_ENV} and "
                f"{PASSWORD_ENV} (HTTP 401); check them"
            )
        if code == 401:
            raise StoreError(
                f"{url}: the server asks for a user name and password (HTTP 401); set {USER_ENV} "
                f"and {PASSWORD_ENV} (HTTP Basic or Digest, e.g. for Virtuoso's /sparql-auth)"
            )
        if code == 403:
            raise StoreError(
                f"{url}: the server refused the request (HTTP 403: {_describe(reply)}); grant SPARQL "
                'update rights (Virtuoso: GRANT SPARQL_UPDATE TO "SPARQL") or use an authorised URL'
            )
        raise QueryError(f"{url}: HTTP {code}: {_describe(reply)}")

    def check(self) -> None:
        """Refuse a query URL that does not answer ``ASK {}`` like a SPARQL 1.1 query endpoint (an
        update URL, a Graph Store Protocol ``/store`` URL, a base URL, an HTML page)."""
        expected = (
            "expected a SPARQL 1.1 query endpoint answering SPARQL JSON results (e.g. "
            "http://HOST:8890/sparql, http://HOST:7878/query); give the query URL with --endpoint "
            "and the update URL with --update-url"
        )
        try:
            raw = self._post(self.url, [("query", "ASK {}")], "application/sparql-results+json")
        except QueryError as exc:
            raise StoreError(f"{exc}; {expected}") from None
        try:
            answer = json.loads(raw)["boolean"]
        except (ValueError, KeyError, TypeError, RecursionError):
            answer = None
        if not isinstance(answer, bool):
            raise StoreError(f"{self.url}: the reply is {_describe(raw)}, {expected}")

    def ask(self, text: str) -> bool:
        """An ASK query on the whole dataset (no default-graph-uri)."""
        raw = self._post(self.url, [("query", text)], "application/sparql-results+json")
        doc = _json(raw, self.url)
        answer = doc.get("boolean") if isinstance(doc, dict) else None
        if not isinstance(answer, bool):
            raise StoreError(f"{self.url}: the reply is {_describe(raw)}, expected a SPARQL JSON boolean")
        return answer

    def update(
        self,
        text: str,
        *,
        idempotent: bool = False,
        timeout: float | None = None,
        total: Limit = HTTP_SECONDS,
    ) -> None:
        """Run a SPARQL 1.1 Update request: sent once, unless the caller says it is ``idempotent``
        (then retried on transient failures)."""
        self._post(
            self.update_url, [("update", text)], "*/*", idempotent=idempotent, timeout=timeout, total=total
        )
        self.confirmed_updates += 1

    def count(self, graph: ox.NamedNode | None = None) -> int:
        """The number of triples in ``graph`` (None: this store's graph)."""
        if graph is not None:
            rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}", None)
        else:
            rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        value = rows.rows[0][0] if rows.rows and rows.rows[0] else None
        try:
            return int(str(value)) if value is not None else 0
        except ValueError:
            raise StoreError(
                f"{self.url}: the server's count is '{str(value)[:40]}', not a whole number; is it a "
                "SPARQL endpoint?"
            ) from None

    # -- GraphStore API -----------------------------------------------------------------------------

    def query(self, text: str, bindings: Bindings | None = None) -> QueryRows:
        check_bindings(bindings)
        return self._select(inject_values(text, bindings), self.graph)

    def _select(self, text: str, default_graph: URIRef | None) -> QueryRows:
        form = [("query", text)]
        if default_graph is not None:
            form.append(("default-graph-uri", str(default_graph)))
        raw = self._post(self.url, form, "application/sparql-results+json", total=QUERY_SECONDS)
        return parse_results(raw, self.url, get_projection(text))

    def load(self, graph: Graph) -> None:
        self.add_triples(from_rdflib_graph(graph, self.spec))

    def add_triples(self, triples: Iterable[Triple]) -> None:
        self.insert(triples, self.graph)

    def add_ntriples(self, data: str) -> None:
        self.add_triples(parse_ntriples(data, self.spec))

    def insert(self, triples: Iterable[Triple], graph: URIRef | ox.NamedNode | None) -> None:
        """``INSERT DATA`` requests of :data:`CHUNK_TRIPLES` triples each, the data block written by
        pyoxigraph's N-Triples serialiser from typed terms: an IRI was checked when its term was
        made and every literal is escaped by the library, so no value can end the block. Triples
        with blank nodes go in one request of their own, which is never retried (a repeat would
        add a second copy of them)."""
        chunk: list[Triple] = []
        blank: list[Triple] = []  # blank node labels are scoped to one request: keep them together
        for triple in triples:
            (blank if any(isinstance(t, ox.BlankNode) for t in triple) else chunk).append(triple)
            if len(chunk) >= CHUNK_TRIPLES:
                self._insert_data(chunk, graph, idempotent=True)
                chunk = []
        if chunk:
            self._insert_data(chunk, graph, idempotent=True)
        if blank:
            self._insert_data(blank, graph, idempotent=False)

    def _insert_data(
        self, triples: list[Triple], graph: URIRef | ox.NamedNode | None, *, idempotent: bool
    ) -> None:
        try:
            data = to_ntriples(triples).decode("utf-8")
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.spec}: could not write the triples ({first_line(exc)})") from None
        if graph is not None:
            name = graph if isinstance(graph, ox.NamedNode) else ox.NamedNode(str(graph))
            self.update(f"INSERT DATA {{ GRAPH {name} {{\n{data}}} }}", idempotent=idempotent)
        else:
            self.update(f"INSERT DATA {{\n{data}}}", idempotent=idempotent)

    def clear(self) -> None:
        drop = f"DROP SILENT GRAPH {self.graph.n3()}" if self.graph is not None else "CLEAR DEFAULT"
        self.update(drop, idempotent=True)

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> ReplaceReport:
        """Stage into a temporary named graph, then swap it onto the target (``append``: add it)
        with one guarded request; see :mod:`ldngraph.stores.swap` for the protocol and for what
        is reported after a fault."""
        return replace_graph(self, chunks, append=append)

    def __len__(self) -> int:
        return self.count()

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""
