"""Which estimate a body's conclusion rests on, and the conclusion it gives (evidence model v3).

Estimate first (Core GRADE 2, BMJ 2025;389:e081904; Cochrane Handbook ch. 12):

1. **The body's own estimate**: a random-effects pool of its primary studies, one estimate per
   study (:func:`ldngraph.evidence.effects.summarise_studies`).
2. **A review's pooled result** is never pooled again; every usable one is shown beside the body
   with its overlap. The conclusion rests on the most informative usable one (most participants,
   then most studies) when the body has no estimate of its own, or, under the profile rule
   ``synthesis.minority_rule: review``, when the body's estimate holds fewer than
   ``synthesis.minority_share`` of the participants that review pooled (the body says so either way).
3. **Conclusion from the estimate** (:func:`classify`): where the point estimate and its 95% CI
   lie against the null and the outcome's minimal important difference (profile ``mid:``):
   an important benefit (point estimate at or beyond the MID), little or no important difference
   (inside the MIDs; "small" when the CI excludes the null, "trivial" when it does not), an
   important harm, or **uncertain** when the CI includes both an important benefit and an
   important harm. Without an MID for the estimate's measure and scale only the null can be
   judged: benefit or harm when the CI excludes it (size not judged), else uncertain.
4. **Synthesis without meta-analysis** only where no estimate exists (SWiM, Campbell et al. BMJ
   2020;368:l6890): vote counting by *direction of effect* (never by significance) with a sign
   test (``scipy.stats.binomtest``) and the exact 95% CI of the proportion favouring LDN.
   A study's direction comes from its estimate's sign, else from what it recorded ("improved"
   favours LDN, "worsened" the comparator, "no effect" is an unclear direction and is left out).
   A significant sign test gives benefit or harm (direction only, size unknown), else uncertain.

scipy is imported inside the functions that need it (cold start of ``paths``/``query``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

from pydantic import Field

from ldngraph.evidence.effects import EffectSummary, PooledEffect, StudyEffect, get_review_effects
from ldngraph.evidence.imprecision import PooledEffect as Interval
from ldngraph.evidence.imprecision import get_mid
from ldngraph.evidence.profile import MinimalImportantDifference, Profile
from ldngraph.evidence.reviews import ReviewRole
from ldngraph.model import Effect, Study
from ldngraph.model.terms import RATIO_MEASURES, _Frozen

#: Conclusions a body can reach.
CONCLUSIONS = ("benefit", "little_or_no_effect", "harm", "uncertain", "no_human_evidence")
#: How the conclusion was reached.
BASES = ("estimate", "review", "swim", "none")


class SignTest(_Frozen):
    """Vote counting by direction of effect, with a sign test (SWiM)."""

    favours_ldn: tuple[str, ...]
    favours_comparator: tuple[str, ...]
    unclear: tuple[str, ...] = Field(description="Studies whose direction is not known (left out)")
    p_value: float | None = Field(description="Two-sided exact binomial test against 0.5")
    proportion: float | None = Field(description="Share of studies with a clear direction favouring LDN")
    ci_lower: float | None = Field(description="Exact (Clopper-Pearson) 95% CI of that share")
    ci_upper: float | None = None

    @property
    def text(self) -> str:
        n = len(self.favours_ldn) + len(self.favours_comparator)
        if n == 0:
            return f"no study with a clear direction of effect ({len(self.unclear)} unclear)"
        assert self.proportion is not None and self.ci_lower is not None and self.ci_upper is not None
        return (
            f"{len(self.favours_ldn)} of {n} studies with a clear direction favour LDN "
            f"({self.proportion:.0%}, 95% CI {self.ci_lower:.0%} to {self.ci_upper:.0%}; sign test p = "
            f"{self.p_value:.3g}); {len(self.unclear)} with an unclear direction left out"
        )


class ReviewEstimate(_Frozen):
    """A review's own pooled result shown beside a body: never pooled, used only as the rule says."""

    review: str
    label: str
    effect: StudyEffect
    conclusion: str = Field(description="What this pooled result alone would conclude")
    magnitude: str | None
    used: bool = Field(description="The body's conclusion rests on it")
    usable: bool = Field(description="False when it lists a retracted or excluded study, or has no CI")
    overlap: str = Field(description="Its overlap with the body's studies, in words")
    flag: str | None = None


