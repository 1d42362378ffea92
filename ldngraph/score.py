"""The evidence model: per-item weights, per-claim strength and a GRADE-like certainty.

Pure functions over the frozen model; nothing here mutates a record. Every number comes from the
evidence profile (``data/evidence-profile.yaml``) and every result carries the profile version
and a trace of each adjustment, so a reader can recompute it by hand (docs/evidence-model.md).

* item weight = base(design) x sample-size factor x risk-of-bias modifiers x indirectness
  multipliers x citation-status multiplier (retracted evidence is excluded);
* one study counts once per claim and direction (its largest item weight); a review and the
  primary studies of the claim it covers form one unit worth the larger of the two;
* support = 1 - prod(1 - w) over supporting units (noisy-or, as INDRA's belief), refute likewise;
  strength = support x (1 - refute); disagreement = 2 min(s, r) / (s + r);
* certainty starts at the best design's level and drops one level per downgrade.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rdflib import Graph, Literal
from rdflib.namespace import RDF, XSD

from ldngraph.build import claim_iri, evidence_id, evidence_iri, get_outcome_kind
from ldngraph.model import (
    PRECLINICAL_DESIGNS,
    CitationStatus,
    Claim,
    Design,
    Direction,
    EvidenceItem,
    KnowledgeBase,
    OutcomeKind,
    Population,
    Publication,
    Study,
)
from ldngraph.profile import Certainty, Profile, read_profile
from ldngraph.vocab import LDN, local

__all__ = [
    "Certainty",
    "ClaimScore",
    "ItemScore",
    "Profile",
    "ScoreReport",
    "materialise",
    "read_profile",
    "score_claim",
    "score_knowledge_base",
]


#: Evidence tier of an item: what kind of subject the evidence comes from (larger is more direct).
TIERS: dict[str, int] = {"none": -1, "theoretical": 0, "preclinical": 1, "review": 2, "clinical": 3}

#: Decimals kept in every weight and score (see :func:`quantise`).
DIGITS = 6

#: Every reason code a claim may carry.
REASON_CODES = (
    "risk_of_bias",
    "imprecision",
    "indirectness",
    "inconsistency",
    "preclinical_only",
    "theoretical_only",
    "unverified_citation",
    "retracted",
    "no_supporting_evidence",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- results -------------------------------------------------------------------------------------


class Adjustment(_Frozen):
    """One multiplicative step applied to an item's weight."""

    name: str = Field(description="e.g. sample_size, unblinded_subjective, different_dose")
    factor: float = Field(description="The multiplier applied")
    detail: str = Field(description="Why, in words")


class ItemScore(_Frozen):
    """The weight of one evidence item and how it was reached."""

    index: int = Field(description="Position of the item in the claim's evidence list")
    evidence_id: str = Field(description="Stable id of the evidence node in the graph")
    study: str
    study_label: str
    design: Design
    population: Population
    n: int | None
    direction: Direction
    outcome: str | None
    outcome_kind: OutcomeKind | None
    publications: tuple[str, ...]
    base: float = Field(description="Base weight of the design")
    adjustments: tuple[Adjustment, ...]
    weight: float = Field(description="base x every adjustment factor, in [0, 1]")
    flags: tuple[str, ...] = Field(description="risk_of_bias / indirectness / unverified_citation")
    tier: str = Field(description="clinical / review / preclinical / theoretical")
    excluded: str | None = Field(default=None, description="Why the item does not count (retracted)")


class EvidenceUnit(_Frozen):
    """An independent unit of evidence in one direction: a study, or a review with its primaries."""

    direction: Direction
    studies: tuple[str, ...]
    weight: float
    note: str


class ClaimScore(_Frozen):
    """Support, refute, strength, disagreement and certainty of one claim, with the full trace."""

    claim_id: str
    content_hash: str
    support: float
    refute: float
    strength: float
    disagreement: float
    certainty: Certainty
    start: Certainty = Field(description="Level before downgrades (best design present)")
    reasons: tuple[str, ...] = Field(description="Reason codes, one per downgrade or exclusion")
    tier: str = Field(description="Best evidence tier among counted items")
    items: tuple[ItemScore, ...]
    units: tuple[EvidenceUnit, ...]
    trace: tuple[str, ...]
    profile_version: str


