"""Weight of one evidence item: how much one study's result on one claim counts.

weight = base(design) x sample-size factor x risk-of-bias multiplier x indirectness multipliers x
citation-status multiplier, clipped to [0, 1]; evidence resting only on retracted publications is
excluded (weight 0). The risk-of-bias multiplier comes from the study's curated RoB 2 / ROBINS-I
overall judgement (:mod:`ldngraph.evidence.risk_of_bias`); where none was curated, today's yes/no
flags (open-label with a patient-reported outcome, no control, no randomisation) are the fallback.
A ``within_group`` item rests on a before/after change on LDN and is weighed as a pre_post study.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from ldngraph.evidence.profile import Profile
from ldngraph.evidence.risk_of_bias import RiskJudgement, judge_item_risk
from ldngraph.model import (
    PRECLINICAL_DESIGNS,
    CitationStatus,
    Claim,
    ComparatorKind,
    Comparison,
    Design,
    Direction,
    EvidenceItem,
    OutcomeKind,
    Population,
    Publication,
    Study,
)
from ldngraph.model.terms import _Frozen

#: Evidence tier of an item: what kind of subject the evidence comes from (larger is more direct).
TIERS: dict[str, int] = {"none": -1, "theoretical": 0, "preclinical": 1, "review": 2, "clinical": 3}

#: Decimals kept in every weight and score (see :func:`quantise`).
DIGITS = 6

_STATUS_RANK = {status: i for i, status in enumerate(CitationStatus)}


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


class Adjustment(_Frozen):
    """One multiplicative step applied to an item's weight."""

    name: str = Field(description="e.g. sample_size, risk_of_bias_high, different_dose")
    factor: float = Field(description="The multiplier applied")
    detail: str = Field(description="Why, in words")


class ItemScore(_Frozen):
    """The weight of one evidence item and how it was reached."""

    index: int = Field(description="Position of the item in the claim's evidence list")
    evidence_id: str = Field(description="Stable id of the evidence node in the graph")
    study: str
    study_label: str
    design: Design = Field(description="The design the item is weighed as (pre_post when within_group)")
    population: Population
    n: int | None
    direction: Direction
    outcome: str | None
    outcome_kind: OutcomeKind | None
    publications: tuple[str, ...]
    base: float = Field(description="Base weight of the design")
    adjustments: tuple[Adjustment, ...]
    weight: float = Field(description="base x every adjustment factor, in [0, 1]")
    risk: RiskJudgement = Field(description="Risk of bias of the study for this item")
    indirect: tuple[str, ...] = Field(description="Kinds of indirectness (animal, cell, different_dose ...)")
    citation: CitationStatus = Field(description="Best status of the study's live publications")
    tier: str = Field(description="clinical / review / preclinical / theoretical")
    excluded: str | None = Field(
        default=None, description="Why the item does not count: retracted, or excluded (RULE) by the profile"
    )

    @property
    def flags(self) -> tuple[str, ...]:
        """Data-quality and bias flags: risk_of_bias, indirectness, unverified_citation."""
        out = []
        if self.risk.level in {"high", "some_concerns"}:
            out.append("risk_of_bias")
        if self.indirect:
            out.append("indirectness")
        if self.citation is not CitationStatus.verified:
            out.append("unverified_citation")
        return tuple(out)


def get_tier(study: Study) -> str:
    """What kind of subject the study's evidence comes from."""
    if study.design is Design.commentary or study.population is Population.none:
        return "theoretical"
    if study.design in PRECLINICAL_DESIGNS or study.population in {Population.animal, Population.cell}:
        return "preclinical"
    if study.design is Design.narrative_review or (
        study.review is not None and not study.review.reports_methods
    ):
        return "review"
    return "clinical"


def weighed_design(study: Study, item: EvidenceItem) -> Design:
    """The design an item is weighed as: a within-group comparison is a before/after study; a
    "review" that reports no search methods is a narrative review."""
    if item.comparison is Comparison.within_group and study.design not in PRECLINICAL_DESIGNS:
        return Design.pre_post
    if study.review is not None and not study.review.reports_methods:
        return Design.narrative_review
    return study.design


