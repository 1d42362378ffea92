"""A small, neutral view of one scoring: what ``ldngraph diff`` compares.

The view is read from the scored RDF graph with a few SPARQL SELECTs, so it is the same whether
the graph was just built from data/ and a profile, read from an exported file, or sits in a
persistent store or on a SPARQL server; and it depends only on the graph's vocabulary
(docs/vocabulary.md), not on the scorer's Python classes. Each claim keeps its conclusion,
certainty with reasons, strength, and evidence items; each outcome body (intervention x condition
x outcome, ldn:OutcomeBody) its conclusion, certainty with reasons and study count; paths come from
queries/paths_to_condition.rq. A graph without outcome bodies (made before they existed) gives
claim conclusions from support and refutation instead (:func:`get_conclusion`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rdflib import Graph

from ldngraph.errors import LdnGraphError
from ldngraph.stores.store import GraphStore, MemoryStore

#: Claim conclusions of a graph without outcome bodies, from its counted evidence.
CONCLUSIONS = ("supported", "refuted", "conflicting", "no counted evidence")
#: disagreement (2 min(s, r) / (s + r)) at or above which a claim is "conflicting".
CONFLICT_AT = 0.5


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceView(_Frozen):
    """One evidence item, keyed by what it says (study, direction, outcome)."""

    study: str
    direction: str
    outcome: str | None = None
    weight: float | None = None
    excluded: str | None = Field(default=None, description="Why it does not count (retracted)")

    @property
    def key(self) -> str:
        return f"{self.study} {self.direction}" + (f" {self.outcome}" if self.outcome else "")


class ClaimView(_Frozen):
    id: str
    statement: str = ""
    subject: str
    predicate: str
    object: str
    outcome: str | None = None
    conclusion: str = Field(description="Its body's conclusion, and whether the claim holds")
    certainty: str | None = None
    reasons: tuple[str, ...] = ()
    strength: float | None = None
    support: float | None = None
    refute: float | None = None
    tier: str | None = None
    evidence: tuple[EvidenceView, ...] = ()


class BodyView(_Frozen):
    """One outcome body: what all the evidence on one intervention x condition x outcome concludes."""

    id: str
    label: str = Field(description="'intervention -> condition: outcome' in labels")
    question: str | None = None
    critical: bool = False
    conclusion: str
    certainty: str | None = None
    reasons: tuple[str, ...] = ()
    studies: int | None = None
    participants: int | None = None
    start: str | None = Field(default=None, description="GRADE start level")
    basis: str | None = Field(default=None, description="estimate / review / swim / none")
    estimate: str | None = Field(default=None, description="'md -0.34 (-0.95 to 0.27)' or None")
    domains: Mapping[str, int] = Field(default_factory=dict, description="Levels lost per GRADE domain")


class PathView(_Frozen):
    nodes: tuple[str, ...] = Field(description="CURIEs, intervention first, condition last")
    labels: tuple[str, ...]
    strength: float

    @property
    def key(self) -> str:
        return " -> ".join(self.nodes)

    @property
    def text(self) -> str:
        return " -> ".join(self.labels)


class ScoredView(_Frozen):
    """One scoring of one graph: claims by id, paths by node sequence."""

    source: str = Field(description="Where it came from, in words")
    profile_version: str | None = None
    claims: Mapping[str, ClaimView]
    bodies: Mapping[str, BodyView] = Field(default_factory=dict)
    paths: Mapping[str, PathView]
    labels: Mapping[str, str] = Field(default_factory=dict, description="CURIE -> label")


def get_conclusion(support: float | None, refute: float | None, disagreement: float | None) -> str:
    """What the counted evidence says about a claim: supported, refuted, conflicting, or nothing."""
    s, r = support or 0.0, refute or 0.0
    if s <= 0 and r <= 0:
        return "no counted evidence"
    if (disagreement or 0.0) >= CONFLICT_AT:
        return "conflicting"
    return "supported" if s > r else "refuted"


_PREFIXES = """PREFIX ldn: <https://w3id.org/ldngraph/vocab/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
_CLAIMS = (
    _PREFIXES
    + """SELECT ?id ?statement ?subject ?predicate ?object ?outcome ?support ?refute ?strength
          ?disagreement ?certainty ?tier ?version ?conclusion ?holds
WHERE {
  ?c a ldn:Claim ; ldn:claimId ?id ; rdf:subject ?subject ; ldn:predicate ?predicate ; rdf:object ?object .
  OPTIONAL { ?c dcterms:description ?statement }
  OPTIONAL { ?c ldn:outcome ?outcome }
  OPTIONAL { ?c ldn:support ?support }
  OPTIONAL { ?c ldn:refute ?refute }
  OPTIONAL { ?c ldn:strength ?strength }
  OPTIONAL { ?c ldn:disagreement ?disagreement }
  OPTIONAL { ?c ldn:certainty ?certainty }
  OPTIONAL { ?c ldn:evidenceTier ?tier }
  OPTIONAL { ?c ldn:profileVersion ?version }
  OPTIONAL { ?c ldn:conclusion ?conclusion }
  OPTIONAL { ?c ldn:holds ?holds }
}"""
)
_BODIES = (
    _PREFIXES
    + """SELECT ?b ?intervention ?condition ?outcome ?question ?critical ?conclusion ?certainty ?studies
       ?participants ?start ?basis ?measure ?value ?lower ?upper ?rob ?inc ?ind ?imp ?pub WHERE {
  ?b a ldn:OutcomeBody ; ldn:intervention ?intervention ; ldn:condition ?condition ;
     ldn:conclusion ?conclusion .
  OPTIONAL { ?b ldn:startCertainty ?start }
  OPTIONAL { ?b ldn:basis ?basis }
  OPTIONAL { ?b ldn:effectMeasure ?measure ; ldn:effectValue ?value ; ldn:effectCiLower ?lower ;
                ldn:effectCiUpper ?upper }
  OPTIONAL { ?b ldn:riskOfBiasLevels ?rob }
  OPTIONAL { ?b ldn:inconsistencyLevels ?inc }
  OPTIONAL { ?b ldn:indirectnessLevels ?ind }
  OPTIONAL { ?b ldn:imprecisionLevels ?imp }
  OPTIONAL { ?b ldn:publicationBiasLevels ?pub }
  OPTIONAL { ?b ldn:outcome ?outcome }
  OPTIONAL { ?b ldn:question ?question }
  OPTIONAL { ?b ldn:critical ?critical }
  OPTIONAL { ?b ldn:certainty ?certainty }
  OPTIONAL { ?b ldn:studyCount ?studies }
  OPTIONAL { ?b ldn:participants ?participants }
}"""
)
_BODY_REASONS = _PREFIXES + "SELECT ?b ?reason WHERE { ?b a ldn:OutcomeBody ; ldn:reason ?reason }"
_REASONS = _PREFIXES + "SELECT ?id ?reason WHERE { ?c ldn:claimId ?id ; ldn:reason ?reason }"
_EVIDENCE = (
    _PREFIXES
    + """SELECT ?id ?study ?direction ?outcome ?weight ?excluded WHERE {
  ?c ldn:claimId ?id ; ldn:hasEvidence ?ev .
  ?ev ldn:study ?s ; ldn:direction ?direction .
  ?s ldn:studyId ?study .
  OPTIONAL { ?ev ldn:outcome ?outcome }
  OPTIONAL { ?ev ldn:weight ?weight }
  OPTIONAL { ?ev ldn:excluded ?excluded }
}"""
)
_LABELS = _PREFIXES + "SELECT ?node ?label WHERE { ?node ldn:kind ?kind ; rdfs:label ?label }"


