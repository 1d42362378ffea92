"""A networkx view of the scored graph, and ranked intervention -> condition paths.

The view (:func:`to_networkx`) has one node per entity and **one edge per (subject, object)
pair**: parallel claims (e.g. LDN -> fibromyalgia for pain and for sleep) collapse into one edge
represented by the claim the scorer chose (:func:`ldngraph.evidence.claims.get_edge_claims`: into
a condition, its declared critical outcome, never the best of several outcomes; elsewhere the
strongest claim); the edge keeps the ids of every parallel claim. Collapsing first keeps path
enumeration bounded (field notes: the raw multigraph explodes). An edge's certainty is the
certainty that its claim holds: the body's certainty when the body concludes what the claim
states, else very low (a body concluding "little or no effect" does not carry an improvement).

Paths (:func:`find_paths`) run from an intervention to a condition through mechanisms only,
with at most ``max_hops`` edges:

* strength = product of the edge strengths x hop_penalty ** (hops - 1) (the penalty comes from
  the evidence profile); ``queries/paths_to_condition.rq`` computes the same number in SPARQL;
* certainty = the lowest edge certainty; the edge that sets it is the named *weakest link*
  (ties: the weaker edge strength). A mechanistic chain never raises a clinical claim's grade:
  when a direct edge source -> target exists, a longer path's certainty is capped at the direct
  edge's certainty.

Safety claims (``well_tolerated_in``) are not efficacy links and stay out of the view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from itertools import pairwise
from typing import Any, ClassVar

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from ldngraph.errors import QueryError
from ldngraph.evidence.bodies import OutcomeBody
from ldngraph.evidence.built import Built
from ldngraph.evidence.profile import Certainty
from ldngraph.evidence.summary import CONCLUSION_LABELS
from ldngraph.evidence.weights import TIERS
from ldngraph.model import Claim, EntityKind, Predicate
from ldngraph.model.names import match_name

#: Longest path: queries/paths_to_condition.rq, the SPARQL twin, covers up to 3 hops.
MAX_HOPS = 3

#: Claim predicates that take part in paths.
PATH_PREDICATES: frozenset[Predicate] = frozenset(Predicate) - {Predicate.well_tolerated_in}


class PathResult(BaseModel):
    """One ranked path from an intervention to a condition."""

    model_config = ConfigDict(frozen=True)

    nodes: tuple[str, ...] = Field(description="Entity CURIEs, source first")
    labels: tuple[str, ...] = Field(description="Entity labels, in the same order")
    claim_ids: tuple[str, ...] = Field(description="The claim representing each edge")
    edge_claims: tuple[tuple[str, ...], ...] = Field(description="Every parallel claim of each edge")
    predicates: tuple[str, ...] = Field(description="Predicate of each edge's representative claim")
    edge_strengths: tuple[float, ...]
    edge_certainties: tuple[Certainty, ...] = Field(description="Certainty that each edge's claim holds")
    edge_conclusions: tuple[str, ...] = Field(
        default=(),
        description="Each edge's body conclusion (benefit / little_or_no_effect / harm / uncertain / "
        "no_human_evidence)",
    )
    edge_holds: tuple[bool, ...] = Field(default=(), description="Whether each edge's claim holds")
    edge_outcomes: tuple[str | None, ...] = Field(
        default=(), description="Outcome label of each edge's claim"
    )
    edge_effects: tuple[str | None, ...] = Field(
        default=(), description="Each edge's effect (estimate and 95% CI, or how it was reached)"
    )
    hops: int
    strength: float = Field(description="prod(edge strengths) x hop_penalty ** (hops - 1)")
    weakest_link: str = Field(description="Claim id of the edge that sets the certainty")
    weakest_link_label: str = Field(description="'subject -> object' of the weakest link")
    certainty: Certainty
    capped_by_direct: bool = Field(description="True when the direct edge's certainty capped it")
    reasons: tuple[str, ...] = Field(description="Reason codes of every edge, merged")
    tier: str = Field(description="Lowest evidence tier along the path")
    citations: tuple[str, ...] = Field(description="Publication ids (PMID:/DOI:) behind the edges")

    #: Column names of :meth:`to_row` (the ``ldngraph paths`` table).
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "strength",
        "certainty",
        "conclusion",
        "path",
        "weakest link",
        "reasons",
        "citations",
    )

    @property
    def conclusion(self) -> str:
        """Each edge's outcome, conclusion and whether its claim holds, in path order: a claim that
        does not hold never reads as support."""
        parts = []
        for i, conclusion in enumerate(self.edge_conclusions):
            outcome = self.edge_outcomes[i] if i < len(self.edge_outcomes) else None
            holds = self.edge_holds[i] if i < len(self.edge_holds) else False
            text = CONCLUSION_LABELS.get(conclusion, conclusion.replace("_", " "))
            if conclusion == "no_human_evidence":
                text = "mechanistic support only, no human evidence"
            parts.append(f"{outcome + ': ' if outcome else ''}{text}{'' if holds else ' (does not hold)'}")
        return " > ".join(parts)

    def to_row(self) -> list[Any]:
        """The path as one table row (see :attr:`COLUMNS`)."""
        return [
            self.strength,
            self.certainty.value,
            self.conclusion,
            " > ".join(self.labels),
            self.weakest_link,
            " ".join(self.reasons),
            " ".join(self.citations),
        ]


class ConditionRank(BaseModel):
    """A condition's best standing: certainty of its best path, evidence tier, strength."""

    model_config = ConfigDict(frozen=True)

    condition: str
    label: str
    certainty: Certainty
    tier: str
    strength: float
    conflicting: bool = Field(description="The headline (critical outcome) body carries 'inconsistency'")
    best_path: tuple[str, ...]
    outcome: str | None = Field(default=None, description="The critical outcome heading the condition")
    conclusion: str | None = Field(default=None, description="The critical body's conclusion")
    headline_certainty: str | None = Field(default=None, description="Certainty in that conclusion")