def get_item_comparators(study: Study, item: EvidenceItem) -> tuple[ComparatorKind, ...]:
    """What an item's result compares LDN with: the item's own comparators (a review that mixes
    them), else the study's curated comparator, else ``none`` for an uncontrolled study."""
    if item.comparator:
        return item.comparator
    if study.comparator is not None:
        return (study.comparator.kind,)
    if study.controlled is False or item.comparison is Comparison.within_group:
        return (ComparatorKind.none,)
    return ()


def best_citation(study: Study, publications: Mapping[str, Publication]) -> tuple[CitationStatus, bool]:
    """(best status among the study's live publications, True if every publication is retracted)."""
    pubs = [publications[p] for p in study.publications if p in publications]
    live = [p for p in pubs if not p.retracted]
    statuses = [p.status for p in live]
    best = min(statuses, key=_STATUS_RANK.__getitem__) if statuses else CitationStatus.unresolved
    return best, bool(pubs) and not live


def score_item(
    index: int,
    evidence_id: str,
    item: EvidenceItem,
    study: Study,
    publications: Mapping[str, Publication],
    outcome_kind: OutcomeKind | None,
    profile: Profile,
    *,
    exclusion: str | None = None,
) -> ItemScore:
    """Weight of one evidence item, with every adjustment recorded; ``exclusion``: the profile
    rule that leaves its study out (a sensitivity analysis), if any."""
    design = weighed_design(study, item)
    adj: list[Adjustment] = []
    citation, retracted = best_citation(study, publications)

    size = profile.sample_size
    if study.population is Population.human and design not in size.exempt_designs:
        if study.n is None:
            adj.append(
                Adjustment.model_construct(name="missing_n", factor=size.missing_n, detail="n not reported")
            )
        else:
            factor = size.get_factor(study.n)
            detail = f"n={study.n}: {size.floor} + (1 - {size.floor}) * {study.n}/({study.n} + {size.half_n})"
            adj.append(Adjustment.model_construct(name="sample_size", factor=factor, detail=detail))

    risk = judge_item_risk(study, design, outcome_kind, item, profile)
    for name, factor, detail in risk.multipliers:
        adj.append(Adjustment.model_construct(name=name, factor=factor, detail=detail))

    indirect = profile.indirectness.model_dump()
    kinds: list[str] = []
    if study.population in {Population.animal, Population.cell}:
        kinds.append(study.population.value)
    for ind in (*study.indirectness, *item.indirectness):
        if ind.value not in kinds:
            kinds.append(ind.value)
    if ComparatorKind.active in get_item_comparators(study, item):
        kinds.append("active_comparator")  # the question is LDN against placebo or no LDN
    if item.outcome is not None and item.outcome in profile.surrogate_outcomes:
        kinds.append("surrogate_outcome")
    for kind in kinds:
        adj.append(
            Adjustment.model_construct(name=kind, factor=indirect[kind], detail=f"indirect evidence: {kind}")
        )

    if citation is not CitationStatus.verified:
        factor = profile.citation_status[citation]
        if factor != 1.0:
            adj.append(
                Adjustment(
                    name=f"citation_{citation.value}",
                    factor=factor,
                    detail=f"best publication {citation.value} (data quality, not a GRADE downgrade)",
                )
            )

    base = profile.base_weights[design]
    weight = base
    for a in adj:
        weight *= a.factor
    excluded = "retracted" if retracted else (f"excluded ({exclusion})" if exclusion else None)
    weight = 0.0 if excluded else quantise(min(1.0, max(0.0, weight)))
    # model_construct: every field comes from validated records (10^5 items at bench scale)
    return ItemScore.model_construct(
        index=index,
        evidence_id=evidence_id,
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
        risk=risk,
        indirect=tuple(kinds),
        citation=citation,
        tier=get_tier(study),
        excluded=excluded,
    )


__all__ = [
    "DIGITS",
    "TIERS",
    "Adjustment",
    "Claim",
    "ItemScore",
    "best_citation",
    "combine",
    "get_item_comparators",
    "get_tier",
    "quantise",
    "score_item",
    "weighed_design",
]