class Synthesis(_Frozen):
    """How a body's conclusion was reached, and what it is."""

    basis: str = Field(description="estimate (the body's own), review (a review's pooled result), swim, none")
    conclusion: str
    magnitude: str | None = Field(
        description="important / small_benefit / small_harm / trivial / unknown (no MID, or direction "
        "only); None: uncertain"
    )
    effect: EffectSummary = Field(
        description="The estimate the conclusion rests on (status review for a review's)"
    )
    own: EffectSummary = Field(description="The body's own estimate from its primary studies")
    review: str | None = Field(default=None, description="Review id the conclusion rests on")
    sign_test: SignTest | None = None
    mid: float | None = Field(default=None, description="MID applied (measure units; a ratio for ratios)")
    mid_source: str | None = None
    participants: int | None = Field(default=None, description="Participants of the body's primary studies")
    estimate_participants: int | None = Field(default=None, description="Participants in the estimate used")
    minority: str | None = Field(
        default=None, description="The body's estimate against a review's, if a minority"
    )
    minority_of: tuple[str, int, int] | None = Field(
        default=None,
        description="(review id, the body's own estimate's participants, the review's pooled participants) "
        "behind minority, for the SoF's wording",
    )
    reviews: tuple[ReviewEstimate, ...] = ()
    note: str = Field(description="One line: how the conclusion was reached")

    @property
    def interval(self) -> Interval | None:
        """The estimate used, as imprecision takes it."""
        p = self.effect.pooled
        return None if p is None else Interval.of(p)


# -- one estimate against the null and the MID ---------------------------------------------------


def _benefit_scale(value: float, null: float, *, ratio: bool, lower_is_better: bool) -> float:
    """``value`` as a distance from the null on the analysis scale, positive = benefit."""
    x = math.log(value) - math.log(null) if ratio else value - null
    return -x if lower_is_better else x


def classify(
    value: float,
    ci: tuple[float, float],
    *,
    null: float,
    ratio: bool,
    lower_is_better: bool,
    mid: float | None,
) -> tuple[str, str | None, str]:
    """(conclusion, magnitude, one line) for an estimate and its 95% CI (module doc, rule 3).

    ``mid``: size of the MID in measure units (a ratio such as 1.25 for ratio measures); None:
    only the null is judged."""
    point = _benefit_scale(value, null, ratio=ratio, lower_is_better=lower_is_better)
    lo, hi = sorted(_benefit_scale(v, null, ratio=ratio, lower_is_better=lower_is_better) for v in ci)
    shown = f"{value:.3g} (95% CI {ci[0]:.3g} to {ci[1]:.3g})"
    if mid is None:
        if lo > 0:
            return "benefit", "unknown", f"{shown} excludes the null, favouring LDN (no MID: size not judged)"
        if hi < 0:
            return (
                "harm",
                "unknown",
                f"{shown} excludes the null, favouring the comparator (no MID: size not judged)",
            )
        return (
            "uncertain",
            None,
            f"{shown} includes the null; with no MID declared, little or no effect cannot be told "
            "from an unknown one",
        )
    m = abs(math.log(mid)) if ratio else abs(mid)
    if lo < -m and hi > m:
        return (
            "uncertain",
            None,
            f"{shown} includes both an important benefit and an important harm (MID {mid:g})",
        )
    if point >= m:
        return "benefit", "important", f"{shown}: the point estimate is an important benefit (MID {mid:g})"
    if point <= -m:
        return "harm", "important", f"{shown}: the point estimate is an important harm (MID {mid:g})"
    size = "small_benefit" if lo > 0 else "small_harm" if hi < 0 else "trivial"
    words = size.replace("_", " ")
    return (
        "little_or_no_effect",
        size,
        f"{shown}: the point estimate lies inside the MIDs ({words}; MID {mid:g})",
    )


def _mid_for(
    profile: Profile, outcome: str | None, p: PooledEffect | StudyEffect
) -> MinimalImportantDifference | None:
    return get_mid(
        profile,
        outcome,
        Interval(value=p.value, ci_lower=p.value, ci_upper=p.value, measure=p.measure, scale=p.scale),
    )


def classify_effect(
    p: PooledEffect | StudyEffect, profile: Profile, outcome: str | None
) -> tuple[str, str | None, str, MinimalImportantDifference | None]:
    """:func:`classify` for a pooled or single estimate, with the profile's MID for ``outcome``."""
    assert p.ci_lower is not None and p.ci_upper is not None
    mid = _mid_for(profile, outcome, p)
    conclusion, magnitude, text = classify(
        p.value,
        (p.ci_lower, p.ci_upper),
        null=p.null_value,
        ratio=p.measure in RATIO_MEASURES,
        lower_is_better=p.lower_is_better,
        mid=mid.value if mid else None,
    )
    return conclusion, magnitude, text, mid


# -- direction of effect (SWiM) -------------------------------------------------------------------


