"""Publication bias / small-study effects: a pattern GRADE treats as a reason to downgrade.

A body is flagged when every positive (benefit) study is small (n < ``publication_bias.small_n``)
and some null-or-harm study is larger than all of them, or when every positive study comes from
one research group (``Study.research_group``) and some null-or-harm study comes from another.
The downgrade applies only to a "benefit" conclusion, the one such a pattern would inflate.
Reviews standing in for absent studies are not studies of a group and do not take part.
"""

from __future__ import annotations

from collections.abc import Sequence

from ldngraph.evidence.profile import Profile
from ldngraph.model import Study


def judge_publication_bias(
    positive: Sequence[Study], negative: Sequence[Study], profile: Profile, *, conclusion: str
) -> tuple[int, str]:
    """(levels, explanation) from the benefit-side and null-or-harm-side primary studies."""
    if not positive or not negative:
        return 0, "not suspected: no primary studies on both sides"
    small = profile.publication_bias.small_n
    pos_n = [s.n for s in positive]
    reasons: list[str] = []
    if all(n is not None and n < small for n in pos_n):
        biggest = max(n for n in pos_n if n is not None)
        larger = [s for s in negative if s.n is not None and s.n > biggest]
        if larger:
            reasons.append(
                f"every positive study has n < {small} (largest {biggest}) while "
                f"{', '.join(f'{s.id} (n={s.n})' for s in larger)} found no benefit"
            )
    groups = {s.research_group for s in positive}
    if len(groups) == 1 and None not in groups:
        group = next(iter(groups))
        others = [s for s in negative if s.research_group is not None and s.research_group != group]
        if others:
            reasons.append(
                f"every positive study is from research group '{group}' while independent "
                f"{', '.join(s.id for s in others)} found no benefit"
            )
    if not reasons:
        return 0, "not suspected: positive studies are not all small or all from one group"
    text = "; ".join(reasons)
    if conclusion != "benefit":
        return 0, f"small-study pattern noted, no downgrade (conclusion is not benefit): {text}"
    return 1, f"suspected: {text}"


__all__ = ["judge_publication_bias"]