def to_networkx(built: Built, *, predicates: Collection[Predicate] = PATH_PREDICATES) -> nx.DiGraph:
    """One node per entity, one scored edge per (subject, object) pair (see module doc)."""
    kb, scores = built.kb, built.scores.claims
    graph = nx.DiGraph(
        hop_penalty=built.scores.hop_penalty,
        max_hops=built.scores.max_hops,
        profile_version=built.scores.profile_version,
        profile_hash=built.scores.profile_hash,
        bodies=built.scores.bodies,
    )
    edge_claims = built.scores.edges
    for ent in kb.entities:
        graph.add_node(ent.id, label=ent.label, kind=ent.kind.value, names=ent.names)
    parallel: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for claim in kb.claims:
        if claim.predicate in predicates:
            parallel[(claim.subject, claim.object)].append(claim)
    for (subj, obj), claims in parallel.items():
        reps = [c for c in claims if c.id in edge_claims]
        if not reps:
            continue
        rep = reps[0]
        score = scores[rep.id]
        cites = [p for it in score.items if it.excluded is None for p in it.publications]
        graph.add_edge(
            subj,
            obj,
            claim=rep.id,
            claim_ids=tuple(sorted(c.id for c in claims)),
            predicate=rep.predicate.value,
            strength=score.strength,
            certainty=score.path_certainty,
            conclusion=score.conclusion,
            holds=score.holds,
            outcome=score.outcome_label,
            effect=score.effect,
            body_certainty=score.certainty,
            reasons=score.reasons,
            tier=score.tier,
            citations=tuple(dict.fromkeys(cites)),
            conflicting="inconsistency" in score.reasons,
        )
    return graph


def resolve_node(graph: nx.DiGraph, name: str) -> str:
    """The node named by CURIE, label or synonym (case-insensitive)."""
    return match_name(name, {n: d.get("names", (n,)) for n, d in graph.nodes(data=True)})


