"""Bodies of evidence: one per intervention x condition x outcome, holding every study in either direction.

A body gathers the evidence items of every claim with the same subject, object, outcome (and
aspect/context qualifiers) and question (effect, or tolerability for ``well_tolerated_in``). Each
item is placed on one **side** of the body's question:

* effect: ``supports`` -> benefit; ``refutes`` -> harm when the study recorded the outcome as
  worsened, else null (little or no effect);
* tolerability (adverse events): ``supports`` -> null (no more harm than the comparator);
  ``refutes`` -> harm.

Each primary study is one **unit** per side (its largest item weight); reviews are containers
(:mod:`ldngraph.evidence.reviews`): they add a stand-in unit only for included studies absent
from the graph. The body's conclusion and its certainty come from :mod:`ldngraph.evidence.certainty`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence

from pydantic import Field

from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.reviews import ReviewRole, is_review, plan_review
from ldngraph.evidence.risk_of_bias import RiskJudgement
from ldngraph.evidence.units import DOMAINS, BodyUnit, Downgrade
from ldngraph.evidence.weights import ItemScore, combine, quantise, score_item
from ldngraph.model import (
    CitationStatus,
    Claim,
    Design,
    Direction,
    Effect,
    KnowledgeBase,
    Predicate,
    Study,
    evidence_id,
    get_outcome_kind,
)
from ldngraph.model.terms import _Frozen

#: Sides of a body's question.
SIDES = ("benefit", "null", "harm")


class OutcomeBody(_Frozen):
    """The body of evidence on one intervention x condition x outcome, and what it concludes."""

    id: str = Field(description="16 hex digits of SHA-256 of the body key")
    intervention: str = Field(description="Subject CURIE of its claims (an intervention or a mechanism)")
    condition: str = Field(description="Object CURIE of its claims")
    outcome: str | None = Field(description="Outcome CURIE (None for mechanism claims)")
    qualifier: str | None = Field(default=None, description="Aspect / context qualifiers, if any")
    question: str = Field(description="effect, or tolerability (adverse events)")
    critical: bool = Field(description="The condition's declared critical outcome")
    claims: tuple[str, ...]
    studies: tuple[str, ...] = Field(description="Study ids counted (each once)")
    units: tuple[BodyUnit, ...]
    reviews: tuple[ReviewRole, ...]
    items: tuple[ItemScore, ...] = Field(description="Every evidence item of its claims, weighed")
    item_claims: tuple[str, ...] = Field(description="Claim id of each entry of items")
    participants: int | None = Field(description="Participants at the start level, each counted once")
    designs: tuple[Design, ...]
    benefit: float = Field(description="Noisy-or of the benefit units")
    null: float = Field(description="Noisy-or of the null units")
    harm: float = Field(description="Noisy-or of the harm units")
    disagreement: float = Field(description="2 min(benefit, null-or-harm) / sum")
    conclusion: str = Field(description="benefit / little_or_no_effect / harm / uncertain")
    certainty: Certainty = Field(description="Certainty in the conclusion")
    start: Certainty
    judgements: tuple[Downgrade, ...] = Field(description="Every domain, levels 0 included")
    downgrades: tuple[Downgrade, ...] = Field(description="The domains that cost levels")
    notes: tuple[str, ...] = Field(description="preclinical_only, theoretical_only, retracted, no_evidence")
    citation_flags: tuple[str, ...] = Field(description="Data-quality flags (never a downgrade)")
    excluded: tuple[str, ...] = Field(description="Studies whose evidence does not count (retracted)")
    trace: tuple[str, ...]
    profile_version: str
    profile_hash: str

    @property
    def label(self) -> str:
        return (
            f"{self.intervention} -> {self.condition}: {self.outcome or self.qualifier or 'claimed effect'}"
        )


def body_key(claim: Claim) -> tuple[str, str, str | None, str | None, str]:
    """(subject, object, outcome, aspect/context, question): claims with the same key share a body."""
    q = claim.qualifiers
    extra = "|".join(f"{k}={v}" for k, v in sorted(q.items()) if k != "outcome") or None
    question = "tolerability" if claim.predicate is Predicate.well_tolerated_in else "effect"
    return (claim.subject, claim.object, q.outcome, extra, question)


def body_id(key: tuple[str, str, str | None, str | None, str]) -> str:
    text = "|".join(part or "" for part in key)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def get_side(question: str, direction: Direction, study: Study, outcome: str | None) -> str:
    """Which side of the body's question an evidence item stands on (see module doc)."""
    if question == "tolerability":
        return "null" if direction is Direction.supports else "harm"
    if direction is Direction.supports:
        return "benefit"
    effects = {o.effect for o in study.outcomes if o.outcome == outcome and o.reported}
    return "harm" if effects == {Effect.worsened} else "null"


