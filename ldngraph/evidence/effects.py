"""Effect estimates per outcome body, and their random-effects pooling (statsmodels).

A study's effect is taken exactly as a public source reports it (``StudyOutcome.estimate``); nothing
is estimated by hand. What this module derives, it derives with a named rule and records how:

- **the variance** an inverse-variance weight needs: from the 95% (or other stated level) CI,
  else from a reported standard error, else from an exact p-value (``variance_from``: ``ci`` /
  ``se`` / ``p_value``); an estimate with none of the three is shown but not pooled;
- **ratio measures** (RR, OR, HR) are analysed on the log scale and shown back on the natural
  scale; a standard error given for a ratio is taken to be that of the log ratio, as sources
  report it;
- **pooling**: inverse-variance random effects with the Paule-Mandel between-study variance
  (``statsmodels.stats.meta_analysis.combine_effects(method_re="pm")``) and a normal-based 95% CI,
  the settings of R metafor's ``rma(method="PM")`` which statsmodels checks itself against; tau^2,
  I^2 and Cochran's Q come from the same call. A 95% prediction interval is added where k >= 3
  (Higgins, Thompson & Spiegelhalter 2009; Cochrane Handbook 10.10.4.3: t with k - 2 degrees of
  freedom). tests/test_effects.py reproduces a published worked example (Kacker 2004).

Only comparable estimates are pooled: the same measure and, for mean differences, the same scale;
within-group changes (``pct_change``, or any estimate against ``baseline``) are never pooled with
between-group contrasts. Where a row records arm-level data (events/total, or mean/SD/n per arm),
its estimate is computed from them with statsmodels (:mod:`ldngraph.evidence.arms`, issue 22);
every other estimate is taken as reported.

**One estimate per study** (:func:`get_study_estimate`): a study that reports an outcome on
several scales or time points gives the one marked ``primary`` (its pre-specified primary); a pool
that would take one study twice is refused (:class:`ldngraph.errors.SynthesisError`). A review's
own pooled result (``review.pooled``) is never pooled again, with studies or with other reviews:
:mod:`ldngraph.evidence.synthesis` shows it beside the body's estimate, with its overlap, and a
profile rule decides when the conclusion rests on it instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.errors import NumberError, SynthesisError
from ldngraph.evidence.arms import compute_estimate, control_risk
from ldngraph.model import KnowledgeBase, Study, StudyOutcome
from ldngraph.model.appraisal import EffectEstimate
from ldngraph.model.terms import RATIO_MEASURES, EffectMeasure

__all__ = [
    "EffectSummary",
    "PooledEffect",
    "StudyEffect",
    "describe_effect",
    "get_control_risk",
    "get_effect_studies",
    "get_row_estimate",
    "get_study_effects",
    "get_study_estimate",
    "pool",
    "summarise_body",
    "summarise_effects",
    "summarise_studies",
    "to_study_effect",
    "why_not_pooled",
]

#: A parenthesised remark in a scale's text (not part of what the scale measures).
_REMARK = re.compile(r"\([^()]*\)")
#: Two-sided 95% normal quantile (the z of every 95% CI shown).
Z95 = 1.959963984540054
MEASURE_LABELS = {
    EffectMeasure.md: "MD",
    EffectMeasure.smd: "SMD",
    EffectMeasure.rr: "RR",
    EffectMeasure.or_: "OR",
    EffectMeasure.hr: "HR",
    EffectMeasure.rd: "RD",
    EffectMeasure.pct_change: "% change from baseline",
}
VarianceFrom = Literal["ci", "se", "p_value"]
Status = Literal["pooled", "single", "review", "not_poolable", "none", "swim"]
METHOD = "inverse variance, random effects (Paule-Mandel tau^2), 95% CI normal-based"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class StudyEffect(_Frozen):
    """One study's estimate for one outcome, with the variance pooling would use."""

    study: str = Field(description="Study id")
    label: str = Field(description="Study label")
    outcome: str = Field(description="Outcome CURIE")
    measure: EffectMeasure
    value: float = Field(description="Point estimate on the natural scale, as reported")
    ci_lower: float | None = Field(description="95% CI lower bound (natural scale); derived if not reported")
    ci_upper: float | None = Field(description="95% CI upper bound (natural scale)")
    se: float | None = Field(description="Standard error on the analysis scale (log for ratios)")
    variance_from: VarianceFrom | None = Field(description="What the variance was derived from")
    scale: str
    lower_is_better: bool
    comparator: str | None = None
    time_point: str | None = None
    n: int | None = Field(default=None, description="Participants in the estimate (both arms)")
    source: str = Field(description="URL where the numbers were seen")
    from_review: bool = Field(default=False, description="A review's own pooled result")
    k: int | None = Field(default=None, description="For a review's pooled result: studies pooled")
    weight: float | None = Field(default=None, description="Random-effects weight in the pooled result, %")

    @property
    def null_value(self) -> float:
        return 1.0 if self.measure in RATIO_MEASURES else 0.0

    @property
    def within_group(self) -> bool:
        """A before/after change on LDN, not a contrast with a comparator group."""
        return self.measure is EffectMeasure.pct_change or (self.comparator or "").strip() == "baseline"

    @property
    def pool_key(self) -> tuple[str, str]:
        """Estimates pool only when these agree: the measure and, for an MD, the scale (its text
        without parenthesised remarks such as "(adjusted between-group difference)", case and
        spacing ignored: an adjusted and an unadjusted MD on one scale are comparable)."""
        if self.measure is not EffectMeasure.md:
            return (self.measure.value, "")
        return (self.measure.value, " ".join(_REMARK.sub(" ", self.scale).casefold().split()))


