"""A remote SPARQL 1.1 endpoint as a graph store (plain HTTP per the SPARQL 1.1 Protocol).

Queries are POSTed as ``query=`` forms and read back as SPARQL JSON results; updates as ``update=``
forms. Loading sends ``INSERT DATA { GRAPH <g> { ... } }`` in chunks of serialised triples (Virtuoso
refuses ``INSERT DATA`` into its default graph: "SP031 No plain default graph specified"), and the
store then queries with ``default-graph-uri=<g>`` so the named graph is the query's default graph.

:meth:`EndpointStore.replace` (``ldngraph push``) never leaves the target graph half-written: it
loads into a temporary named graph ``urn:ldngraph:tmp:<uuid>``, then ``MOVE``s (or, to append,
``ADD``s) it onto the target in one SPARQL 1.1 Update request; on failure the temporary graph is
dropped and the target keeps its previous content (checked against Virtuoso 7.2 in the tests).

Nothing here pastes user text into a query: parameters become a ``VALUES`` block written from typed
rdflib terms (:func:`ldngraph.sparql.inject_values`), and loaded data arrives as pyoxigraph terms
(:mod:`ldngraph.build`) and is written by pyoxigraph's N-Triples serialiser, so a value can never
close the ``INSERT DATA`` block and touch another graph (tests/test_endpoint_injection.py).
"""

from __future__ import annotations

import json
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

from ldngraph.build import Triple, to_ntriples
from ldngraph.errors import QueryError, StoreError
from ldngraph.limits import HTTP_SECONDS, QUERY_SECONDS, Limit
from ldngraph.sparql import IRI_RE, Bindings, Term, check_bindings, inject_values, plain_literal
from ldngraph.store import QueryRows, first_line, from_rdflib_graph, parse_ntriples
from ldngraph.web import RedirectRefused, request_bytes

#: Triples per INSERT DATA request: small enough for every server's request limits.
CHUNK_TRIPLES = 2000
#: ``--graph default``: use the server's default graph (no GRAPH clause, no default-graph-uri).
DEFAULT_GRAPH = "default"
#: Prefix of the temporary named graphs a replace loads into.
TMP_GRAPH_PREFIX = "urn:ldngraph:tmp:"
_RETRIES = 3


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
        timeout: float = 60.0,
    ) -> None:
        self.spec = url
        self.url = url
        self.update_url = update_url or get_update_url(url)
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
        self, url: str, form: list[tuple[str, str]], accept: str, *, total: Limit = HTTP_SECONDS
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
                return request_bytes(request, self.timeout, total=total)
            except RedirectRefused as exc:
                raise StoreError(f"{url}: {exc.reason}") from None
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace").strip().replace("\n", " ")[:300]
                if exc.code in {502, 503, 504} and attempt + 1 < _RETRIES:
                    time.sleep(0.5 * 2**attempt)
                    continue
                if exc.code in {401, 403}:
                    raise StoreError(
                        f"{url}: the server refused the request (HTTP {exc.code}: {detail}); grant SPARQL "
                        'update rights (Virtuoso: GRANT SPARQL_UPDATE TO "SPARQL") or use an authorised URL'
                    ) from None
                raise QueryError(f"{url}: HTTP {exc.code}: {detail}") from None
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

    def update(self, text: str) -> None:
        """Run a SPARQL 1.1 Update request."""
        self._post(self.update_url, [("update", text)], "*/*")

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
                f"{self.url}: the answer is not SPARQL JSON results (is this a SPARQL endpoint URL?)"
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
        """Load into a temporary named graph, then MOVE (``append``: ADD) it onto the target."""
        tmp = URIRef(f"{TMP_GRAPH_PREFIX}{uuid.uuid4()}")
        target = f"GRAPH {self.graph.n3()}" if self.graph is not None else "DEFAULT"
        name = self.graph.n3() if self.graph is not None else "the default graph"
        try:
            for chunk in chunks:
                self._insert(chunk, tmp)
            self.update(f"{'ADD' if append else 'MOVE'} GRAPH {tmp.n3()} TO {target}")
        except BaseException as exc:
            try:
                self.update(f"DROP SILENT GRAPH {tmp.n3()}")
                left = ""
            except (QueryError, StoreError):
                left = f"; drop the temporary graph {tmp.n3()} by hand"
            if isinstance(exc, QueryError | StoreError):
                kept = f"nothing changed: {name} keeps its previous content{left}"
                raise StoreError(f"{exc} ({kept})") from None
            raise
        if append:
            self.update(f"DROP SILENT GRAPH {tmp.n3()}")

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(str(rows.rows[0][0])) if rows.rows and rows.rows[0][0] is not None else 0

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""
