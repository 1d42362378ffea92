"""The whole pipeline in one call: read data/, validate, build the graph, score it.

Notebooks and the CLI start here; each stage is also callable on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from ldngraph.build import to_graph
from ldngraph.citations import apply_cached_pubmed
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.locations import get_data_dir
from ldngraph.model import KnowledgeBase
from ldngraph.score import ScoreReport, materialise, read_profile, score_knowledge_base

if TYPE_CHECKING:
    from ldngraph.store import GraphStore

PROFILE_NAME = "evidence-profile.yaml"


@dataclass(frozen=True)
class Built:
    """A validated knowledge base, its scores, and its RDF graph (scores materialised)."""

    kb: KnowledgeBase
    graph: Graph
    scores: ScoreReport


def get_profile_path(data_dir: Path | None = None) -> Path:
    """The profile beside ``data_dir`` if it has one, else the shipped data's profile."""
    if data_dir is not None and (data_dir / PROFILE_NAME).is_file():
        return data_dir / PROFILE_NAME
    return get_data_dir() / PROFILE_NAME


def read_scored(
    data_dir: Path | str | None = None, profile: Path | str | None = None
) -> tuple[KnowledgeBase, ScoreReport]:
    """Read and validate ``data_dir`` (default: the shipped data) and score it; no graph yet.

    ``profile`` defaults to ``data_dir/evidence-profile.yaml``, else the shipped profile.
    """
    directory = Path(data_dir) if data_dir is not None else get_data_dir()
    prof = read_profile(Path(profile) if profile is not None else get_profile_path(directory))
    kb = read_knowledge_base(directory)
    kb = apply_cached_pubmed(kb, directory)  # PubMed checks and retractions, from the default cache
    return kb, score_knowledge_base(kb, prof)


def load(data_dir: Path | str | None = None, profile: Path | str | None = None) -> Built:
    """Read and validate ``data_dir`` (default: the shipped data), build and score its graph."""
    kb, scores = read_scored(data_dir, profile)
    return Built(kb=kb, graph=materialise(to_graph(kb), kb, scores), scores=scores)


def push(
    store: GraphStore,
    data_dir: Path | str | None = None,
    profile: Path | str | None = None,
    *,
    append: bool = False,
) -> None:
    """Build and score ``data_dir`` straight into ``store`` through the fast path, all or nothing.

    The triples are those of :func:`load` (``ldngraph.fastbuild`` writes them as N-Triples, with
    no rdflib graph in between; tests/test_fastbuild.py holds the two together). The store's
    previous content is replaced (``append``: kept) only once every triple has loaded
    (:meth:`ldngraph.store.GraphStore.replace`).
    """
    from ldngraph.fastbuild import iter_scored_chunks

    kb, scores = read_scored(data_dir, profile)
    store.replace(iter_scored_chunks(kb, scores), append=append)


def get_summary(built: Built) -> dict[str, Any]:
    """Counts by node type, edge type, study design, citation status and claim certainty."""
    kb = built.kb
    nodes = Counter(e.kind.value for e in kb.entities)
    nodes.update({"study": len(kb.studies), "publication": len(kb.publications)})
    return {
        "triples": len(built.graph),
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
    }
