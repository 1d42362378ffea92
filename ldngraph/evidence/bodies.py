"""Bodies of evidence: one per intervention x condition x outcome, holding every study in either direction.

A body gathers the evidence items of every claim with the same subject, object, outcome (and
aspect/context qualifiers) and question (effect, or tolerability for ``well_tolerated_in``). Each
item is placed on one **side** of the body's question:

* effect: ``supports`` -> benefit; ``refutes`` -> harm when the study recorded the outcome as
  worsened, else null (little or no effect);
* tolerability (adverse events): ``supports`` -> null (no more harm than the comparator);
  ``refutes`` -> harm.

Each primary study is one **unit** per side (its largest item weight), and so is each piece of
expert opinion (narrative review, commentary): units give claim strengths (a ranking number) and,
for human primary studies, the participants and directions of the body. Systematic reviews and
meta-analyses are never units: they inform the body (:mod:`ldngraph.evidence.reviews`). Studies
that are retracted or excluded by the profile (:mod:`ldngraph.evidence.exclusions`) count nowhere.

The body's conclusion comes from :mod:`ldngraph.evidence.synthesis` (estimate first) and its
certainty from :mod:`ldngraph.evidence.certainty`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field

from ldngraph.evidence.effects import EffectSummary, summarise_studies
from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.evidence.reviews import ReviewRole, is_narrative, is_review, plan_review
from ldngraph.evidence.synthesis import Synthesis, get_direction, no_human_synthesis, synthesise
from ldngraph.evidence.units import DOMAINS, BodyUnit, Downgrade
from ldngraph.evidence.weights import ItemScore, score_item
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
    studies: tuple[str, ...] = Field(
        description="Identified primary studies counted (each once); reviews are not studies"
    )
    units: tuple[BodyUnit, ...]
    reviews: tuple[ReviewRole, ...] = Field(description="Reviews that inform the body (they add nothing)")
    items: tuple[ItemScore, ...] = Field(description="Every evidence item of its claims, weighed")
    item_claims: tuple[str, ...] = Field(description="Claim id of each entry of items")
    participants: int | None = Field(
        description="Participants of its identified human primary studies, each once"
    )
    designs: tuple[Design, ...]
    synthesis: Synthesis = Field(description="How the conclusion was reached: the estimate, or the sign test")
    lower_is_better: bool = Field(
        default=True,
        description="A lower value of the outcome is better (the estimate's scale, else the outcome entity)",
    )
    conclusion: str = Field(
        description="benefit / little_or_no_effect / harm / uncertain / no_human_evidence"
    )
    certainty: Certainty = Field(description="Certainty in the conclusion")
    start: Certainty
    judgements: tuple[Downgrade, ...] = Field(description="Every domain, levels 0 included")
    downgrades: tuple[Downgrade, ...] = Field(description="The domains that cost levels")
    notes: tuple[str, ...] = Field(
        description="preclinical_only, theoretical_only, no_human_evidence, retracted, excluded, no_evidence"
    )
    citation_flags: tuple[str, ...] = Field(description="Data-quality flags (never a downgrade)")
    excluded: tuple[str, ...] = Field(
        description="Studies whose evidence does not count (retracted, excluded)"
    )
    exclusions: tuple[str, ...] = Field(default=(), description="'study: why' for each of excluded")
    trace: tuple[str, ...]
    profile_version: str
    profile_hash: str

    @property
    def label(self) -> str:
        return (
            f"{self.intervention} -> {self.condition}: {self.outcome or self.qualifier or 'claimed effect'}"
        )

    @property
    def basis(self) -> str:
        """estimate / review / swim / none: how the conclusion was reached."""
        return self.synthesis.basis

    @property
    def magnitude(self) -> str | None:
        return self.synthesis.magnitude

    @property
    def domain_levels(self) -> dict[str, int]:
        """Levels lost in each GRADE domain."""
        return {d.domain: d.levels for d in self.judgements}


BodyKey = tuple[str, str, str | None, str | None, str]


def body_key(claim: Claim) -> BodyKey:
    """(subject, object, outcome, aspect/context, question): claims with the same key share a body."""
    q = claim.qualifiers
    extra = "|".join(f"{k}={v}" for k, v in sorted(q.items()) if k != "outcome") or None
    question = "tolerability" if claim.predicate is Predicate.well_tolerated_in else "effect"
    return (claim.subject, claim.object, q.outcome, extra, question)


def body_id(key: BodyKey) -> str:
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


def get_critical_keys(kb: KnowledgeBase) -> set[BodyKey]:
    """Body keys on each condition's declared critical outcome: one per intervention x condition
    (the body without aspect/context qualifiers if there is one, else the first by qualifier)."""
    found: dict[tuple[str, str], list[BodyKey]] = defaultdict(list)
    for claim in kb.claims:
        ent = kb.entity_index.get(claim.object)
        key = body_key(claim)
        if ent is not None and ent.critical_outcome and key[2] == ent.critical_outcome and key[4] == "effect":
            found[(key[0], key[1])].append(key)
    return {min(keys, key=lambda k: (k[3] is not None, k[3] or "")) for keys in found.values()}


def _unit(sid: str, side: str, it: ItemScore, study: Study, profile: Profile, role: str) -> BodyUnit:
    human = (
        role == "study"
        and it.population.value == "human"
        and it.design not in profile.sample_size.exempt_designs
    )
    notes = {"opinion": " (expert opinion)", "review": " (the pooled result the conclusion rests on)"}
    return BodyUnit(
        studies=(sid,),
        role=role,
        side=side,
        weight=it.weight,
        participants=(study.n or 0) if human else None,
        design=it.design,
        start=profile.certainty.start[it.design],
        risk=it.risk,
        indirect=it.indirect,
        citation=it.citation,
        tier="review" if role != "study" else it.tier,
        note=f"{it.design.value}, n={study.n}" + notes.get(role, ""),
    )


def _units(
    best: Mapping[tuple[str, str], ItemScore], studies: Mapping[str, Study], profile: Profile
) -> list[BodyUnit]:
    """Primary studies are units; so is expert opinion (narrative reviews), which a claim's strength
    counts only as far as the studies do not carry more (:mod:`ldngraph.evidence.claims`) and
    which never enters a synthesis; systematic reviews never (they inform)."""
    units = [
        _unit(sid, side, it, studies[sid], profile, "study")
        for (sid, side), it in best.items()
        if not is_review(studies[sid])
    ]
    units += [
        _unit(sid, side, it, studies[sid], profile, "opinion")
        for (sid, side), it in best.items()
        if is_narrative(studies[sid])
    ]
    units.sort(key=lambda u: (SIDES.index(u.side), -u.weight, u.studies))
    return units


@dataclass(frozen=True)
class Context:
    """What every body of one knowledge base shares: computed once (10^5 studies at bench scale)."""

    excluded: Mapping[str, str]
    retracted: frozenset[str]
    reviews_of: Mapping[str, tuple[str, ...]]
    registry: Sequence[RegistryEntry] = ()


def get_context(kb: KnowledgeBase, profile: Profile, registry: Sequence[RegistryEntry] = ()) -> Context:
    """Exclusions (profile rules), retracted studies and the reviews that list each study."""
    from ldngraph.evidence.exclusions import get_excluded
    from ldngraph.evidence.weights import best_citation

    pubs = kb.publication_index
    retracted = frozenset(s.id for s in kb.studies if best_citation(s, pubs)[1])
    reviews_of: dict[str, list[str]] = defaultdict(list)
    for study in kb.studies:
        if study.review is not None and study.review.pooled:
            for sid in study.summarises:
                reviews_of[sid].append(study.id)
    return Context(
        excluded=get_excluded(kb, profile) if profile.exclude else {},
        retracted=retracted,
        reviews_of={k: tuple(v) for k, v in reviews_of.items()},
        registry=tuple(registry),
    )


def _no_outcome() -> EffectSummary:
    return EffectSummary(
        outcome="", status="none", pooled=None, studies=(), others=(), note="no outcome: nothing to estimate"
    )


def build_body(
    key: BodyKey,
    claims: Sequence[Claim],
    kb: KnowledgeBase,
    profile: Profile,
    *,
    critical: bool | None = None,
    context: Context | None = None,
) -> OutcomeBody:
    """The body of evidence for ``claims`` (all with body key ``key``); ``critical`` None: worked
    out from ``kb`` (:func:`get_critical_keys`); ``context``: see :func:`get_context`."""
    from ldngraph.evidence.certainty import judge

    ctx = context or get_context(kb, profile)
    subject, obj, outcome, extra, question = key
    studies = kb.study_index
    pubs = kb.publication_index
    items: list[ItemScore] = []
    item_claims: list[str] = []
    for claim in claims:
        for i, ev in enumerate(claim.evidence):
            item = score_item(
                i,
                evidence_id(claim, i, ev),
                ev,
                studies[ev.study],
                pubs,
                get_outcome_kind(kb, ev),
                profile,
                exclusion=ctx.excluded.get(ev.study),
            )
            items.append(item)
            item_claims.append(claim.id)
    trace = [f"body {subject} -> {obj} / {outcome or extra or '-'} ({question}); profile {profile.identity}"]

    best: dict[tuple[str, str], ItemScore] = {}
    gone: dict[str, str] = {}
    for it in items:
        side = get_side(question, it.direction, studies[it.study], it.outcome)
        if it.excluded:
            gone.setdefault(it.study, it.excluded)
            continue
        prev = best.get((it.study, side))
        if prev is None or it.weight > prev.weight:
            best[(it.study, side)] = it
        trace.append(f"item {it.study} {it.direction.value} -> {side}: weight {it.weight:.6f}")
    for sid, why in gone.items():
        trace.append(f"{sid}: {why}; it counts nowhere, not even through a review")
    for sid in ctx.retracted:
        gone.setdefault(sid, "retracted")
    for sid, why in ctx.excluded.items():
        gone.setdefault(sid, f"excluded ({why})")

    units = _units(best, studies, profile)
    human = [u for u in units if u.role == "study" and u.tier == "clinical"]
    primaries = [studies[s] for s in dict.fromkeys(u.studies[0] for u in human)]
    candidates: dict[str, str | None] = {}
    for sid, side in best:
        if is_review(studies[sid]) and not is_narrative(studies[sid]):
            candidates.setdefault(sid, side)
    for p in primaries:
        for rid in ctx.reviews_of.get(p.id, ()):
            info = studies[rid].review
            if rid not in gone and info is not None and any(r.outcome == outcome for r in info.pooled):
                candidates.setdefault(rid, None)
    roles: list[ReviewRole] = []
    for rid, rside in candidates.items():
        ritem = best.get((rid, rside)) if rside else None
        role = plan_review(
            studies[rid],
            primaries,
            studies,
            profile,
            outcome,
            gone=gone,
            side=rside,
            indirect=ritem.indirect if ritem else (),
        )
        roles.append(role)
        trace.append(f"review {rid}: {role.note}")
        for why in role.cannot_cover:
            trace.append(f"review {rid} cannot cover {why}")

    own = summarise_studies(primaries, outcome, extra) if outcome else _no_outcome()
    estimates = {e.study: e for e in (*own.studies, *own.others) if not e.from_review}
    # GRADE rates randomised and observational evidence apart: directions are counted among the
    # studies at the best design level (weaker designs neither dilute nor add)
    top = max((u.start.rank for u in human), default=0)
    lead: dict[str, BodyUnit] = {}
    for u in (u for u in human if u.start.rank == top):
        if u.studies[0] not in lead or u.weight > lead[u.studies[0]].weight:
            lead[u.studies[0]] = u
    directions = {
        sid: get_direction(studies[sid], outcome, u.side, estimates.get(sid)) for sid, u in lead.items()
    }
    participants = sum(p.n or 0 for p in primaries) if primaries else None
    if human or roles:
        syn = synthesise(
            own,
            roles,
            directions,
            studies,
            profile,
            outcome=outcome,
            participants=participants,
            qualified=bool(extra),
        )
    else:
        tiers = {u.tier for u in units}
        what = (
            "animal or cell evidence only (mechanistic)"
            if "preclinical" in tiers
            else "hypothesis or expert opinion only"
        )
        syn = no_human_synthesis(own, roles, what)
    if syn.basis == "review":  # the conclusion rests on this review's pooled result: it counts
        used = [(sid, side) for sid, side in best if sid == syn.review]
        units += [_unit(sid, side, best[(sid, side)], studies[sid], profile, "review") for sid, side in used]
        units.sort(key=lambda u: (SIDES.index(u.side), -u.weight, u.studies))
    notes = ["retracted"] if any(it.excluded == "retracted" for it in items) else []
    if any(it.excluded and it.excluded.startswith("excluded") for it in items):
        notes.append("excluded")
    registry = [r for r in ctx.registry if r.condition == obj] if question == "effect" else []
    verdict = judge(
        units,
        roles,
        syn,
        studies,
        question,
        profile,
        notes=notes,
        outcome=None if extra else outcome,
        registry=registry,
    )
    if critical is None:
        critical = key in get_critical_keys(kb)
    flags = tuple(
        dict.fromkeys(
            f"unverified_citation: {u.studies[0]} (best publication {u.citation.value})"
            for u in units
            if u.citation is not CitationStatus.verified
        )
    )
    dropped = tuple(dict.fromkeys(it.study for it in items if it.excluded))
    entity = kb.entity_index.get(outcome or "")
    headline = syn.effect.pooled
    lower = (
        headline.lower_is_better
        if headline is not None
        else not (entity is not None and entity.higher_is_better)
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
        studies=tuple(p.id for p in primaries),
        units=tuple(units),
        reviews=tuple(roles),
        items=tuple(items),
        item_claims=tuple(item_claims),
        participants=verdict.participants,
        designs=tuple(dict.fromkeys(u.design for u in human)),
        synthesis=syn,
        lower_is_better=lower,
        conclusion=verdict.conclusion,
        certainty=verdict.certainty,
        start=verdict.start,
        judgements=verdict.judgements,
        downgrades=tuple(d for d in verdict.judgements if d.levels > 0),
        notes=verdict.notes,
        citation_flags=flags,
        excluded=dropped,
        exclusions=tuple(f"{sid}: {gone[sid]}" for sid in dropped if sid in gone),
        trace=(*trace, *verdict.trace),
        profile_version=profile.version,
        profile_hash=profile.content_hash,
    )


def build_bodies(
    kb: KnowledgeBase, profile: Profile, *, registry: Sequence[RegistryEntry] = ()
) -> dict[str, OutcomeBody]:
    """Every body of ``kb`` under ``profile``, by body id (in claim order); ``registry``: registered
    trials without a journal report (publication bias)."""
    grouped: dict[BodyKey, list[Claim]] = defaultdict(list)
    for claim in kb.claims:
        grouped[body_key(claim)].append(claim)
    critical = get_critical_keys(kb)
    ctx = get_context(kb, profile, registry)
    bodies = (
        build_body(key, claims, kb, profile, critical=key in critical, context=ctx)
        for key, claims in grouped.items()
    )
    return {b.id: b for b in bodies}


def get_claim_bodies(bodies: Mapping[str, OutcomeBody]) -> dict[str, OutcomeBody]:
    """Claim id -> its body."""
    return {cid: b for b in bodies.values() for cid in b.claims}


__all__ = [
    "DOMAINS",
    "SIDES",
    "BodyKey",
    "BodyUnit",
    "Context",
    "Downgrade",
    "OutcomeBody",
    "body_id",
    "body_key",
    "build_bodies",
    "build_body",
    "get_claim_bodies",
    "get_context",
    "get_side",
]
