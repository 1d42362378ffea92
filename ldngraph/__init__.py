"""ldngraph: a citation-grounded evidence knowledge graph for low-dose naltrexone (LDN)."""

from __future__ import annotations

from ldngraph.build import to_graph
from ldngraph.errors import DataError, LdnGraphError
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.model import Claim, Entity, EvidenceItem, KnowledgeBase, Publication, Study
from ldngraph.pipeline import Built, get_summary, load

__all__ = [
    "Built",
    "Claim",
    "DataError",
    "Entity",
    "EvidenceItem",
    "KnowledgeBase",
    "LdnGraphError",
    "Publication",
    "Study",
    "get_summary",
    "load",
    "read_knowledge_base",
    "to_graph",
]
__version__ = "0.1.0"
