"""Arm-level data (issue 22): validation, effects computed with statsmodels, and the SoF's
absolute effects from the comparator arm's risk.

The published worked example is the BCG vaccine data set (Colditz et al. 1994, metafor's
``dat.bcg``) as the JASP data library ships it with each trial's log odds ratio and its SE:
https://raw.githubusercontent.com/jasp-stats/jasp-data-library/main/BCG%20Vaccine/BCG%20Vaccine.csv
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ldngraph.errors import DataError
from ldngraph.evidence.arms import compute_estimate, control_risk
from ldngraph.evidence.effects import get_row_estimate, summarise_effects
from ldngraph.evidence.profile import read_profile
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.model import EffectEstimate, StudyOutcome
from ldngraph.present.sof import get_sof_table

REPO = Path(__file__).resolve().parent.parent
EFFECTS = Path(__file__).parent / "resources" / "effects"
Z = 1.959963984540054
SRC = "https://example.org/arms"

#: (tpos, tneg, cpos, cneg, reported log OR, reported SE): trials 1-3 of the JASP CSV above.
BCG = [
    (4, 119, 11, 128, -0.9387, 0.5976),
    (6, 300, 29, 274, -1.6662, 0.4562),
    (3, 228, 11, 209, -1.3863, 0.6583),
]


def _counts(e1: int, n1: int, e2: int, n2: int, measure: str = "rr", **extra: Any) -> dict[str, Any]:
    arm = {"time_point": "12 weeks", "source": SRC}
    return {
        "measure": measure,
        "scale": "participants with the event",
        "lower_is_better": True,
        "groups": [
            {"label": "LDN", "role": "intervention", "events": e1, "total": n1, **arm},
            {"label": "placebo", "role": "comparator", "events": e2, "total": n2, **arm},
        ],
        **extra,
    }


def _means(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int, measure: str) -> dict[str, Any]:
    arm = {"time_point": "12 weeks", "source": SRC, "change": True}
    return {
        "measure": measure,
        "scale": "pain NRS 0-10",
        "lower_is_better": True,
        "groups": [
            {"label": "LDN", "role": "intervention", "mean": m1, "sd": s1, "n": n1, **arm},
            {"label": "placebo", "role": "comparator", "mean": m2, "sd": s2, "n": n2, **arm},
        ],
    }


def _row(arms: dict[str, Any], estimate: dict[str, Any] | None = None) -> StudyOutcome:
    data: dict[str, Any] = {
        "outcome": "NCIT:C41331",
        "kind": "subjective",
        "effect": "no_effect",
        "arms": arms,
    }
    if estimate is not None:
        data["estimate"] = estimate
    return StudyOutcome.model_validate(data)


def _log_se(est: EffectEstimate) -> float:
    assert est.ci_lower is not None and est.ci_upper is not None
    return (math.log(est.ci_upper) - math.log(est.ci_lower)) / (2 * Z)


@pytest.mark.parametrize(("tpos", "tneg", "cpos", "cneg", "log_or", "se"), BCG)
def test_odds_ratio_reproduces_the_published_bcg_example(
    tpos: int, tneg: int, cpos: int, cneg: int, log_or: float, se: float
) -> None:
    est = compute_estimate(_row(_counts(tpos, tpos + tneg, cpos, cpos + cneg, "or")))
    assert est is not None and est.measure.value == "or"
    assert math.log(est.value) == pytest.approx(log_or, abs=5e-5)
    assert _log_se(est) == pytest.approx(se, abs=5e-5)
    assert (est.n_intervention, est.n_control, est.comparator) == (tpos + tneg, cpos + cneg, "placebo")


def test_reported_and_computed_estimates_agree_within_rounding() -> None:
    """A row holding both keeps both; the computed one is what the engine reads, and it agrees with
    the published figure (BCG trial 1, reported to 4 decimals) within that rounding."""
    tpos, tneg, cpos, cneg, log_or, se = BCG[0]
    reported = {
        "measure": "or",
        "value": round(math.exp(log_or), 4),
        "ci_lower": round(math.exp(log_or - Z * se), 4),
        "ci_upper": round(math.exp(log_or + Z * se), 4),
        "scale": "TB cases",
        "lower_is_better": True,
        "source": "https://raw.githubusercontent.com/jasp-stats/jasp-data-library/main/BCG%20Vaccine/BCG%20Vaccine.csv",
    }
    row = _row(_counts(tpos, tpos + tneg, cpos, cpos + cneg, "or"), reported)
    computed = get_row_estimate(row)
    assert row.estimate is not None and computed is not None and computed is not row.estimate
    for field in ("value", "ci_lower", "ci_upper"):
        assert getattr(computed, field) == pytest.approx(getattr(row.estimate, field), abs=1e-3), field


def test_risk_ratio_and_difference() -> None:
    rr = compute_estimate(_row(_counts(33, 48, 36, 50)))
    assert rr is not None and rr.value == pytest.approx((33 / 48) / (36 / 50))
    assert rr.ci_lower is not None and rr.ci_upper is not None and rr.ci_lower < rr.value < rr.ci_upper
    rd = compute_estimate(_row(_counts(33, 48, 36, 50, "rd")))
    assert rd is not None and rd.value == pytest.approx(33 / 48 - 36 / 50)
    # the Wald SE of a risk difference, as an independent check of statsmodels' variance
    se = math.sqrt((33 / 48) * (15 / 48) / 48 + (36 / 50) * (14 / 50) / 50)
    assert rd.ci_upper == pytest.approx(rd.value + Z * se, rel=1e-6)


def test_zero_cell_gets_half_and_double_zero_is_not_estimable() -> None:
    est = compute_estimate(_row(_counts(0, 10, 5, 10)))
    assert est is not None and est.value == pytest.approx((0.5 / 11) / (5.5 / 11))
    assert compute_estimate(_row(_counts(0, 10, 0, 12))) is None
    diff = compute_estimate(_row(_counts(0, 10, 0, 12, "rd")))
    assert diff is not None and diff.value == 0.0


def test_hedges_g_matches_the_t_statistic_route() -> None:
    """Hedges' g from statsmodels equals J x t x sqrt(1/n1 + 1/n2), t from scipy's two-sample test."""
    from scipy.stats import ttest_ind_from_stats

    est = compute_estimate(_row(_means(-1.3, 1.6, 49, -0.9, 1.7, 50, "smd")))
    assert est is not None and est.measure.value == "smd" and est.value < 0
    t = ttest_ind_from_stats(-1.3, 1.6, 49, -0.9, 1.7, 50).statistic
    j = 1 - 3 / (4 * (49 + 50 - 2) - 1)
    assert est.value == pytest.approx(j * t * math.sqrt(1 / 49 + 1 / 50), rel=1e-9)
    assert "change from baseline" in est.scale


def test_mean_difference_and_its_se_from_the_sds() -> None:
    est = compute_estimate(_row(_means(-1.3, 1.6, 49, -0.9, 1.7, 50, "md")))
    assert est is not None and est.value == pytest.approx(-0.4)
    se = math.sqrt(1.6**2 / 49 + 1.7**2 / 50)
    assert (est.ci_lower, est.ci_upper) == (pytest.approx(-0.4 - Z * se), pytest.approx(-0.4 + Z * se))


def test_control_risk_is_the_comparator_arm() -> None:
    assert control_risk(_row(_counts(33, 48, 36, 50))) == (36, 50)
    assert control_risk(_row(_means(1, 1, 10, 1, 1, 10, "md"))) is None


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        (_counts(12, 10, 3, 10), "events: 12 events in 10 participants"),
        (_counts(-1, 10, 3, 10), "greater than or equal to 0"),
        (_means(1.0, 0.0, 10, 1.0, 1.0, 10, "md"), "greater than 0"),
        (_means(float("nan"), 1.0, 10, 1.0, 1.0, 10, "md"), "finite number"),  # schema: no NaN (issue 27 F3)
        (_means(1.0, 1.0, 0, 1.0, 1.0, 10, "md"), "greater than or equal to 1"),
        (_counts(1, 10, 3, 10, "md"), "counts give rr, or or rd"),
        (_means(1.0, 1.0, 10, 1.0, 1.0, 10, "rr"), "means give md or smd"),
        ({**_counts(1, 10, 3, 10), "groups": _counts(1, 10, 3, 10)["groups"][:1]}, "exactly two arms"),
    ],
)
def test_bad_arms_are_refused(arms: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        _row(arms)
    assert message in str(info.value)


ARMS_YAML = (
    "        arms:\n"
    "          measure: rr\n"
    "          scale: participants with any adverse event\n"
    "          lower_is_better: true\n"
    "          groups:\n"
    "            - {label: LDN, role: intervention, events: EVENTS, total: 20, time_point: 8 weeks,"
    " source: 'https://example.org/111'}\n"
    "            - {label: placebo, role: comparator, events: 8, total: 20, time_point: 8 weeks,"
    " source: 'https://example.org/111'}\n"
)


def test_loader_names_file_record_and_field(edit: Callable[[str, str, str], Path]) -> None:
    row = "        effect: improved\n"
    data = edit("studies.yaml", row, row + ARMS_YAML.replace("EVENTS", "21"))
    with pytest.raises(DataError) as info:
        read_knowledge_base(data)
    (line,) = info.value.problems
    assert line.startswith(f"{data / 'studies.yaml'}:12: study 'trial-a': outcomes.0.arms.groups.0.events:")
    assert "21 events in 20 participants; events <= total" in line


def test_loader_checks_arm_sizes_against_n(edit: Callable[[str, str, str], Path]) -> None:
    """trial-a has n = 40: arms of 20 + 20 fit."""
    row = "        effect: improved\n"
    fits = read_knowledge_base(edit("studies.yaml", row, row + ARMS_YAML.replace("EVENTS", "4")))
    assert fits.study_index["trial-a"].outcomes[0].arms is not None


@pytest.mark.parametrize(
    ("total", "randomised", "problem"),
    [
        ("18", None, "arm sizes 18 + 18 = 36 do not add up to the study's n (40)"),
        ("18", "20", None),
        ("18", "21", "arms randomised 21 + 21 = 42 do not add up to the study's n (40)"),
        ("22", None, "arm sizes 22 + 22 = 44 do not add up to the study's n (40)"),
    ],
)
def test_arm_sizes_and_randomised_counts(
    edit: Callable[[str, str, str], Path], total: str, randomised: str | None, problem: str | None
) -> None:
    arms = ARMS_YAML.replace("EVENTS", "4").replace("total: 20", f"total: {total}")
    if randomised is not None:
        arms = arms.replace(" time_point:", f" randomised: {randomised}, time_point:")
    data = edit("studies.yaml", "        effect: improved\n", "        effect: improved\n" + arms)
    if problem is None:
        assert read_knowledge_base(data).study_index["trial-a"].outcomes[0].arms is not None
        return
    with pytest.raises(DataError) as info:
        read_knowledge_base(data)
    (line,) = info.value.problems
    assert ":13: study 'trial-a': outcomes[0].arms: " + problem in line


def test_sof_gives_absolute_effects_from_the_comparator_arms(tmp_path: Path) -> None:
    """The effects fixture's adverse-event row gets arm-level counts: the SoF row shows the RR
    computed from them and the absolute effect per 1,000 at the comparator arm's risk (8 of 20)."""
    data = tmp_path / "data"
    shutil.copytree(EFFECTS, data)
    path = data / "studies.yaml"
    text = path.read_text("utf-8")
    old = (
        "        estimate:\n          measure: rr\n          value: 1.5\n          ci_lower: 0.6\n"
        "          ci_upper: 3.75\n          scale: participants with any adverse event\n"
        "          lower_is_better: true\n          comparator: placebo\n          source: https://example.org/111\n"
    )
    assert old in text
    path.write_text(text.replace(old, ARMS_YAML.replace("EVENTS", "12")))
    kb = read_knowledge_base(data)
    row = next(o for o in kb.study_index["trial-a"].outcomes if o.outcome == "NCIT:C41331")
    summary = summarise_effects([kb.study_index["trial-a"]], "NCIT:C41331")
    assert summary.pooled is not None and summary.pooled.value == pytest.approx((12 / 20) / (8 / 20))
    table = get_sof_table(kb, read_profile(REPO / "data" / "evidence-profile.yaml"), "MESH:D005356")
    harm = next(r for r in table.rows if r.outcome == "NCIT:C41331")
    assert harm.relative is not None and harm.relative.startswith("RR 1.50 (95% CI")
    assert harm.effect.startswith("200 more per 1,000 (from ")  # 400 x (1.5 - 1) per 1,000
    notes = [table.footnotes[i - 1] for i in harm.footnotes]
    assert any("comparator arms' risk: 8 of 20 (400 per 1,000)" in n for n in notes)
    assert row.arms is not None and compute_estimate(row) is not None