def _rows(store: GraphStore, text: str) -> list[dict[str, Any]]:
    return store.query(text).to_python()


def _curie(value: Any) -> str:
    from ldngraph.rdf.vocab import from_iri

    return from_iri(str(value)) or str(value)


def from_store(store: GraphStore, source: str) -> ScoredView:
    """Read the view from any store holding one scored graph; a value of the wrong type (a score
    that is not a number, from a hostile or hand-edited graph) is one :class:`LdnGraphError`."""
    try:
        return _from_store(store, source)
    except ValidationError as exc:
        err = exc.errors()[0]
        what = exc.title.removesuffix("View").lower()
        field = ".".join(str(part) for part in err["loc"]) or "?"
        got = str(err.get("input"))[:60]
        raise LdnGraphError(
            f"{source}: {what} {field} is '{got}': {err['msg'].lower()}; the graph is not one ldngraph "
            "wrote (or was edited by hand): export it again"
        ) from None


def _from_store(store: GraphStore, source: str) -> ScoredView:
    from ldngraph.stores.query import run_query_on_store

    labels = {_curie(r["node"]): str(r["label"]) for r in _rows(store, _LABELS)}
    reasons: dict[str, set[str]] = {}
    for r in _rows(store, _REASONS):
        reasons.setdefault(str(r["id"]), set()).add(str(r["reason"]))
    evidence: dict[str, list[EvidenceView]] = {}
    for r in _rows(store, _EVIDENCE):
        evidence.setdefault(str(r["id"]), []).append(
            EvidenceView(
                study=str(r["study"]),
                direction=str(r["direction"]),
                outcome=_curie(r["outcome"]) if r["outcome"] is not None else None,
                weight=r["weight"],
                excluded=str(r["excluded"]) if r["excluded"] is not None else None,
            )
        )
    claims: dict[str, ClaimView] = {}
    versions: set[str] = set()
    for r in _rows(store, _CLAIMS):
        cid = str(r["id"])
        if r["version"] is not None:
            versions.add(str(r["version"]))
        claims[cid] = ClaimView(
            id=cid,
            statement=str(r["statement"] or ""),
            subject=_curie(r["subject"]),
            predicate=str(r["predicate"]),
            object=_curie(r["object"]),
            outcome=_curie(r["outcome"]) if r["outcome"] is not None else None,
            conclusion=_claim_conclusion(r),
            certainty=str(r["certainty"]) if r["certainty"] is not None else None,
            reasons=tuple(sorted(reasons.get(cid, ()))),
            strength=r["strength"],
            support=r["support"],
            refute=r["refute"],
            tier=str(r["tier"]) if r["tier"] is not None else None,
            evidence=tuple(sorted(evidence.get(cid, ()), key=lambda e: (e.key, e.excluded or ""))),
        )
    bodies = _get_bodies(store, labels)
    if not claims:
        raise LdnGraphError(f"{source}: holds no claims (ldn:Claim); is it an ldngraph graph?")
    paths: dict[str, PathView] = {}
    if versions:  # unscored graphs have no strengths, hence no paths
        for row in run_query_on_store(store, "paths_to_condition").to_records():
            nodes = tuple(str(row[k]) for k in ("source", "mid1", "mid2", "target") if row[k] is not None)
            view = PathView(
                nodes=nodes, labels=tuple(labels.get(n, n) for n in nodes), strength=row["strength"]
            )
            paths[view.key] = view
    version = ", ".join(sorted(versions)) if versions else None
    return ScoredView(
        source=source, profile_version=version, claims=claims, bodies=bodies, paths=paths, labels=labels
    )


