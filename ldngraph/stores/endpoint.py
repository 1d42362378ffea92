"""A remote SPARQL 1.1 endpoint as a graph store (plain HTTP per the SPARQL 1.1 Protocol).

Queries are POSTed as ``query=`` forms and read back as SPARQL JSON results; updates as ``update=``
forms. Loading sends ``INSERT DATA { GRAPH <g> { ... } }`` in chunks of serialised triples (Virtuoso
refuses ``INSERT DATA`` into its default graph: "SP031 No plain default graph specified"), and the
store then queries with ``default-graph-uri=<g>`` so the named graph is the query's default graph.

:meth:`EndpointStore.replace` (``ldngraph push``) never leaves the target graph half-written: it
loads into a temporary named graph ``urn:ldngraph:tmp:<uuid>``, then ``MOVE``s (or, to append,
``ADD``s) it onto the target in one SPARQL 1.1 Update request; on failure the temporary graph is
dropped and the target keeps its previous content (checked against Virtuoso 7.2 in the tests).
Before writing, ``replace`` asks the query URL ``ASK {}`` and refuses a URL that does not answer
SPARQL JSON (an update URL, a Graph Store Protocol ``/store`` URL, a base URL, an HTML page); an
update URL that refuses the first ``INSERT DATA`` is reported with "nothing was written".

Updates go to ``update_url`` (``--update-url``; guessed by :func:`get_update_url` when not given).
Credentials come from the environment (:data:`USER_ENV`, :data:`PASSWORD_ENV`) and answer HTTP
Basic or Digest challenges (Virtuoso's ``/sparql-auth`` uses Digest) from the query and update
URLs only; they never appear in a message (:func:`credentials_from_env`).

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
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from ldngraph.errors import QueryError, StoreError
from ldngraph.limits import HTTP_SECONDS, QUERY_SECONDS, Limit
from ldngraph.rdf.build import Triple, to_ntriples
from ldngraph.rdf.sparql import IRI_RE, Bindings, Term, check_bindings, inject_values, plain_literal
from ldngraph.stores.protocol import QueryRows, first_line, from_rdflib_graph, parse_ntriples
from ldngraph.web import RedirectRefused, build_opener, request_bytes

#: Triples per INSERT DATA request: small enough for every server's request limits.
CHUNK_TRIPLES = 2000
#: ``--graph default``: use the server's default graph (no GRAPH clause, no default-graph-uri).
DEFAULT_GRAPH = "default"
#: Prefix of the temporary named graphs a replace loads into.
TMP_GRAPH_PREFIX = "urn:ldngraph:tmp:"
_RETRIES = 3
#: Environment variables holding the user name and password for an endpoint that asks for them.
USER_ENV = "LDNGRAPH_SPARQL_USER"
PASSWORD_ENV = "LDNGRAPH_SPARQL_PASSWORD"


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


def _term(value: Mapping[str, Any]) -> Term:
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in {"literal", "typed-literal"}:
        if value.get("xml:lang"):
            return Literal(text, lang=value["xml:lang"])
        dtype = value.get("datatype")
        term = Literal(text, datatype=URIRef(dtype)) if dtype else Literal(text)
        return plain_literal(term)
    raise StoreError(f"unexpected term type '{kind}' in SPARQL JSON results")


def get_update_url(url: str) -> str:
    """Where updates go: Oxigraph server and Fuseki split ``/query`` and ``/update``; GraphDB and
    RDF4J take updates on ``/repositories/ID/statements``; Virtuoso and most others on the same URL."""
    if url.endswith("/query"):
        return url.removesuffix("/query") + "/update"
    if re.search(r"/repositories/[^/]+/?$", url):
        return url.rstrip("/") + "/statements"
    return url


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
    ) -> None:
        self.spec = url
        self.url = _check_url(url, "endpoint")
        self.update_url = _check_url(update_url, "update URL") if update_url else get_update_url(url)
        self._credentials = credentials is not None
        self._opener = (
            build_opener([self.url, self.update_url], *credentials) if credentials is not None else None
        )
        self._updates = 0
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
    ) -> bytes:
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
        for attempt in range(_RETRIES):
            try:
                return request_bytes(request, self.timeout, total=total, opener=self._opener)
            except RedirectRefused as exc:
                raise StoreError(f"{url}: {exc.reason}") from None
            except urllib.error.HTTPError as exc:
                reply = exc.read() if exc.fp is not None else b""
                if exc.code in {502, 503, 504} and attempt + 1 < _RETRIES:
                    time.sleep(0.5 * 2**attempt)
                    continue
                if exc.code == 401 and self._credentials:
                    raise StoreError(
                        f"{url}: the server refused the user name and password from {USER_ENV} and "
                        f"{PASSWORD_ENV} (HTTP 401); check them"
                    ) from None
                if exc.code == 401:
                    raise StoreError(
                        f"{url}: the server asks for a user name and password (HTTP 401); set {USER_ENV} "
                        f"and {PASSWORD_ENV} (HTTP Basic or Digest, e.g. for Virtuoso's /sparql-auth)"
                    ) from None
                if exc.code == 403:
                    raise StoreError(
                        f"{url}: the server refused the request (HTTP 403: {_describe(reply)}); grant SPARQL "
                        'update rights (Virtuoso: GRANT SPARQL_UPDATE TO "SPARQL") or use an authorised URL'
                    ) from None
                raise QueryError(f"{url}: HTTP {exc.code}: {_describe(reply)}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt + 1 < _RETRIES:
                    time.sleep(0.5 * 2**attempt)
                    continue
                reason = getattr(exc, "reason", exc)
                raise StoreError(
                    f"{url}: cannot reach the SPARQL endpoint ({reason}); check the URL and that the "
                    "server is running"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _ask(self, text: str) -> bool:
        """An ASK query on the whole dataset (no default-graph-uri); raises when the query URL
        does not answer like a SPARQL 1.1 query endpoint."""
        expected = (
            "expected a SPARQL 1.1 query endpoint answering SPARQL JSON results (e.g. "
            "http://HOST:8890/sparql, http://HOST:7878/query); give the query URL with --endpoint "
            "and the update URL with --update-url"
        )
        try:
            raw = self._post(self.url, [("query", text)], "application/sparql-results+json")
        except QueryError as exc:
            raise StoreError(f"{exc}; {expected}") from None
        try:
            answer = json.loads(raw)["boolean"]
        except (ValueError, KeyError, TypeError):
            raise StoreError(f"{self.url}: the reply is {_describe(raw)}, {expected}") from None
        if not isinstance(answer, bool):
            raise StoreError(f"{self.url}: the reply is {_describe(raw)}, {expected}")
        return answer

    def update(self, text: str) -> None:
        """Run a SPARQL 1.1 Update request."""
        self._post(self.update_url, [("update", text)], "*/*")
        self._updates += 1

    # -- GraphStore API -----------------------------------------------------------------------------

    def query(self, text: str, bindings: Bindings | None = None) -> QueryRows:
        check_bindings(bindings)
        form = [("query", inject_values(text, bindings))]
        if self.graph is not None:
            form.append(("default-graph-uri", str(self.graph)))
        raw = self._post(self.url, form, "application/sparql-results+json", total=QUERY_SECONDS)
        try:
            doc = json.loads(raw)
            columns = tuple(doc["head"].get("vars", []))
            bindings_list = doc["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                f"{self.url}: the reply is {_describe(raw)}, expected SPARQL JSON results from a SPARQL "
                "1.1 query endpoint (e.g. http://HOST:8890/sparql, http://HOST:7878/query)"
            ) from None
        rows = tuple(tuple(_term(b[c]) if c in b else None for c in columns) for b in bindings_list)
        return QueryRows(columns, rows)

    def load(self, graph: Graph) -> None:
        self.add_triples(from_rdflib_graph(graph, self.spec))

    def add_triples(self, triples: Iterable[Triple]) -> None:
        self._insert(triples, self.graph)

    def add_ntriples(self, data: str) -> None:
        self.add_triples(parse_ntriples(data, self.spec))

    def _insert(self, triples: Iterable[Triple], graph: URIRef | None) -> None:
        """``INSERT DATA`` requests of :data:`CHUNK_TRIPLES` triples each, the data block written by
        pyoxigraph's N-Triples serialiser from typed terms: an IRI was checked when its term was
        made and every literal is escaped by the library, so no value can end the block."""
        chunk: list[Triple] = []
        blank: list[Triple] = []  # blank node labels are scoped to one request: keep them together
        for triple in triples:
            (blank if any(isinstance(t, ox.BlankNode) for t in triple) else chunk).append(triple)
            if len(chunk) >= CHUNK_TRIPLES:
                self._insert_data(chunk, graph)
                chunk = []
        for rest in (chunk, blank):
            if rest:
                self._insert_data(rest, graph)

    def _insert_data(self, triples: list[Triple], graph: URIRef | None) -> None:
        try:
            data = to_ntriples(triples).decode("utf-8")
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.spec}: could not write the triples ({first_line(exc)})") from None
        if graph is not None:
            self.update(f"INSERT DATA {{ GRAPH {ox.NamedNode(str(graph))} {{\n{data}}} }}")
        else:
            self.update(f"INSERT DATA {{\n{data}}}")

    def clear(self) -> None:
        self.update(f"DROP SILENT GRAPH {self.graph.n3()}" if self.graph is not None else "CLEAR DEFAULT")

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> None:
        """Load into a temporary named graph, then MOVE (``append``: ADD) it onto the target.

        The query URL is checked first (``ASK {}``), and the loaded temporary graph is checked to
        be there before the MOVE, so a wrong update URL that answers 200 writes nothing."""
        tmp = URIRef(f"{TMP_GRAPH_PREFIX}{uuid.uuid4()}")
        target = f"GRAPH {self.graph.n3()}" if self.graph is not None else "DEFAULT"
        name = self.graph.n3() if self.graph is not None else "the default graph"
        before = self._updates
        expected = (
            "expected a SPARQL 1.1 Update endpoint taking POSTed update= forms (Oxigraph server: "
            "/update, Fuseki: /DATASET/update, Virtuoso: /sparql or /sparql-auth); give it with "
            "--update-url"
        )
        try:
            self._ask("ASK {}")
            sent = False
            for chunk in chunks:
                sent = sent or bool(chunk)
                try:
                    self._insert(chunk, tmp)
                except QueryError as exc:
                    if self._updates == before:  # the very first INSERT DATA was refused
                        raise StoreError(f"{exc}; {expected}") from None
                    raise
            if sent and not self._ask(f"ASK {{ GRAPH {tmp.n3()} {{ ?s ?p ?o }} }}"):
                raise StoreError(
                    f"{self.update_url}: the updates were accepted but their triples are not in "
                    f"{self.url}; expected the SPARQL 1.1 Update endpoint of that store (Oxigraph "
                    "server: /update, Virtuoso: /sparql or /sparql-auth); give it with --update-url"
                )
            self.update(f"{'ADD' if append else 'MOVE'} GRAPH {tmp.n3()} TO {target}")
        except BaseException as exc:
            if self._updates == before:
                left = "nothing was written"
            else:
                try:
                    self.update(f"DROP SILENT GRAPH {tmp.n3()}")
                    left = "nothing changed"
                except (QueryError, StoreError):
                    left = f"nothing changed; drop the temporary graph {tmp.n3()} by hand"
            if isinstance(exc, QueryError | StoreError):
                raise StoreError(f"{exc} ({left}: {name} keeps its previous content)") from None
            raise
        if append:
            self.update(f"DROP SILENT GRAPH {tmp.n3()}")

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(str(rows.rows[0][0])) if rows.rows and rows.rows[0][0] is not None else 0

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""