class PooledEffect(_Frozen):
    """A random-effects pooled estimate (or, for k = 1, the one study's own estimate)."""

    outcome: str
    measure: EffectMeasure
    scale: str
    lower_is_better: bool
    k: int = Field(ge=1)
    n: int | None = Field(description="Participants in the pooled studies (None if any n is unknown)")
    value: float
    ci_lower: float
    ci_upper: float
    tau2: float | None = Field(description="Between-study variance (analysis scale); None for k = 1")
    i2: float | None = Field(description="I^2, percent; None for k = 1")
    q: float | None = Field(description="Cochran's Q; None for k = 1")
    pi_lower: float | None = Field(description="95% prediction interval (k >= 3)")
    pi_upper: float | None = None
    method: str

    @property
    def null_value(self) -> float:
        return 1.0 if self.measure in RATIO_MEASURES else 0.0


class EffectSummary(_Frozen):
    """What the body's estimates say about one outcome: pooled, single, a review's, or nothing."""

    outcome: str
    status: Status
    pooled: PooledEffect | None = Field(description="The headline estimate, if any")
    studies: tuple[StudyEffect, ...] = Field(description="Estimates in the headline (weights filled)")
    others: tuple[StudyEffect, ...] = Field(description="Estimates shown but not pooled with them")
    note: str = Field(description="One line: how the headline came about, or why there is none")


# -- one estimate --------------------------------------------------------------------------------


def _z(level: float) -> float:
    # the standard library's normal quantile: the same number as scipy.stats.norm.ppf, without
    # importing scipy (a second and a half of a cold command; issue 24)
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _to_analysis(measure: EffectMeasure, value: float) -> float:
    return math.log(value) if measure in RATIO_MEASURES else value


def _finite(value: float, what: str) -> float:
    """``value`` if it is a finite float, else :class:`NumberError` (issue 27 F2/F3). The schema
    bounds every estimate so that this never fires; it keeps an overflow or a NaN from reaching
    any output if those bounds are ever loosened."""
    if not math.isfinite(value):
        raise NumberError(f"{what} is {value}, not a finite number; check the estimates behind it")
    return value


def _to_natural(measure: EffectMeasure, value: float) -> float:
    if measure not in RATIO_MEASURES:
        return _finite(value, "an effect")
    if not -700.0 < _finite(value, "a log ratio") < 700.0:  # math.exp overflows past ~709.78
        raise NumberError(f"a log ratio of {value:g} has no finite ratio; check the estimates behind it")
    return math.exp(value)


