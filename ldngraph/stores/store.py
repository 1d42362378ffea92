"""Graph stores behind one spec string: ``memory``, ``oxigraph``, ``oxigraph:PATH`` or a SPARQL URL.

* ``auto`` (the default of ``ldngraph query``): ``memory`` for graphs of at most
  :data:`AUTO_OXIGRAPH_TRIPLES` triples, ``oxigraph`` above (see :func:`resolve_auto`).
* ``memory``: rdflib's own in-memory graph and pure-Python SPARQL engine (fine for the curated
  graph; slower to build and query than a compiled engine on large graphs, see docs/benchmarks.md).
* ``oxigraph``: a pyoxigraph ``Store`` in memory (pyoxigraph is called directly: going through
  oxrdflib costs 5-7x in term conversion on big result sets, see the design field notes).
* ``oxigraph:PATH``: the same, persisted in the directory PATH.
* ``http(s)://...``: any SPARQL 1.1 endpoint (Virtuoso, QLever, GraphDB, Oxigraph server ...),
  see :mod:`ldngraph.stores.endpoint`.

Every store answers :meth:`GraphStore.query` with the same :class:`QueryRows` (rdflib terms), so one
query text gives the same rows everywhere. Parameters are always *bound*, never pasted into the
text: rdflib gets ``initBindings``; Oxigraph and remote endpoints a ``VALUES`` block written from
typed rdflib terms (:func:`inject_values`). pyoxigraph's own ``substitutions`` would be neater but
refuse variables that are not in the SELECT projection, which parameters usually are not.

Replacing a store's content (:meth:`GraphStore.replace`, used by ``ldngraph push``) is all or
nothing: the new triples are loaded beside the old ones (a new rdflib graph, a new Oxigraph store
or directory, a temporary named graph on an endpoint) and swapped in only once all of them loaded.

An on-disk store (``oxigraph:PATH``) is opened read-only by the reading commands (``query``,
``diff``): it may sit on read-only media, and its directory is left exactly as it was. ``push``
refuses a PATH that is a mount point (the new store is built beside PATH and renamed over it),
writes nothing at a new PATH until the new store is complete, and first puts back the previous
store when an earlier push was killed between its two renames (:func:`restore_interrupted_swap`).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from ldngraph.errors import QueryError, StoreError
from ldngraph.rdf.build import Triple, to_rdflib_term
from ldngraph.rdf.sparql import (
    Bindings,
    check_bindings,
    from_oxigraph_term,
    inject_values,
    normalise_literal,
)
from ldngraph.stores.disk import (
    STORE_MARKERS,
    check_store_directory,
    is_store_directory,
    remove_stale_staging,
    restore_interrupted_swap,
    swap_directories,
)
from ldngraph.stores.protocol import (
    GraphStore,
    QueryRows,
    ReplaceReport,
    first_line,
    from_rdflib_graph,
    parse_ntriples,
    within_time_limit,
)

if TYPE_CHECKING:
    import pyoxigraph

log = logging.getLogger(__name__)


SPEC_HELP = "memory | oxigraph | oxigraph:PATH | http(s)://HOST/sparql"
#: ``auto`` picks Oxigraph above this many triples. Up to there (the shipped graph has about 5.5k) rdflib
#: answers every shipped query in well under a second and keeps GROUP_CONCAT output stable; above,
#: Oxigraph loads and queries several times faster (docs/benchmarks.md: 5-15x on the paths query).
AUTO_OXIGRAPH_TRIPLES = 20_000


# -- local backends ---------------------------------------------------------------------------------


class MemoryStore:
    """rdflib's in-memory graph and SPARQL engine."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.spec = "memory"
        self.graph = graph if graph is not None else Graph()

    def load(self, graph: Graph) -> None:
        if len(self.graph) == 0:
            for prefix, ns in graph.namespaces():
                self.graph.bind(prefix, ns, override=False)
        self.graph += graph

    def add_triples(self, triples: Iterable[Triple]) -> None:
        add = self.graph.add
        for s, p, o in triples:
            add((to_rdflib_term(s), to_rdflib_term(p), to_rdflib_term(o)))

    def add_ntriples(self, data: str) -> None:
        self.add_triples(parse_ntriples(data, self.spec))

    def query(self, text: str, bindings: Bindings | None = None) -> QueryRows:
        return within_time_limit(lambda: self._query(text, bindings), self.spec)

    def _query(self, text: str, bindings: Bindings | None) -> QueryRows:
        checked = check_bindings(bindings)
        try:
            result = self.graph.query(text, initBindings=checked)
        except Exception as exc:  # rdflib raises ParseException and many others
            raise QueryError(f"SPARQL query failed in the memory store: {exc}") from None
        if result.type != "SELECT":
            raise QueryError(f"only SELECT queries return rows (got {result.type})")
        columns = tuple(str(v) for v in (result.vars or []))
        rows = tuple(tuple(normalise_literal(row[i]) for i in range(len(columns))) for row in result)  # type: ignore[index, arg-type]
        return QueryRows(columns, rows)

    def clear(self) -> None:
        self.graph.remove((None, None, None))

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> ReplaceReport:
        staged = MemoryStore()
        for chunk in chunks:
            try:
                staged.add_triples(chunk)
            except (TypeError, ValueError) as exc:
                raise StoreError(
                    f"{self.spec}: could not load the triples ({first_line(exc)}); nothing changed"
                ) from None
        if not append:
            self.clear()
        self.graph += staged.graph
        return ReplaceReport(len(self.graph))

    def __len__(self) -> int:
        return len(self.graph)

    def close(self) -> None:
        self.graph.close()


