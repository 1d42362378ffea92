"""What every store is: the protocol that the local stores (:mod:`ldngraph.stores.store`) and SPARQL
endpoints (:mod:`ldngraph.stores.endpoint`) both implement, their query result, and the helpers they
share (the query time limit, reading triples into pyoxigraph terms).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rdflib import Graph

from ldngraph.errors import QueryError, StoreError
from ldngraph.limits import QUERY_SECONDS
from ldngraph.rdf.build import Triple, from_rdflib_term
from ldngraph.rdf.sparql import Bindings, Term, to_python


@dataclass(frozen=True)
class QueryRows:
    """A SELECT result: column names and rows of rdflib terms (None where a column is unbound)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Term | None, ...]]:
        return iter(self.rows)

    def canonical(self, digits: int = 9) -> list[tuple[str | float | bool | None, ...]]:
        """Rows as sorted tuples of plain values, floats to ``digits`` significant digits.

        Sorted because engines may order ties differently; compare ORDER BY keys separately.
        Virtuoso 7.2 writes doubles with 6 significant digits, so compare with it at ``digits=6``.
        """
        rows = [
            tuple(float(f"{v:.{digits}g}") if isinstance(v, float) else v for v in map(to_python, row))
            for row in self.rows
        ]
        return sorted(rows, key=repr)

    def to_python(self) -> list[dict[str, Any]]:
        """Rows as dicts of plain Python values (see :func:`to_python`)."""
        return [dict(zip(self.columns, (to_python(t) for t in row), strict=True)) for row in self.rows]


@dataclass(frozen=True)
class ReplaceReport:
    """What :meth:`GraphStore.replace` did."""

    triples: int | None  # triples the store holds afterwards (None: the server did not answer the count)
    notes: tuple[str, ...] = ()  # what happened on the way, e.g. a lost reply and what the server said


class GraphStore(Protocol):
    """What every backend offers."""

    spec: str

    def load(self, graph: Graph) -> None:
        """Add every triple of ``graph``."""

    def add_triples(self, triples: Iterable[Triple]) -> None:
        """Add triples made of pyoxigraph terms (see :mod:`ldngraph.rdf.build`)."""

    def add_ntriples(self, data: str) -> None:
        """Add triples given as N-Triples text (parsed by a library parser, never pasted anywhere)."""

    def query(self, text: str, bindings: Bindings | None = None) -> QueryRows:
        """Run a SELECT query with ``bindings`` bound to its variables."""

    def clear(self) -> None:
        """Remove every triple this store holds (for an endpoint: its named graph)."""

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> ReplaceReport:
        """Replace the content (``append``: add to it) with the triples of ``chunks``, all or nothing.

        If a chunk fails to load (or the chunk iterator raises), the store keeps its previous
        content and the error propagates.
        """

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class _Stop(Exception):
    """Raised inside a query thread that went past the time limit."""


def within_time_limit(run: Callable[[], QueryRows], spec: str) -> QueryRows:
    """``run()`` (a query), or :class:`QueryError` once it has taken :data:`QUERY_SECONDS`.

    The query runs in a daemon thread: pyoxigraph releases the GIL while it evaluates and rdflib
    yields it, so the caller regains control on time. A query past the limit cannot be stopped
    inside pyoxigraph: its thread is stopped when the engine returns (rdflib's at once; the CLI exits).
    """
    limit = QUERY_SECONDS.get()
    outcome: list[QueryRows] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(run())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=target, name="ldngraph-query", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        # Stop it at its next Python bytecode (rdflib at once; pyoxigraph when its call returns).
        if worker.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_Stop))
        raise QueryError(f"{spec}: the query took longer than the {QUERY_SECONDS.hint()}; simplify it")
    if failure:
        raise failure[0]
    return outcome[0]


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (pyoxigraph's type errors run over several)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def parse_ntriples(data: str, spec: str) -> list[Triple]:
    """Triples of an N-Triples document, read by pyoxigraph's parser."""
    import pyoxigraph as ox

    try:
        return [
            (q.subject, q.predicate, q.object)
            for q in ox.parse(data.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        ]
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"{spec}: could not read N-Triples ({exc})") from None


def from_rdflib_graph(graph: Graph, spec: str) -> list[Triple]:
    """The triples of an rdflib graph as pyoxigraph terms (an invalid IRI is refused, never loaded)."""
    try:
        return [(from_rdflib_term(s), from_rdflib_term(p), from_rdflib_term(o)) for s, p, o in graph]  # type: ignore[misc]
    except ValueError as exc:
        raise StoreError(f"{spec}: the graph holds a term that is not valid RDF ({exc})") from None
