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
"""

from __future__ import annotations

import glob
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
from ldngraph.stores.protocol import (
    GraphStore,
    QueryRows,
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

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> None:
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

    def __len__(self) -> int:
        return len(self.graph)

    def close(self) -> None:
        self.graph.close()


class OxigraphStore:
    """A pyoxigraph store, in memory (``path=None``) or persisted in a directory."""

    def __init__(self, path: Path | None = None, *, create: bool = True) -> None:
        import pyoxigraph as ox

        self.spec = f"oxigraph:{path}" if path else "oxigraph"
        if path is not None and path.is_symlink():
            path = Path(os.path.realpath(path))  # a push rebuilds the target; the link stays
        self.path = path
        if path is not None:
            check_store_directory(path, self.spec, create=create)
        try:
            self.store = ox.Store(str(path)) if path else ox.Store()
        except OSError as exc:
            raise StoreError(
                f"{self.spec}: cannot open the Oxigraph store ({exc}); pick a writable directory "
                "that no other process has open"
            ) from None

    def load(self, graph: Graph) -> None:
        self.add_triples(from_rdflib_graph(graph, self.spec))

    def add_triples(self, triples: Iterable[Triple]) -> None:
        self._bulk_load(self.store, [triples])

    def add_ntriples(self, data: str) -> None:
        self.add_triples(parse_ntriples(data, self.spec))

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

    def replace(self, chunks: Iterable[Sequence[Triple]], *, append: bool = False) -> None:
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
            self.store = staged
            return
        remove_stale_staging(self.path)
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        staging = self.path.with_name(f".{self.path.name}.partial-{tag}")
        try:
            if append and not self.is_empty():
                self.store.backup(str(staging))  # hard links on the same file system: cheap
                staged = ox.Store(str(staging))
            else:
                staged = ox.Store(str(staging))
            self._bulk_load(staged, chunks)
            staged.flush()
            del staged
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.store.flush()
        del self.store  # release the RocksDB lock before the directories change places
        try:
            _swap_directories(staging, self.path, self.path.with_name(f".{self.path.name}.old-{tag}"))
        finally:
            self.store = ox.Store(str(self.path))

    def _bulk_load(self, store: pyoxigraph.Store, chunks: Iterable[Iterable[Triple]]) -> None:
        import pyoxigraph as ox

        quad = ox.Quad
        for chunk in chunks:
            try:
                store.bulk_extend(quad(s, p, o) for s, p, o in chunk)
            except (TypeError, ValueError, OSError) as exc:
                raise StoreError(
                    f"{self.spec}: could not load the triples ({first_line(exc)}); nothing changed"
                ) from None

    def __len__(self) -> int:
        return len(self.store)  # counts every quad: 0.7 s at 4.5 M triples on disk

    def is_empty(self) -> bool:
        """True when the store holds no quad; reads one quad, not all (unlike ``len``)."""
        return next(iter(self.store.quads_for_pattern(None, None, None, None)), None) is None

    def close(self) -> None:
        if self.path is not None:
            self.store.flush()
        del self.store


#: What every RocksDB (Oxigraph's on-disk engine) store directory holds: a CURRENT file naming its
#: MANIFEST-* file. Checked on pyoxigraph 0.5.13: a fresh store also has IDENTITY, LOCK, LOG and
#: OPTIONS-*, but a copy made by ``Store.backup`` has only CURRENT, MANIFEST-*, OPTIONS-* and data.
STORE_MARKERS = ("CURRENT", "MANIFEST-*")


def is_store_directory(path: Path) -> bool:
    """True if ``path`` is a directory holding an Oxigraph (RocksDB) store (or a backup of one)."""
    return path.is_dir() and all(any(path.glob(marker)) for marker in STORE_MARKERS)


def check_store_directory(path: Path, spec: str, *, create: bool) -> None:
    """Refuse a PATH that is not a store, so a push never replaces (deletes) someone's directory.

    With ``create`` PATH may also be missing or an empty directory (a new store goes there);
    without it (read-only commands) PATH must already be a store, and nothing is written.
    """
    if path.exists() and not path.is_dir():
        raise StoreError(f"store '{spec}': {path} is a file; Oxigraph needs a directory")
    if is_store_directory(path):
        return
    empty = path.is_dir() and not any(path.iterdir())
    if path.is_dir() and not empty:
        raise StoreError(
            f"store '{spec}': {path} is a directory that is not an Oxigraph store (no "
            f"{' or '.join(m for m in STORE_MARKERS if not any(path.glob(m)))} file); ldngraph will "
            "not write into or replace it: "
            "give a new or empty directory, or an existing store"
        )
    if not create:
        state = "is an empty directory, not a store yet" if empty else "does not exist"
        fix = f"create and fill it with: ldngraph push --store {spec}"
        raise StoreError(f"store '{spec}': {path} {state}; {fix}")


def remove_stale_staging(path: Path) -> None:
    """Delete the ``.NAME.partial-*`` / ``.NAME.old-*`` directories a killed push left beside
    ``path``: those of a process that is gone (the tag starts with its pid), or without a pid."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.[po][al][rd]*-*"):
        kind, _, tag = leftover.name.removeprefix(f".{path.name}.").partition("-")
        if kind not in {"partial", "old"} or not leftover.is_dir() or leftover.is_symlink():
            continue
        pid = tag.split("-", 1)[0] if "-" in tag else ""
        if pid.isdigit() and _alive(int(pid)):
            continue
        log.info("removing %s, left by an interrupted push", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_directories(new: Path, target: Path, old: Path) -> None:
    """Put ``new`` at ``target``; the previous ``target`` is deleted (restored if the swap fails)."""
    existed = target.exists()
    if existed:
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        if existed:
            os.rename(old, target)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if existed:
        shutil.rmtree(old, ignore_errors=True)


def open_store(
    spec: str,
    *,
    graph: str | None = None,
    timeout: float = 60.0,
    create: bool = True,
    update_url: str | None = None,
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
            spec, graph=graph, update_url=update_url, credentials=credentials_from_env(), timeout=timeout
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
) -> GraphStore:
    """A store ready to query: ``memory`` and ``oxigraph`` are filled with ``load_graph()``;
    ``auto`` is one of the two by size (:func:`resolve_auto`); ``oxigraph:PATH`` and endpoints are
    queried as they are (fill them with ``ldngraph push``)."""
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
    "check_store_directory",
    "is_persistent",
    "is_store_directory",
    "open_query_store",
    "open_store",
    "resolve_auto",
]
