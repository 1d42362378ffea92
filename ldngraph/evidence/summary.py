"""Plain-language summaries of bodies and claim scores for the CLI, report, SoF and viz.

The wording follows GRADE's informative statements (Santesso et al., J Clin Epidemiol 2020),
which carry the size of the effect as well as the certainty: "LDN reduces pain" (an important
benefit, high certainty), "LDN probably slightly reduces pain" (a small effect inside the MID,
moderate), "LDN may result in little to no important difference in pain" (low), and "the
evidence is very uncertain about the effect of LDN on pain" (very low). A conclusion without an
MID, or from a synthesis without meta-analysis, says that its size was not judged; a body with
no human evidence says so and makes no clinical statement.
"""

from __future__ import annotations

from typing import Any

from ldngraph.evidence.bodies import OutcomeBody

#: Conclusion -> words.
CONCLUSION_LABELS = {
    "benefit": "important benefit",
    "little_or_no_effect": "little or no important difference",
    "harm": "important harm",
    "uncertain": "uncertain",
    "no_human_evidence": "no human evidence",
}
#: How a conclusion was reached -> words.
BASIS_LABELS = {
    "estimate": "from the body's own estimate",
    "review": "from a review's own pooled result",
    "swim": "synthesis without meta-analysis (vote counting by direction of effect, sign test)",
    "none": "nothing to estimate or count",
}
_HEDGE = {"high": "", "moderate": "probably ", "low": "may "}


def _verb(good: bool, lower_is_better: bool, hedge: str) -> str:
    base = ("reduce" if good else "increase") if lower_is_better else ("improve" if good else "worsen")
    return f"{hedge}{base}" if hedge == "may " else f"{hedge}{base}s"


def statement(
    conclusion: str,
    certainty: str,
    outcome_label: str,
    *,
    lower_is_better: bool,
    magnitude: str | None = None,
    basis: str | None = None,
    notes: tuple[str, ...] = (),
) -> str:
    """GRADE's plain-language statement (Santesso 2020) for a conclusion at a certainty."""
    y = outcome_label.lower() if not outcome_label.isupper() else outcome_label
    if conclusion == "no_human_evidence":
        what = (
            "mechanistic (animal or cell) evidence only"
            if "preclinical_only" in notes
            else "hypothesis or expert opinion only"
        )
        return f"No human evidence on {y}: {what}; not rated for clinical benefit."
    if certainty == "very_low":
        return f"The evidence is very uncertain about the effect of LDN on {y}."
    if conclusion == "uncertain":
        return f"The evidence does not show whether LDN {_verb(True, lower_is_better, '')} {y}."
    hedge = _HEDGE[certainty]
    if conclusion == "little_or_no_effect":
        if magnitude in ("small_benefit", "small_harm"):
            verb = _verb(magnitude == "small_benefit", lower_is_better, hedge)
            return f"LDN {verb.replace(hedge, hedge + 'slightly ', 1) if hedge else 'slightly ' + verb} {y}."
        verb = {"high": "results", "moderate": "probably results", "low": "may result"}[certainty]
        return f"LDN {verb} in little to no important difference in {y}."
    text = f"LDN {_verb(conclusion == 'benefit', lower_is_better, hedge)} {y}"
    if basis == "swim":
        text += " (direction of effect only: no estimate, size unknown)"
    elif magnitude == "unknown":
        text += " (size not judged: no minimal important difference is declared for this measure)"
    return text + "."


def get_statement(body: OutcomeBody, outcome_label: str | None = None) -> str:
    """One GRADE-style sentence for ``body``."""
    what = outcome_label or body.outcome or "the claimed effect"
    return statement(
        body.conclusion,
        body.certainty.value,
        what,
        lower_is_better=body.lower_is_better,
        magnitude=body.synthesis.magnitude,
        basis=body.synthesis.basis,
        notes=body.notes,
    )


def to_row(body: OutcomeBody, outcome_label: str | None = None) -> dict[str, Any]:
    """A body as one flat row (``ldngraph paths`` lists these): outcome by label, not CURIE."""
    from ldngraph.evidence.claims import get_effect_text

    what = outcome_label or body.outcome
    return {
        "outcome": " ".join(x for x in (what, body.qualifier and f"({body.qualifier})") if x) or "-",
        "outcome_id": body.outcome,
        "question": body.question,
        "critical": body.critical,
        "conclusion": body.conclusion,
        "certainty": body.certainty.value,
        "basis": body.synthesis.basis,
        "effect": get_effect_text(body) or "-",
        "studies": len(body.studies),
        "participants": body.participants,
        "downgrades": " ".join(f"{d.code}-{d.levels}" for d in body.downgrades),
        "data_quality": "; ".join(body.citation_flags) or "citations verified",
    }


def explain_lines(body: OutcomeBody, outcome_label: str | None = None) -> list[str]:
    """Body-level reasoning: synthesis, units, reviews beside it, each domain, flags."""
    syn = body.synthesis
    lines = [
        f"body {body.id}: {body.label} ({body.question}{', critical outcome' if body.critical else ''})",
        f"conclusion: {CONCLUSION_LABELS[body.conclusion]}"
        + (f" ({syn.magnitude.replace('_', ' ')})" if syn.magnitude not in (None, "important") else "")
        + f"; certainty {body.certainty.value} (start {body.start.value}); "
        + get_statement(body, outcome_label),
        f"synthesis ({BASIS_LABELS[syn.basis]}): {syn.note}",
        f"participants: {body.participants if body.participants is not None else '-'} in {len(body.studies)} "
        f"identified primary stud{'y' if len(body.studies) == 1 else 'ies'} (reviews are not studies)"
        + (
            f"; the estimate holds {syn.estimate_participants}"
            if syn.estimate_participants is not None
            else ""
        ),
    ]
    if syn.minority:
        lines.append(f"  minority: {syn.minority}")
    for e in syn.effect.studies:
        weight = f" weight {e.weight:.1f}%" if e.weight is not None else ""
        lines.append(
            f"  estimate {e.study}: {e.value:.3g} ({e.ci_lower:.3g} to {e.ci_upper:.3g}) {e.scale}{weight}"
        )
    for u in body.units:
        lines.append(f"  unit {u.side:<8} {u.weight:.6f} {', '.join(u.studies)} [{u.role}] {u.note}")
    for r in body.reviews:
        lines.append(f"  review {r.review} (informs): {r.note}")
    for est in syn.reviews:
        e = est.effect
        status = "used" if est.used else ("shown, not used: " + est.flag if est.flag else "shown beside")
        lines.append(
            f"  pooled by {est.review}: {e.measure.value} {e.value:.3g} ({e.ci_lower} to {e.ci_upper}) "
            f"{e.scale}: alone it would conclude {est.conclusion}"
            + (" (size not judged: no MID for its scale)" if est.magnitude == "unknown" else "")
            + f"; {est.overlap}; {status}"
        )
    for d in body.judgements:
        lines.append(f"  {d.domain}: -{d.levels} ({d.code}) {d.explanation}")
    for why in body.exclusions:
        lines.append(f"  not counted: {why}")
    flags = "; ".join(body.citation_flags) or "every counted study has a verified citation"
    lines.append(f"  data quality (not a downgrade): {flags}")
    lines.append(f"  profile {body.profile_version}+{body.profile_hash}")
    return lines


__all__ = [
    "BASIS_LABELS",
    "CONCLUSION_LABELS",
    "explain_lines",
    "get_statement",
    "statement",
    "to_row",
]
