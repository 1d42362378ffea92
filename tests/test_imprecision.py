"""GRADE imprecision: from the 95% CI, the null and the MID; the sample-size rule as the fallback."""

from __future__ import annotations

import pytest

from ldngraph.evidence.imprecision import PooledEffect, get_mid, judge_imprecision
from ldngraph.evidence.profile import read_profile
from ldngraph.locations import get_data_dir
from ldngraph.model.terms import EffectMeasure

P = read_profile(get_data_dir() / "evidence-profile.yaml")
PAIN = "HP:0012531"


def _md(lo: float, hi: float, value: float | None = None, scale: str = "pain NRS 0-10") -> PooledEffect:
    return PooledEffect(
        value=(lo + hi) / 2 if value is None else value, ci_lower=lo, ci_upper=hi, scale=scale
    )


def test_shipped_pain_mid_is_declared_with_its_source() -> None:
    mid = P.mid[PAIN]
    assert (mid.measure, mid.value, mid.scale) == (EffectMeasure.md, 1.0, "0-10")
    assert mid.source == "https://doi.org/10.1016/j.jpain.2007.09.005"  # IMMPACT, Dworkin 2008
    assert get_mid(P, PAIN, _md(-1, 0)) is mid
    assert get_mid(P, PAIN, _md(-10, 0, scale="pain VAS 0-100")) is None  # another scale: no MID
    assert get_mid(P, "LDNO:fatigue", _md(-1, 0)) is None


@pytest.mark.parametrize(
    ("lo", "hi", "levels", "words"),
    [
        (-2.5, -1.5, 0, "one side of the null and the MID"),  # clear important benefit
        (-0.6, -0.2, 0, "excludes an important effect either way"),  # precise: small, unimportant
        (-0.95, 0.27, 0, "excludes an important effect either way"),  # crosses the null, within MIDs
        (-1.6, 0.2, 1, "important effect and no important effect"),  # crosses the null and one MID
        (-1.6, -0.4, 1, "important effect and no important effect"),  # crosses the benefit MID
        (-1.5, 1.5, 2, "important benefit and an important harm"),  # crosses both MIDs
    ],
)
def test_interval_decides_with_a_mid(lo: float, hi: float, levels: int, words: str) -> None:
    got, text = judge_imprecision(500, P, pooled=_md(lo, hi), outcome=PAIN)
    assert got == levels and words in text and "MID 1" in text


def test_precise_interval_from_a_small_body_still_loses_one_level() -> None:
    got, text = judge_imprecision(160, P, pooled=_md(-2.5, -1.5), outcome=PAIN)
    assert got == 1 and "160 participants" in text


def test_precise_interval_from_a_tiny_body_loses_two_levels() -> None:
    """As the sample-size rule: a 12-patient trial cannot give more than low certainty of anything."""
    got, text = judge_imprecision(60, P, pooled=_md(-2.5, -1.5), outcome=PAIN)
    assert got == 2 and "60 participants < 100" in text


def test_without_mid_only_the_null_is_checked() -> None:
    assert judge_imprecision(500, P, pooled=_md(-3.0, 1.0, scale="SF-36"), outcome=PAIN)[0] == 1
    levels, text = judge_imprecision(500, P, pooled=_md(1.0, 5.0, scale="SF-36"), outcome=PAIN)
    assert levels == 0 and "no MID declared" in text


def test_ratio_mid_is_judged_on_the_log_scale() -> None:
    rr = PooledEffect(value=0.9, ci_lower=0.7, ci_upper=1.3, null=1.0, measure=EffectMeasure.rr)
    # RR MID 1.25: 0.8 and 1.25 both inside [0.7, 1.3] -> very serious
    assert judge_imprecision(1000, P, pooled=rr, mid=1.25)[0] == 2
    narrow = PooledEffect(value=0.9, ci_lower=0.85, ci_upper=0.95, null=1.0, measure=EffectMeasure.rr)
    assert judge_imprecision(1000, P, pooled=narrow, mid=1.25)[0] == 0


@pytest.mark.parametrize(("n", "levels"), [(None, 0), (50, 2), (200, 1), (400, 0)])
def test_sample_size_rule_is_the_fallback(n: int | None, levels: int) -> None:
    assert judge_imprecision(n, P)[0] == levels