def _derive_se(est: EffectEstimate) -> tuple[float | None, VarianceFrom | None]:
    """Standard error on the analysis scale, and what it came from (None if underivable)."""
    if est.ci_lower is not None and est.ci_upper is not None:
        lo, hi = _to_analysis(est.measure, est.ci_lower), _to_analysis(est.measure, est.ci_upper)
        if hi > lo:
            return (hi - lo) / (2.0 * _z(est.ci_level)), "ci"
    if est.se is not None:
        return est.se, "se"
    if est.p_value is not None and est.p_value < 1.0:
        centre = abs(_to_analysis(est.measure, est.value))
        z = -NormalDist().inv_cdf(est.p_value / 2.0)  # scipy's norm.isf(p / 2)
        if centre > 0 and z > 0:
            return centre / z, "p_value"
    return None, None


def to_study_effect(
    study: Study,
    outcome: str,
    est: EffectEstimate,
    *,
    from_review: bool = False,
    k: int | None = None,
    n: int | None = None,
) -> StudyEffect:
    """A study's reported estimate with its analysis-scale SE and 95% CI (derived where needed)."""
    se, origin = _derive_se(est)
    lo, hi = est.ci_lower, est.ci_upper
    # a 95% CI from the SE or p-value (recorded as such), or from a CI at another level
    if se is not None and (origin != "ci" or est.ci_level != 0.95):
        centre = _to_analysis(est.measure, est.value)
        try:
            se = _finite(se, "the standard error")
            lo, hi = _to_natural(est.measure, centre - Z95 * se), _to_natural(est.measure, centre + Z95 * se)
        except NumberError as exc:
            raise NumberError(f"study '{study.id}': outcome {outcome}: estimate ({origin}): {exc}") from None
    arms = (est.n_intervention, est.n_control)
    total = n if n is not None else (sum(a for a in arms if a) if any(arms) else None)
    return StudyEffect(
        study=study.id,
        label=study.label,
        outcome=outcome,
        measure=est.measure,
        value=est.value,
        ci_lower=lo,
        ci_upper=hi,
        se=se,
        variance_from=origin,
        scale=est.scale,
        lower_is_better=est.lower_is_better,
        comparator=est.comparator,
        time_point=est.time_point,
        n=total or None,
        source=est.source,
        from_review=from_review,
        k=k,
    )


def get_row_estimate(row: StudyOutcome) -> EffectEstimate | None:
    """The estimate one study outcome row gives: computed from its arm-level data where it has
    some (issue 22: statsmodels, :func:`ldngraph.evidence.arms.compute_estimate`), else the one a
    source reported. A row with both keeps the reported one for comparison (tests/test_arms.py
    checks that the two agree)."""
    if row.arms is not None:
        computed = compute_estimate(row)
        if computed is not None:
            return computed
    return row.estimate


def _row_estimates(study: Study, outcome: str) -> list[EffectEstimate]:
    rows = [o for o in study.outcomes if o.outcome == outcome and o.reported]
    return [est for o in rows if (est := get_row_estimate(o)) is not None]


def get_study_estimate(study: Study, outcome: str) -> EffectEstimate | None:
    """The one estimate ``study`` gives for ``outcome`` in a pool (None: it reports none).

    A study that reports the outcome on several scales or time points gives the one marked
    ``primary`` (the trial's pre-specified primary); several without exactly one primary is a
    data error (:class:`ldngraph.errors.SynthesisError`; the loader refuses such a record first).
    A row with arm-level data gives the estimate computed from them (:func:`get_row_estimate`)."""
    found = _row_estimates(study, outcome)
    if len(found) <= 1:
        return found[0] if found else None
    primary = [e for e in found if e.primary]
    if len(primary) != 1:
        scales = "; ".join(e.scale for e in found)
        raise SynthesisError(
            f"study '{study.id}': {len(found)} estimates for {outcome} ({scales}) and {len(primary)} "
            "marked primary; a pool takes each study once: mark the pre-specified primary with primary: true"
        )
    return primary[0]


