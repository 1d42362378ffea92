"""Indirectness (GRADE): the evidence answers a nearby question, not the body's.

The body's question is LDN (1-5 mg/day, naltrexone) against placebo or no LDN, in the claim's
population and condition, on an outcome patients care about. Evidence is indirect when it comes
from animals or cells, another isomer, dose or agent, a co-intervention, another population or
condition (wherever it enters: a study, a review's pooled result), an **active comparator**
(LDN against another drug answers "LDN or drug X", not "LDN or not"), or rests on a **surrogate
or proxy outcome** (profile ``surrogate_outcomes``, e.g. dispensed medication).

One level when the share of the body's information (pool weights, or participants) from indirect
evidence reaches ``certainty.share_threshold``, when the conclusion rests on a review's pooled
result that is itself indirect, or when the outcome is a surrogate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ldngraph.evidence.profile import Profile


def judge_indirectness(
    entries: Sequence[tuple[str, float, tuple[str, ...]]],
    profile: Profile,
    *,
    outcome: str | None,
    basis: str = "information",
    review: tuple[str, tuple[str, ...]] | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """(levels, one line, facts: the structured fields of a Downgrade) from ``(study, information,
    indirect kinds)`` of the studies behind the
    body's estimate or synthesis; ``review``: (id, indirect kinds) of a review the conclusion rests on."""
    reasons: list[str] = []
    codes: list[str] = []
    surrogate = profile.surrogate_outcomes.get(outcome or "")
    if surrogate:
        reasons.append(f"surrogate outcome ({surrogate})")
        codes.append("surrogate")
    if review is not None and review[1]:
        reasons.append(f"the pooled result of {review[0]} is indirect ({', '.join(review[1])})")
        codes.append("review_indirect")
    total = sum(w for _, w, _ in entries)
    if entries:
        if total > 0:
            share = sum(w for _, w, k in entries if k) / total
        else:
            share = sum(1 for _, _, k in entries if k) / len(entries)
    else:
        share = 0.0
    kinds = sorted({k for _, _, ks in entries for k in ks})
    text = f"{share:.0%} of the {basis} is indirect" + (f" ({', '.join(kinds)})" if kinds else "")
    if share >= profile.certainty.share_threshold:
        reasons.append(text)
        codes.append("indirect_share")
    facts: dict[str, Any] = {
        "reason": codes[0] if codes else ("minor_share" if kinds else "direct"),
        "extra": (*codes[1:], *(f"kind:{k}" for k in kinds)),
        "studies": tuple(s for s, _, k in entries if k),
        "share": share,
        "threshold": profile.certainty.share_threshold,
    }
    if reasons:
        return 1, "; ".join(reasons), facts
    return 0, text, facts


__all__ = ["judge_indirectness"]
