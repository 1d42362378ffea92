"""The whole pipeline in one call: read data/, validate, build the graph, score it.

Notebooks and the CLI start here; each stage is also callable on its own.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ldngraph import buildcache
from ldngraph.errors import DataError, LdnGraphError
from ldngraph.evidence.built import Built as Built  # re-exported: the pipeline's result type
from ldngraph.locations import get_data_dir, get_shipped_data_dir

# rdflib, the scorer (statsmodels) and the YAML reader are imported where they are used: a command
# answered from the build cache needs none of them (issue 24).
if TYPE_CHECKING:
    from rdflib import Graph

    from ldngraph.evidence import scored
    from ldngraph.evidence.claims import ScoreReport
    from ldngraph.evidence.profile import Profile
    from ldngraph.evidence.publication_bias import RegistryEntry
    from ldngraph.model import KnowledgeBase
    from ldngraph.rdf.build import Triple
    from ldngraph.stores.protocol import ReplaceReport
    from ldngraph.stores.store import GraphStore

PROFILE_NAME = "evidence-profile.yaml"
logger = logging.getLogger(__name__)


def get_profile_path(data_dir: Path | None = None) -> Path:
    """The profile beside ``data_dir`` if it has one, else that of the default data directory
    (:func:`ldngraph.locations.get_data_dir`), else the shipped data's profile."""
    for directory in (data_dir, get_data_dir(), get_shipped_data_dir()):
        if directory is not None and (directory / PROFILE_NAME).is_file():
            return directory / PROFILE_NAME
    return get_data_dir() / PROFILE_NAME


def read_scored(
    data_dir: Path | str | None = None, profile: Path | str | None = None, *, exclude: Sequence[str] = ()
) -> tuple[KnowledgeBase, ScoreReport]:
    """Read and validate ``data_dir`` (default: the shipped data) and score it; no graph yet.

    ``profile`` defaults to ``data_dir/evidence-profile.yaml``, else the shipped profile;
    ``exclude``: rules (``--exclude``) added to the profile's own ``exclude`` list. The result comes
    from the build cache (:mod:`ldngraph.buildcache`) when nothing it depends on has changed.
    """
    kb, scores, _, _ = _read_scored(data_dir, profile, exclude)
    return kb, scores


def _read_scored(
    data_dir: Path | str | None, profile: Path | str | None, exclude: Sequence[str]
) -> tuple[KnowledgeBase, ScoreReport, buildcache.Entry | str | None, Profile | None]:
    """The scored knowledge base; the cache entry it came from, or the key to store it under (None:
    the cache is off); and the profile it was scored with when it was scored here (None: cached)."""
    directory, profile_path = get_inputs(data_dir, profile)
    key = None
    if buildcache.is_enabled() and directory.is_dir() and profile_path.is_file():
        key = buildcache.get_key(directory, profile_path, exclude)
        entry = buildcache.load(key)
        if entry is not None:
            return entry.kb, entry.scores, entry, None
    from ldngraph.evidence.claims import score_knowledge_base
    from ldngraph.ingest.citations import apply_cached_pubmed
    from ldngraph.ingest.curated import read_knowledge_base

    prof = get_profile(data_dir, profile, exclude=exclude)
    logger.info("scoring with profile %s", prof.identity)
    kb = read_knowledge_base(directory)
    kb = apply_cached_pubmed(kb, directory)  # PubMed checks and retractions, from the default cache
    return kb, score_knowledge_base(kb, prof, registry=read_registry(directory, kb)), key, prof


