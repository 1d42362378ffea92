"""Imprecision: is the body's information enough to trust its conclusion?

Fallback (v1 rule, used when no pooled effect is known): GRADE's optimal information size rule
of thumb, about 400 participants for a continuous outcome: fewer than
``certainty.imprecision.serious_below_n`` participants cost one level, fewer than
``very_serious_below_n`` two.

With a pooled effect and a minimal important difference (``pooled`` and ``mid``): the CI
decides (GRADE: imprecision when the CI crosses the null or the MID). This hook is the contract
with issue 13 (effects and pooling), which owns this module after its first commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ldngraph.profile import Profile


@dataclass(frozen=True)
class PooledEffect:
    """A pooled effect on a scale where ``null`` means no difference (e.g. md 0, log rr 0)."""

    value: float
    ci_lower: float
    ci_upper: float
    null: float = 0.0
    lower_is_better: bool = True


def judge_imprecision(
    participants: int | None,
    profile: Profile,
    *,
    pooled: PooledEffect | None = None,
    mid: float | None = None,
    conclusion: str | None = None,
) -> tuple[int, str]:
    """(levels 0-2, one-line explanation) for a body of ``participants`` (each counted once).

    ``pooled`` + ``mid`` (absolute minimal important difference on the pooled scale): a CI that
    crosses both the null and the MID is very serious (2), one that crosses either is serious
    (1); otherwise the sample-size rule still applies (a precise-looking CI from a tiny body is
    fragile). ``participants`` None: no human participants behind the body (preclinical or
    theoretical evidence), so the rule does not apply.
    """
    rules = profile.certainty.imprecision
    size_levels = 0
    if participants is None:
        size_text = "no human participants: the sample-size rule does not apply"
    elif participants < rules.very_serious_below_n:
        size_levels = 2
        size_text = f"{participants} participants < {rules.very_serious_below_n} (very serious)"
    elif participants < rules.serious_below_n:
        size_levels = 1
        size_text = f"{participants} participants < {rules.serious_below_n} (optimal information size)"
    else:
        size_text = f"{participants} participants >= {rules.serious_below_n}"
    if pooled is None or mid is None:
        return size_levels, size_text
    sign = -1.0 if pooled.lower_is_better else 1.0
    important = pooled.null + sign * abs(mid)
    lo, hi = sorted((pooled.ci_lower, pooled.ci_upper))
    crosses_null = lo < pooled.null < hi
    crosses_mid = lo < important < hi
    ci_levels = 2 if crosses_null and crosses_mid else 1 if crosses_null or crosses_mid else 0
    text = (
        f"95% CI [{lo:g}, {hi:g}] {'crosses' if crosses_null else 'excludes'} the null and "
        f"{'crosses' if crosses_mid else 'does not cross'} the MID {important:g}; {size_text}"
    )
    return max(ci_levels, size_levels), text


__all__ = ["PooledEffect", "judge_imprecision"]