def get_direction(study: Study, outcome: str | None, side: str, estimate: StudyEffect | None) -> str:
    """'ldn', 'comparator' or 'unclear': the direction of ``study``'s result (module doc, rule 4)."""
    if estimate is not None:
        if estimate.value == estimate.null_value:
            return "unclear"
        below = estimate.value < estimate.null_value
        return "ldn" if below == estimate.lower_is_better else "comparator"
    if side == "benefit":
        return "ldn"
    if side == "harm":
        return "comparator"
    effects = {o.effect for o in study.outcomes if o.outcome == outcome and o.reported}
    return "ldn" if effects == {Effect.improved} else "unclear"


def sign_test(directions: Mapping[str, str]) -> SignTest:
    """The sign test of ``directions`` (study id -> ldn / comparator / unclear)."""
    pro = tuple(s for s, d in directions.items() if d == "ldn")
    con = tuple(s for s, d in directions.items() if d == "comparator")
    unclear = tuple(s for s, d in directions.items() if d == "unclear")
    n = len(pro) + len(con)
    if n == 0:
        return SignTest(
            favours_ldn=pro,
            favours_comparator=con,
            unclear=unclear,
            p_value=None,
            proportion=None,
            ci_lower=None,
        )
    p_value, low, high = _binomial_test(len(pro), n)
    return SignTest(
        favours_ldn=pro,
        favours_comparator=con,
        unclear=unclear,
        p_value=p_value,
        proportion=len(pro) / n,
        ci_lower=low,
        ci_upper=high,
    )


@lru_cache(maxsize=4096)
def _binomial_test(successes: int, trials: int) -> tuple[float, float, float]:
    """scipy's exact two-sided binomial test at 0.5 and Clopper-Pearson 95% CI, once per (k, n): a
    large corpus has thousands of bodies but few distinct counts, and each call costs milliseconds."""
    from scipy.stats import binomtest

    res = binomtest(successes, trials, 0.5, alternative="two-sided")
    ci = res.proportion_ci(confidence_level=0.95, method="exact")
    return float(res.pvalue), float(ci.low), float(ci.high)


# -- choosing the estimate ------------------------------------------------------------------------


def _participants(summary: EffectSummary, studies: Mapping[str, Study]) -> int | None:
    pooled = summary.pooled
    if pooled is None:
        return None
    if pooled.n is not None:
        return pooled.n
    ns = [studies[e.study].n for e in summary.studies if e.study in studies]
    return None if any(n is None for n in ns) else sum(n for n in ns if n is not None)


def _review_summary(effect: StudyEffect, role: ReviewRole, note: str) -> EffectSummary:
    assert effect.ci_lower is not None and effect.ci_upper is not None
    pooled = PooledEffect(
        outcome=effect.outcome,
        measure=effect.measure,
        scale=effect.scale,
        lower_is_better=effect.lower_is_better,
        k=effect.k or 1,
        n=role.pooled_n,
        value=effect.value,
        ci_lower=effect.ci_lower,
        ci_upper=effect.ci_upper,
        tau2=None,
        i2=role.pooled.i2 if role.pooled else None,
        q=None,
        pi_lower=None,
        pi_upper=None,
        method=f"as reported by the review {role.label or role.review} (never pooled again)",
    )
    return EffectSummary(
        outcome=effect.outcome, status="review", pooled=pooled, studies=(effect,), others=(), note=note
    )


def _overlap(role: ReviewRole) -> str:
    pooled = f"{role.pooled_n} participants" if role.pooled_n else "an unstated number of participants"
    if not role.covers:
        return f"pooled {pooled}; none of the body's studies is among those it includes"
    what = "lists" if role.inclusion == "listed" else "may include"
    names = ", ".join(role.covers)
    n = len(role.covers)
    return f"pooled {pooled}; {what} {n} of the body's studies ({role.covered_n} participants: {names})"