def read_registry(directory: Path, kb: KnowledgeBase | None = None) -> tuple[RegistryEntry, ...]:
    """Registered trials of ``directory``: data/registrations.yaml (issue 25) and, for a trial it
    does not list, a screening-log record with a ``registry_status`` (issue 21). Publication bias
    reads them. ``kb``: also check that each linked study exists and names that registration."""
    from ldngraph.evidence.publication_bias import RegistryEntry
    from ldngraph.ingest.registrations import (
        REGISTRATIONS_FILE,
        check_against_knowledge_base,
        read_registrations,
    )
    from ldngraph.ingest.screening import SCREENING_FILE, get_registry_trials, read_screening_log

    entries: list[RegistryEntry] = []
    path = directory / REGISTRATIONS_FILE
    if path.is_file():
        regs = read_registrations(path)
        if kb is not None and (problems := check_against_knowledge_base(regs, kb, str(path))):
            raise DataError(problems)
        entries += [
            RegistryEntry(
                id=r.id,
                label=r.label,
                condition=r.condition or "",
                status=r.status.value if r.status else "",
                note=r.note,
                completion_date=r.completion_date,
                results_posted=r.results_posted,
                study=r.study,
                checked=r.checked,
            )
            for r in regs
        ]
    listed = {e.id for e in entries}
    screening = directory / SCREENING_FILE
    if screening.is_file():
        entries += [
            RegistryEntry(
                id=r.id,
                label=r.label,
                condition=r.condition or "",
                status=r.registry_status or "",
                note=r.note,
            )
            for r in get_registry_trials(read_screening_log(screening))
            if not listed & {i.upper() for i in r.identifiers}
        ]
    return tuple(entries)


def get_inputs(data_dir: Path | str | None = None, profile: Path | str | None = None) -> tuple[Path, Path]:
    """The data directory and profile file a command reads (see :func:`ldngraph.locations.get_data_dir`)."""
    directory = Path(data_dir) if data_dir is not None else get_data_dir()
    return directory, Path(profile) if profile is not None else get_profile_path(directory)


def load(
    data_dir: Path | str | None = None, profile: Path | str | None = None, *, exclude: Sequence[str] = ()
) -> Built:
    """Read and validate ``data_dir`` (default: ./data or the shipped data), build and score its
    graph (``exclude``: studies left out everywhere, a sensitivity analysis).

    The knowledge base and its scores come from the build cache (:mod:`ldngraph.buildcache`) when
    nothing they depend on has changed; the graph is then built only when a command reads it.
    """
    kb, scores, cached, prof = _read_scored(data_dir, profile, exclude)
    directory, profile_path = get_inputs(data_dir, profile)
    if isinstance(cached, buildcache.Entry):
        ntriples = cached.ntriples

        def read_graph() -> Graph:  # the cached triples: no statsmodels, no re-derivation
            from rdflib import Graph

            from ldngraph.rdf.vocab import bind_namespaces

            return bind_namespaces(Graph()).parse(data=ntriples, format="nt")

        return Built(
            kb,
            scores,
            None,
            directory,
            profile_path,
            make_graph=read_graph,
            ntriples=ntriples,
            cache_key=cached.key,
        )
    from ldngraph.evidence.effects_rdf import add_effects
    from ldngraph.evidence.rdf import materialise
    from ldngraph.rdf.build import to_graph

    assert prof is not None  # scored here, so its profile is known
    graph = materialise(to_graph(kb), kb, scores)
    add_effects(graph, kb, prof, bodies=scores.bodies)  # estimates and pooled results
    if cached is not None:
        buildcache.store(cached, kb, scores, graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))
    return Built(kb, scores, graph, directory, profile_path, cache_key=cached)


def get_profile(
    data_dir: Path | str | None = None, profile: Path | str | None = None, *, exclude: Sequence[str] = ()
) -> Profile:
    """The evidence profile ``load`` uses for ``data_dir`` (``profile`` if given), with ``exclude``
    rules added (its content hash then differs)."""
    from ldngraph.evidence.profile import read_profile

    return read_profile(get_inputs(data_dir, profile)[1]).with_exclusions(exclude)


