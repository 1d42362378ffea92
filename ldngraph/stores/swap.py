"""Replacing a graph on a SPARQL endpoint so that no fault leaves it half-written or empty (issue 27, F1).

One push (:func:`replace_graph`):

1. ``ASK {}`` on the query URL: it answers like a SPARQL endpoint.
2. Stage: ``INSERT DATA`` chunks into a temporary graph ``urn:ldngraph:tmp:<uuid>``, then the
   push's *marker* triple ``<urn:ldngraph:tmp:<uuid>> <urn:ldngraph:pushMarker> "<uuid>"`` (last:
   it also says the staging is complete). ``ASK`` that the marker is in the temporary graph (a wrong
   update URL that answers 200 wrote nothing), and count the staged triples.
3. Swap, in one request (Oxigraph runs a request as one transaction; the count in step 4 catches a
   server that applies only part of one)::

       DELETE { GRAPH <target> { ?s ?p ?o } }
        WHERE { GRAPH <tmp> { MARKER } GRAPH <target> { ?s ?p ?o } } ;
       INSERT { GRAPH <target> { ?s ?p ?o } } WHERE { GRAPH <tmp> { ?s ?p ?o } } ;
       DROP SILENT GRAPH <tmp>

   (``append``: no DELETE). Unlike ``MOVE`` it is guarded by the marker: once it has been applied
   the temporary graph is gone, so a repeat (a retry, or a copy still in flight at the server)
   changes nothing, where a repeated ``MOVE`` of the missing graph empties the target on Virtuoso
   and fails on Oxigraph (which push then misreported as "nothing changed").
4. Confirm with ``ASK``: the marker is gone from the temporary graph and is in the target. Then
   delete the marker from the target and count the target.

Nothing is assumed after an unclear outcome of the swap (a timeout, 502/503/504, a reset, a reply
that is not HTTP: the server may or may not have applied it): the server is asked. Applied: the
target holds the new graph. Not applied: the swap is sent again (safe: it is guarded), at most
:data:`SWAP_TRIES` times in all. When it cannot be applied, the temporary graph is dropped: a fence
after which any copy of the swap still in flight does nothing. Then the target is asked once more:
it holds the new graph (the swap got through after all) or its previous content. The report says
which (:class:`ldngraph.stores.store.ReplaceReport`, or a :class:`StoreError` ending "... keeps its
previous content"), and nothing else; if the server cannot be asked, the error says that.

The swap request has its own time limit, :data:`ldngraph.limits.SWAP_SECONDS`
(``LDNGRAPH_SWAP_TIMEOUT``; ``push --swap-timeout`` wins), longer than a large swap takes; every other
request is idempotent and retried (:meth:`EndpointStore._post`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox
from rdflib import URIRef

from ldngraph.errors import LdnGraphError, QueryError, StoreError
from ldngraph.limits import HTTP_SECONDS, SWAP_SECONDS, Limit
from ldngraph.rdf.build import Triple
from ldngraph.stores.protocol import ReplaceReport

#: Prefix of the temporary named graphs a push stages into.
TMP_GRAPH_PREFIX = "urn:ldngraph:tmp:"


@dataclass(frozen=True)
class _Given(Limit):
    """The swap's time limit given as ``push --swap-timeout`` (it wins over the variable)."""

    value: float = 0.0

    def get(self) -> float:
        return self.value

    def hint(self) -> str:
        return f"limit --swap-timeout {self.value:g}; raise it if the server needs longer"


def get_swap_limit(seconds: float | None) -> Limit:
    """``--swap-timeout`` when given, else :data:`ldngraph.limits.SWAP_SECONDS`."""
    return SWAP_SECONDS if seconds is None else _Given(SWAP_SECONDS.env, seconds, SWAP_SECONDS.what, seconds)


class UnclearOutcome(StoreError):
    """An update that is not idempotent got no clear answer (a timeout, 502/503/504, a reset or a
    reply that is not HTTP): the server may or may not have applied it. Never retried blindly."""


class Endpoint(Protocol):
    """What the protocol needs of :class:`ldngraph.stores.endpoint.EndpointStore`."""

    url: str
    update_url: str
    graph: URIRef | None
    swap_timeout: float | None  # push --swap-timeout (None: LDNGRAPH_SWAP_TIMEOUT or its default)
    confirmed_updates: int  # updates the server confirmed
    unclear_updates: int  # updates whose outcome is unknown (they may have been applied)

    def check(self) -> None: ...

    def ask(self, text: str) -> bool: ...

    def insert(self, triples: Iterable[Triple], graph: ox.NamedNode | URIRef | None) -> None: ...

    def update(
        self,
        text: str,
        *,
        idempotent: bool = False,
        timeout: float | None = None,
        total: Limit = HTTP_SECONDS,
    ) -> None: ...

    def count(self, graph: ox.NamedNode | None = None) -> int: ...


