"""Inconsistency (GRADE; Core GRADE 3): judged from the body's own estimates.

With two or more estimates pooled, the numbers come from that pool: I^2, tau^2, the 95%
prediction interval (k >= 3), whether the studies' CIs overlap, and whether the point estimates
lie on both sides of the MID (of the null where no MID is declared). With the profile's
``certainty.inconsistency`` thresholds:

* I^2 >= ``very_serious_i2`` and point estimates on both sides of the threshold: very serious,
  two levels (unexplained heterogeneity that changes the answer);
* I^2 >= ``very_serious_i2``: serious, one level;
* I^2 >= ``serious_i2`` with point estimates on both sides or CIs that do not overlap: serious;
* otherwise not serious. Every judgement prints the numbers.

A conclusion resting on a review's pooled result reads that review's reported I^2 (one level at
``very_serious_i2``; its studies' estimates are not in the graph). One estimate cannot be
inconsistent with itself. A synthesis without meta-analysis is inconsistent (one level) when
studies point both ways.
"""

from __future__ import annotations

import math
from typing import Any

from ldngraph.evidence.effects import StudyEffect
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.synthesis import Synthesis
from ldngraph.model.terms import RATIO_MEASURES


def _benefit(e: StudyEffect, value: float) -> float:
    x = math.log(value) - math.log(e.null_value) if e.measure in RATIO_MEASURES else value - e.null_value
    return -x if e.lower_is_better else x


def _sides(effects: tuple[StudyEffect, ...], mid: float | None) -> str | None:
    """Why the point estimates lie on both sides of the threshold, or None."""
    if not effects:
        return None
    first = effects[0]
    ratio = first.measure in RATIO_MEASURES
    m = 0.0 if mid is None else (abs(math.log(mid)) if ratio else abs(mid))
    points = [_benefit(e, e.value) for e in effects]
    if mid is None:
        if any(p > 0 for p in points) and any(p < 0 for p in points):
            return "point estimates on both sides of the null"
        return None
    groups = {
        "an important benefit": [e.study for e, p in zip(effects, points, strict=True) if p >= m],
        "inside the MIDs": [e.study for e, p in zip(effects, points, strict=True) if -m < p < m],
        "an important harm": [e.study for e, p in zip(effects, points, strict=True) if p <= -m],
    }
    found = {k: v for k, v in groups.items() if v}
    if len(found) > 1:
        parts = "; ".join(f"{', '.join(v)} {k}" for k, v in found.items())
        return f"point estimates on both sides of the MID {mid:g} ({parts})"
    return None


def _where(effects: tuple[StudyEffect, ...], mid: float | None) -> str:
    """Where the point estimates lie when they are all on one side: for the line's wording."""
    if mid is None or not effects:
        return "point estimates all on one side of the null"
    first = effects[0]
    m = abs(math.log(mid)) if first.measure in RATIO_MEASURES else abs(mid)
    points = [_benefit(e, e.value) for e in effects]
    if all(-m < p < m for p in points):
        return f"point estimates all inside the MIDs ({mid:g})"
    return f"point estimates all beyond the MID ({mid:g}) on one side"


def _no_overlap(effects: tuple[StudyEffect, ...]) -> tuple[str, str] | None:
    """The first two studies whose CIs do not overlap, or None."""
    bounded = [e for e in effects if e.ci_lower is not None and e.ci_upper is not None]
    for a in bounded:
        for b in bounded:
            if a.ci_upper is not None and b.ci_lower is not None and a.ci_upper < b.ci_lower:
                return a.study, b.study
    return None


def judge_inconsistency(syn: Synthesis, profile: Profile) -> tuple[int, str, dict[str, Any]]:
    """(levels 0-2, one line with the numbers, facts) for a body's synthesis (module doc); ``facts``
    are the structured fields of :class:`ldngraph.evidence.units.Downgrade`."""
    rules = profile.certainty.inconsistency
    if syn.basis == "swim" and syn.sign_test is not None:
        t = syn.sign_test
        if t.favours_ldn and t.favours_comparator:
            return 1, f"studies point both ways: {t.text}", {"reason": "both_ways"}
        return 0, f"no study points the other way: {t.text}", {"reason": "one_way"}
    pooled = syn.effect.pooled
    if pooled is None:
        return 0, "no estimate and no direction to compare", {"reason": "nothing_to_compare"}
    if syn.basis == "review":
        facts: dict[str, Any] = {"i2": pooled.i2, "threshold": rules.very_serious_i2}
        if pooled.i2 is None:
            return (
                0,
                "the review's I^2 is not recorded; its studies' estimates are not in the graph",
                {"reason": "review_i2_missing"},
            )
        if pooled.i2 >= rules.very_serious_i2:
            return (
                1,
                f"the review reports I^2 {pooled.i2:g}% >= {rules.very_serious_i2:g}% (considerable)",
                {**facts, "reason": "review_i2_high"},
            )
        return (
            0,
            f"the review reports I^2 {pooled.i2:g}% < {rules.very_serious_i2:g}%",
            {**facts, "reason": "review_i2_low"},
        )
    if pooled.k < 2 or pooled.i2 is None:
        return 0, "one estimate: nothing to be inconsistent with", {"reason": "single"}
    numbers = (
        f"I^2 {pooled.i2:.0f}%, tau^2 {pooled.tau2:.3g}"
        if pooled.tau2 is not None
        else f"I^2 {pooled.i2:.0f}%"
    )
    if pooled.pi_lower is not None and pooled.pi_upper is not None:
        numbers += f", 95% prediction interval {pooled.pi_lower:.3g} to {pooled.pi_upper:.3g}"
    numbers += f" (k = {pooled.k})"
    sides = _sides(syn.effect.studies, syn.mid)
    pair = _no_overlap(syn.effect.studies)
    apart = f"the CIs of {pair[0]} and {pair[1]} do not overlap" if pair else None
    why = (
        "; ".join(x for x in (sides, apart) if x) or f"{_where(syn.effect.studies, syn.mid)}, CIs overlapping"
    )
    extra = tuple(
        code
        for code, found in (
            ("sides_of_mid" if sides and "MID" in sides else "sides_of_null", sides),
            ("no_overlap", apart),
        )
        if found
    )
    facts = {"i2": pooled.i2, "mid": syn.mid, "extra": extra}
    if pair:
        facts["studies"] = pair
    if pooled.i2 >= rules.very_serious_i2 and sides:
        text = f"very serious unexplained heterogeneity: {numbers}; {why}"
        return 2, text, {**facts, "reason": "very_serious"}
    if pooled.i2 >= rules.very_serious_i2:
        return 1, f"considerable heterogeneity: {numbers}; {why}", {**facts, "reason": "considerable"}
    if pooled.i2 >= rules.serious_i2 and (sides or apart):
        return 1, f"substantial heterogeneity: {numbers}; {why}", {**facts, "reason": "substantial"}
    return 0, f"not serious: {numbers}; {why}", {**facts, "reason": "not_serious"}


__all__ = ["judge_inconsistency"]
