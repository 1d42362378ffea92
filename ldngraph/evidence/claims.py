"""Claim scores and path edges, derived from the outcome bodies.

A claim reads its body (:mod:`ldngraph.evidence.bodies`) from its own side: for an effect claim
the benefit units support it and the null and harm units refute it; for a tolerability claim
(``well_tolerated_in``) the null units support it and the harm units refute it. So a review never
counts on top of the trials it includes here either.

* support = noisy-or of the supporting units, refute likewise;
* strength = support x (1 - refute) (the number researchers rank paths by);
* certainty = the body's certainty in its conclusion; ``holds`` says whether that conclusion is
  the claim (a body concluding "little or no effect" does not hold an improvement claim, whatever
  its certainty; a tolerability claim holds when the body finds no more harm than the comparator
  or less; a body with no human evidence never makes a claim hold);
* the body's effect (estimate, 95% CI, how it was reached) and the outcome's label travel with
  the claim into every output (paths, RDF, KGX, GraphML, viz, report).

Path edges (:func:`get_edge_claims`): one claim per (subject, object) pair. Into a condition
with a declared critical outcome, the edge is that outcome's claim (never the best of several
outcomes); elsewhere, the strongest claim.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from pydantic import Field

from ldngraph.evidence.bodies import Downgrade, OutcomeBody, build_bodies, get_claim_bodies
from ldngraph.evidence.effects import MEASURE_LABELS
from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.evidence.weights import TIERS, ItemScore, combine, quantise
from ldngraph.model import Claim, Direction, KnowledgeBase, Predicate
from ldngraph.model.terms import _Frozen

#: Every reason code a claim may carry (GRADE domains, then notes).
REASON_CODES = (
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
    "preclinical_only",
    "theoretical_only",
    "no_human_evidence",
    "no_evidence",
    "retracted",
    "excluded",
    "no_supporting_evidence",
)

#: Conclusions of a body that make each kind of claim hold.
HOLDS_IF: dict[str, frozenset[str]] = {
    "effect": frozenset({"benefit"}),
    "tolerability": frozenset({"little_or_no_effect", "benefit"}),
}


def get_disagreement(a: float, b: float) -> float:
    """2 min(a, b) / (a + b) of a claim's support and refutation: 0 when one side is empty, 1 when
    both weigh the same (a descriptive number; v3 conclusions never read it)."""
    total = a + b
    return 0.0 if total <= 0 else 2.0 * min(a, b) / total


def get_effect_text(body: OutcomeBody) -> str | None:
    """The body's effect in one line, e.g. 'MD -0.34 (95% CI -0.95 to 0.27), 1 study', or how a
    synthesis without meta-analysis came out; None when there is neither."""
    syn = body.synthesis
    p = syn.effect.pooled
    if p is not None:
        where = {"review": f"pooled by {syn.review}", "estimate": f"{p.k} stud{'y' if p.k == 1 else 'ies'}"}
        return (
            f"{MEASURE_LABELS[p.measure]} {p.value:.3g} (95% CI {p.ci_lower:.3g} to {p.ci_upper:.3g}), "
            f"{where.get(syn.basis, syn.basis)}"
        )
    if syn.sign_test is not None:
        return f"no estimate; synthesis without meta-analysis: {syn.sign_test.text}"
    return None


class EvidenceUnit(_Frozen):
    """A body unit as the claim sees it: supporting or refuting."""

    direction: Direction
    studies: tuple[str, ...]
    weight: float
    note: str


class ClaimScore(_Frozen):
    """Support, refute, strength and the body's conclusion and certainty, with the full trace."""

    claim_id: str
    content_hash: str
    body: str = Field(description="Id of the claim's outcome body")
    support: float
    refute: float
    strength: float
    disagreement: float
    conclusion: str = Field(
        description="The body's conclusion: benefit / little_or_no_effect / harm / uncertain"
    )
    certainty: Certainty = Field(description="Certainty in the body's conclusion")
    holds: bool = Field(description="True when the body's conclusion is what the claim states")
    basis: str = Field(default="none", description="How the body concluded: estimate / review / swim / none")
    magnitude: str | None = Field(default=None, description="important / small / trivial / unknown")
    outcome: str | None = Field(default=None, description="Outcome CURIE of the claim")
    outcome_label: str | None = Field(default=None, description="Its label")
    effect: str | None = Field(default=None, description="The body's effect in words (estimate, 95% CI)")
    effect_measure: str | None = Field(default=None, description="md / smd / rr ... of the estimate used")
    effect_value: float | None = None
    effect_ci_lower: float | None = None
    effect_ci_upper: float | None = None
    start: Certainty = Field(description="Level before downgrades (best design behind the conclusion)")
    reasons: tuple[str, ...] = Field(description="Reason codes: downgrades and notes")
    downgrades: tuple[Downgrade, ...]
    citation_flags: tuple[str, ...] = Field(description="Data-quality flags shown beside the grade")
    critical: bool = Field(description="The body is its condition's critical outcome")
    tier: str = Field(description="Best evidence tier among counted items")
    items: tuple[ItemScore, ...]
    units: tuple[EvidenceUnit, ...]
    trace: tuple[str, ...]
    profile_version: str
    profile_hash: str

    @property
    def path_certainty(self) -> Certainty:
        """Certainty that the claim holds: the body's certainty if it concludes the claim, else very low."""
        return self.certainty if self.holds else Certainty.very_low