def _to_result(graph: nx.DiGraph, nodes: list[str], penalty: float) -> PathResult:
    edges = [graph.edges[a, b] for a, b in pairwise(nodes)]
    strength = 1.0
    for e in edges:
        strength *= e["strength"]
    strength *= penalty ** (len(edges) - 1)
    weakest_i = min(range(len(edges)), key=lambda i: (edges[i]["certainty"].rank, edges[i]["strength"], i))
    certainty: Certainty = edges[weakest_i]["certainty"]
    capped = False
    source, target = nodes[0], nodes[-1]
    if len(edges) > 1 and graph.has_edge(source, target):
        direct: Certainty = graph.edges[source, target]["certainty"]
        if direct.rank < certainty.rank:
            certainty, capped = direct, True
    labels = tuple(graph.nodes[n]["label"] for n in nodes)
    reasons = dict.fromkeys(r for e in edges for r in e["reasons"])
    return PathResult(
        nodes=tuple(nodes),
        labels=labels,
        claim_ids=tuple(e["claim"] for e in edges),
        edge_claims=tuple(e["claim_ids"] for e in edges),
        predicates=tuple(e["predicate"] for e in edges),
        edge_strengths=tuple(e["strength"] for e in edges),
        edge_certainties=tuple(e["certainty"] for e in edges),
        edge_conclusions=tuple(e["conclusion"] for e in edges),
        edge_holds=tuple(e["holds"] for e in edges),
        edge_outcomes=tuple(e["outcome"] for e in edges),
        edge_effects=tuple(e["effect"] for e in edges),
        hops=len(edges),
        strength=strength,
        weakest_link=edges[weakest_i]["claim"],
        weakest_link_label=f"{labels[weakest_i]} -> {labels[weakest_i + 1]}",
        certainty=certainty,
        capped_by_direct=capped,
        reasons=tuple(reasons),
        tier=min((e["tier"] for e in edges), key=TIERS.__getitem__),
        citations=tuple(dict.fromkeys(c for e in edges for c in e["citations"])),
    )


def _check_kind(graph: nx.DiGraph, name: str, node: str, kind: EntityKind, end: str) -> None:
    """Paths run intervention -> condition only, as in paths_to_condition.rq: refuse anything else
    (other kinds used to give paths the SPARQL query never returns, or an empty answer)."""
    actual = graph.nodes[node]["kind"]
    if actual == kind.value:
        return
    valid = sorted(d["label"] for _, d in graph.nodes(data=True) if d["kind"] == kind.value)
    shown = ", ".join(repr(v) for v in valid[:5]) + (f" ... ({len(valid)} in all)" if len(valid) > 5 else "")
    article = {"intervention": "an", "outcome": "an"}.get(actual, "a")
    raise QueryError(
        f"'{name}' ({node}) is {article} {actual}, but paths {end} at "
        f"{'an' if kind is EntityKind.intervention else 'a'} {kind.value}; "
        f"{kind.value}s in this graph: {shown or 'none'}"
    )


def find_paths(
    graph: nx.DiGraph,
    source: str,
    target: str,
    *,
    max_hops: int | None = None,
    top_k: int | None = 10,
) -> list[PathResult]:
    """Paths source -> target through mechanisms, strongest first (``top_k=None``: all of them).

    ``source`` and ``target`` may be CURIEs, labels or synonyms; the source must be an
    intervention and the target a condition (else :class:`QueryError`). ``max_hops=None``: the
    evidence profile's ``paths.max_hops`` (kept on the graph by :func:`to_networkx`).
    """
    max_hops = get_max_hops(graph) if max_hops is None else max_hops
    if not 1 <= max_hops <= MAX_HOPS:
        raise QueryError(
            f"max_hops must be 1 to {MAX_HOPS} (got {max_hops}): the SPARQL twin of this search, "
            "queries/paths_to_condition.rq, covers paths of up to 3 hops"
        )
    src, dst = resolve_node(graph, source), resolve_node(graph, target)
    _check_kind(graph, source, src, EntityKind.intervention, "start")
    _check_kind(graph, target, dst, EntityKind.condition, "end")
    allowed = {n for n, kind in graph.nodes(data="kind") if kind == EntityKind.mechanism.value} | {src, dst}
    view = nx.subgraph_view(graph, filter_node=lambda n: n in allowed)
    penalty = float(graph.graph.get("hop_penalty", 1.0))
    results = [_to_result(graph, p, penalty) for p in nx.all_simple_paths(view, src, dst, cutoff=max_hops)]
    results.sort(key=lambda r: (-r.strength, -r.certainty.rank, r.nodes))
    return results if top_k is None else results[:top_k]