def get_stand_in_risk(role: ReviewRole) -> RiskJudgement:
    """Risk of bias of the studies a review stands in for: they are not in the graph, so their own
    judgements are not recorded here; GRADE treats unknown risk as "some concerns"."""
    return RiskJudgement(
        level="some_concerns",
        basis="not_assessed",
        detail=f"risk of bias of the studies {role.review} stands in for is not recorded (some concerns)",
    )


def _unit_start(item: ItemScore, profile: Profile) -> Certainty:
    return profile.certainty.start[item.design]


def get_critical_keys(kb: KnowledgeBase) -> set[tuple[str, str, str | None, str | None, str]]:
    """Body keys on each condition's declared critical outcome: one per intervention x condition
    (the body without aspect/context qualifiers if there is one, else the first by qualifier)."""
    found: dict[tuple[str, str], list[tuple[str, str, str | None, str | None, str]]] = defaultdict(list)
    for claim in kb.claims:
        ent = kb.entity_index.get(claim.object)
        key = body_key(claim)
        if ent is not None and ent.critical_outcome and key[2] == ent.critical_outcome and key[4] == "effect":
            found[(key[0], key[1])].append(key)
    return {min(keys, key=lambda k: (k[3] is not None, k[3] or "")) for keys in found.values()}


def build_body(
    key: tuple[str, str, str | None, str | None, str],
    claims: Sequence[Claim],
    kb: KnowledgeBase,
    profile: Profile,
    *,
    critical: bool | None = None,
) -> OutcomeBody:
    """The body of evidence for ``claims`` (all with body key ``key``); ``critical`` None: worked
    out from ``kb`` (:func:`get_critical_keys`)."""
    from ldngraph.evidence.certainty import judge

    subject, obj, outcome, extra, question = key
    studies = kb.study_index
    pubs = kb.publication_index
    items: list[ItemScore] = []
    item_claims: list[str] = []
    for claim in claims:
        for i, ev in enumerate(claim.evidence):
            item = score_item(
                i, evidence_id(claim, i, ev), ev, studies[ev.study], pubs, get_outcome_kind(kb, ev), profile
            )
            items.append(item)
            item_claims.append(claim.id)
    trace = [f"body {subject} -> {obj} / {outcome or extra or '-'} ({question}); profile {profile.identity}"]

    # best live item per (study, side); raw weights (as if not retracted) for review coverage
    best: dict[tuple[str, str], ItemScore] = {}
    raw: dict[str, float] = {}
    excluded: list[str] = []
    for it in items:
        study = studies[it.study]
        side = get_side(question, it.direction, study, it.outcome)
        base = it.base
        for a in it.adjustments:
            base *= a.factor
        raw[it.study] = max(raw.get(it.study, 0.0), min(1.0, base))
        if it.excluded:
            excluded.append(it.study)
            continue
        prev = best.get((it.study, side))
        if prev is None or it.weight > prev.weight:
            best[(it.study, side)] = it
        trace.append(f"item {it.study} {it.direction.value} -> {side}: weight {it.weight:.6f}")
    for sid in dict.fromkeys(excluded):
        trace.append(f"{sid}: excluded (retracted); it counts nowhere, not even through a review")

    units: list[BodyUnit] = []
    primaries = [studies[s] for s in dict.fromkeys(sid for sid, _ in best) if not is_review(studies[s])]
    primaries += [
        studies[s]
        for s in dict.fromkeys(excluded)
        if not is_review(studies[s]) and studies[s] not in primaries
    ]
    for (sid, side), it in best.items():
        study = studies[sid]
        if is_review(study):
            continue
        human = it.population.value == "human" and it.design not in profile.sample_size.exempt_designs
        units.append(
            BodyUnit(
                studies=(sid,),
                role="study",
                side=side,
                weight=it.weight,
                participants=(study.n or 0) if human else None,
                design=it.design,
                start=_unit_start(it, profile),
                risk=it.risk,
                indirect=it.indirect,
                citation=it.citation,
                tier=it.tier,
                note=f"{it.design.value}, n={study.n}",
            )
        )
    roles: list[ReviewRole] = []
    stand_ins: dict[str, list[tuple[ReviewRole, ItemScore, str]]] = defaultdict(list)
    for (sid, side), it in best.items():
        study = studies[sid]
        if not is_review(study):
            continue
        factor = 1.0
        for a in it.adjustments:
            if a.name not in {"sample_size", "missing_n"}:
                factor *= a.factor
        role = plan_review(study, it.weight, factor, primaries, raw, studies, profile, outcome)
        roles.append(role)
        trace.append(f"review {sid} ({side}): {role.note}")
        for why in role.cannot_cover:
            trace.append(f"review {sid} cannot cover {why}")
        if role.weight > 0:
            stand_ins[side].append((role, it, sid))
    for side, entries in sorted(stand_ins.items()):
        # Reviews on one side may include the same absent studies: the largest stand-in counts.
        role, it, sid = max(entries, key=lambda e: (e[0].weight, e[2]))
        for _, _, osid in entries:
            if osid != sid:
                trace.append(f"review {osid}: overlaps {sid} on the {side} side; the larger stand-in counts")
        units.append(
            BodyUnit(
                studies=(sid,),
                role="stand_in",
                side=side,
                weight=role.weight,
                participants=(role.participants or 0) if it.population.value == "human" else None,
                design=role.design or it.design,
                start=role.start,
                risk=get_stand_in_risk(role),
                indirect=it.indirect,
                citation=it.citation,
                tier=it.tier,
                note=role.note,
            )
        )
    units.sort(key=lambda u: (SIDES.index(u.side), -u.weight, u.studies))
    mass = {side: quantise(combine([u.weight for u in units if u.side == side])) for side in SIDES}
    for u in units:
        trace.append(f"unit {u.side} [{', '.join(u.studies)}] {u.role} {u.weight:.6f} ({u.note})")
    trace.append(
        f"benefit {mass['benefit']:.6f}; null {mass['null']:.6f}; harm {mass['harm']:.6f} (noisy-or)"
    )

    verdict = judge(
        units,
        roles,
        mass,
        studies,
        question,
        profile,
        excluded=bool(excluded),
        outcome=None if extra else outcome,
    )
    if critical is None:
        critical = key in get_critical_keys(kb)
    counted = tuple(dict.fromkeys(s for u in units for s in u.studies))
    flags = tuple(
        dict.fromkeys(
            f"unverified_citation: {u.studies[0]} (best publication {u.citation.value})"
            for u in units
            if u.citation is not CitationStatus.verified
        )
    )
    return OutcomeBody(
        id=body_id(key),
        intervention=subject,
        condition=obj,
        outcome=outcome,
        qualifier=extra,
        question=question,
        critical=critical,
        claims=tuple(c.id for c in claims),
        studies=counted,
        units=tuple(units),
        reviews=tuple(roles),
        items=tuple(items),
        item_claims=tuple(item_claims),
        participants=verdict.participants,
        designs=tuple(dict.fromkeys(u.design for u in units)),
        benefit=mass["benefit"],
        null=mass["null"],
        harm=mass["harm"],
        disagreement=verdict.disagreement,
        conclusion=verdict.conclusion,
        certainty=verdict.certainty,
        start=verdict.start,
        judgements=verdict.judgements,
        downgrades=tuple(d for d in verdict.judgements if d.levels > 0),
        notes=verdict.notes,
        citation_flags=flags,
        excluded=tuple(dict.fromkeys(excluded)),
        trace=(*trace, *verdict.trace),
        profile_version=profile.version,
        profile_hash=profile.content_hash,
    )


def build_bodies(kb: KnowledgeBase, profile: Profile) -> dict[str, OutcomeBody]:
    """Every body of ``kb`` under ``profile``, by body id (in claim order)."""
    grouped: dict[tuple[str, str, str | None, str | None, str], list[Claim]] = defaultdict(list)
    for claim in kb.claims:
        grouped[body_key(claim)].append(claim)
    critical = get_critical_keys(kb)
    bodies = (
        build_body(key, claims, kb, profile, critical=key in critical) for key, claims in grouped.items()
    )
    return {b.id: b for b in bodies}


def get_claim_bodies(bodies: Mapping[str, OutcomeBody]) -> dict[str, OutcomeBody]:
    """Claim id -> its body."""
    return {cid: b for b in bodies.values() for cid in b.claims}


__all__ = [
    "DOMAINS",
    "SIDES",
    "BodyUnit",
    "Downgrade",
    "OutcomeBody",
    "body_id",
    "body_key",
    "build_bodies",
    "build_body",
    "get_claim_bodies",
    "get_side",
]
