"""A body's conclusion and the GRADE certainty in that conclusion.

Conclusion (from the noisy-or mass of each side, see :mod:`ldngraph.evidence.bodies`):

* no unit counts -> ``uncertain`` (no evidence);
* disagreement 2 min(b, a) / (b + a) between the benefit mass b and the null-or-harm mass a at
  or above ``certainty.uncertain_at`` -> ``uncertain``: the evidence does not point one way;
* else the heavier side: ``benefit``, or ``harm`` / ``little_or_no_effect`` (whichever of harm and
  null weighs more).

Certainty in that conclusion: start from the best design among the units behind the conclusion
(uncertain: all units; a review: the best design it includes), then lose levels in GRADE's
five domains, each with a code and one line:

* risk_of_bias: :func:`ldngraph.evidence.risk_of_bias.judge_body` over the units behind the
  conclusion at the start level (uncertain: all units at that level);
* inconsistency: one level when the disagreement reaches ``certainty.inconsistency_at`` or a
  review in the body reports I^2 >= ``certainty.inconsistency_i2`` for this outcome; two when
  the evidence does not point one way (uncertain);
* indirectness: one level when half or more of that weight is indirect
  (animal, cell, another dose, agent, population or condition);
* imprecision: :func:`ldngraph.evidence.imprecision.judge_imprecision` on the participants at the
  start level, each counted once, in either direction;
* publication_bias: :func:`ldngraph.evidence.publication_bias.judge_publication_bias`.

No upgrades: GRADE's upgrade criteria for observational evidence are not implemented.
Citation status is never a downgrade (it is a data-quality flag on the body).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ldngraph.evidence.imprecision import get_body_effect, judge_imprecision
from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.publication_bias import judge_publication_bias
from ldngraph.evidence.risk_of_bias import judge_body
from ldngraph.evidence.units import BodyUnit, Downgrade
from ldngraph.evidence.weights import combine, quantise
from ldngraph.model import Study

if TYPE_CHECKING:
    from ldngraph.evidence.reviews import ReviewRole

#: Conclusions a body can reach.
CONCLUSIONS = ("benefit", "little_or_no_effect", "harm", "uncertain")


@dataclass(frozen=True)
class Verdict:
    conclusion: str
    certainty: Certainty
    start: Certainty
    disagreement: float
    participants: int | None
    judgements: tuple[Downgrade, ...]
    notes: tuple[str, ...]
    trace: tuple[str, ...]


def get_disagreement(a: float, b: float) -> float:
    """2 min(a, b) / (a + b): 0 when one side is empty, 1 when both sides weigh the same."""
    total = a + b
    return 0.0 if total <= 0 else 2.0 * min(a, b) / total


def conclude(mass: Mapping[str, float], profile: Profile, *, any_units: bool) -> tuple[str, float]:
    """(conclusion, disagreement) from the masses of the benefit, null and harm sides."""
    against = combine([mass["null"], mass["harm"]])
    disagreement = quantise(get_disagreement(mass["benefit"], against))
    if not any_units:
        return "uncertain", disagreement
    if disagreement >= profile.certainty.uncertain_at:
        return "uncertain", disagreement
    if mass["benefit"] > against:
        return "benefit", disagreement
    return ("harm" if mass["harm"] > mass["null"] else "little_or_no_effect"), disagreement


def _sides(conclusion: str) -> set[str]:
    return {
        "benefit": {"benefit"},
        "little_or_no_effect": {"null"},
        "harm": {"harm"},
    }.get(conclusion, {"benefit", "null", "harm"})


def judge(
    units: Sequence[BodyUnit],
    reviews: Sequence[ReviewRole],
    mass: Mapping[str, float],
    studies: Mapping[str, Study],
    question: str,
    profile: Profile,
    *,
    excluded: bool,
    outcome: str | None = None,
) -> Verdict:
    """Conclusion, start, the five domain judgements and the certainty of one body."""
    rules = profile.certainty
    notes: list[str] = ["retracted"] if excluded else []
    trace: list[str] = []
    conclusion, disagreement = conclude(mass, profile, any_units=bool(units))
    if not units:
        notes.append("no_evidence")
        trace.append("no unit counts: conclusion uncertain, certainty very_low")
        empty = tuple(
            Downgrade(domain=d, levels=0, code=d, explanation="no evidence to judge")
            for d in ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
        )
        return Verdict(
            "uncertain",
            Certainty.very_low,
            Certainty.very_low,
            disagreement,
            None,
            empty,
            tuple(notes),
            tuple(trace),
        )
    # The certainty in a conclusion rests on the evidence for it: start from the best design among
    # the units behind the conclusion (uncertain: every unit); evidence against it is inconsistency.
    behind = [u for u in units if u.side in _sides(conclusion)] or list(units)
    start = max((u.start for u in behind), key=lambda c: c.rank)
    core = [u for u in units if u.start is start]
    trace.append(
        f"conclusion {conclusion} (disagreement {disagreement:.6f}); start {start.value}: best design "
        f"{', '.join(sorted({u.design.value for u in behind if u.start is start}))} behind the conclusion"
    )

    # Risk of bias and indirectness are judged on the evidence the certainty starts from (GRADE
    # rates randomised and observational evidence apart): weaker designs behind the conclusion
    # neither dilute nor add to the judgement.
    rated = [u for u in behind if u.start is start]
    judgements: list[Downgrade] = []
    levels, text = judge_body([(u.studies[0], u.weight, u.risk) for u in rated], profile)
    judgements.append(Downgrade(domain="risk_of_bias", levels=levels, code="risk_of_bias", explanation=text))

    i2 = [r.pooled.i2 for r in reviews if r.pooled is not None and r.pooled.i2 is not None]
    if conclusion == "uncertain":
        levels, text = (
            2,
            f"the evidence does not point one way (disagreement {disagreement:.2f} >= {rules.uncertain_at})",
        )
    elif disagreement >= rules.inconsistency_at:
        levels, text = 1, f"units disagree: disagreement {disagreement:.2f} >= {rules.inconsistency_at}"
    elif i2 and max(i2) >= rules.inconsistency_i2:
        levels, text = 1, f"a review reports I^2 {max(i2):g}% >= {rules.inconsistency_i2:g}%"
    else:
        shown = f"; pooled I^2 {max(i2):g}%" if i2 else ""
        levels, text = 0, f"consistent: disagreement {disagreement:.2f} < {rules.inconsistency_at}{shown}"
    judgements.append(
        Downgrade(domain="inconsistency", levels=levels, code="inconsistency", explanation=text)
    )

    tiers = {u.tier for u in units}
    total = sum(u.weight for u in rated)
    share = (
        sum(u.weight for u in rated if u.indirect) / total
        if total > 0
        else sum(1 for u in rated if u.indirect) / len(rated)
    )
    kinds = sorted({k for u in rated for k in u.indirect})
    if tiers <= {"theoretical"}:
        code, levels, text = "theoretical_only", 1, "commentary or hypothesis only: nobody was studied"
    elif tiers <= {"preclinical", "theoretical"}:
        code, levels, text = "preclinical_only", 1, "animal or cell evidence only"
    elif share >= rules.share_threshold:
        code, levels, text = "indirectness", 1, f"{share:.2f} of the weight is indirect ({', '.join(kinds)})"
    else:
        code, levels, text = (
            "indirectness",
            0,
            f"{share:.2f} of the weight is indirect" + (f" ({', '.join(kinds)})" if kinds else ""),
        )
    if code != "indirectness":
        notes.append(code)
    judgements.append(Downgrade(domain="indirectness", levels=levels, code=code, explanation=text))

    sized = [u for u in core if u.participants is not None]
    participants = sum(u.participants or 0 for u in sized) if sized else None
    # issue 13: the body's effect and 95% CI (pooled where several studies report one) decide,
    # the sample-size rule is the fallback (ldngraph/evidence/imprecision.py)
    effect = get_body_effect({s: studies[s] for u in units for s in u.studies}.values(), outcome)
    levels, text = judge_imprecision(
        participants, profile, conclusion=conclusion, pooled=effect, outcome=outcome
    )
    judgements.append(Downgrade(domain="imprecision", levels=levels, code="imprecision", explanation=text))

    positive = [studies[u.studies[0]] for u in units if u.role == "study" and u.side == "benefit"]
    negative = [studies[u.studies[0]] for u in units if u.role == "study" and u.side != "benefit"]
    levels, text = judge_publication_bias(positive, negative, profile, conclusion=conclusion)
    judgements.append(
        Downgrade(domain="publication_bias", levels=levels, code="publication_bias", explanation=text)
    )

    drop = sum(d.levels for d in judgements)
    certainty = Certainty.from_rank(start.rank - drop)
    for d in judgements:
        trace.append(f"{d.domain} -{d.levels} ({d.code}): {d.explanation}")
    trace.append(f"certainty {certainty.value} in '{conclusion}' ({start.value} - {drop}, floor very_low)")
    return Verdict(
        conclusion,
        certainty,
        start,
        disagreement,
        participants,
        tuple(judgements),
        tuple(notes),
        tuple(trace),
    )


__all__ = ["CONCLUSIONS", "Verdict", "conclude", "get_disagreement", "judge"]