def push(
    store: GraphStore,
    data_dir: Path | str | None = None,
    profile: Path | str | None = None,
    *,
    append: bool = False,
) -> ReplaceReport:
    """Build and score ``data_dir`` straight into ``store`` through the fast path, all or nothing.

    The triples are those of :func:`load` (the one mapping, :mod:`ldngraph.rdf.build`, as pyoxigraph
    terms, with no rdflib graph in between). The store's
    previous content is replaced (``append``: kept) only once every triple has loaded
    (:meth:`ldngraph.stores.store.GraphStore.replace`), whose report (the triples the store holds,
    and what happened on the way) is returned.
    """
    from rdflib import Graph

    from ldngraph.evidence.effects_rdf import add_effects
    from ldngraph.rdf.build import from_rdflib_term

    kb, scores, _, prof = _read_scored(data_dir, profile, ())
    prof = prof or get_profile(data_dir, profile)  # read once: scored here, or only when cached
    effects = [
        (from_rdflib_term(s), from_rdflib_term(p), from_rdflib_term(o))
        for s, p, o in add_effects(Graph(), kb, prof, bodies=scores.bodies)
    ]
    return store.replace(chain(iter_scored_chunks(kb, scores), [effects]), append=append)  # type: ignore[list-item]


def iter_scored_chunks(
    kb: KnowledgeBase, scores: ScoreReport, *, size: int = 500_000
) -> Iterator[list[Triple]]:
    """The graph of :func:`load` (built and scored) as lists of at most ``size`` triples.

    The record triples come from the one mapping (:func:`ldngraph.rdf.build.iter_triples`), the score
    triples (a few per claim) from :func:`ldngraph.evidence.score.materialise` on an empty rdflib
    graph. A triple may appear twice (the same citation from two evidence items): stores keep one.
    """
    from ldngraph.evidence.rdf import TripleList, materialise
    from ldngraph.rdf.build import from_rdflib_term, iter_triples

    chunk: list[Triple] = []
    for triple in iter_triples(kb):
        chunk.append(triple)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    convert = lru_cache(maxsize=1 << 16)(from_rdflib_term)  # predicates and values repeat: convert once
    for s, p, o in materialise(TripleList(), kb, scores):  # no rdflib graph (and its indexes) in between
        chunk.append((convert(s), convert(p), convert(o)))  # type: ignore[arg-type]
    yield chunk


def get_summary(built: Built) -> dict[str, Any]:
    """Counts by node type, edge type, study design, citation status and claim certainty."""
    kb = built.kb
    nodes = Counter(e.kind.value for e in kb.entities)
    nodes.update({"study": len(kb.studies), "publication": len(kb.publications)})
    return {
        "triples": built.triples,
        "nodes": dict(sorted(nodes.items())),
        "claims": len(kb.claims),
        "evidence_items": sum(len(c.evidence) for c in kb.claims),
        "edges_by_predicate": dict(sorted(Counter(c.predicate.value for c in kb.claims).items())),
        "evidence_by_direction": dict(
            sorted(Counter(e.direction.value for c in kb.claims for e in c.evidence).items())
        ),
        "studies_by_design": dict(sorted(Counter(s.design.value for s in kb.studies).items())),
        "publications_by_status": dict(sorted(Counter(p.status.value for p in kb.publications).items())),
        "claims_by_certainty": dict(
            sorted(Counter(s.certainty.value for s in built.scores.claims.values()).items())
        ),
        "bodies_by_conclusion": dict(
            sorted(Counter(b.conclusion for b in built.scores.bodies.values()).items())
        ),
        "profile_version": built.scores.profile_version,
        "profile_hash": built.scores.profile_hash,
        "data": str(built.data_dir.resolve()) if built.data_dir else None,
        "profile": str(built.profile_path.resolve()) if built.profile_path else None,
    }


def is_store_spec(spec: str) -> bool:
    return spec.startswith(("oxigraph:", "http://", "https://"))


