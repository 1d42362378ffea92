"""Effect estimates computed from arm-level data (the job of R metafor's ``escalc``).

A study outcome row may carry ``arms`` (:class:`ldngraph.model.ArmData`): events/total per arm for a
dichotomous outcome, or mean/SD/n per arm for a continuous one. :func:`compute_estimate` turns
them into an :class:`~ldngraph.model.EffectEstimate` with a 95% CI:

- risk ratio, odds ratio and risk difference from
  ``statsmodels.stats.meta_analysis.effectsize_2proportions`` (log scale for the ratios); a study
  with a zero cell gets 0.5 added to every cell for the ratios (RevMan's rule, statsmodels'
  ``zero_correction=0.5``); with no events in either arm a ratio is not estimable (None);
- Hedges' g from ``effectsize_smd`` (bias-corrected SMD and its variance);
- the mean difference with its standard error from the arms' SDs, sqrt(sd1^2/n1 + sd2^2/n2)
  (metafor's ``escalc(measure="MD")`` variance);
- the 95% CI as estimate +/- z * SE, z from the standard library's ``statistics.NormalDist``,
  back-transformed for ratios.

statsmodels and scipy are imported inside the function: cold start of the CLI matters.
"""

from __future__ import annotations

import math

from ldngraph.model import EffectEstimate, StudyOutcome
from ldngraph.model.appraisal import ArmData
from ldngraph.model.terms import RATIO_MEASURES, EffectMeasure

__all__ = ["ZERO_CORRECTION", "compute_estimate", "control_risk"]

#: Added to every cell of a 2x2 table with a zero cell before a ratio is computed (RevMan's 0.5).
ZERO_CORRECTION = 0.5
_STATISTIC = {EffectMeasure.rr: "risk-ratio", EffectMeasure.or_: "odds-ratio", EffectMeasure.rd: "diff"}


def _effect_and_variance(data: ArmData) -> tuple[float, float] | None:
    """(effect, variance) on the analysis scale (log for ratios); None when not estimable."""
    ldn, ctl = data.intervention, data.comparator
    if data.measure in _STATISTIC:
        from statsmodels.stats.meta_analysis import effectsize_2proportions

        assert ldn.events is not None and ldn.total is not None
        assert ctl.events is not None and ctl.total is not None
        ratio = data.measure in RATIO_MEASURES
        if ratio and ldn.events == 0 and ctl.events == 0:
            return None  # no events in either arm: a ratio is not estimable (Cochrane Handbook 10.4.4.1)
        cells = (ldn.events, ldn.total - ldn.events, ctl.events, ctl.total - ctl.events)
        zero = ratio and 0 in cells
        eff, var = effectsize_2proportions(
            ldn.events,
            ldn.total,
            ctl.events,
            ctl.total,
            statistic=_STATISTIC[data.measure],
            zero_correction=ZERO_CORRECTION if zero else None,
        )
        return float(eff), float(var)
    assert ldn.mean is not None and ldn.sd is not None and ldn.n is not None
    assert ctl.mean is not None and ctl.sd is not None and ctl.n is not None
    if data.measure is EffectMeasure.smd:
        from statsmodels.stats.meta_analysis import effectsize_smd

        g, var_g = effectsize_smd(ldn.mean, ldn.sd, ldn.n, ctl.mean, ctl.sd, ctl.n)
        return float(g), float(var_g)
    return ldn.mean - ctl.mean, ldn.sd**2 / ldn.n + ctl.sd**2 / ctl.n


def compute_estimate(row: StudyOutcome) -> EffectEstimate | None:
    """The effect of LDN (intervention arm vs comparator arm) on ``row``'s outcome, computed from
    its arm-level data with its 95% CI; None when the row has no arms or the ratio is not
    estimable (no events in either arm)."""
    data = row.arms
    if data is None:
        return None
    found = _effect_and_variance(data)
    if found is None:
        return None
    effect, variance = found
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.975)  # scipy.stats.norm.ppf(0.975), without importing scipy
    se = math.sqrt(variance)
    lo, hi = effect - z * se, effect + z * se
    if data.measure in RATIO_MEASURES:
        effect, lo, hi = math.exp(effect), math.exp(lo), math.exp(hi)
    ldn, ctl = data.intervention, data.comparator
    what = "counts" if ldn.dichotomous else ("mean changes" if ldn.change else "means")
    scale = data.scale + (" (change from baseline)" if not ldn.dichotomous and ldn.change else "")
    return EffectEstimate(
        measure=data.measure,
        value=effect,
        ci_lower=lo,
        ci_upper=hi,
        scale=scale,
        lower_is_better=data.lower_is_better,
        time_point=ldn.time_point,
        comparator=ctl.label,
        n_intervention=ldn.size,
        n_control=ctl.size,
        source=ldn.source,
        note=f"computed from arm-level {what} with statsmodels ({ldn.label} vs {ctl.label})",
    )


def control_risk(row: StudyOutcome) -> tuple[int, int] | None:
    """(events, total) of the comparator arm of a dichotomous row: the baseline risk behind the
    absolute effects per 1,000 of a summary-of-findings table; None without count data."""
    data = row.arms
    if data is None or not data.comparator.dichotomous:
        return None
    ctl = data.comparator
    assert ctl.events is not None and ctl.total is not None
    return ctl.events, ctl.total