class OxigraphStore:
    """A pyoxigraph store, in memory (``path=None``) or persisted in a directory.

    With ``create`` (``push``) PATH is opened read-write, and locked, for as long as the store is
    open; a PATH that does not hold a store yet is left alone until :meth:`replace` puts a complete
    one there. Without ``create`` (``query``, ``diff``) PATH must hold a store, opened read-only.
    """

    def __init__(self, path: Path | None = None, *, create: bool = True) -> None:
        import pyoxigraph as ox

        self.spec = f"oxigraph:{path}" if path else "oxigraph"
        if path is not None and path.is_symlink():
            path = Path(os.path.realpath(path))  # a push rebuilds the target; the link stays
        self.path = path
        self.read_only = path is not None and not create
        self._store: pyoxigraph.Store | None = None
        if path is None:
            self._store = ox.Store()
            return
        check_store_directory(path, self.spec, create=create)
        if create:
            restore_interrupted_swap(path)
            if is_store_directory(path):
                self._store = self._open()
        else:
            self._store = self._open()

    def _open(self) -> pyoxigraph.Store:
        import pyoxigraph as ox

        assert self.path is not None
        try:
            if self.read_only:
                return ox.Store.read_only(str(self.path))
            return ox.Store(str(self.path))
        except OSError as exc:
            fix = (
                "is it an Oxigraph store made by ldngraph push?"
                if self.read_only
                else "pick a writable directory that no other process has open (nothing changed: "
                f"{self.path} keeps its previous content)"
            )
            raise StoreError(
                f"{self.spec}: cannot open the Oxigraph store ({first_line(exc)}); {fix}"
            ) from None

    @property
    def store(self) -> pyoxigraph.Store:
        """The open pyoxigraph store (a new PATH is created on first use outside :meth:`replace`)."""
        if self._store is None:
            self._store = self._open()
        return self._store

    def load(self, graph: Graph) -> None:
        self.add_triples(from_rdflib_graph(graph, self.spec))

    def add_triples(self, triples: Iterable[Triple]) -> None:
        self._bulk_load(self.store, [triples])

    def add_ntriples(self, data: str) -> None:
        self.add_triples(parse_ntriples(data, self.spec))

    def load_ntriples(self, data: str) -> None:
        """Load N-Triples written by ldngraph itself (the build cache) with Oxigraph's own parser."""
        import pyoxigraph as ox

        try:
            self.store.bulk_load(data, ox.RdfFormat.N_TRIPLES)
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreError(f"{self.spec}: could not load the triples ({first_line(exc)})") from None

    def query(self, text: str, bindings: Bindings | None = None) -> QueryRows:
        return within_time_limit(lambda: self._query(text, bindings), self.spec)

    def _query(self, text: str, bindings: Bindings | None) -> QueryRows:
        import pyoxigraph as ox

        try:
            result = self.store.query(inject_values(text, bindings))
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.spec}: query failed ({exc})") from None
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("only SELECT queries return rows")
        columns = tuple(v.value for v in result.variables)
        convert = from_oxigraph_term
        rows = tuple(tuple(convert(solution[i]) for i in range(len(columns))) for solution in result)
        return QueryRows(columns, rows)

    def clear(self) -> None:
        self.store.clear()

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> ReplaceReport:
        """Load into a new store, then swap it in: in memory a new ``Store``, on disk a sibling
        directory renamed over PATH. (A SPARQL ``MOVE`` inside Oxigraph would be one transaction
        too, but measured 71 s and 2.9 GB for 0.9 M triples, against 3.5 s for the bulk load.)
        """
        import pyoxigraph as ox

        if self.path is None:
            staged = ox.Store()
            if append:
                staged.bulk_extend(self.store)
            self._bulk_load(staged, chunks)
            self._store = staged
            return ReplaceReport(len(staged))
        if self.read_only:
            raise StoreError(f"{self.spec}: opened read-only; open it with create=True to replace it")
        remove_stale_staging(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # as pyoxigraph would for PATH itself
        except OSError as exc:
            raise StoreError(
                f"{self.spec}: cannot create {self.path.parent} ({exc.strerror}); pick another PATH"
            ) from None
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        staging = self.path.with_name(f".{self.path.name}.partial-{tag}")
        left = (
            f"{self.path} keeps its previous content"
            if self.path.exists()
            else f"{self.path} was not created"
        )
        try:
            if append and self._store is not None and not self.is_empty():
                self._store.backup(str(staging))  # hard links on the same file system: cheap
            staged = ox.Store(str(staging))
            self._bulk_load(staged, chunks)
            staged.flush()
            triples = len(staged)
            del staged
        except StoreError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(f"{exc}; nothing changed: {left}") from None
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(
                f"{self.spec}: could not build the new store beside it ({first_line(exc)}); "
                f"nothing changed: {left}"
            ) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if self._store is not None:
            self._store.flush()
            self._store = None  # release the RocksDB lock before the directories change places
        try:
            swap_directories(staging, self.path, self.path.with_name(f".{self.path.name}.old-{tag}"))
        except OSError as exc:
            raise StoreError(
                f"{self.spec}: could not put the new store in place ({exc.strerror or first_line(exc)}); "
                f"nothing changed: {left}"
            ) from None
        return ReplaceReport(triples)  # reopened on next use: a full disk cannot fail the push now

    def _bulk_load(self, store: pyoxigraph.Store, chunks: Iterable[Iterable[Triple]]) -> None:
        import pyoxigraph as ox

        quad = ox.Quad
        for chunk in chunks:
            try:
                store.bulk_extend(quad(s, p, o) for s, p, o in chunk)
            except (TypeError, ValueError, OSError) as exc:
                raise StoreError(f"{self.spec}: could not load the triples ({first_line(exc)})") from None

    def __len__(self) -> int:
        return len(self.store)  # counts every quad: 0.7 s at 4.5 M triples on disk

    def is_empty(self) -> bool:
        """True when the store holds no quad; reads one quad, not all (unlike ``len``)."""
        return next(iter(self.store.quads_for_pattern(None, None, None, None)), None) is None

    def close(self) -> None:
        if self._store is not None and self.path is not None and not self.read_only:
            self._store.flush()
        self._store = None


def open_store(
    spec: str,
    *,
    graph: str | None = None,
    timeout: float = 60.0,
    create: bool = True,
    update_url: str | None = None,
    swap_timeout: float | None = None,
) -> GraphStore:
    """Open the store a spec names (see module docs); ``graph`` is the named graph on an endpoint.

    ``oxigraph:PATH`` must be a store already, or (with ``create``, for ``push``) missing or empty:
    see :func:`check_store_directory`. An endpoint takes updates at ``update_url`` (default:
    guessed from ``spec``) and credentials from the environment
    (:func:`ldngraph.stores.endpoint.credentials_from_env`).
    """
    spec = spec.strip()
    if spec == "auto":
        raise StoreError("store 'auto' picks memory or oxigraph by the graph's size; open one of those")
    if spec == "memory":
        return MemoryStore()
    if spec == "oxigraph":
        return OxigraphStore()
    if spec.startswith("oxigraph:"):
        path = Path(spec.removeprefix("oxigraph:")).expanduser()
        if not str(path) or str(path) == ".":
            raise StoreError(f"store '{spec}': give a directory after 'oxigraph:', e.g. oxigraph:ldn.db")
        return OxigraphStore(path, create=create)
    if spec.startswith(("http://", "https://")):
        from ldngraph.stores.endpoint import EndpointStore, credentials_from_env

        return EndpointStore(
            spec,
            graph=graph,
            update_url=update_url,
            credentials=credentials_from_env(),
            timeout=timeout,
            swap_timeout=swap_timeout,
        )
    if update_url is not None:
        raise StoreError(f"--update-url '{update_url}' applies to a SPARQL endpoint, not to store '{spec}'")
    raise StoreError(f"unknown store '{spec}'; use {SPEC_HELP}")


def resolve_auto(triples: int, threshold: int | None = None) -> str:
    """The store ``auto`` means for a graph of ``triples`` triples: ``memory`` or ``oxigraph``.

    Both give the same rows for every shipped query (tests/test_store.py); rdflib stays the
    choice for small graphs because it needs no second copy of the graph and keeps the
    tie order of earlier releases' output.
    """
    limit = AUTO_OXIGRAPH_TRIPLES if threshold is None else threshold
    return "oxigraph" if triples > limit else "memory"


def open_query_store(
    spec: str,
    load_graph: Callable[[], Graph],
    *,
    graph: str | None = None,
    timeout: float = 60.0,
    threshold: int | None = None,
    ntriples: str | None = None,
) -> GraphStore:
    """A store ready to query: ``memory`` and ``oxigraph`` are filled with ``load_graph()``;
    ``auto`` is one of the two by size (:func:`resolve_auto`); ``oxigraph:PATH`` and endpoints are
    queried as they are (fill them with ``ldngraph push``).

    ``ntriples``: the same graph as N-Triples, when the build cache has it; ``auto`` and ``oxigraph``
    then load it into an in-memory Oxigraph store (milliseconds, where building and copying the
    rdflib graph takes about a second), whatever its size.
    """
    if ntriples is not None and spec.strip() in {"auto", "oxigraph"}:
        oxi = OxigraphStore()
        oxi.load_ntriples(ntriples)
        return oxi
    if spec.strip() == "auto":
        built = load_graph()
        if resolve_auto(len(built), threshold) == "memory":
            return MemoryStore(built)
        oxi = OxigraphStore()
        oxi.load(built)
        return oxi
    store = open_store(spec, graph=graph, timeout=timeout, create=False)
    if not is_persistent(spec):
        store.load(load_graph())
    elif isinstance(store, OxigraphStore) and store.is_empty():
        store.close()
        raise StoreError(f"store '{spec}' is empty; fill it first with: ldngraph push --store {spec}")
    return store


def is_persistent(spec: str) -> bool:
    """True for stores that keep their content (a directory or a server) between runs."""
    return spec.startswith(("oxigraph:", "http://", "https://"))


__all__ = [
    "AUTO_OXIGRAPH_TRIPLES",
    "SPEC_HELP",
    "STORE_MARKERS",
    "GraphStore",
    "MemoryStore",
    "OxigraphStore",
    "QueryRows",
    "ReplaceReport",
    "check_store_directory",
    "is_persistent",
    "is_store_directory",
    "open_query_store",
    "open_store",
    "resolve_auto",
    "restore_interrupted_swap",
]