def read_view(
    spec: str, *, data_dir: Path | None = None, profile: Path | None = None, exclude: Sequence[str] = ()
) -> scored.ScoredView:
    """The view of one side of a diff, named by ``spec``:

    - a data directory (holding claims.yaml): built and scored, with its own evidence profile
      unless ``profile`` is given;
    - a profile (``.yaml``/``.yml`` file): ``data_dir`` (default ./data or the shipped data) scored
      with it;
    - an RDF file (``.ttl .nt .jsonld .trig``): a graph written by ``ldngraph build -o`` or ``export``;
    - ``oxigraph:PATH`` or an ``http(s)://`` SPARQL endpoint: a graph loaded with ``ldngraph push``.

    ``exclude``: rules for the sides that are scored here (a data directory or a profile); a graph
    or a store was scored when it was written, so they are refused for those.
    """
    from ldngraph.evidence import scored

    if exclude and (
        is_store_spec(spec) or (Path(spec).suffix not in {".yaml", ".yml"} and not Path(spec).is_dir())
    ):
        raise LdnGraphError(
            f"'{spec}': --exclude applies to a data directory or a profile, not to a scored graph or store"
        )
    if is_store_spec(spec):
        from ldngraph.rdf.export import GRAPH_NAME
        from ldngraph.stores.store import OxigraphStore, open_store

        store = open_store(spec, graph=str(GRAPH_NAME), create=False)
        try:
            if isinstance(store, OxigraphStore) and store.is_empty():
                raise LdnGraphError(
                    f"store '{spec}' is empty; fill it first with: ldngraph push --store {spec}"
                )
            return scored.from_store(store, spec)
        finally:
            store.close()
    path = Path(spec)
    dropped = f" excluding {', '.join(exclude)}" if exclude else ""
    if path.is_dir():
        built = load(path, profile, exclude=exclude)
        return scored.from_graph(
            built.graph, f"data {path}" + (f" with profile {profile}" if profile else "") + dropped
        )
    if path.suffix in {".yaml", ".yml"}:
        if not path.is_file():
            raise LdnGraphError(f"{path}: no such profile file")
        built = load(data_dir, path, exclude=exclude)
        where = built.data_dir or data_dir
        return scored.from_graph(built.graph, f"profile {path} on data {where}{dropped}")
    if path.is_file():
        from ldngraph.rdf.validate import read_graph

        return scored.from_graph(read_graph(path), f"graph {path}")
    raise LdnGraphError(
        f"'{spec}': not a data directory, profile (.yaml), RDF file or store; give one of "
        "DIR, PROFILE.yaml, GRAPH.ttl|.nt|.jsonld|.trig, oxigraph:PATH or http(s)://ENDPOINT"
    )


# -- living evidence (issue 25): what would change a conclusion, what changed since a ref --------


def read_impact(
    condition: str,
    data_dir: Path | str | None = None,
    profile: Path | str | None = None,
    *,
    outcome: str | None = None,
    cap: int | None = None,
    cache: Path | None = None,
) -> list[Any]:
    """:func:`ldngraph.evidence.impact.get_impact` on ``data_dir`` for ``condition`` (a CURIE,
    label or synonym; ``outcome`` likewise), with the registered trials of its screening log as
    candidates (enrolment from the log, else from the registry record ``watch`` cached in
    ``cache``, default the data directory's database; nothing is fetched)."""
    from ldngraph.model.names import get_entity

    kb, scores = read_scored(data_dir, profile)
    curie = _get_condition(kb, condition)
    outcome_id = get_entity(kb, outcome).id if outcome else None
    found = get_impacts(
        kb,
        scores.bodies,
        get_inputs(data_dir, profile)[0],
        get_profile(data_dir, profile),
        conditions=[curie],
        outcome=outcome_id,
        cap=cap,
        cache=cache,
    )
    return found[curie]