#: Attempts at the swap request (each one after asking the server whether an earlier one applied).
SWAP_TRIES = 3
#: Seconds before the second swap attempt, doubled for the third.
SWAP_BACKOFF = 0.5
MARKER_PREDICATE = ox.NamedNode("urn:ldngraph:pushMarker")
_UPDATE_HINT = (
    "expected a SPARQL 1.1 Update endpoint taking POSTed update= forms (Oxigraph server: "
    "/update, Fuseki: /DATASET/update, Virtuoso: /sparql or /sparql-auth); give it with "
    "--update-url"
)


class _Push:
    """The state of one push: the temporary graph, the marker, and what to say at the end."""

    def __init__(self, store: Endpoint, *, append: bool) -> None:
        self.store, self.append = store, append
        uid = str(uuid.uuid4())
        self.tmp = ox.NamedNode(f"{TMP_GRAPH_PREFIX}{uid}")
        self.marker_triple: Triple = (self.tmp, MARKER_PREDICATE, ox.Literal(uid))
        self.marker = f"{self.tmp} {MARKER_PREDICATE} {ox.Literal(uid)}"
        self.target = ox.NamedNode(str(store.graph)) if store.graph is not None else None
        self.name = f"{self.target}" if self.target is not None else "the default graph"
        self.notes: list[str] = []
        self.swap_limit = get_swap_limit(store.swap_timeout)
        self.swap_seconds = self.swap_limit.get()  # a bad LDNGRAPH_SWAP_TIMEOUT fails before any write
        self.before = (store.confirmed_updates, store.unclear_updates)

    def wrote(self) -> bool:
        """True once an update may have changed the server (applied, or its outcome unknown)."""
        return (self.store.confirmed_updates, self.store.unclear_updates) != self.before

    def in_target(self, pattern: str) -> str:
        return f"GRAPH {self.target} {{ {pattern} }}" if self.target is not None else pattern

    def swap_text(self) -> str:
        everything = self.in_target("?s ?p ?o")
        guard = f"GRAPH {self.tmp} {{ {self.marker} }}"
        delete = "" if self.append else f"DELETE {{ {everything} }} WHERE {{ {guard} {everything} }} ;\n"
        insert = f"INSERT {{ {everything} }} WHERE {{ GRAPH {self.tmp} {{ ?s ?p ?o }} }} ;\n"
        return f"{delete}{insert}DROP SILENT GRAPH {self.tmp}"

    # -- staging -------------------------------------------------------------------------------------

    def stage(self, chunks: Iterable[Sequence[Triple]]) -> int:
        """Load every chunk and the marker into the temporary graph; the number of triples staged."""
        store = self.store
        store.check()
        for chunk in chunks:
            try:
                store.insert(chunk, self.tmp)
            except QueryError as exc:
                if not self.wrote():  # the very first INSERT DATA was refused
                    raise StoreError(f"{exc}; {_UPDATE_HINT}") from None
                raise
        store.insert([self.marker_triple], self.tmp)
        if not store.ask(f"ASK {{ GRAPH {self.tmp} {{ {self.marker} }} }}"):
            raise StoreError(
                f"{store.update_url}: the updates were accepted but their triples are not in "
                f"{store.url}; expected the SPARQL 1.1 Update endpoint of that store (Oxigraph "
                "server: /update, Virtuoso: /sparql or /sparql-auth); give it with --update-url"
            )
        return store.count(self.tmp)

    def abandon(self, exc: BaseException) -> BaseException:
        """The error to raise when staging failed: the temporary graph is dropped (the target was
        never touched), and the message says so."""
        store = self.store
        if not self.wrote():
            left = "nothing was written"
        else:
            try:
                store.update(f"DROP SILENT GRAPH {self.tmp}", idempotent=True)
                left = "nothing changed"
            except LdnGraphError:
                left = f"nothing changed; drop the temporary graph {self.tmp} by hand"
        if isinstance(exc, LdnGraphError):
            return StoreError(f"{exc} ({left}: {self.name} keeps its previous content)")
        return exc

    # -- the swap ------------------------------------------------------------------------------------

    def swapped(self) -> bool | None:
        """Asked after a swap attempt: True applied, False not (yet), None: the temporary graph
        vanished without the marker reaching the target (someone else dropped it)."""
        if self.store.ask(f"ASK {{ GRAPH {self.tmp} {{ {self.marker} }} }}"):
            return False
        return True if self.store.ask(f"ASK {{ {self.in_target(self.marker)} }}") else None

    def swap(self, staged: int) -> ReplaceReport:
        store, text = self.store, self.swap_text()
        failure: LdnGraphError | None = None
        lost: list[str] = []
        for attempt in range(SWAP_TRIES):
            if attempt:
                time.sleep(SWAP_BACKOFF * 2 ** (attempt - 1))
            try:
                store.update(text, timeout=self.swap_seconds, total=self.swap_limit)
            except UnclearOutcome as exc:
                lost.append(str(exc))
            except (QueryError, StoreError) as exc:  # the server said no: it did not apply it
                failure = exc
                break
            try:
                state = self.swapped()
            except LdnGraphError as exc:
                asked = f"asking the server whether the swap happened failed: {exc}"
                failure = StoreError(f"{lost[-1]}; then {asked}" if lost else f"{store.url}: {asked}")
                break
            if state:
                if lost:
                    self.notes.append(
                        f"the reply to the swap was lost ({lost[0]}); the server shows that {self.name} "
                        "holds the new graph"
                    )
                return self.finish(staged)
            if state is None:
                raise StoreError(
                    f"{store.url}: the temporary graph {self.tmp} vanished during the swap without reaching "
                    f"{self.name}: another client dropped it? {self.name} keeps its previous content; "
                    "push again"
                )
        if failure is None:
            failure = StoreError(
                lost[-1] if lost else f"{store.update_url}: the server answered the swap but did not apply it"
            )
        return self.fence(staged, failure)

    def fence(self, staged: int, failure: LdnGraphError) -> ReplaceReport:
        """The swap could not be applied: drop the temporary graph (after which no copy of the swap
        can apply), then ask the target which graph it holds."""
        store = self.store
        try:
            store.update(f"DROP SILENT GRAPH {self.tmp}", idempotent=True)
            dropped = ""
        except LdnGraphError as exc:
            dropped = f"; the temporary graph {self.tmp} could not be dropped ({exc}): drop it by hand"
        try:
            applied = store.ask(f"ASK {{ {self.in_target(self.marker)} }}")
        except LdnGraphError as exc:
            raise StoreError(
                f"{failure}; and the server could not be asked whether the swap happened ({exc}): "
                f"{self.name} holds either its previous content or the new graph, never a mix; "
                f"look for the triple {self.marker} in it (there: the new graph){dropped}"
            ) from None
        if applied:
            self.notes.append(
                f"the swap got no clear answer ({failure}); the server shows {self.name} holds the new graph"
            )
            return self.finish(staged)
        if dropped:
            raise StoreError(
                f"{failure} (the swap did not happen: {self.name} keeps its previous content for now, but "
                f"a swap still in flight at the server may yet apply it{dropped})"
            )
        raise StoreError(f"{failure} (the swap did not happen: {self.name} keeps its previous content)")

    def finish(self, staged: int) -> ReplaceReport:
        """The target holds the new graph: take the marker out, and count."""
        store = self.store
        expected = {staged - 1}
        try:
            store.update(f"DELETE DATA {{ {self.in_target(self.marker)} }}", idempotent=True)
        except LdnGraphError as exc:
            expected.add(staged)  # it may or may not have gone
            self.notes.append(
                f"the push marker could not be deleted from {self.name} ({exc}); delete it by hand: "
                f"DELETE DATA {{ {self.in_target(self.marker)} }}"
            )
        try:
            count = store.count(self.target)
        except LdnGraphError as exc:
            self.notes.append(f"the server did not answer the count ({exc})")
            return ReplaceReport(None, tuple(self.notes))
        if not self.append and count not in expected:
            raise StoreError(
                f"{store.url}: after the swap {self.name} holds {count} triples, not the {staged - 1} "
                "staged: another client wrote to it at the same time, or the server cut the swap short; "
                "push again"
            )
        return ReplaceReport(count, tuple(self.notes))


def replace_graph(store: Endpoint, chunks: Iterable[Sequence[Triple]], *, append: bool) -> ReplaceReport:
    """Replace (``append``: add to) the store's graph with ``chunks``: see the module docs."""
    push = _Push(store, append=append)
    try:
        staged = push.stage(chunks)
    except BaseException as exc:
        raise push.abandon(exc) from None
    return push.swap(staged)