def get_review_effects(study: Study, outcome: str) -> list[StudyEffect]:
    """A review's own pooled results for ``outcome`` (shown beside a body, never pooled again)."""
    if study.review is None:
        return []
    return [
        to_study_effect(
            study, outcome, res.estimate, from_review=True, k=res.k, n=res.n or study.review.included_n
        )
        for res in study.review.pooled
        if res.outcome == outcome
    ]


def get_study_effects(studies: Iterable[Study], outcome: str) -> tuple[list[StudyEffect], list[StudyEffect]]:
    """(primary-study estimates, one per study; reviews' pooled results) recorded for ``outcome``."""
    primary: list[StudyEffect] = []
    reviews: list[StudyEffect] = []
    for study in studies:
        est = get_study_estimate(study, outcome)
        if est is not None and study.review is None:
            primary.append(to_study_effect(study, outcome, est))
        reviews += get_review_effects(study, outcome)
    return primary, reviews


def get_effect_studies(kb: KnowledgeBase, study_ids: Iterable[str]) -> list[Study]:
    """The studies of a body plus every review that includes one of them (its pooled results are
    shown beside the body's effect, or stand in for it when no primary study has an estimate);
    by year, then id (the row order of a forest plot)."""
    chosen = {sid: kb.study_index[sid] for sid in study_ids}
    for study in kb.studies:
        if study.review is not None and study.review.pooled and set(study.summarises) & set(chosen):
            chosen.setdefault(study.id, study)
    return sorted(chosen.values(), key=lambda s: (s.year or 0, s.id))


def describe_effect(study: Study, outcome: str | None) -> str | None:
    """One line for an evidence card: the study's estimate for ``outcome`` with its 95% CI, e.g.
    'MD -0.34 (95% CI -0.95 to 0.27; pain NRS 0-10; 12 weeks)'; None when none is recorded."""
    if outcome is None:
        return None
    found = _row_estimates(study, outcome)
    parts = []
    for est in found:
        e = to_study_effect(study, outcome, est)
        text = f"{MEASURE_LABELS[e.measure]} {e.value:g}"
        details = []
        if e.ci_lower is not None and e.ci_upper is not None:
            origin = (e.variance_from or "").replace("_", "-")
            derived = "" if origin == "ci" else f", from the {origin}"
            details.append(f"95% CI {e.ci_lower:.3g} to {e.ci_upper:.3g}{derived}")
        details += [e.scale] + ([e.time_point] if e.time_point else [])
        if len(found) > 1 and est.primary:
            details.append("primary")
        parts.append(f"{text} ({'; '.join(details)})")
    return " | ".join(parts) or None


class _Synthesised(Protocol):
    @property
    def effect(self) -> EffectSummary: ...


class BodyKey(Protocol):
    """What :func:`summarise_body` reads of an outcome body (``evidence.bodies.OutcomeBody``)."""

    @property
    def synthesis(self) -> _Synthesised: ...


def summarise_body(kb: KnowledgeBase, body: BodyKey) -> EffectSummary:
    """The effect of an outcome body: the estimate its conclusion rests on (its own pool, one
    study's estimate, or a review's pooled result), with the body's other estimates beside it.

    Computed once, when the body is built (:mod:`ldngraph.evidence.synthesis`); ``kb`` is kept
    for callers of the v2 signature."""
    del kb
    return body.synthesis.effect


def summarise_studies(studies: Iterable[Study], outcome: str, qualifier: str | None = None) -> EffectSummary:
    """The body's own effect from its primary ``studies`` (none for a qualified body).

    A body qualified by an aspect or context (e.g. physical quality of life) gets none: estimates
    are recorded per outcome, not per aspect, so one could not tell which aspect a number is for."""
    if qualifier:
        return EffectSummary(
            outcome=outcome,
            status="none",
            pooled=None,
            studies=(),
            others=(),
            note=f"estimates are recorded per outcome, not per {qualifier.split('=')[0]}; none is shown "
            f"for this qualified body ({qualifier})",
        )
    return summarise_effects(studies, outcome)


