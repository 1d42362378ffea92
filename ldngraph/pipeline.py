"""The whole pipeline in one call: read data/, validate, build the graph.

Notebooks and the CLI start here; each stage is also callable on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph

from ldngraph.build import to_graph
from ldngraph.citations import apply_cached_pubmed
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.locations import get_data_dir
from ldngraph.model import KnowledgeBase


@dataclass(frozen=True)
class Built:
    """A validated knowledge base and its RDF graph."""

    kb: KnowledgeBase
    graph: Graph


def load(data_dir: Path | str | None = None) -> Built:
    """Read and validate ``data_dir`` (default: the shipped data) and build its graph."""
    directory = Path(data_dir) if data_dir is not None else get_data_dir()
    kb = read_knowledge_base(directory)
    kb = apply_cached_pubmed(kb, directory)  # PubMed checks and retractions, when data/pubmed/ exists
    return Built(kb=kb, graph=to_graph(kb))


def get_summary(built: Built) -> dict[str, Any]:
    """Counts by node type, edge type, study design and citation status."""
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
    }
