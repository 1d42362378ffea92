"""Plain-language summaries of bodies and claim scores for the CLI, report and viz.

The wording follows GRADE's informative statements (Santesso et al. 2020): "X probably reduces
Y" at moderate certainty, "X may result in little to no difference in Y" at low certainty, and
"the evidence is very uncertain" at very low certainty.
"""

from __future__ import annotations

from typing import Any

from ldngraph.evidence.bodies import OutcomeBody
from ldngraph.evidence.profile import Certainty

#: Conclusion -> words.
CONCLUSION_LABELS = {
    "benefit": "benefit",
    "little_or_no_effect": "little or no effect",
    "harm": "harm",
    "uncertain": "uncertain (the evidence does not point one way)",
}

_HEDGE = {Certainty.high: "", Certainty.moderate: "probably ", Certainty.low: "may "}


def get_statement(body: OutcomeBody, outcome_label: str | None = None) -> str:
    """One GRADE-style sentence for ``body``."""
    what = outcome_label or body.outcome or "the claimed effect"
    if body.certainty is Certainty.very_low or body.conclusion == "uncertain":
        return f"The evidence is very uncertain about the effect on {what}."
    hedge = _HEDGE[body.certainty]
    if body.conclusion == "benefit":
        verb = {"": "improves", "probably ": "probably improves", "may ": "may improve"}[hedge]
        return f"LDN {verb} {what}."
    if body.conclusion == "harm":
        verb = {"": "worsens", "probably ": "probably worsens", "may ": "may worsen"}[hedge]
        return f"LDN {verb} {what}."
    verb = {"": "results", "probably ": "probably results", "may ": "may result"}[hedge]
    return f"LDN {verb} in little to no difference in {what}."


def to_row(body: OutcomeBody) -> dict[str, Any]:
    """A body as one flat row (``ldngraph paths`` lists these)."""
    return {
        "outcome": " ".join(x for x in (body.outcome, body.qualifier and f"({body.qualifier})") if x) or "-",
        "question": body.question,
        "critical": body.critical,
        "conclusion": body.conclusion,
        "certainty": body.certainty.value,
        "studies": len(body.studies),
        "participants": body.participants,
        "downgrades": " ".join(f"{d.code}-{d.levels}" for d in body.downgrades),
        "data_quality": "; ".join(body.citation_flags) or "citations verified",
    }


def explain_lines(body: OutcomeBody) -> list[str]:
    """Body-level reasoning: units, conclusion, each domain's judgement, flags."""
    lines = [
        f"body {body.id}: {body.label} ({body.question}{', critical outcome' if body.critical else ''})",
        f"conclusion: {CONCLUSION_LABELS[body.conclusion]}; certainty {body.certainty.value} "
        f"(start {body.start.value}); {get_statement(body)}",
    ]
    for u in body.units:
        lines.append(f"  unit {u.side:<8} {u.weight:.6f} {', '.join(u.studies)} [{u.role}] {u.note}")
    for r in body.reviews:
        lines.append(f"  review {r.review}: {r.note}")
    for d in body.judgements:
        lines.append(f"  {d.domain}: -{d.levels} ({d.code}) {d.explanation}")
    flags = "; ".join(body.citation_flags) or "every counted study has a verified citation"
    lines.append(f"  data quality (not a downgrade): {flags}")
    lines.append(f"  profile {body.profile_version}+{body.profile_hash}")
    return lines


__all__ = ["CONCLUSION_LABELS", "explain_lines", "get_statement", "to_row"]