class ScoreReport(_Frozen):
    """Scores of every claim and body of a knowledge base under one profile."""

    profile_version: str
    profile_hash: str = Field(description="Content hash of the profile (part of its identity)")
    hop_penalty: float
    max_hops: int = Field(default=3, description="The profile's paths.max_hops: default path length")
    claims: Mapping[str, ClaimScore]
    bodies: Mapping[str, OutcomeBody]
    edges: Mapping[str, str] = Field(description="Claim id -> 'subject|object' for each path-edge claim")

    @property
    def profile_identity(self) -> str:
        return f"{self.profile_version}+{self.profile_hash}"


def _claim_side(claim: Claim) -> tuple[set[str], set[str]]:
    if claim.predicate is Predicate.well_tolerated_in:
        return {"null", "benefit"}, {"harm"}
    return {"benefit"}, {"null", "harm"}


def _mass(units: Sequence[EvidenceUnit], body: OutcomeBody, direction: Direction) -> float:
    """Noisy-or of one side's units, where expert opinion (narrative reviews) counts only as far as
    the studies do not already carry more: max(studies, opinion), so opinion never adds on top of
    studies and adding a study never lowers the mass."""
    opinion = {u.studies for u in body.units if u.role == "opinion"}
    side = [u for u in units if u.direction is direction]
    studies = combine([u.weight for u in side if u.studies not in opinion])
    return max(studies, combine([u.weight for u in side if u.studies in opinion]))


def score_from_body(claim: Claim, body: OutcomeBody, outcome_label: str | None = None) -> ClaimScore:
    """The score of ``claim`` read from its body."""
    pro, _ = _claim_side(claim)
    units = [
        EvidenceUnit(
            direction=Direction.supports if u.side in pro else Direction.refutes,
            studies=u.studies,
            weight=u.weight,
            note=f"{u.role}, {u.side}: {u.note}",
        )
        for u in body.units
    ]
    support = _mass(units, body, Direction.supports)
    refute = _mass(units, body, Direction.refutes)
    strength = quantise(support * (1.0 - refute))
    disagreement = quantise(get_disagreement(support, refute))
    support, refute = quantise(support), quantise(refute)
    items = tuple(it for it, cid in zip(body.items, body.item_claims, strict=True) if cid == claim.id)
    reasons = [d.code for d in body.downgrades]
    reasons += [n for n in body.notes if n in REASON_CODES and n not in reasons]
    if support == 0:
        reasons.append("no_supporting_evidence")
    holds = body.conclusion in HOLDS_IF[body.question]
    trace = [
        f"profile {body.profile_version}+{body.profile_hash}",
        *body.trace,
        f"claim {claim.id}: support = 1 - prod(1 - w) = {support:.6f}; refute = {refute:.6f}",
        f"strength = support x (1 - refute) = {strength:.6f}; disagreement {disagreement:.6f}",
        f"the body concludes {body.conclusion} ({body.certainty.value}): the claim "
        f"{'holds' if holds else 'does not hold'}",
    ]
    counted = [i for i in items if i.excluded is None and i.weight > 0]
    used = body.synthesis.effect.pooled
    return ClaimScore(
        claim_id=claim.id,
        content_hash=claim.content_hash,
        body=body.id,
        support=support,
        refute=refute,
        strength=strength,
        disagreement=disagreement,
        conclusion=body.conclusion,
        certainty=body.certainty,
        holds=holds,
        basis=body.synthesis.basis,
        magnitude=body.synthesis.magnitude,
        outcome=claim.qualifiers.outcome,
        outcome_label=outcome_label,
        effect=get_effect_text(body),
        effect_measure=used.measure.value if used else None,
        effect_value=used.value if used else None,
        effect_ci_lower=used.ci_lower if used else None,
        effect_ci_upper=used.ci_upper if used else None,
        start=body.start,
        reasons=tuple(dict.fromkeys(reasons)),
        downgrades=body.downgrades,
        citation_flags=body.citation_flags,
        critical=body.critical,
        tier=max((i.tier for i in counted), key=TIERS.__getitem__, default="none"),
        items=items,
        units=tuple(units),
        trace=tuple(trace),
        profile_version=body.profile_version,
        profile_hash=body.profile_hash,
    )


