"""Imprecision (GRADE): judged from the 95% CI where one exists, from the sample size where not.

**From the interval** (GRADE handbook 5.2.6; Guyatt et al., GRADE guidelines 6, J Clin Epidemiol
2011): the body's effect (the pooled estimate of :mod:`ldngraph.evidence.effects`, or its one
study's estimate) and the outcome's minimal important difference (MID), declared in the evidence
profile's ``mid:`` section with its source (e.g. IMMPACT for pain on a 0-10 scale):

* the CI includes both an important benefit and an important harm (it crosses the MID on both
  sides of the null): very serious, two levels;
* the CI crosses one MID threshold (it includes both an important effect and no important
  effect): serious, one level; a CI that crosses the null but lies within the MIDs on both sides
  is a precise estimate of little or no effect (no level lost);
* otherwise the CI is precise, but a body smaller than the optimal information size
  (``serious_below_n`` participants) still loses one level (a precise-looking CI from a tiny
  body is fragile); in interval mode the optimal information size never costs two levels.

For a ratio measure the MID is a ratio (e.g. 1.25, GRADE's default relative change of 25%) and is
applied symmetrically on the log scale (1.25 and 1/1.25 = 0.8).

Without an MID for the estimate's measure and scale, only the null is checked (serious when the CI
crosses it) together with the optimal information size.

**Fallback** (no usable interval): GRADE's optimal information size rule of thumb, about 400
participants for a continuous outcome: fewer than ``certainty.imprecision.serious_below_n``
participants cost one level, fewer than ``very_serious_below_n`` two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ldngraph.evidence.profile import MinimalImportantDifference, Profile
from ldngraph.model import Study
from ldngraph.model.terms import RATIO_MEASURES, EffectMeasure


@dataclass(frozen=True)
class PooledEffect:
    """An effect with its 95% CI on a scale where ``null`` means no difference (e.g. md 0, rr 1)."""

    value: float
    ci_lower: float
    ci_upper: float
    null: float = 0.0
    lower_is_better: bool = True
    measure: EffectMeasure = EffectMeasure.md
    scale: str = ""

    @classmethod
    def of(cls, pooled: Any) -> PooledEffect:
        """The interval of a pooled result of :mod:`ldngraph.evidence.effects` (its ``value``,
        ``ci_lower``, ``ci_upper``, ``null_value``, ``lower_is_better``, ``measure``, ``scale``)."""
        return cls(
            value=pooled.value,
            ci_lower=pooled.ci_lower,
            ci_upper=pooled.ci_upper,
            null=pooled.null_value,
            lower_is_better=pooled.lower_is_better,
            measure=pooled.measure,
            scale=pooled.scale,
        )


def get_mid(profile: Profile, outcome: str | None, effect: PooledEffect) -> MinimalImportantDifference | None:
    """The profile's MID for ``outcome`` if it applies to the effect's measure and scale."""
    mid = profile.mid.get(outcome or "")
    if mid is None or mid.measure is not effect.measure:
        return None
    # the scale text as a whole token: "0-10" must not match "0-100"
    if mid.scale is not None and not re.search(
        rf"(?<![\w.]){re.escape(mid.scale.casefold())}(?![\w.])", effect.scale.casefold()
    ):
        return None
    return mid


def _size(participants: int | None, profile: Profile) -> tuple[int, str, dict[str, Any]]:
    rules = profile.certainty.imprecision
    facts: dict[str, Any] = {"participants": participants, "reason": "sample_size"}
    if participants is None:
        return 0, "no human participants: the sample-size rule does not apply", {"reason": "no_human"}
    if participants < rules.very_serious_below_n:
        return (
            2,
            f"{participants} participants < {rules.very_serious_below_n} (very serious)",
            {**facts, "threshold": rules.very_serious_below_n, "extra": ("ois_far_below",)},
        )
    if participants < rules.serious_below_n:
        return (
            1,
            f"{participants} participants < {rules.serious_below_n} (optimal information size)",
            {**facts, "threshold": rules.serious_below_n, "extra": ("ois_below",)},
        )
    return (
        0,
        f"{participants} participants >= {rules.serious_below_n}",
        {**facts, "threshold": rules.serious_below_n, "extra": ("ois_met",)},
    )


def _log(effect: PooledEffect, value: float) -> float:
    return math.log(value) if effect.measure in RATIO_MEASURES else value


def judge_interval(
    effect: PooledEffect, mid: float | None, participants: int | None, profile: Profile
) -> tuple[int, str]:
    """(levels 0-2, one line) from the CI, the null and the MID (``mid``: absolute, measure units;
    for a ratio measure the ratio itself, e.g. 1.25 meaning 25% relative change)."""
    levels, text, _ = assess_interval(effect, mid, participants, profile)
    return levels, text


def assess_interval(
    effect: PooledEffect, mid: float | None, participants: int | None, profile: Profile
) -> tuple[int, str, dict[str, Any]]:
    """:func:`judge_interval` with its facts (the structured fields of a Downgrade): ``reason`` says
    where the CI lies (both_mids, one_mid, within_mids, one_side, crosses_null, excludes_null),
    ``extra`` whether the optimal information size is met (ois_met, ois_below, ois_far_below)."""
    null = _log(effect, effect.null)
    lo, hi = sorted((_log(effect, effect.ci_lower), _log(effect, effect.ci_upper)))
    crosses_null = lo < null < hi
    shown = f"95% CI {effect.ci_lower:.3g} to {effect.ci_upper:.3g}"
    facts: dict[str, Any] = {
        "ci": (effect.ci_lower, effect.ci_upper),
        "mid": mid,
        "participants": participants,
    }
    if mid is None:
        levels = 1 if crosses_null else 0
        facts["reason"] = "crosses_null" if crosses_null else "excludes_null"
        text = f"{shown} {'crosses' if crosses_null else 'excludes'} the null (no MID declared)"
    else:
        size = abs(_log(effect, mid)) if effect.measure in RATIO_MEASURES else abs(mid)
        benefit_side = -1.0 if effect.lower_is_better else 1.0
        benefit_mid, harm_mid = null + benefit_side * size, null - benefit_side * size
        crosses_benefit = min(lo, hi) < benefit_mid < max(lo, hi)
        crosses_harm = lo < harm_mid < hi
        if crosses_benefit and crosses_harm:
            levels, why, code = 2, "includes both an important benefit and an important harm", "both_mids"
        elif crosses_benefit or crosses_harm:
            levels, why, code = 1, "includes both an important effect and no important effect", "one_mid"
        elif min(benefit_mid, harm_mid) < lo and hi < max(benefit_mid, harm_mid):
            levels, why = 0, "lies within the MIDs: it excludes an important effect either way"
            code = "within_mids"
        else:
            levels, why, code = 0, "lies on one side of the null and the MID", "one_side"
        facts["reason"] = code
        text = f"{shown} {why} (MID {mid:g})"
    # the optimal information size (GRADE guidelines 6): a CI from a small body is fragile, so not
    # meeting it costs one level even when the CI itself looks precise
    rules = profile.certainty.imprecision
    if participants is None:
        return levels, text, facts
    if participants < rules.very_serious_below_n:
        # as the sample-size rule: far below the optimal information size is very serious
        ois = f"{participants} participants < {rules.very_serious_below_n}: far below the optimal information"
        ois += " size"
        facts.update(threshold=rules.very_serious_below_n, extra=("ois_far_below",))
        return max(levels, 2), f"{text}; {ois}", facts
    if participants < rules.serious_below_n:
        ois = f"{participants} participants < {rules.serious_below_n}: optimal information size not met"
        facts.update(threshold=rules.serious_below_n, extra=("ois_below",))
        return max(levels, 1), f"{text}; {ois}", facts
    facts.update(threshold=rules.serious_below_n, extra=("ois_met",))
    return levels, f"{text}; {participants} participants >= {rules.serious_below_n}", facts


def judge_imprecision(
    participants: int | None,
    profile: Profile,
    *,
    pooled: PooledEffect | None = None,
    mid: float | None = None,
    conclusion: str | None = None,
    outcome: str | None = None,
) -> tuple[int, str]:
    """(levels 0-2, one-line explanation) for a body of ``participants`` (each counted once).

    ``pooled``: the body's effect with its CI (then the interval decides, see the module doc);
    ``mid`` overrides the profile's MID for ``outcome``. Without ``pooled`` the sample-size rule
    applies; ``participants`` None means no human participants (preclinical or theoretical)."""
    levels, text, _ = assess_imprecision(participants, profile, pooled=pooled, mid=mid, outcome=outcome)
    return levels, text


def assess_imprecision(
    participants: int | None,
    profile: Profile,
    *,
    pooled: PooledEffect | None = None,
    mid: float | None = None,
    outcome: str | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """:func:`judge_imprecision` with its facts (the structured fields of a Downgrade)."""
    if pooled is None:
        return _size(participants, profile)
    if mid is None:
        found = get_mid(profile, outcome, pooled)
        mid = found.value if found is not None else None
    return assess_interval(pooled, mid, participants, profile)


def get_body_effect(studies: Iterable[Study], outcome: str | None) -> PooledEffect | None:
    """The effect of a body of ``studies`` on ``outcome`` (pooled, one study's, or a review's),
    as :func:`judge_imprecision` takes it; None when no usable estimate is recorded."""
    if outcome is None:
        return None
    from ldngraph.evidence.effects import summarise_effects

    pooled = summarise_effects(studies, outcome).pooled
    return None if pooled is None else PooledEffect.of(pooled)


__all__ = [
    "PooledEffect",
    "assess_imprecision",
    "assess_interval",
    "get_body_effect",
    "get_mid",
    "judge_imprecision",
    "judge_interval",
]