def get_impacts(
    kb: KnowledgeBase,
    bodies: Any,
    directory: Path,
    profile: Profile,
    *,
    conditions: Sequence[str] | None = None,
    outcome: str | None = None,
    cap: int | None = None,
    cache: Path | None = None,
) -> dict[str, list[Any]]:
    """Condition CURIE -> its :class:`ldngraph.evidence.impact.OutcomeImpact` s (every condition
    with a declared critical outcome when ``conditions`` is None), on ``kb`` scored as ``bodies``
    from ``directory`` (its screening log gives the candidates)."""
    from ldngraph.evidence.impact import DEFAULT_CAP, get_impact
    from ldngraph.ingest.cache import get_cache_path
    from ldngraph.ingest.screening import SCREENING_FILE, read_screening_log
    from ldngraph.model import EntityKind

    candidates: list[Any] = []
    if (directory / SCREENING_FILE).is_file():
        log = read_screening_log(directory / SCREENING_FILE)
        candidates = _read_candidates(log, kb, cache or get_cache_path(directory))
    wanted = conditions or [
        e.id for e in kb.entities if e.kind is EntityKind.condition and e.critical_outcome
    ]
    registry = read_registry(directory)
    return {
        c: get_impact(
            kb,
            bodies,
            profile,
            c,
            outcome=outcome,
            registry=registry,
            candidates=candidates,
            cap=cap or DEFAULT_CAP,
        )
        for c in wanted
    }


def _get_condition(kb: KnowledgeBase, name: str) -> str:
    from ldngraph.errors import UnknownEntityError
    from ldngraph.model import EntityKind
    from ldngraph.model.names import get_entity

    entity = get_entity(kb, name)
    if entity.kind is not EntityKind.condition:
        raise UnknownEntityError(f"'{name}' is not a condition (it is an entity of kind {entity.kind.value})")
    return entity.id


def _read_candidates(log: Any, kb: KnowledgeBase, path: Path) -> list[Any]:
    """Registered trials of ``log`` with their enrolment, looked up in the registry records that
    ``watch`` stored in the database at ``path`` (if there is one; it is only read)."""
    from ldngraph.evidence.impact import get_candidates
    from ldngraph.ingest.registry import get_registry_record, open_registry

    conn = open_registry(path, write=False) if path.is_file() else None
    if conn is None:
        return get_candidates(log, kb)
    try:
        return get_candidates(log, kb, lambda nct: get_registry_record(conn, path, nct))
    finally:
        conn.close()


def read_changes(
    since: str,
    data_dir: Path | str | None = None,
    profile: Path | str | None = None,
    *,
    built: Built | None = None,
) -> Any:
    """What changed from ``since`` to ``data_dir`` (:class:`ldngraph.evidence.changes.Changes`).

    ``since``: a data directory, profile, graph file or store as ``diff`` takes it (scored with its
    own profile), else a git ref: ``data_dir`` as it was at that commit (``git archive``), scored
    with the profile it had then. ``built``: the new side, when the caller has already loaded it."""
    import tempfile

    from ldngraph.evidence import scored
    from ldngraph.evidence.changes import summarise
    from ldngraph.evidence.diff import compare
    from ldngraph.ingest.gitref import export_data_at

    directory, _ = get_inputs(data_dir, profile)
    built = built or load(data_dir, profile)
    new = scored.from_graph(built.graph, f"data {directory}")
    if is_store_spec(since) or Path(since).exists():
        old = read_view(since, data_dir=directory)
    else:
        with tempfile.TemporaryDirectory(prefix="ldngraph-since-") as tmp:
            old_dir = export_data_at(since, directory, tmp)
            cache = directory / "pubmed.sqlite"
            if cache.is_file():  # the same PubMed checks on both sides (the database is not in git)
                import shutil

                shutil.copy2(cache, old_dir / cache.name)
            try:
                old = scored.from_graph(load(old_dir).graph, f"data {directory} at {since}")
            except LdnGraphError as exc:
                shown = str(exc).replace(str(old_dir), f"{directory} at {since}")
                raise LdnGraphError(f"--since {since}: the data at that ref do not load: {shown}") from None
    return summarise(compare(old, new), old, new, since)