def get_max_hops(graph: nx.DiGraph) -> int:
    """The profile's ``paths.max_hops`` for ``graph``; 3 for a graph not built by :func:`to_networkx`."""
    return int(graph.graph.get("max_hops", 3))


def rank_conditions(graph: nx.DiGraph, source: str, *, max_hops: int | None = None) -> list[ConditionRank]:
    """Every condition reachable from ``source``, best first.

    A condition's standing is its best path's certainty, then its best evidence tier (human data
    outrank review, preclinical and theoretical evidence whatever the numbers), then its best
    path strength.
    """
    src = resolve_node(graph, source)
    ranked: list[ConditionRank] = []
    for node, data in graph.nodes(data=True):
        if data["kind"] != EntityKind.condition.value:
            continue
        paths = find_paths(graph, src, node, max_hops=max_hops, top_k=None)
        if not paths:
            continue
        best = paths[0]
        direct = graph.edges[src, node] if graph.has_edge(src, node) else None
        critical = get_critical_body(graph, src, node)
        ranked.append(
            ConditionRank(
                condition=node,
                label=data["label"],
                certainty=max((p.certainty for p in paths), key=lambda c: c.rank),
                tier=max((p.tier for p in paths), key=TIERS.__getitem__),
                strength=best.strength,
                conflicting=bool(direct and direct["conflicting"]),
                best_path=best.nodes,
                outcome=critical.outcome if critical else None,
                conclusion=critical.conclusion if critical else None,
                headline_certainty=critical.certainty.value if critical else None,
            )
        )
    ranked.sort(key=lambda c: (-c.certainty.rank, -TIERS[c.tier], -c.strength, c.condition))
    return ranked


def get_bodies(graph: nx.DiGraph, source: str, target: str) -> list[OutcomeBody]:
    """Every outcome body source -> target, the critical outcome first, then by certainty."""
    src, dst = resolve_node(graph, source), resolve_node(graph, target)
    bodies: dict[str, OutcomeBody] = graph.graph.get("bodies", {})
    found = [b for b in bodies.values() if b.intervention == src and b.condition == dst]
    found.sort(
        key=lambda b: (not b.critical, b.question != "effect", -b.certainty.rank, b.outcome or "", b.id)
    )
    return found


def get_critical_body(graph: nx.DiGraph, source: str, target: str) -> OutcomeBody | None:
    """The body on the condition's declared critical outcome (None when none is declared)."""
    return next((b for b in get_bodies(graph, source, target) if b.critical), None)


def get_paths_report(
    built: Built, source: str, target: str, *, max_hops: int | None = None, top_k: int | None = 10
) -> dict[str, Any]:
    """What ``ldngraph paths`` prints: the profile, every outcome body source -> target (critical
    first, null ones included) and the ranked paths, JSON-ready."""
    from ldngraph.evidence.summary import to_row

    graph = to_networkx(built)
    found = find_paths(graph, source, target, max_hops=max_hops, top_k=top_k)
    return {
        "profile_version": built.scores.profile_version,
        "profile_hash": built.scores.profile_hash,
        "outcome_bodies": [
            to_row(b, graph.nodes[b.outcome]["label"] if b.outcome in graph else None)
            for b in get_bodies(graph, source, target)
        ],
        "paths": [{**p.model_dump(mode="json"), "conclusion": p.conclusion} for p in found],
    }