# -- pooling -------------------------------------------------------------------------------------


def _total_n(effects: Sequence[StudyEffect]) -> int | None:
    ns = [e.n for e in effects]
    return None if any(n is None for n in ns) else sum(n for n in ns if n is not None)


def _shown_as_is(effect: StudyEffect, *, k: int, n: int | None, method: str) -> PooledEffect:
    """One estimate (a single study's, or a review's own pooled result) shown as the body's effect:
    its value and 95% CI unchanged, no heterogeneity statistics."""
    assert effect.ci_lower is not None and effect.ci_upper is not None
    return PooledEffect(
        outcome=effect.outcome,
        measure=effect.measure,
        scale=effect.scale,
        lower_is_better=effect.lower_is_better,
        k=k,
        n=n,
        value=effect.value,
        ci_lower=effect.ci_lower,
        ci_upper=effect.ci_upper,
        tau2=None,
        i2=None,
        q=None,
        pi_lower=None,
        pi_upper=None,
        method=method,
    )


def pool(effects: Sequence[StudyEffect]) -> tuple[PooledEffect, tuple[StudyEffect, ...]]:
    """Random-effects pooled estimate of comparable ``effects`` (each with a standard error).

    Returns the pooled estimate and the effects with their relative weights (percent). One study
    gives back its own estimate and 95% CI unchanged (nothing to pool)."""
    if not effects:
        raise ValueError("nothing to pool")
    seen: dict[str, StudyEffect] = {}
    for e in effects:
        if e.study in seen:
            raise SynthesisError(
                f"pool: study '{e.study}' would enter twice ({seen[e.study].scale}; {e.scale}); a pool takes "
                "each study once: keep its pre-specified primary estimate (primary: true)"
            )
        seen[e.study] = e
    first = effects[0]
    if any(e.pool_key != first.pool_key for e in effects) or any(e.se is None for e in effects):
        raise ValueError("pool() takes comparable estimates that all have a standard error")
    common = {
        "outcome": first.outcome,
        "measure": first.measure,
        "scale": first.scale,
        "lower_is_better": first.lower_is_better,
        "k": len(effects),
        "n": _total_n(effects),
    }
    if len(effects) == 1:
        single = _shown_as_is(first, k=1, n=_total_n(effects), method="single study: its own estimate")
        return single, (first.model_copy(update={"weight": 100.0}),)
    import numpy as np
    from scipy.stats import t as t_dist
    from statsmodels.stats.meta_analysis import combine_effects

    y = np.array([_to_analysis(e.measure, e.value) for e in effects])
    ses = [float(e.se) for e in effects if e.se is not None]
    # s * s, not s ** 2 (which raises OverflowError); a variance of 0 (an SE below 1e-162) pools to NaN
    var = np.array([_finite(s * s if s * s > 0 else math.nan, "a variance") for s in ses])
    res = combine_effects(y, var, method_re="pm", use_t=False)
    mean = float(res.mean_effect_re)
    lo, hi = (float(v) for v in res.conf_int(use_t=False)[1])
    tau2 = float(res.tau2)
    pi_lo = pi_hi = None
    if len(effects) >= 3:  # Higgins, Thompson & Spiegelhalter 2009: t with k - 2 df
        half = float(t_dist.ppf(0.975, len(effects) - 2)) * math.sqrt(tau2 + float(res.sd_eff_w_re) ** 2)
        pi_lo, pi_hi = _to_natural(first.measure, mean - half), _to_natural(first.measure, mean + half)
    weights = [float(w) * 100.0 for w in res.weights_rel_re]
    where = f"the pooled effect on {first.outcome} ({', '.join(e.study for e in effects)})"
    for v in (mean, lo, hi, tau2, float(res.q), *weights):
        _finite(v, where)
    pooled = PooledEffect(
        **common,
        value=_to_natural(first.measure, mean),
        ci_lower=_to_natural(first.measure, lo),
        ci_upper=_to_natural(first.measure, hi),
        tau2=tau2,
        i2=max(0.0, float(res.i2)) * 100.0,
        q=float(res.q),
        pi_lower=pi_lo,
        pi_upper=pi_hi,
        method=METHOD,
    )
    return pooled, tuple(e.model_copy(update={"weight": w}) for e, w in zip(effects, weights, strict=True))


