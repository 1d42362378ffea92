"""The GRADE certainty in a body's conclusion (evidence model v3; Core GRADE).

The conclusion comes from :mod:`ldngraph.evidence.synthesis` (estimate first, a review's pooled
result by rule, else a sign test by direction of effect). The certainty in it starts from the best
design behind it (GRADE: randomised trials high, observational studies low):

* an estimate of the body's own: the studies pooled in it;
* a review's pooled result: the designs that review includes;
* a synthesis without meta-analysis: the human primary studies counted.

It then loses levels in GRADE's five domains, each judged on the body's *information* (the pool's
weights, else participants), each with a code and one line that gives the numbers:

* risk_of_bias: :func:`ldngraph.evidence.risk_of_bias.judge_body`, with whether studies at serious
  and at low risk give different results;
* inconsistency: :func:`ldngraph.evidence.inconsistency.judge_inconsistency` (I^2, tau^2,
  prediction interval, overlap, point estimates on both sides of the MID);
* indirectness: :func:`ldngraph.evidence.indirectness.judge_indirectness`;
* imprecision: :func:`ldngraph.evidence.imprecision.judge_imprecision` on the CI of the estimate
  used and the participants *in that estimate* (the sample-size rule on the body's participants
  for a synthesis without meta-analysis);
* publication_bias: :func:`ldngraph.evidence.publication_bias.judge_publication_bias`, with
  missing results and registry evidence.

A body resting only on preclinical, mechanistic or hypothesis evidence is not rated for clinical
benefit: its conclusion is ``no_human_evidence`` (certainty very low, codes ``preclinical_only``
or ``theoretical_only``). No upgrades: GRADE's criteria for upgrading observational evidence are
not implemented. Citation status is never a downgrade (it is a data-quality flag on the body).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ldngraph.evidence.imprecision import assess_imprecision
from ldngraph.evidence.inconsistency import judge_inconsistency
from ldngraph.evidence.indirectness import judge_indirectness
from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.publication_bias import RegistryEntry, judge_publication_bias
from ldngraph.evidence.risk_of_bias import judge_body
from ldngraph.evidence.synthesis import CONCLUSIONS, Synthesis
from ldngraph.evidence.units import BodyUnit, Downgrade
from ldngraph.model import Study

if TYPE_CHECKING:
    from ldngraph.evidence.reviews import ReviewRole

DOMAIN_ORDER = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")


@dataclass(frozen=True)
class Verdict:
    conclusion: str
    certainty: Certainty
    start: Certainty
    participants: int | None
    judgements: tuple[Downgrade, ...]
    notes: tuple[str, ...]
    trace: tuple[str, ...]


def _not_rated(why: str) -> tuple[Downgrade, ...]:
    return tuple(Downgrade(domain=d, levels=0, code=d, explanation=why) for d in DOMAIN_ORDER)


def _unit_of(units: Sequence[BodyUnit], sid: str) -> BodyUnit | None:
    found = [u for u in units if u.studies == (sid,)]
    return max(found, key=lambda u: u.weight) if found else None


def _risk_comparison(
    syn: Synthesis, units: Sequence[BodyUnit], profile: Profile, outcome: str | None
) -> str | None:
    """Do studies at serious and at low risk give different results? (Core GRADE 4)"""
    from ldngraph.evidence.effects import pool
    from ldngraph.evidence.synthesis import classify_effect

    risky = {u.studies[0] for u in units if u.role == "study" and u.risk.serious}
    if syn.basis == "estimate" and syn.effect.pooled is not None and syn.effect.pooled.k >= 2:
        effects = [e.model_copy(update={"weight": None}) for e in syn.effect.studies]
        high = [e for e in effects if e.study in risky]
        low = [e for e in effects if e.study not in risky]
        if not high or not low:
            return None
        parts = []
        for name, group in (("serious", high), ("low", low)):
            pooled, _ = pool(group)
            what, _, _, _ = classify_effect(pooled, profile, outcome)
            parts.append(
                f"at {name} risk {pooled.value:.3g} ({pooled.ci_lower:.3g} to {pooled.ci_upper:.3g}): {what}"
            )
        same = parts[0].rsplit(": ", 1)[1] == parts[1].rsplit(": ", 1)[1]
        return "studies " + "; ".join(parts) + ("" if same else " (they differ)")
    if syn.basis == "swim" and syn.sign_test is not None:
        t = syn.sign_test
        groups = []
        for name, keep in (("serious", True), ("low", False)):
            ids = [s for s in (*t.favours_ldn, *t.favours_comparator) if (s in risky) is keep]
            if not ids:
                return None
            pro = sum(1 for s in ids if s in t.favours_ldn)
            groups.append(f"at {name} risk {pro} of {len(ids)} favour LDN")
        return "studies " + "; ".join(groups)
    return None


def judge(
    units: Sequence[BodyUnit],
    roles: Sequence[ReviewRole],
    syn: Synthesis,
    studies: Mapping[str, Study],
    question: str,
    profile: Profile,
    *,
    notes: Sequence[str] = (),
    outcome: str | None = None,
    registry: Sequence[RegistryEntry] = (),
) -> Verdict:
    """Start, the five domain judgements and the certainty of one body's conclusion."""
    noted = list(notes)
    trace = [f"synthesis ({syn.basis}): {syn.note}"]
    if syn.minority:
        trace.append(f"minority: {syn.minority}")
    human = [u for u in units if u.role == "study" and u.tier == "clinical"]
    if syn.conclusion == "no_human_evidence" or (not human and syn.basis == "none"):
        tiers = {u.tier for u in units}
        conclusion = syn.conclusion
        if syn.conclusion != "no_human_evidence":
            noted.append("no_evidence")
            why = "no study counts" + (
                "; the reviews that inform it report no usable pooled result" if roles else ""
            )
        elif tiers <= {"theoretical"}:
            noted.append("theoretical_only")
            why = "commentary or hypothesis only: nobody was studied"
        elif "preclinical" in tiers:
            noted.append("preclinical_only")
            why = "animal or cell evidence only (mechanistic)"
        else:
            noted.append("no_human_evidence")
            why = "expert opinion only (narrative reviews)"
        trace.append(f"{conclusion}: {why}; certainty very_low (not rated for clinical benefit)")
        return Verdict(
            conclusion,
            Certainty.very_low,
            Certainty.very_low,
            None,
            _not_rated(f"not rated: {why}"),
            tuple(dict.fromkeys(noted)),
            tuple(trace),
        )

    # the information behind the conclusion, and where the certainty starts
    participants = sum(u.participants or 0 for u in human) if human else None
    info: list[tuple[str, float, BodyUnit]] = []
    basis = "participants"
    if syn.basis == "estimate":
        for e in syn.effect.studies:
            unit = _unit_of(human, e.study)
            if unit is not None:
                info.append((e.study, e.weight if e.weight is not None else 100.0, unit))
        basis = "pool's weight"
        start = max((u.start for _, _, u in info), key=lambda c: c.rank, default=Certainty.low)
        what = f"the {len(info)} stud{'y' if len(info) == 1 else 'ies'} in the estimate"
    elif syn.basis == "review":
        role = next(r for r in roles if r.review == syn.review)
        for sid in role.covers:
            unit = _unit_of(human, sid)
            if unit is not None:
                info.append((sid, float(unit.participants or 0), unit))
        start = role.start
        what = f"the designs {role.review} includes"
        basis = "participants the review may hold"
    else:
        start = max((u.start for u in human), key=lambda c: c.rank, default=Certainty.very_low)
        for u in human:
            if u.start is start and u.studies[0] not in {s for s, _, _ in info}:
                info.append((u.studies[0], float(u.participants or 0), u))
        what = "the human primary studies counted (weaker designs neither dilute nor add)"
    trace.append(f"start {start.value}: best design among {what}")

    judgements: list[Downgrade] = []
    comparison = _risk_comparison(syn, units, profile, outcome)
    facts: dict[str, Any]
    if info:
        levels, text, facts = judge_body(
            [(s, w, u.risk) for s, w, u in info], profile, basis=basis, comparison=comparison
        )
    else:
        levels, text = 0, "not judged: none of the review's included studies is in the graph"
        facts = {"reason": "not_in_graph"}
    judgements.append(
        Downgrade(domain="risk_of_bias", levels=levels, code="risk_of_bias", explanation=text, **facts)
    )

    levels, text, facts = judge_inconsistency(syn, profile)
    judgements.append(
        Downgrade(domain="inconsistency", levels=levels, code="inconsistency", explanation=text, **facts)
    )

    review = None
    if syn.basis == "review":
        role = next(r for r in roles if r.review == syn.review)
        review = (role.review, role.indirect)
    levels, text, facts = judge_indirectness(
        [(s, w, u.indirect) for s, w, u in info], profile, outcome=outcome, basis=basis, review=review
    )
    judgements.append(
        Downgrade(domain="indirectness", levels=levels, code="indirectness", explanation=text, **facts)
    )

    interval = syn.interval
    rated_n = sum(w for _, w, _ in info) if syn.basis == "swim" else participants
    n_used = (
        syn.estimate_participants
        if interval is not None
        else (round(rated_n) if rated_n is not None else None)
    )
    levels, text, facts = assess_imprecision(n_used, profile, pooled=interval, outcome=outcome)
    if syn.basis == "review" and n_used is None:
        # a review never adds participants no one can name: with its total not stated, the optimal
        # information size cannot be checked (no number is made up either way)
        facts["extra"] = (*facts.get("extra", ()), "ois_unknown")
        text += "; the review does not state how many participants it pooled: information size not checked"
    if syn.basis == "swim":
        facts["extra"] = (*facts.get("extra", ()), "swim")
        text = f"no estimate (synthesis without meta-analysis): sample-size rule, {text}"
    if syn.conclusion == "uncertain":
        # GRADE guidance 34 (J Clin Epidemiol 2022;150:216-224, doi:10.1016/j.jclinepi.2022.07.014): two
        # or three levels when the CI appreciably crosses the thresholds; three for extremely serious
        # imprecision, when the evidence cannot tell an important benefit from harm or no effect
        why = "the CI allows opposite answers" if interval is not None else "the direction is not established"
        levels, text = 3, f"{text}; extremely serious: the conclusion is uncertain ({why})"
        code = "uncertain_ci" if interval is not None else "uncertain_direction"
        facts["extra"] = (*facts.get("extra", ()), code)
    judgements.append(
        Downgrade(domain="imprecision", levels=levels, code="imprecision", explanation=text, **facts)
    )

    positive = [studies[u.studies[0]] for u in human if u.side == "benefit"]
    negative = [studies[u.studies[0]] for u in human if u.side != "benefit"]
    missing = None
    left: list[str] = []
    if syn.basis == "estimate" and syn.estimate_participants is not None:
        # results missing from the estimate, among studies of its design level or better
        level = {u.studies[0]: u for u in human if u.start.rank >= start.rank}
        total = sum(u.participants or 0 for u in level.values())
        share = syn.estimate_participants / total if total else 1.0
        if share < profile.certainty.share_threshold:
            left = [sid for sid in level if sid not in {e.study for e in syn.effect.studies}]
            missing = (
                f"the estimate holds {syn.estimate_participants} of the {total} participants of the body's "
                f"studies at its design level ({share:.0%}); no usable estimate from {', '.join(left)}"
            )
    levels, text, facts = judge_publication_bias(
        positive, negative, profile, conclusion=syn.conclusion, registry=registry, missing=missing
    )
    if missing:
        facts.update(studies=tuple(left), share=share)
    judgements.append(
        Downgrade(
            domain="publication_bias", levels=levels, code="publication_bias", explanation=text, **facts
        )
    )

    drop = sum(d.levels for d in judgements)
    certainty = Certainty.from_rank(start.rank - drop)
    for d in judgements:
        trace.append(f"{d.domain} -{d.levels} ({d.code}): {d.explanation}")
    trace.append(
        f"certainty {certainty.value} in '{syn.conclusion}' ({start.value} - {drop}, floor very_low)"
    )
    return Verdict(
        syn.conclusion,
        certainty,
        start,
        participants,
        tuple(judgements),
        tuple(dict.fromkeys(noted)),
        tuple(trace),
    )


__all__ = ["CONCLUSIONS", "DOMAIN_ORDER", "Verdict", "judge"]
