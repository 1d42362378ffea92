"""Risk of bias: per study and outcome (RoB 2 / ROBINS-I, else yes/no flags) and per body (Core GRADE 4).

Per study (:func:`judge_study`, :func:`judge_item_risk`): a study with curated domain judgements
(:class:`ldngraph.model.RiskOfBias`) is judged by its overall judgement, the worst assessed domain
(RoB 2's rule; low only when every domain is low, so a domain not assessed makes an otherwise low
study "some concerns"), and its weight is multiplied by the profile's ``risk_of_bias`` factor for
that level. Where no domains were curated (or none was assessed), the fallback is the v1 yes/no flags:
an open-label study with a patient-reported outcome, no control or no randomisation is at high
risk; blinding not reported with a patient-reported outcome is "some concerns". Whatever the
curation says, a comparison without a concurrent control (a before/after study, a case series, a
register before/after study, an evidence item resting on a within-group change) is at **high**
risk: time trends, regression to the mean and placebo response are confounded with LDN.

Serious for this outcome (:attr:`RiskJudgement.serious`): high risk, or "some concerns" in a
domain that can bias an outcome of this kind (profile ``risk_of_bias.serious_some_concerns``:
knowing the allocation biases patient-reported outcomes, carry-over any crossover outcome);
concerns that only say a method was not described are shown but are not serious on their own.

Per body (:func:`judge_body`): the share of the body's *information* (pool weights, or
participants) from studies at serious risk; a share at or above ``certainty.share_threshold``
costs one level. The explanation says whether studies at serious and at low risk give different
results (Core GRADE 4), from the caller's comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ldngraph.evidence.profile import Profile
from ldngraph.model import (
    PRECLINICAL_DESIGNS,
    SECONDARY_DESIGNS,
    Comparison,
    Design,
    EvidenceItem,
    Judgement,
    OutcomeKind,
    Population,
    Study,
)
from ldngraph.model.terms import _Frozen

#: Designs without a concurrent comparison group, whatever the study's flags say.
UNCONTROLLED_DESIGNS = frozenset({Design.pre_post, Design.case_series, Design.case_report})


class RiskJudgement(_Frozen):
    """A study's risk of bias for one evidence item."""

    level: str = Field(description="low / some_concerns / high")
    basis: str = Field(description="rob2 / robins_i (curated domains) or flags (v1 fallback)")
    detail: str = Field(description="One line: the domains or flags behind the level")
    domains: tuple[tuple[str, str, str], ...] = Field(
        default=(), description="(domain, judgement, support) for curated judgements"
    )
    multipliers: tuple[tuple[str, float, str], ...] = Field(
        default=(), description="(name, factor, detail) applied to the item's weight"
    )
    serious: bool = Field(
        default=False,
        description="Serious for this outcome: high, or some concerns in a domain that can bias it",
    )
    rated: bool = Field(default=True, description="False for evidence no clinical rating applies to")
    serious_domains: tuple[str, ...] = Field(
        default=(),
        description="Curated domains that make some concerns serious for this outcome (judged some "
        "concerns, or not assessed)",
    )


def _from_flags(
    study: Study, design: Design, outcome_kind: OutcomeKind | None, profile: Profile
) -> RiskJudgement:
    mods = profile.modifiers
    steps: list[tuple[str, float, str, str]] = []  # name, factor, detail, level
    if outcome_kind is OutcomeKind.subjective:
        if study.blinded is False and design in mods.unblinded_subjective.designs:
            steps.append(
                (
                    "unblinded_subjective",
                    mods.unblinded_subjective.multiplier,
                    "open-label study with a patient-reported outcome",
                    "high",
                )
            )
        elif study.blinded is None and design in mods.blinding_unknown_subjective.designs:
            steps.append(
                (
                    "blinding_unknown_subjective",
                    mods.blinding_unknown_subjective.multiplier,
                    "blinding not reported, patient-reported outcome",
                    "some_concerns",
                )
            )
    if study.controlled is False and design in mods.uncontrolled.designs:
        steps.append(("uncontrolled", mods.uncontrolled.multiplier, "no comparison group", "high"))
    if study.randomised is False and design in mods.non_randomised.designs:
        steps.append(("non_randomised", mods.non_randomised.multiplier, "allocation not random", "high"))
    levels = [s[3] for s in steps]
    level = "high" if "high" in levels else "some_concerns" if levels else "low"
    detail = "; ".join(s[2] for s in steps) or "no risk-of-bias flag (no domain judgements curated)"
    return RiskJudgement(
        level=level,
        basis="flags",
        detail=detail,
        multipliers=tuple((s[0], s[1], s[2]) for s in steps),
    )