def _claim_conclusion(row: Mapping[str, Any]) -> str:
    if row["conclusion"] is None:  # a graph scored before outcome bodies
        return get_conclusion(row["support"], row["refute"], row["disagreement"])
    holds = row["holds"]
    return str(row["conclusion"]) + ("" if holds is None else " (holds)" if holds else " (does not hold)")


def _get_bodies(store: GraphStore, labels: Mapping[str, str]) -> dict[str, BodyView]:
    reasons: dict[str, set[str]] = {}
    for r in _rows(store, _BODY_REASONS):
        reasons.setdefault(str(r["b"]), set()).add(str(r["reason"]))
    bodies: dict[str, BodyView] = {}
    for r in _rows(store, _BODIES):
        node = str(r["b"])
        names = [labels.get(c, c) for c in (_curie(r["intervention"]), _curie(r["condition"]))]
        what = labels.get(_curie(r["outcome"]), _curie(r["outcome"])) if r["outcome"] is not None else None
        question = str(r["question"]) if r["question"] is not None else None
        estimate = None
        if r["measure"] is not None:
            estimate = f"{r['measure']} {r['value']:.3g} ({r['lower']:.3g} to {r['upper']:.3g})"
        domains = {
            name: int(r[key])
            for name, key in (
                ("risk_of_bias", "rob"),
                ("inconsistency", "inc"),
                ("indirectness", "ind"),
                ("imprecision", "imp"),
                ("publication_bias", "pub"),
            )
            if r[key] is not None
        }
        body = BodyView(
            id=node.rsplit("/", 1)[-1],
            label=f"{names[0]} -> {names[1]}: {what or question or 'claimed effect'}",
            question=question,
            critical=bool(r["critical"]),
            conclusion=str(r["conclusion"]),
            certainty=str(r["certainty"]) if r["certainty"] is not None else None,
            reasons=tuple(sorted(reasons.get(node, ()))),
            studies=r["studies"],
            participants=r["participants"],
            start=str(r["start"]) if r["start"] is not None else None,
            basis=str(r["basis"]) if r["basis"] is not None else None,
            estimate=estimate,
            domains=domains,
        )
        bodies[body.id] = body
    return bodies


def from_graph(graph: Graph, source: str) -> ScoredView:
    """The view of an rdflib graph (built, or read from a file)."""
    return from_store(MemoryStore(graph), source)


__all__ = [
    "CONCLUSIONS",
    "BodyView",
    "ClaimView",
    "EvidenceView",
    "PathView",
    "ScoredView",
    "from_graph",
    "from_store",
    "get_conclusion",
]
