"""ldngraph: a citation-grounded evidence knowledge graph for low-dose naltrexone (LDN).

Public names are imported lazily (PEP 562), so ``import ldngraph.cli`` (and ``ldngraph --help``)
does not pay for rdflib and pydantic until a command needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ldngraph.errors import DataError, LdnGraphError
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.model import Claim, Entity, EvidenceItem, KnowledgeBase, Publication, Study
    from ldngraph.pipeline import Built, get_summary, load
    from ldngraph.rdf.build import to_graph

_LAZY: dict[str, str] = {
    "Built": "ldngraph.pipeline",
    "Claim": "ldngraph.model",
    "DataError": "ldngraph.errors",
    "Entity": "ldngraph.model",
    "EvidenceItem": "ldngraph.model",
    "KnowledgeBase": "ldngraph.model",
    "LdnGraphError": "ldngraph.errors",
    "Publication": "ldngraph.model",
    "Study": "ldngraph.model",
    "get_summary": "ldngraph.pipeline",
    "load": "ldngraph.pipeline",
    "read_knowledge_base": "ldngraph.ingest.curated",
    "to_graph": "ldngraph.rdf.build",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ldngraph' has no attribute {name!r}")


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
