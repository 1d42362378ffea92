"""Reviews inform a body of evidence; they are never studies of it (evidence model v3).

A systematic review or meta-analysis is not a design level of its own (GRADE): its body is the
studies it includes. In one outcome body (:mod:`ldngraph.evidence.bodies`) a review:

* **adds nothing**: no participants, no studies and no weight, in either direction. The studies
  it includes count for themselves where the graph holds them; the ones it includes but the graph
  does not name are not imputed (v2's "stand-ins" are gone: they gave participants no study
  reports, and removing a biased pilot could raise a body's certainty);
* **informs**: its own pooled result for the body's outcome is shown beside the body's estimate
  (SoF, forest plot, ``explain``), never pooled again with studies or other reviews, with its
  **overlap**: the body's primary studies it lists (``summarises``) or, when its inclusion list is
  partial or unknown, may include (published by its search date, else its year; within its
  ``dose_range_mg``; randomised where it includes only randomised trials), and their participants
  against the participants it pooled;
* is **flagged** when it lists a retracted trial or a study excluded from the analysis: its pooled
  result still contains that trial, so it is shown but never used; a review that only *may*
  include one is noted;
* **starts** (when the conclusion rests on its pooled result, :mod:`ldngraph.evidence.synthesis`)
  at the best design it includes (``included_designs``, else its listed primaries' designs, else
  ``reviews.unknown_designs_start``); a review that reports no search methods is a narrative
  review: it pools nothing and is expert opinion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field

from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.model import RANDOMISED_DESIGNS, Design, InclusionList, PooledResult, Study
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
    """What one review does in one outcome body: it informs, with its overlap and flags."""

    review: str = Field(description="Study id of the review")
    label: str = Field(default="", description="Its label")
    inclusion: str = Field(description="listed / partial / unknown (none: no review block)")
    side: str | None = Field(
        default=None, description="Side of its evidence item (benefit/null/harm), if any"
    )
    covers: tuple[str, ...] = Field(description="Body primaries it includes or may include")
    cannot_cover: tuple[str, ...] = Field(description="'study: why' for body primaries it cannot include")
    covered_n: int = Field(default=0, description="Participants of the body primaries it covers")
    pooled: PooledResult | None = Field(default=None, description="Its pooled result for this outcome")
    pooled_n: int | None = Field(default=None, description="Participants it pooled (or included), as stated")
    start: Certainty = Field(description="Start level from the designs it includes")
    design: Design | None = Field(description="Best included design (None: unknown)")
    indirect: tuple[str, ...] = Field(default=(), description="Indirectness of its evidence item")
    flag: str | None = Field(
        default=None, description="Why its pooled result is not used (it lists a retracted or excluded study)"
    )
    may_include: tuple[str, ...] = Field(
        default=(), description="Retracted or excluded studies its unknown list may include (noted)"
    )
    note: str = Field(description="One line: how it informs the body")

    @property
    def usable(self) -> bool:
        """Its pooled result may be shown as an estimate the conclusion can rest on."""
        return self.pooled is not None and self.flag is None

    @property
    def weight(self) -> float:
        """Weight it adds to the body: always 0 (v2 callers read it)."""
        return 0.0


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
    randomised_only = info and info.included_designs and set(info.included_designs) <= RANDOMISED_DESIGNS
    if randomised_only and primary.design not in RANDOMISED_DESIGNS:
        return f"{primary.id}: a {primary.design.value}, and the review includes randomised trials only"
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
    primaries: Sequence[Study],
    studies: Mapping[str, Study],
    profile: Profile,
    outcome: str | None,
    *,
    gone: Mapping[str, str] | None = None,
    side: str | None = None,
    indirect: Sequence[str] = (),
) -> ReviewRole:
    """The role of ``review`` in a body whose counted primary studies are ``primaries``.

    ``gone``: study id -> why it does not count (retracted, or excluded by the profile); such a
    study is taken out of the review's coverage, and a review that lists it is flagged."""
    gone = gone or {}
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
    pooled_n = (pooled.n if pooled and pooled.n else None) or (info.included_n if info else None)
    flagged = sorted(s for s in listed if s in gone)
    flag = None
    if flagged:
        flag = "lists " + ", ".join(f"{s} ({gone[s]})" for s in flagged) + ": its pooled result contains it"
    may: tuple[str, ...] = ()
    if info is not None and info.inclusion_list is not InclusionList.listed:
        may = tuple(
            s
            for s in sorted(gone)
            if s in studies
            and not is_review(studies[s])
            and s not in listed
            and _cannot_include(review, studies[s]) is None
        )
    covered_n = sum(studies[c].n or 0 for c in covers)
    parts = [f"informs the body (inclusion list {inclusion}); it adds no participants, studies or weight"]
    if covers:
        what = "lists" if inclusion == "listed" else "includes or may include"
        parts.append(f"{what} {len(covers)} of the body's studies ({covered_n} participants)")
    if pooled is not None:
        parts.append(f"pooled {pooled_n if pooled_n else 'an unstated number of'} participants")
    if flag:
        parts.append(f"pooled result not used: {flag}")
    if may:
        parts.append(f"may include {', '.join(may)}, which no longer count here")
    return ReviewRole(
        review=review.id,
        label=review.label,
        inclusion=inclusion,
        side=side,
        covers=tuple(covers),
        cannot_cover=tuple(cannot),
        covered_n=covered_n,
        pooled=pooled,
        pooled_n=pooled_n,
        start=start,
        design=design,
        indirect=tuple(indirect),
        flag=flag,
        may_include=may,
        note="; ".join(parts),
    )


__all__ = ["ReviewRole", "get_start", "is_narrative", "is_review", "plan_review"]