class ScoreReport(_Frozen):
    """Scores of every claim of a knowledge base under one profile."""

    profile_version: str
    hop_penalty: float
    max_hops: int = Field(default=3, description="The profile's paths.max_hops: default path length")
    claims: Mapping[str, ClaimScore]


# -- item weights --------------------------------------------------------------------------------


def _get_tier(study: Study) -> str:
    if study.design is Design.commentary or study.population is Population.none:
        return "theoretical"
    if study.design in PRECLINICAL_DESIGNS or study.population in {Population.animal, Population.cell}:
        return "preclinical"
    if study.design is Design.narrative_review:
        return "review"
    return "clinical"


def score_item(
    index: int,
    claim: Claim,
    item: EvidenceItem,
    study: Study,
    publications: Mapping[str, Publication],
    outcome_kind: OutcomeKind | None,
    profile: Profile,
) -> ItemScore:
    """Weight of one evidence item, with every adjustment recorded."""
    design = study.design
    adj: list[Adjustment] = []
    flags: list[str] = []
    pubs = [publications[p] for p in study.publications if p in publications]
    live = [p for p in pubs if not p.retracted]
    excluded = "retracted" if pubs and not live else None

    size = profile.sample_size
    if study.population is Population.human and design not in size.exempt_designs:
        if study.n is None:
            adj.append(Adjustment(name="missing_n", factor=size.missing_n, detail="n not reported"))
        else:
            factor = size.get_factor(study.n)
            detail = f"n={study.n}: {size.floor} + (1 - {size.floor}) * {study.n}/({study.n} + {size.half_n})"
            adj.append(Adjustment(name="sample_size", factor=factor, detail=detail))

    mods = profile.modifiers
    if outcome_kind is OutcomeKind.subjective:
        if study.blinded is False and design in mods.unblinded_subjective.designs:
            adj.append(
                Adjustment(
                    name="unblinded_subjective",
                    factor=mods.unblinded_subjective.multiplier,
                    detail="open-label study with a patient-reported outcome",
                )
            )
            flags.append("risk_of_bias")
        elif study.blinded is None and design in mods.blinding_unknown_subjective.designs:
            adj.append(
                Adjustment(
                    name="blinding_unknown_subjective",
                    factor=mods.blinding_unknown_subjective.multiplier,
                    detail="blinding not reported, patient-reported outcome",
                )
            )
            flags.append("risk_of_bias")
    if study.controlled is False and design in mods.uncontrolled.designs:
        adj.append(
            Adjustment(name="uncontrolled", factor=mods.uncontrolled.multiplier, detail="no comparison group")
        )
        flags.append("risk_of_bias")
    if study.randomised is False and design in mods.non_randomised.designs:
        adj.append(
            Adjustment(
                name="non_randomised", factor=mods.non_randomised.multiplier, detail="allocation not random"
            )
        )
        flags.append("risk_of_bias")

    indirect = profile.indirectness.model_dump()
    kinds: list[str] = []
    if study.population in {Population.animal, Population.cell}:
        kinds.append(study.population.value)
    for ind in (*study.indirectness, *item.indirectness):
        if ind.value not in kinds:
            kinds.append(ind.value)
    for kind in kinds:
        adj.append(Adjustment(name=kind, factor=indirect[kind], detail=f"indirect evidence: {kind}"))
    if kinds:
        flags.append("indirectness")

    statuses = [p.status for p in live]
    best = min(statuses, key=list(CitationStatus).index) if statuses else CitationStatus.unresolved
    if best is not CitationStatus.verified:
        flags.append("unverified_citation")
        factor = profile.citation_status[best]
        if factor != 1.0:
            adj.append(
                Adjustment(
                    name=f"citation_{best.value}", factor=factor, detail=f"best publication {best.value}"
                )
            )

    base = profile.base_weights[design]
    weight = base
    for a in adj:
        weight *= a.factor
    weight = 0.0 if excluded else quantise(min(1.0, max(0.0, weight)))
    return ItemScore(
        index=index,
        evidence_id=evidence_id(claim, index, item),
        study=study.id,
        study_label=study.label,
        design=design,
        population=study.population,
        n=study.n,
        direction=item.direction,
        outcome=item.outcome,
        outcome_kind=outcome_kind,
        publications=study.publications,
        base=base,
        adjustments=tuple(adj),
        weight=weight,
        flags=tuple(dict.fromkeys(flags)),
        tier=_get_tier(study),
        excluded=excluded,
    )