def get_edge_claims(kb: KnowledgeBase, scores: Mapping[str, ClaimScore]) -> dict[str, str]:
    """Claim id -> 'subject|object' for the one claim that stands for each path edge (module doc)."""
    parallel: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for claim in kb.claims:
        if claim.predicate is not Predicate.well_tolerated_in:
            parallel[(claim.subject, claim.object)].append(claim)
    edges: dict[str, str] = {}
    for (subj, obj), claims in parallel.items():
        ent = kb.entity_index.get(obj)
        critical = ent.critical_outcome if ent is not None else None
        headline = [
            c
            for c in claims
            if critical is not None and c.qualifiers.outcome == critical and scores[c.id].critical
        ]
        pool = headline or claims
        rep = min(
            pool,
            key=lambda c: (
                (
                    c.qualifiers.aspect is not None or c.qualifiers.context is not None,
                    -scores[c.id].strength,
                    -scores[c.id].certainty.rank,
                    c.id,
                )
                if headline
                else (-scores[c.id].strength, -scores[c.id].certainty.rank, c.id)
            ),
        )
        edges[rep.id] = f"{subj}|{obj}"
    return edges


def _label(kb: KnowledgeBase, curie: str | None) -> str | None:
    ent = kb.entity_index.get(curie or "")
    return ent.label if ent is not None else curie


def score_knowledge_base(
    kb: KnowledgeBase, profile: Profile, *, registry: Sequence[RegistryEntry] = ()
) -> ScoreReport:
    """Build every body of ``kb`` and score every claim from its body (``registry``: registered
    trials without a journal report, for publication bias)."""
    bodies = build_bodies(kb, profile, registry=registry)
    by_claim = get_claim_bodies(bodies)
    claims = {c.id: score_from_body(c, by_claim[c.id], _label(kb, c.qualifiers.outcome)) for c in kb.claims}
    return ScoreReport(
        profile_version=profile.version,
        profile_hash=profile.content_hash,
        hop_penalty=profile.paths.hop_penalty,
        max_hops=profile.paths.max_hops,
        claims=claims,
        bodies=bodies,
        edges=get_edge_claims(kb, claims),
    )


def score_claim(claim: Claim, kb: KnowledgeBase, profile: Profile) -> ClaimScore:
    """Score one claim of ``kb`` (its body holds every claim of ``kb`` with the same body key)."""
    from ldngraph.evidence.bodies import body_key, build_body

    key = body_key(claim)
    body = build_body(key, [c for c in kb.claims if body_key(c) == key], kb, profile)
    return score_from_body(claim, body, _label(kb, claim.qualifiers.outcome))


__all__ = [
    "HOLDS_IF",
    "REASON_CODES",
    "ClaimScore",
    "EvidenceUnit",
    "ScoreReport",
    "get_disagreement",
    "get_edge_claims",
    "get_effect_text",
    "score_claim",
    "score_from_body",
    "score_knowledge_base",
]