def judge_study(
    study: Study, design: Design, outcome_kind: OutcomeKind | None, profile: Profile
) -> RiskJudgement:
    """Risk of bias of ``study`` weighed as ``design`` (curated domains first, else the flags).

    Curated judgements describe the study's own comparison; an item weighed as another design
    (a within-group change in a randomised trial) falls back to the flags.
    """
    rob = study.risk_of_bias
    if rob is not None and design is study.design:
        overall = rob.overall
        factor = profile.risk_of_bias.get(overall)
        if factor is not None:
            detail = f"{rob.tool.value} overall {overall.value} ({', '.join(rob.overall_domains)})"
            domains = tuple((name, d.judgement.value, d.support) for name, d in rob.domains.items())
            mult = () if factor == 1.0 else ((f"risk_of_bias_{overall.value}", factor, detail),)
            return RiskJudgement(
                level=overall.value, basis=rob.tool.value, detail=detail, domains=domains, multipliers=mult
            )
    return _from_flags(study, design, outcome_kind, profile)


def is_uncontrolled(study: Study, design: Design, item: EvidenceItem | None = None) -> bool:
    """No concurrent comparison: a before/after or single-arm design, a study without a control,
    or an item resting on a within-group change."""
    if item is not None and item.comparison is Comparison.within_group:
        return True
    return design in UNCONTROLLED_DESIGNS or study.controlled is False


def judge_item_risk(
    study: Study,
    design: Design,
    outcome_kind: OutcomeKind | None,
    item: EvidenceItem | None,
    profile: Profile,
) -> RiskJudgement:
    """Risk of bias of ``study`` for one evidence item (see the module doc): the weight
    multipliers of :func:`judge_study`, the level raised to high for an uncontrolled comparison,
    and whether it is serious for an outcome of ``outcome_kind``."""
    base = judge_study(study, design, outcome_kind, profile)
    if (
        study.population is not Population.human
        or design in PRECLINICAL_DESIGNS
        or design in SECONDARY_DESIGNS
        or design is Design.commentary
    ):
        return base.model_copy(update={"rated": False, "serious": False})
    if is_uncontrolled(study, design, item):
        detail = (
            "no concurrent comparison (before/after or single arm): time trends, regression to the mean "
            "and placebo response are confounded with LDN"
        )
        if base.detail and not base.detail.startswith("no risk-of-bias flag"):
            detail += f"; {base.detail}"
        return base.model_copy(update={"level": "high", "detail": detail, "serious": True})
    if base.level == "high":
        return base.model_copy(update={"serious": True})
    if base.level == "some_concerns":
        relevant = profile.risk_of_bias.serious_some_concerns.get(outcome_kind or OutcomeKind.subjective, ())
        if base.basis == "flags":  # the flags' only "some concerns" is blinding not reported
            serious = "measurement" in relevant
        else:
            # a relevant domain left unassessed is no better than one judged "some concerns"
            doubtful = (Judgement.some_concerns.value, Judgement.not_assessed.value)
            why = tuple(name for name, j, _ in base.domains if name in relevant and j in doubtful)
            serious = bool(why)
            if serious:
                return base.model_copy(update={"serious": True, "serious_domains": why})
        if not serious:
            kind = (outcome_kind or OutcomeKind.subjective).value
            return base.model_copy(
                update={"detail": f"{base.detail}: not serious for a {kind} outcome", "serious": False}
            )
        return base.model_copy(update={"serious": True})
    return base


def judge_body(
    weighted: Sequence[tuple[str, float, RiskJudgement]],
    profile: Profile,
    *,
    basis: str = "information",
    comparison: str | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """(levels, explanation, facts) from ``(study, information, risk)`` of the studies behind the
    body's estimate or synthesis; ``comparison``: whether studies at serious and low risk differ.
    ``facts`` are the structured fields of :class:`ldngraph.evidence.units.Downgrade`."""
    rated = [(sid, w, r) for sid, w, r in weighted if r.rated]
    if not rated:
        return 0, "no human study to judge", {"reason": "no_human"}
    total = sum(w for _, w, _ in rated)
    if total > 0:
        share = sum(w for _, w, r in rated if r.serious) / total
    else:
        share = sum(1 for _, _, r in rated if r.serious) / len(rated)
    serious = [f"{sid}: {r.detail}" for sid, _, r in rated if r.serious]
    minor = [f"{sid}: {r.detail}" for sid, _, r in rated if not r.serious and r.level != "low"]
    shown = "; ".join(serious) or "no study at serious risk"
    if minor:
        shown += f" (not serious here: {'; '.join(minor)})"
    if comparison:
        shown += f"; {comparison}"
    threshold = profile.certainty.share_threshold
    facts: dict[str, Any] = {
        "studies": tuple(sid for sid, _, r in rated if r.serious),
        "share": share,
        "threshold": threshold,
        "extra": ("differ",) if comparison and comparison.endswith("(they differ)") else (),
    }
    if share >= threshold:
        return (
            1,
            f"{share:.0%} of the {basis} from studies at serious risk >= {threshold:.0%}: {shown}",
            {**facts, "reason": "serious_share"},
        )
    return (
        0,
        f"{share:.0%} of the {basis} from studies at serious risk < {threshold:.0%}: {shown}",
        {**facts, "reason": "minor_share" if facts["studies"] else "none_serious"},
    )


__all__ = [
    "UNCONTROLLED_DESIGNS",
    "Judgement",
    "RiskJudgement",
    "is_uncontrolled",
    "judge_body",
    "judge_item_risk",
    "judge_study",
]