# -- claim scores --------------------------------------------------------------------------------


def quantise(value: float) -> float:
    """Round a score to :data:`DIGITS` decimals.

    rdflib writes xsd:double in Turtle with 7 significant digits, so a score with more digits
    would not survive an export round trip; with 6 decimals it does, exactly. Paths are computed
    from these same rounded numbers in SPARQL and in networkx.
    """
    return round(value, DIGITS)


def combine(weights: list[float]) -> float:
    """Noisy-or: 1 - prod(1 - w). Adding a weight never lowers the result."""
    rest = 1.0
    for w in weights:
        rest *= 1.0 - w
    return 1.0 - rest


def get_disagreement(support: float, refute: float) -> float:
    """2 min(s, r) / (s + r): 0 when one side is empty, 1 when both sides weigh the same."""
    total = support + refute
    return 0.0 if total <= 0 else 2.0 * min(support, refute) / total


def _is_review(study: Study) -> bool:
    return study.is_secondary or bool(study.summarises)


def get_review_groups(kb: KnowledgeBase) -> dict[str, str]:
    """Study id -> group id, for studies joined by ``summarises`` links (others are absent).

    Groups come from the whole knowledge base, not from one claim's evidence, so adding evidence
    to a claim never merges two groups: this keeps support monotone.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for study in kb.studies:
        for ref in study.summarises:
            parent[find(ref)] = find(study.id)
    return {sid: find(sid) for sid in list(parent)}


def _get_units(
    items: list[ItemScore], studies: Mapping[str, Study], groups: Mapping[str, str], profile: Profile
) -> list[EvidenceUnit]:
    """Independent units of evidence in each direction.

    Each study counts once: its largest item weight. A review and the primary studies it lists
    (``summarises``) form a group whose unit weighs max(largest review weight, noisy-or of the
    primaries): a review adds nothing on top of the primaries it covers. A review that lists
    nothing is grouped with the claim's other ungrouped studies (``reviews.unlisted_covers_claim``).
    """
    best: dict[tuple[Direction, str], float] = {}
    for it in items:
        if it.excluded is None:
            key = (it.direction, it.study)
            best[key] = max(best.get(key, 0.0), it.weight)
    members: dict[tuple[Direction, str], list[str]] = {}
    for direction, sid in sorted(best):
        group = groups.get(sid, "(claim)")
        members.setdefault((direction, group), []).append(sid)
    units: list[EvidenceUnit] = []
    for (direction, _), sids in sorted(members.items()):
        revs = [s for s in sids if _is_review(studies[s])]
        prims = [s for s in sids if s not in revs]
        w_rev = max((best[(direction, r)] for r in revs), default=0.0)
        if not revs:
            for sid in prims:
                weight = best[(direction, sid)]
                units.append(EvidenceUnit(direction=direction, studies=(sid,), weight=weight, note="study"))
            continue
        w_prim = combine([best[(direction, p)] for p in prims])
        if prims:
            note = f"{', '.join(revs)} cover(s) {', '.join(prims)}: max({w_rev:.6f}, noisy-or {w_prim:.6f})"
        else:
            note = "review" if len(revs) == 1 else "overlapping reviews: the largest counts"
        units.append(
            EvidenceUnit(direction=direction, studies=(*revs, *prims), weight=max(w_rev, w_prim), note=note)
        )
    return units


def _share(items: list[ItemScore], flag: str) -> float:
    total = sum(i.weight for i in items)
    if total > 0:
        return sum(i.weight for i in items if flag in i.flags) / total
    return sum(1 for i in items if flag in i.flags) / len(items) if items else 0.0


def _count_participants(
    core: list[ItemScore], units: list[EvidenceUnit], studies: Mapping[str, Study], profile: Profile
) -> int | None:
    """Participants behind the core body, each counted once; None if no human study is in it.

    Per evidence unit: the larger of the largest review's n and the sum of its primaries' n
    (a review pools the primaries it covers; a study without n adds 0).
    """
    exempt = profile.sample_size.exempt_designs
    sized = {
        i.study for i in core if i.population is Population.human and studies[i.study].design not in exempt
    }
    if not sized:
        return None
    total = 0
    for unit in units:
        if unit.direction is not Direction.supports:
            continue
        members = [studies[s] for s in unit.studies if s in sized]
        reviews = [m.n or 0 for m in members if _is_review(m)]
        primaries = [m.n or 0 for m in members if not _is_review(m)]
        total += max(max(reviews, default=0), sum(primaries))
    return total


def _get_certainty(
    items: list[ItemScore],
    units: list[EvidenceUnit],
    studies: Mapping[str, Study],
    disagreement: float,
    profile: Profile,
) -> tuple[Certainty, Certainty, list[str], list[str]]:
    """Certainty that the claim holds: judged on its supporting evidence; refuting evidence
    lowers it (inconsistency) but never raises it."""
    rules = profile.certainty
    trace: list[str] = []
    reasons: list[str] = []
    if any(i.excluded == "retracted" for i in items):
        reasons.append("retracted")
        trace.append("retracted: evidence resting only on retracted publications is excluded")
    counted = [i for i in items if i.excluded is None]
    supporting = [i for i in counted if i.direction is Direction.supports]
    if not supporting:
        reasons.append("no_supporting_evidence")
        trace.append("no supporting evidence counts: certainty very_low (no_supporting_evidence)")
        return Certainty.very_low, Certainty.very_low, reasons, trace
    start = max((rules.start[i.design] for i in supporting), key=lambda c: c.rank)
    core = [i for i in supporting if rules.start[i.design] is start]
    trace.append(
        f"start {start.value}: best design {', '.join(sorted({i.design.value for i in core}))} "
        f"among supporting items ({len(core)} item(s) form the core body)"
    )
    if all(i.tier == "theoretical" for i in counted):
        reasons.append("theoretical_only")
        trace.append("theoretical_only: commentary or hypothesis only, nobody was studied")
    elif all(i.tier in {"preclinical", "theoretical"} for i in counted):
        reasons.append("preclinical_only")
        trace.append("preclinical_only: animal or cell evidence only")
    drop = 0
    total_n = _count_participants(core, units, studies, profile)
    if total_n is not None:
        imp = rules.imprecision
        levels = 2 if total_n < imp.very_serious_below_n else 1 if total_n < imp.serious_below_n else 0
        if levels:
            drop += levels
            reasons.append("imprecision")
            trace.append(
                f"imprecision -{levels}: {total_n} participants in the core body, each counted once "
                f"(< {imp.very_serious_below_n if levels == 2 else imp.serious_below_n})"
            )
    for flag in ("risk_of_bias", "indirectness", "unverified_citation"):
        share = _share(core, flag)
        if share >= rules.share_threshold:
            drop += 1
            reasons.append(flag)
            trace.append(f"{flag} -1: {share:.2f} of the core body's weight is affected")
    if disagreement >= rules.inconsistency_at:
        drop += 1
        reasons.append("inconsistency")
        trace.append(f"inconsistency -1: disagreement {disagreement:.6f} >= {rules.inconsistency_at}")
    final = Certainty.from_rank(start.rank - drop)
    trace.append(f"certainty {final.value} ({start.value} - {drop}, floor very_low)")
    return final, start, reasons, trace


def score_claim(
    claim: Claim, kb: KnowledgeBase, profile: Profile, groups: Mapping[str, str] | None = None
) -> ClaimScore:
    """Score one claim of ``kb`` under ``profile`` (``groups``: from :func:`get_review_groups`)."""
    studies = kb.study_index
    pubs = kb.publication_index
    items = [
        score_item(i, claim, item, studies[item.study], pubs, get_outcome_kind(kb, item), profile)
        for i, item in enumerate(claim.evidence)
    ]
    trace = [f"profile {profile.version}"]
    for it in items:
        steps = " x ".join(f"{a.name} {a.factor:.6f}" for a in it.adjustments)
        shown = f"{it.base:.6f}" + (f" x {steps}" if steps else "")
        tail = f" (excluded: {it.excluded})" if it.excluded else ""
        trace.append(f"item {it.index} {it.study} {it.direction.value}: {shown} = {it.weight:.6f}{tail}")
    units = _get_units(items, studies, get_review_groups(kb) if groups is None else groups, profile)
    for u in units:
        trace.append(f"unit {u.direction.value} [{', '.join(u.studies)}] {u.weight:.6f} ({u.note})")
    support = combine([u.weight for u in units if u.direction is Direction.supports])
    refute = combine([u.weight for u in units if u.direction is Direction.refutes])
    strength = quantise(support * (1.0 - refute))
    disagreement = quantise(get_disagreement(support, refute))
    support, refute = quantise(support), quantise(refute)
    trace.append(f"support = 1 - prod(1 - w) = {support:.6f}; refute = {refute:.6f}")
    trace.append(f"strength = support x (1 - refute) = {strength:.6f}; disagreement {disagreement:.6f}")
    certainty, start, reasons, ctrace = _get_certainty(items, units, studies, disagreement, profile)
    counted = [i for i in items if i.excluded is None and i.weight > 0]
    tier = max((i.tier for i in counted), key=TIERS.__getitem__, default="none")
    return ClaimScore(
        claim_id=claim.id,
        content_hash=claim.content_hash,
        support=support,
        refute=refute,
        strength=strength,
        disagreement=disagreement,
        certainty=certainty,
        start=start,
        reasons=tuple(reasons),
        tier=tier,
        items=tuple(items),
        units=tuple(units),
        trace=(*trace, *ctrace),
        profile_version=profile.version,
    )


def score_knowledge_base(kb: KnowledgeBase, profile: Profile) -> ScoreReport:
    """Score every claim of ``kb``."""
    groups = get_review_groups(kb)
    return ScoreReport(
        profile_version=profile.version,
        hop_penalty=profile.paths.hop_penalty,
        max_hops=profile.paths.max_hops,
        claims={c.id: score_claim(c, kb, profile, groups) for c in kb.claims},
    )


def to_dict(score: ClaimScore) -> dict[str, Any]:
    """JSON-ready form of a claim score."""
    return score.model_dump(mode="json")


# -- materialise ---------------------------------------------------------------------------------


def _double(value: float) -> Literal:
    return Literal(float(value), datatype=XSD.double)


def profile_iri(version: str) -> Any:
    return local("profile", version)


def materialise(graph: Graph, kb: KnowledgeBase, report: ScoreReport) -> Graph:
    """Add scores to ``graph`` (in place; returns it): claim scores, item weights, the profile node."""
    prof = profile_iri(report.profile_version)
    graph.add((prof, RDF.type, LDN.EvidenceProfile))
    graph.add((prof, LDN.profileVersion, Literal(report.profile_version)))
    graph.add((prof, LDN.hopPenalty, _double(report.hop_penalty)))
    graph.add((prof, LDN.maxHops, Literal(report.max_hops)))  # xsd:integer; the paths query reads it
    for claim in kb.claims:
        score = report.claims[claim.id]
        node = claim_iri(claim)
        graph.add((node, LDN.support, _double(score.support)))
        graph.add((node, LDN.refute, _double(score.refute)))
        graph.add((node, LDN.strength, _double(score.strength)))
        graph.add((node, LDN.disagreement, _double(score.disagreement)))
        graph.add((node, LDN.certainty, Literal(score.certainty.value)))
        graph.add((node, LDN.certaintyRank, Literal(score.certainty.rank)))
        graph.add((node, LDN.evidenceTier, Literal(score.tier)))
        graph.add((node, LDN.profileVersion, Literal(score.profile_version)))
        graph.add((node, LDN.scoredWith, prof))
        for reason in score.reasons:
            graph.add((node, LDN.reason, Literal(reason)))
        for item, it in zip(claim.evidence, score.items, strict=True):
            ev = evidence_iri(claim, it.index, item)
            graph.add((ev, LDN.weight, _double(it.weight)))
            if it.excluded:
                graph.add((ev, LDN.excluded, Literal(it.excluded)))
    return graph
