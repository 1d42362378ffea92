"""Publication bias and missing results: patterns GRADE treats as reasons to downgrade.

* **Small-study / single-group pattern**: every positive (benefit) study is small (n <
  ``publication_bias.small_n``) and some null-or-harm study is larger than all of them, or every
  positive study comes from one research group (``Study.research_group``) and some null-or-harm
  study comes from another. Costs a level only for a "benefit" conclusion, the one such a pattern
  would inflate.
* **Registry evidence** (data/screening.yaml, ``registry_status``): a registered trial of the
  body's condition that was completed or terminated without a journal report is an unpublished
  result; it costs a level for a "benefit" conclusion. A withdrawn trial (never enrolled, no
  result to miss) is shown and costs nothing.
* **Missing results**: when the estimate the conclusion rests on holds less than
  ``certainty.share_threshold`` of the body's participants (the other studies report no usable
  estimate), the missing results cost a level whatever the conclusion.

Reviews are not studies of a group and do not take part. At most one level in all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ldngraph.evidence.profile import Profile
from ldngraph.model import Study
from ldngraph.model.terms import _Frozen


class RegistryEntry(_Frozen):
    """A registered trial with no journal report, from the screening log."""

    id: str
    label: str
    condition: str = Field(description="Condition CURIE it addresses")
    status: str = Field(description="withdrawn / terminated / completed")
    note: str | None = None

    @property
    def unpublished(self) -> bool:
        """It enrolled participants whose results no journal reports."""
        return self.status in ("terminated", "completed")


def judge_publication_bias(
    positive: Sequence[Study],
    negative: Sequence[Study],
    profile: Profile,
    *,
    conclusion: str,
    registry: Sequence[RegistryEntry] = (),
    missing: str | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """(levels, explanation, facts: the structured fields of a Downgrade) from the benefit-side and
    null-or-harm-side primary studies, the
    registry entries of the body's condition and ``missing`` (why results are missing, if so)."""
    reasons: list[str] = []
    codes: list[str] = []
    concerned: list[str] = []
    small = profile.publication_bias.small_n
    if positive and negative:
        pos_n = [s.n for s in positive]
        if all(n is not None and n < small for n in pos_n):
            biggest = max(n for n in pos_n if n is not None)
            larger = [s for s in negative if s.n is not None and s.n > biggest]
            if larger:
                codes.append("small_positive")
                concerned += [s.id for s in larger]
                reasons.append(
                    f"every positive study has n < {small} (largest {biggest}) while "
                    f"{', '.join(f'{s.id} (n={s.n})' for s in larger)} found no benefit"
                )
        groups = {s.research_group for s in positive}
        if len(groups) == 1 and None not in groups:
            group = next(iter(groups))
            others = [s for s in negative if s.research_group is not None and s.research_group != group]
            if others:
                codes.append("one_group")
                concerned += [s.id for s in others]
                reasons.append(
                    f"every positive study is from research group '{group}' while independent "
                    f"{', '.join(s.id for s in others)} found no benefit"
                )
    unpublished = [r for r in registry if r.unpublished]
    if unpublished:
        codes.append("unpublished")
        reasons.append(
            "registered trials without a journal report: "
            + ", ".join(f"{r.label} ({r.status})" for r in unpublished)
        )
    withdrawn = [r for r in registry if not r.unpublished]
    shown = (
        f"; withdrawn before results (nothing missing): {', '.join(r.label for r in withdrawn)}"
        if withdrawn
        else ""
    )
    facts: dict[str, Any] = {"studies": tuple(dict.fromkeys(concerned)), "extra": tuple(codes)}
    if missing:
        text = f"missing results: {missing}" + (f"; also {'; '.join(reasons)}" if reasons else "") + shown
        return 1, text, {**facts, "reason": "missing"}
    if not reasons:
        text = "not suspected: positive studies are not all small or all from one group" + shown
        return 0, text, {**facts, "reason": "not_suspected"}
    text = "; ".join(reasons)
    if conclusion != "benefit":
        return (
            0,
            f"pattern noted, no downgrade (the conclusion is not benefit): {text}{shown}",
            {**facts, "reason": "pattern_not_benefit"},
        )
    return 1, f"suspected: {text}{shown}", {**facts, "reason": "suspected"}


__all__ = ["RegistryEntry", "judge_publication_bias"]