def synthesise(
    own: EffectSummary,
    roles: Sequence[ReviewRole],
    directions: Mapping[str, str],
    studies: Mapping[str, Study],
    profile: Profile,
    *,
    outcome: str | None,
    participants: int | None,
    qualified: bool,
) -> Synthesis:
    """The synthesis of one body (module doc): ``own`` its own estimate, ``roles`` its reviews,
    ``directions`` the direction of each human primary study (for the sign test)."""
    rules = profile.synthesis
    shown: list[tuple[ReviewRole, StudyEffect]] = []
    if not qualified and outcome is not None:
        for role in roles:
            for e in get_review_effects(studies[role.review], outcome):
                shown.append((role, e))
    usable = [(r, e) for r, e in shown if r.usable and e.ci_lower is not None and e.se is not None]
    best = max(
        usable,
        key=lambda re: (re[0].pooled_n is not None, re[0].pooled_n or 0, re[1].k or 0, re[0].review),
        default=None,
    )

    chosen: tuple[ReviewRole, StudyEffect] | None = None
    minority = None
    minority_of: tuple[str, int, int] | None = None
    own_n = _participants(own, studies)
    if own.pooled is not None:
        if (
            best is not None
            and best[0].pooled_n
            and own_n is not None
            and own_n < rules.minority_share * best[0].pooled_n
        ):
            share = f"{rules.minority_share:.0%}"
            minority_of = (best[0].review, own_n, best[0].pooled_n)
            minority = (
                f"the body's own estimate holds {own_n} participants, fewer than {share} of the "
                f"{best[0].pooled_n} that {best[0].label or best[0].review} pooled; under "
                f"synthesis.minority_rule: {rules.minority_rule} the conclusion rests on "
            )
            if rules.minority_rule == "review":
                chosen = best
                minority += "that review's pooled result"
            else:
                minority += "the body's own estimate"
    elif best is not None:
        chosen = best

    estimates = []
    for role, e in shown:
        if e.ci_lower is None:
            c, mag = "uncertain", None
        else:
            c, mag, _, _ = classify_effect(e, profile, outcome)
        estimates.append(
            ReviewEstimate(
                review=role.review,
                label=role.label or role.review,
                effect=e,
                conclusion=c,
                magnitude=mag,
                used=chosen is not None and chosen[1] is e,
                usable=(role, e) in usable,
                overlap=_overlap(role),
                flag=role.flag,
            )
        )

    common = {
        "own": own,
        "participants": participants,
        "minority": minority,
        "minority_of": minority_of,
        "reviews": tuple(estimates),
    }
    if chosen is not None:
        role, e = chosen
        why = (
            "no primary study of the body has a usable estimate"
            if own.pooled is None
            else "the body's estimate is a minority of it"
        )
        summary = _review_summary(
            e, role, f"the pooled result reported by {role.label or role.review} ({why}); {_overlap(role)}"
        )
        conclusion, magnitude, text, mid = classify_effect(e, profile, outcome)
        return Synthesis(
            basis="review",
            conclusion=conclusion,
            magnitude=magnitude,
            effect=summary,
            review=role.review,
            mid=mid.value if mid else None,
            mid_source=mid.source if mid else None,
            estimate_participants=role.pooled_n,  # None: not stated (imprecision says so)
            note=f"estimate first, from a review's own pooled result: {text}",
            **common,
        )
    if own.pooled is not None:
        conclusion, magnitude, text, mid = classify_effect(own.pooled, profile, outcome)
        what = "the body's random-effects pool" if own.status == "pooled" else "the body's one study estimate"
        return Synthesis(
            basis="estimate",
            conclusion=conclusion,
            magnitude=magnitude,
            effect=own,
            mid=mid.value if mid else None,
            mid_source=mid.source if mid else None,
            estimate_participants=own_n,
            note=f"estimate first, from {what}: {text}",
            **common,
        )
    if not directions:
        return Synthesis(
            basis="none",
            conclusion="uncertain",
            magnitude=None,
            effect=own,
            note="no human primary study and no usable pooled result: nothing to estimate or count",
            **common,
        )
    test = sign_test(directions)
    conclusion, magnitude = "uncertain", None
    if test.p_value is not None and test.p_value < rules.sign_test_alpha:
        conclusion = "benefit" if len(test.favours_ldn) > len(test.favours_comparator) else "harm"
        magnitude = "unknown"
    swim = own.model_copy(
        update={"status": "swim", "note": f"synthesis without meta-analysis (no estimate): {test.text}"}
    )
    return Synthesis(
        basis="swim",
        conclusion=conclusion,
        magnitude=magnitude,
        effect=swim,
        sign_test=test,
        note=f"synthesis without meta-analysis, vote counting by direction of effect: {test.text}"
        + ("" if conclusion != "uncertain" else f"; not significant at {rules.sign_test_alpha}: uncertain"),
        **common,
    )


def no_human_synthesis(own: EffectSummary, roles: Sequence[ReviewRole], what: str) -> Synthesis:
    """The synthesis of a body with no human evidence: nothing is estimated or counted."""
    return Synthesis(
        basis="none",
        conclusion="no_human_evidence",
        magnitude=None,
        effect=own,
        own=own,
        note=f"no human evidence: {what}; not rated for clinical benefit",
    )


__all__ = [
    "BASES",
    "CONCLUSIONS",
    "ReviewEstimate",
    "SignTest",
    "Synthesis",
    "classify",
    "classify_effect",
    "get_direction",
    "no_human_synthesis",
    "sign_test",
    "synthesise",
]