def why_not_pooled(effect: StudyEffect) -> str:
    """Why an estimate shown beside a headline was not pooled into it."""
    if effect.from_review:
        return "a review's own pooled result (never pooled again with the studies it includes)"
    if effect.within_group:
        return "a within-group change from baseline, not a contrast with a comparator"
    if effect.se is None:
        return "no CI, standard error or exact p-value to weight it by"
    return "another measure or scale than the headline"


def _best_group(groups: dict[tuple[str, str], list[StudyEffect]]) -> list[StudyEffect]:
    """The comparable group to headline: most studies, then most participants, then measure name."""
    return max(
        groups.values(),
        key=lambda g: (len(g), sum(e.n or 0 for e in g), tuple(-ord(c) for c in g[0].pool_key[0])),
    )


def summarise_effects(studies: Iterable[Study], outcome: str) -> EffectSummary:
    """The effect of LDN on ``outcome`` pooled from the primary ``studies`` (a GRADE outcome body),
    one estimate per study; reviews' pooled results are listed in ``others``, never pooled."""
    primary, reviews = get_study_effects(studies, outcome)
    usable = [e for e in primary if e.se is not None and not e.within_group]
    unusable = [e for e in primary if e not in usable]
    if usable:
        groups: dict[tuple[str, str], list[StudyEffect]] = {}
        for e in usable:
            groups.setdefault(e.pool_key, []).append(e)
        head = _best_group(groups)
        pooled, weighted = pool(head)
        others = tuple(e for e in usable if e not in head) + tuple(unusable) + tuple(reviews)
        label = MEASURE_LABELS[pooled.measure]
        if len(head) == 1:
            note = f"one study with a usable estimate ({label}); its own estimate is shown"
        else:
            note = f"{len(head)} studies pooled ({label}, {METHOD})"
        if len(groups) > 1:
            note += f"; {len(usable) - len(head)} estimate(s) on another measure or scale not pooled"
        return EffectSummary(
            outcome=outcome,
            status="pooled" if len(head) > 1 else "single",
            pooled=pooled,
            studies=weighted,
            others=others,
            note=note,
        )
    if primary:
        why = (
            "within-group changes only"
            if all(e.within_group for e in primary)
            else "no CI, standard error or exact p-value to weight them by"
        )
        return EffectSummary(
            outcome=outcome,
            status="not_poolable",
            pooled=None,
            studies=(),
            others=(*primary, *reviews),
            note=f"estimates recorded but not poolable: {why}",
        )
    return EffectSummary(
        outcome=outcome,
        status="none",
        pooled=None,
        studies=(),
        others=tuple(reviews),
        note="no primary study of this outcome records an effect estimate with its interval"
        + ("; reviews' own pooled results are shown beside the body" if reviews else ""),
    )


def get_control_risk(kb: KnowledgeBase, summary: EffectSummary) -> tuple[int, int] | None:
    """(events, participants) in the comparator arms of the studies behind a ratio headline, from
    their arm-level counts (issue 22): the assumed risk of a Cochrane SoF ("study population"),
    None unless every one of those studies records its comparator arm's counts."""
    pooled = summary.pooled
    if pooled is None or pooled.measure not in RATIO_MEASURES or summary.status == "review":
        return None
    events = total = 0
    for effect in summary.studies:
        rows = [o for o in kb.study_index[effect.study].outcomes if o.outcome == summary.outcome]
        found = next((c for o in rows if o.reported and (c := control_risk(o)) is not None), None)
        if found is None:
            return None
        events, total = events + found[0], total + found[1]
    return (events, total) if total else None
