"""Reviews as direction-neutral containers of the studies they include.

A systematic review or meta-analysis is not a design level of its own (GRADE): its body is the
studies it includes. In one outcome body (:mod:`ldngraph.evidence.bodies`):

* **covers**: the body's primary studies the review includes: those it lists (``summarises``),
  plus, when its inclusion list is partial or unknown, every body primary it *could* include.
  A study published after the review's search date (else its publication year) or outside its
  ``dose_range_mg`` cannot be included. Covered primaries count for themselves, in their own
  direction; the review never adds weight on top of them, in either direction.
* **stands in** only for included studies absent from the graph: ``review.includes_other`` of
  them (else ``included_total`` minus the covered primaries). Its stand-in weight is the noisy-or
  of that many studies of its best included design and average size (``included_n /
  included_total``), never more than the review's own item weight: a review never weighs more
  than a body of its stated size and designs. When the count is unknown, the review's weight
  minus what the covered primaries already carry (in noisy-or terms) is the most it can add.
* **starts** at the best design it includes (``included_designs``, else its listed primaries'
  designs, else ``reviews.unknown_designs_start``); a review that reports no search methods is
  a narrative review and starts, and weighs, as one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field

from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.model import Design, InclusionList, PooledResult, Study
from ldngraph.model.terms import _Frozen


def is_review(study: Study) -> bool:
    """A secondary design, a study with a review block, or one that lists what it summarises."""
    return study.is_secondary or study.review is not None or bool(study.summarises)


def is_narrative(study: Study) -> bool:
    """A narrative review: so designed, or a 'review' that reports no search methods."""
    return study.design is Design.narrative_review or (
        study.review is not None and not study.review.reports_methods
    )


class ReviewRole(_Frozen):
    """What one review does in one outcome body."""

    review: str = Field(description="Study id of the review")
    inclusion: str = Field(description="listed / partial / unknown (none: no review block)")
    covers: tuple[str, ...] = Field(description="Body primaries it includes or may include")
    cannot_cover: tuple[str, ...] = Field(description="'study: why' for body primaries it cannot include")
    stands_in_for: int | None = Field(description="Included studies absent from the graph (None: unknown)")
    weight: float = Field(description="Stand-in weight (0: it only informs the body)")
    participants: int | None = Field(description="Participants of the studies it stands in for, if known")
    start: Certainty = Field(description="Start level from the designs it includes")
    design: Design | None = Field(description="Best included design (None: unknown)")
    pooled: PooledResult | None = Field(default=None, description="Its pooled result for this outcome")
    note: str = Field(description="One line: how it entered the body")


def _year(text: str | None) -> int | None:
    return int(text[:4]) if text else None


def _cannot_include(review: Study, primary: Study) -> str | None:
    info = review.review
    limit = _year(info.search_date) if info and info.search_date else review.year
    if limit is not None and primary.year is not None and primary.year > limit:
        basis = f"search {info.search_date}" if info and info.search_date else f"published {review.year}"
        return f"{primary.id}: published {primary.year}, after the review's {basis}"
    if info and info.dose_range_mg and primary.dose_mg is not None:
        lo, hi = info.dose_range_mg
        if not lo <= primary.dose_mg <= hi:
            return f"{primary.id}: {primary.dose_mg:g} mg outside the review's {lo:g}-{hi:g} mg"
    return None


def get_start(
    review: Study, studies: Mapping[str, Study], profile: Profile
) -> tuple[Certainty, Design | None]:
    """Start level of a review from the designs it includes, and the best of those designs."""
    rules = profile.certainty.start
    if is_narrative(review):
        return rules[Design.narrative_review], None
    designs: list[Design] = list(review.review.included_designs) if review.review else []
    if not designs:
        designs = [studies[s].design for s in review.summarises if s in studies]
    if not designs:
        return profile.reviews.unknown_designs_start, None
    best = max(designs, key=lambda d: (rules[d].rank, profile.base_weights[d]))
    return rules[best], best


def plan_review(
    review: Study,
    review_weight: float,
    factor: float,
    primaries: Sequence[Study],
    primary_mass: Mapping[str, float],
    studies: Mapping[str, Study],
    profile: Profile,
    outcome: str | None,
) -> ReviewRole:
    """The role of ``review`` (item weight ``review_weight``) in a body with ``primaries``.

    ``factor``: the review item's multipliers other than design and size (indirectness, citation
    status), applied to the stand-in's virtual studies too. ``primary_mass``: each primary's
    weight as if not retracted (a retracted trial still was in the review; it only stops counting).
    """
    from ldngraph.evidence.weights import combine, quantise

    info = review.review
    inclusion = info.inclusion_list.value if info else "none"
    listed = set(review.summarises)
    cannot: list[str] = []
    covers: list[str] = []
    for p in primaries:
        if p.id in listed:
            covers.append(p.id)
            continue
        if info is not None and info.inclusion_list is InclusionList.listed:
            continue
        why = _cannot_include(review, p)
        if why:
            cannot.append(why)
        else:
            covers.append(p.id)
    start, design = get_start(review, studies, profile)
    pooled = next((r for r in info.pooled if r.outcome == outcome), None) if info else None

    count: int | None = None
    if info is not None and info.includes_other is not None and inclusion != "unknown":
        count = info.includes_other
    elif info is not None and info.included_total is not None:
        count = max(0, info.included_total - len(set(covers) | {s for s in listed if s in studies}))
    elif info is not None and info.inclusion_list is InclusionList.listed:
        count = 0

    per_n: float | None = None
    if info is not None and info.included_n and info.included_total:
        per_n = info.included_n / info.included_total
    elif info is not None and review.n and info.included_total:
        per_n = review.n / info.included_total

    if count is not None:
        if count == 0:
            return ReviewRole(
                review=review.id,
                inclusion=inclusion,
                covers=tuple(covers),
                cannot_cover=tuple(cannot),
                stands_in_for=0,
                weight=0.0,
                participants=0,
                start=start,
                design=design,
                pooled=pooled,
                note="every included study it has is counted on its own: the review informs the body only",
            )
        if design is not None and not is_narrative(review):
            size = profile.sample_size
            size_f = size.get_factor(round(per_n)) if per_n else size.missing_n
            virtual = profile.base_weights[design] * size_f * factor
            cap = combine([virtual] * count)
            weight = quantise(min(review_weight, cap))
            size_text = f"n~{per_n:g}" if per_n else "unknown n"
            note = (
                f"stands in for {count} included stud{'y' if count == 1 else 'ies'} absent from the graph: "
                f"min(review {review_weight:.6f}, {count} x {design.value} of {size_text} = {cap:.6f})"
            )
        else:
            weight = review_weight
            note = f"stands in for {count} absent stud{'y' if count == 1 else 'ies'} of unknown design"
        participants = round(per_n * count) if per_n else None
        return ReviewRole(
            review=review.id,
            inclusion=inclusion,
            covers=tuple(covers),
            cannot_cover=tuple(cannot),
            stands_in_for=count,
            weight=weight,
            participants=participants,
            start=start,
            design=design,
            pooled=pooled,
            note=note,
        )

    # Unknown count: the review adds at most what its covered primaries do not already carry.
    covered = combine([primary_mass.get(c, 0.0) for c in covers])
    covered_n = sum(studies[c].n or 0 for c in covers)
    rest_n = max(0, review.n - covered_n) if review.n is not None else None
    residual = 0.0 if review_weight <= covered else 1.0 - (1.0 - review_weight) / (1.0 - covered)
    weight = quantise(max(0.0, residual))
    note = (
        f"inclusion list {inclusion}, count unknown: review {review_weight:.6f} less what the "
        f"{len(covers)} primaries it may include carry ({covered:.6f}) = {weight:.6f}"
    )
    return ReviewRole(
        review=review.id,
        inclusion=inclusion,
        covers=tuple(covers),
        cannot_cover=tuple(cannot),
        stands_in_for=None,
        weight=weight,
        participants=rest_n if weight > 0 else 0,
        start=start,
        design=design,
        pooled=pooled,
        note=note,
    )


__all__ = ["ReviewRole", "get_start", "is_narrative", "is_review", "plan_review"]
