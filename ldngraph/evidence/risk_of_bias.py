"""Risk of bias: per study (RoB 2 / ROBINS-I overall judgement, else yes/no flags) and per body.

Per study (:func:`judge_study`): a study with curated domain judgements
(:class:`ldngraph.model.RiskOfBias`) is judged by its overall judgement, the worst assessed domain
(RoB 2's rule), and its weight is multiplied by the profile's ``risk_of_bias`` factor for that
level. Where no domains were curated (or none was assessed), the fallback is the v1 yes/no flags:
an open-label study with a patient-reported outcome, no control or no randomisation is at high
risk; blinding not reported with a patient-reported outcome is "some concerns".

Per body (:func:`judge_body`): the units behind the conclusion, weighted by their weight, with high
risk counting 1 and some concerns 1/2; a share at or above ``certainty.share_threshold`` costs one
level.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from ldngraph.evidence.profile import Profile
from ldngraph.model import Design, Judgement, OutcomeKind, Study
from ldngraph.model.terms import _Frozen

#: Contribution of each level to the weighted risk share of a body.
RISK_SHARE = {"low": 0.0, "some_concerns": 0.5, "high": 1.0}


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
            worst = [name for name, d in rob.domains.items() if d.judgement is overall]
            detail = f"{rob.tool.value} overall {overall.value} ({', '.join(worst)})"
            domains = tuple((name, d.judgement.value, d.support) for name, d in rob.domains.items())
            mult = () if factor == 1.0 else ((f"risk_of_bias_{overall.value}", factor, detail),)
            return RiskJudgement(
                level=overall.value, basis=rob.tool.value, detail=detail, domains=domains, multipliers=mult
            )
    return _from_flags(study, design, outcome_kind, profile)


def judge_body(weighted: Sequence[tuple[str, float, RiskJudgement]], profile: Profile) -> tuple[int, str]:
    """(levels, explanation) for the units behind a conclusion: (study, weight, risk) triples."""
    if not weighted:
        return 0, "no units to judge"
    total = sum(w for _, w, _ in weighted)
    if total > 0:
        share = sum(w * RISK_SHARE[r.level] for _, w, r in weighted) / total
    else:
        share = sum(RISK_SHARE[r.level] for _, _, r in weighted) / len(weighted)
    risky = [f"{sid}: {r.detail}" for sid, _, r in weighted if r.level != "low"]
    shown = "; ".join(risky) or "every unit at low risk"
    threshold = profile.certainty.share_threshold
    if share >= threshold:
        return 1, f"weighted risk share {share:.2f} >= {threshold}: {shown}"
    return 0, f"weighted risk share {share:.2f} < {threshold}: {shown}"


__all__ = ["RISK_SHARE", "Judgement", "RiskJudgement", "judge_body", "judge_study"]
