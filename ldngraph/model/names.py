"""Resolve names a user types (CURIE, label, synonym; claim id or content hash) to records."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from ldngraph.errors import UnknownEntityError
from ldngraph.model import Claim, Design, Entity, KnowledgeBase


def match_name(name: str, names: Mapping[str, Iterable[str]], what: str = "entity") -> str:
    """The key whose names include ``name`` (case-insensitive); else :class:`UnknownEntityError`.

    ``names`` maps a key (a CURIE, a claim id) to every name it answers to, the key included.
    """
    wanted = name.strip().casefold()
    index: dict[str, set[str]] = {}
    for key, aliases in names.items():
        for alias in (key, *aliases):
            index.setdefault(alias.casefold(), set()).add(key)
    hits = index.get(wanted, set())
    if len(hits) == 1:
        return next(iter(hits))
    if len(hits) > 1:
        raise UnknownEntityError(f"'{name}' names several {what}s ({', '.join(sorted(hits))}); use a CURIE")
    close = difflib.get_close_matches(wanted, list(index), n=3, cutoff=0.6)
    if not close:
        close = sorted(a for a in index if wanted and wanted in a)[:3]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownEntityError(f"unknown {what} '{name}'{hint}")


def get_entity(kb: KnowledgeBase, name: str) -> Entity:
    """The entity named by CURIE, label or synonym (case-insensitive)."""
    curie = match_name(name, {e.id: e.names for e in kb.entities})
    return kb.entity_index[curie]


def get_claim(kb: KnowledgeBase, name: str) -> Claim:
    """The claim named by id or content hash."""
    claim_id = match_name(name, {c.id: (c.content_hash,) for c in kb.claims}, what="claim")
    return kb.claim_index[claim_id]


_DESIGN_LABELS: dict[Design, str] = {
    Design.meta_analysis: "meta-analysis",
    Design.rct: "RCT",
    Design.crossover_rct: "crossover RCT",
    Design.controlled_trial: "non-randomised controlled trial",
    Design.pre_post: "pre-post study",
}


def design_label(design: Design) -> str:
    """Readable name of a study design, e.g. 'crossover RCT'."""
    return _DESIGN_LABELS.get(design, design.value.replace("_", " "))
