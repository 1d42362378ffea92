"""Effect estimates and random-effects pooling (ldngraph.evidence.effects).

The worked example is Kacker's interlaboratory data set (Kacker RN, Metrologia 2004;41:132-136,
table 1): nine laboratory means with their standard uncertainties. It is the example of
statsmodels' own meta-analysis documentation (examples/notebooks/metaanalysis1.ipynb, "Example
Kacker interlaboratory mean"), whose tests check it against R metafor; the expected numbers below
are those printed by Kacker (tau for the Paule-Mandel estimator, 0.8399) and by
``metafor::rma(y, v, method="PM")`` as recorded in statsmodels' test results
(statsmodels/stats/tests/results/results_meta.py, ``exk1_metafor``): estimate 62.4076, 95% CI
61.7451 to 63.0701, tau^2 0.7054, Q 24.8019; I^2 = (Q - df) / Q = 67.74%. They are compared at
the precision printed there (4 decimals).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ldngraph.evidence.effects import Z95, pool, summarise_effects, to_study_effect
from ldngraph.model import Design, Effect, Population, Study, StudyOutcome
from ldngraph.model.appraisal import EffectEstimate, PooledResult, ReviewInfo
from ldngraph.model.terms import EffectMeasure, InclusionList, OutcomeKind

SOURCE = "https://example.org/source"
PAIN = "LDNO:pain"

KACKER_MEANS = (61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90)
KACKER_U = (0.45, 1.10, 0.30, 0.45, 0.62, 0.75, 0.26, 0.15, 1.35)  # variances 0.2025 ... 1.8225


def _study(sid: str, *estimates: EffectEstimate, effect: Effect = Effect.no_effect, **extra: object) -> Study:
    outcomes = tuple(
        StudyOutcome(outcome=PAIN, kind=OutcomeKind.subjective, effect=effect, estimate=e) for e in estimates
    )
    fields: dict[str, object] = {
        "id": sid,
        "label": sid.title(),
        "design": Design.rct,
        "population": Population.human,
        "publications": ("PMID:1",),
        "outcomes": outcomes,
    }
    fields.update(extra)
    return Study.model_validate(fields)


def _est(value: float, **fields: object) -> EffectEstimate:
    base: dict[str, object] = {
        "measure": "md",
        "value": value,
        "scale": "pain NRS 0-10",
        "lower_is_better": True,
        "source": SOURCE,
    }
    base.update(fields)
    return EffectEstimate.model_validate(base)


def test_kacker_example_reproduces_published_pm_results() -> None:
    studies = [
        _study(f"lab{i}", _est(m, se=u, scale="interlaboratory mean"))
        for i, (m, u) in enumerate(zip(KACKER_MEANS, KACKER_U, strict=True))
    ]
    summary = summarise_effects(studies, PAIN)
    pooled = summary.pooled
    assert summary.status == "pooled" and pooled is not None and pooled.k == 9
    assert round(pooled.value, 4) == 62.4076
    assert (round(pooled.ci_lower, 4), round(pooled.ci_upper, 4)) == (61.7451, 63.0701)
    assert pooled.tau2 is not None and round(pooled.tau2, 4) == 0.7054
    assert round(math.sqrt(pooled.tau2), 4) == 0.8399  # Kacker 2004, table 1, PM
    assert pooled.q is not None and round(pooled.q, 4) == 24.8019
    assert pooled.i2 is not None and round(pooled.i2, 2) == 67.74
    # prediction interval (k = 9): mean +- t(7) * sqrt(tau^2 + SE^2), wider than the CI
    assert pooled.pi_lower is not None and pooled.pi_upper is not None
    assert pooled.pi_lower < pooled.ci_lower and pooled.pi_upper > pooled.ci_upper
    se = (pooled.ci_upper - pooled.ci_lower) / (2 * Z95)
    half = 2.3646242510102993 * math.sqrt(pooled.tau2 + se**2)  # t(0.975, df=7)
    assert pooled.pi_upper == pytest.approx(pooled.value + half, rel=1e-9)
    weights = [s.weight for s in summary.studies]
    assert all(w is not None and w > 0 for w in weights)
    assert sum(w for w in weights if w is not None) == pytest.approx(100.0)
    assert all(s.variance_from == "se" for s in summary.studies)


finite = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)
widths = st.floats(min_value=0.01, max_value=20, allow_nan=False, allow_infinity=False)


@given(value=finite, below=widths, above=widths)
def test_pooling_one_study_returns_its_estimate_and_ci(value: float, below: float, above: float) -> None:
    est = _est(value, ci_lower=value - below, ci_upper=value + above)
    pooled, weighted = pool([to_study_effect(_study("one", est), PAIN, est)])
    assert (pooled.value, pooled.ci_lower, pooled.ci_upper) == (value, value - below, value + above)
    assert pooled.k == 1 and pooled.tau2 is None and pooled.pi_lower is None
    assert weighted[0].weight == 100.0


@given(
    ratio=st.floats(min_value=0.05, max_value=20),
    low=st.floats(min_value=0.01, max_value=0.99),
    high=st.floats(min_value=1.01, max_value=50),
)
def test_pooling_one_ratio_returns_its_estimate_and_ci(ratio: float, low: float, high: float) -> None:
    est = _est(ratio, measure="rr", ci_lower=ratio * low, ci_upper=ratio * high, lower_is_better=True)
    pooled, _ = pool([to_study_effect(_study("one", est), PAIN, est)])
    assert (pooled.value, pooled.ci_lower, pooled.ci_upper) == (ratio, ratio * low, ratio * high)


def test_ratios_pool_on_the_log_scale() -> None:
    """Two RRs with mirror-image log values and equal SEs pool to exactly 1 (geometric mean)."""
    a = _est(2.0, measure="rr", ci_lower=1.0, ci_upper=4.0)
    b = _est(0.5, measure="rr", ci_lower=0.25, ci_upper=1.0)
    summary = summarise_effects([_study("a", a), _study("b", b)], PAIN)
    assert summary.pooled is not None
    assert summary.pooled.value == pytest.approx(1.0)
    assert summary.pooled.ci_lower * summary.pooled.ci_upper == pytest.approx(1.0)
    assert [s.variance_from for s in summary.studies] == ["ci", "ci"]
    assert summary.studies[0].se == pytest.approx(math.log(4.0) / (2 * Z95))


def test_variance_from_exact_p_value_is_recorded_as_such() -> None:
    est = _est(3.3, p_value=0.04, lower_is_better=False, scale="SF-36 MCS")
    eff = to_study_effect(_study("p", est), PAIN, est)
    assert eff.variance_from == "p_value"
    assert eff.se == pytest.approx(3.3 / 2.0537489, rel=1e-6)  # z for two-sided p = 0.04
    assert eff.ci_lower == pytest.approx(3.3 - Z95 * eff.se)


def test_se_only_gives_a_95_ci_and_a_90_ci_is_widened() -> None:
    eff = to_study_effect(_study("s", e := _est(-1.0, se=0.5)), PAIN, e)
    assert (eff.variance_from, eff.ci_lower, eff.ci_upper) == ("se", -1.0 - Z95 * 0.5, -1.0 + Z95 * 0.5)
    e90 = _est(-1.0, ci_lower=-2.0, ci_upper=0.0, ci_level=0.9)
    eff90 = to_study_effect(_study("c", e90), PAIN, e90)
    assert eff90.ci_lower is not None and eff90.ci_lower < -2.0 and eff90.ci_upper is not None
    assert eff90.ci_upper - eff90.ci_lower == pytest.approx(2.0 * Z95 / 1.6448536, rel=1e-6)


def test_only_comparable_estimates_pool() -> None:
    studies = [
        _study("a", _est(-1.0, ci_lower=-2.0, ci_upper=0.0)),
        _study("b", _est(-0.5, ci_lower=-1.5, ci_upper=0.5)),
        _study("c", _est(-3.0, ci_lower=-6.0, ci_upper=0.0, scale="pain VAS 0-100")),
        _study("d", _est(-20.0, measure="pct_change", comparator="baseline", ci_lower=-30, ci_upper=-10)),
        _study("e", _est(-0.4)),  # no CI, SE or p: shown, never weighted
    ]
    summary = summarise_effects(studies, PAIN)
    assert summary.status == "pooled"
    assert [s.study for s in summary.studies] == ["a", "b"]
    assert sorted(s.study for s in summary.others) == ["c", "d", "e"]
    assert "not pooled" in summary.note


def test_single_usable_study_shows_its_own_effect() -> None:
    summary = summarise_effects([_study("a", _est(-0.34, ci_lower=-0.95, ci_upper=0.27))], PAIN)
    assert summary.status == "single" and summary.pooled is not None
    assert (summary.pooled.value, summary.pooled.ci_lower, summary.pooled.ci_upper) == (-0.34, -0.95, 0.27)


def test_review_result_is_shown_beside_the_body_never_pooled() -> None:
    """v3 (issue 21): a review's own pooled result is listed among ``others`` and never becomes
    part of the body's pool; which estimate a conclusion rests on is ldngraph.evidence.synthesis's call."""
    review_est = _est(-0.86, ci_lower=-1.2, ci_upper=-0.51)
    review = _study(
        "ma",
        design=Design.meta_analysis,
        review=ReviewInfo(
            reports_methods=True,
            inclusion_list=InclusionList.listed,
            inclusion_source=SOURCE,
            pooled=(PooledResult(outcome=PAIN, k=4, n=222, estimate=review_est),),
        ),
    )
    alone = summarise_effects([review], PAIN)
    assert alone.status == "none" and alone.pooled is None
    (shown,) = alone.others
    assert (shown.from_review, shown.value, shown.k, shown.n) == (True, -0.86, 4, 222)
    with_primary = summarise_effects([review, _study("a", _est(-0.3, ci_lower=-1.0, ci_upper=0.4))], PAIN)
    assert with_primary.status == "single" and with_primary.pooled is not None
    assert with_primary.pooled.value == -0.3 and [e.study for e in with_primary.studies] == ["a"]
    assert [e.study for e in with_primary.others] == ["ma"]


def test_no_estimates_says_so() -> None:
    summary = summarise_effects([_study("a")], PAIN)
    assert summary.status == "none" and summary.pooled is None and "no primary study" in summary.note
    within = summarise_effects([_study("b", _est(-20.0, measure="pct_change", comparator="baseline"))], PAIN)
    assert within.status == "not_poolable" and "within-group" in within.note


def test_pool_refuses_mixed_measures() -> None:
    a = to_study_effect(_study("a", e := _est(-1.0, se=0.5)), PAIN, e)
    b = to_study_effect(_study("b", f := _est(0.8, measure="rr", se=0.2)), PAIN, f)
    with pytest.raises(ValueError, match="comparable"):
        pool([a, b])
    assert EffectMeasure.rr == b.measure
