"""The pipeline's result: a validated knowledge base, its scores, and its RDF graph, built on demand.

The graph (record triples, score triples, estimates) is made the first time ``graph`` is read:
commands that need only the knowledge base and its scores (``paths``, ``explain``, ``sof``) never
pay for rdflib, and a knowledge base read from the build cache (:mod:`ldngraph.buildcache`) is not
rebuilt into triples unless a command asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph

    from ldngraph.evidence.claims import ScoreReport
    from ldngraph.model import KnowledgeBase


class Built:
    """A validated knowledge base, its scores, and its RDF graph (scores materialised).

    Give ``graph`` (a graph already built) or ``make_graph`` (how to build it, called once, on first
    use); ``cache_key``: its entry in the build cache (:mod:`ldngraph.buildcache`), if any;
    ``ntriples``: the same graph as N-Triples when the build cache has it (a store can load it
    without rdflib: :func:`ldngraph.stores.store.open_query_store`).
    """

    __slots__ = ("_graph", "_make_graph", "cache_key", "data_dir", "kb", "ntriples", "profile_path", "scores")

    def __init__(
        self,
        kb: KnowledgeBase,
        scores: ScoreReport,
        graph: Graph | None = None,
        data_dir: Path | None = None,
        profile_path: Path | None = None,
        *,
        make_graph: Callable[[], Graph] | None = None,
        ntriples: str | None = None,
        cache_key: str | None = None,
    ) -> None:
        if graph is None and make_graph is None:
            raise TypeError("Built needs a graph or a make_graph function")
        self.kb, self.scores, self.data_dir, self.profile_path = kb, scores, data_dir, profile_path
        self._graph, self._make_graph, self.ntriples = graph, make_graph, ntriples
        self.cache_key = cache_key  # the build cache entry this came from or went to (None: no cache)

    @property
    def graph(self) -> Graph:
        """The scored RDF graph (built now if it was not yet)."""
        if self._graph is None:
            assert self._make_graph is not None
            self._graph = self._make_graph()
            self._make_graph = None
        return self._graph

    @property
    def has_graph(self) -> bool:
        """Whether the graph is built already."""
        return self._graph is not None

    @property
    def triples(self) -> int:
        """How many triples the graph holds (counted in the N-Triples when the graph is not built)."""
        if self._graph is None and self.ntriples is not None:
            return self.ntriples.count("\n")
        return len(self.graph)

    def __repr__(self) -> str:
        return (
            f"Built(data_dir={self.data_dir!r}, claims={len(self.kb.claims)}, graph built={self.has_graph})"
        )
