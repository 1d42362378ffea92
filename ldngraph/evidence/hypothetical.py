"""The hypothetical trial of ``ldngraph impact``: its result, its spread, and its curated records.

:mod:`ldngraph.evidence.impact` asks what one more trial would change. The trial is always a
placebo-controlled, blinded, parallel-group RCT at low risk of bias in every RoB 2 domain, with
equal arms, written as the curated records the loader reads (a study, a publication, an evidence
item), validated by the same models, and clearly marked: id ``hypothetical-impact-trial``,
publication ``REF:hypothetical-impact-trial``, label and notes "HYPOTHETICAL", every source URL on
example.org (RFC 2606). It never goes into data/.

Its spread (module doc of :mod:`ldngraph.evidence.impact`): for an MD the participant-weighted root
mean square of the SDs of the body's pooled studies (each ``SE / sqrt(1/n1 + 1/n2)``); for an SMD 1;
for a ratio the comparator arms' pooled risk from arm-level counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError

from ldngraph.errors import LdnGraphError
from ldngraph.evidence.bodies import OutcomeBody
from ldngraph.evidence.effects import Z95, get_control_risk, get_study_estimate
from ldngraph.evidence.profile import Profile
from ldngraph.model import EvidenceItem, KnowledgeBase, Publication, Study
from ldngraph.model.terms import RATIO_MEASURES, EffectMeasure, _Frozen

#: Id of the hypothetical study and its publication (never a real record: see module doc).
HYPOTHETICAL_ID = "hypothetical-impact-trial"
HYPOTHETICAL_PUB = "REF:hypothetical-impact-trial"
#: Where its fields "were seen": a documentation domain (RFC 2606), never a real source.
HYPOTHETICAL_URL = "https://example.org/ldngraph/hypothetical-trial"
RESULTS = ("null", "mid")
Result = Literal["null", "mid"]


class ImpactError(LdnGraphError):
    """An impact question that cannot be asked (an unknown outcome, a bad cap, an invalid trial)."""


class Trial(_Frozen):
    """The hypothetical trial's design and result."""

    result: Result = Field(description="null (no difference) or mid (an effect at the MID, benefit side)")
    measure: str = Field(description="md / smd / rr / or")
    value: float = Field(description="Its effect (an MD, SMD or ratio; ratio: intended, before rounding)")
    scale: str = Field(description="The body's estimate's scale, so that it pools with it")
    sd: float | None = Field(default=None, description="SD per arm (MD, SMD)")
    control_risk: float | None = Field(default=None, description="Comparator risk (RR, OR)")
    spread_from: str = Field(description="Where the SD or the control risk came from")


def _arm_sizes(study: Study, outcome: str, n_total: int | None) -> tuple[int, int] | None:
    est = get_study_estimate(study, outcome)
    if est is not None and est.n_intervention and est.n_control:
        return est.n_intervention, est.n_control
    total = n_total or study.n
    if not total or total < 2:
        return None
    return total // 2, total - total // 2


def get_trial(kb: KnowledgeBase, body: OutcomeBody, profile: Profile, result: Result) -> Trial | str:
    """The hypothetical trial for ``result`` on ``body``, or one line saying why there is none."""
    pooled = body.synthesis.own.pooled
    if pooled is None or body.outcome is None:
        return "the body has no estimate of its own to take the trial's spread from"
    measure = pooled.measure
    mid = body.synthesis.mid if body.synthesis.basis == "estimate" else None
    if mid is None and result == "mid":
        from ldngraph.evidence.synthesis import classify_effect

        mid_rule = classify_effect(pooled, profile, body.outcome)[3]
        mid = mid_rule.value if mid_rule else None
    if result == "mid" and mid is None:
        return f"a result at the MID: no MID is declared for {measure.value.upper()} on '{pooled.scale}'"
    sign = -1.0 if pooled.lower_is_better else 1.0
    common: dict[str, Any] = {"result": result, "measure": measure.value, "scale": pooled.scale}
    if measure in RATIO_MEASURES:
        risk = get_control_risk(kb, body.synthesis.own)
        if risk is None or measure not in (EffectMeasure.rr, EffectMeasure.or_):
            what = measure.value.upper()
            return f"{what}: the studies of this outcome record no comparator-arm counts to take a risk from"
        ratio = (
            1.0
            if result == "null"
            else (1.0 / abs(mid or 1.0) if pooled.lower_is_better else abs(mid or 1.0))
        )
        return Trial(
            value=ratio,
            control_risk=risk[0] / risk[1],
            spread_from=f"the comparator arms' risk in the estimate for this outcome: {risk[0]} of {risk[1]}",
            **common,
        )
    if measure is EffectMeasure.smd:
        return Trial(
            value=0.0 if result == "null" else sign * abs(mid or 0.0),
            sd=1.0,
            spread_from="SD 1 (a standardised mean difference)",
            **common,
        )
    if measure is not EffectMeasure.md:
        return f"{measure.value}: no hypothetical trial is defined for this measure"
    weighted = total = 0.0
    used = []
    for e in body.synthesis.own.studies:
        arms = _arm_sizes(kb.study_index[e.study], body.outcome, e.n)
        if e.se is None or arms is None:
            continue
        sd = e.se / math.sqrt(1.0 / arms[0] + 1.0 / arms[1])
        weighted += sum(arms) * sd * sd
        total += sum(arms)
        used.append(f"{e.study} {sd:.3g}")
    if not total:
        return "the studies of this outcome give no standard error and arm sizes to take an SD from"
    sd = math.sqrt(weighted / total)
    return Trial(
        value=0.0 if result == "null" else sign * abs(mid or 0.0),
        sd=sd,
        spread_from="participant-weighted RMS of the SDs of the studies pooled for this outcome "
        f"({', '.join(used)})",
        **common,
    )


def trial_records(
    trial: Trial, n_per_arm: int, *, outcome: str, kind: str, year: int | None, lower_is_better: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(study, publication) of the hypothetical trial with ``n_per_arm`` per arm, as curated YAML
    records (the same dicts a test writes into a copy of data/)."""
    n = n_per_arm
    outcome_row: dict[str, Any] = {
        "outcome": outcome,
        "kind": kind,
        "effect": "no_effect" if trial.result == "null" else "improved",
        "description": f"hypothetical {trial.result} result (ldngraph impact)",
    }
    if trial.measure in ("md", "smd"):
        assert trial.sd is not None
        half = Z95 * trial.sd * math.sqrt(2.0 / n)
        outcome_row["estimate"] = {
            "measure": trial.measure,
            "value": trial.value,
            "ci_lower": trial.value - half,
            "ci_upper": trial.value + half,
            "scale": trial.scale,
            "lower_is_better": lower_is_better,
            "comparator": "placebo",
            "n_intervention": n,
            "n_control": n,
            "source": HYPOTHETICAL_URL,
        }
    else:
        assert trial.control_risk is not None
        control = min(n, max(0, round(trial.control_risk * n)))
        ldn = min(n, max(0, round(trial.control_risk * trial.value * n)))
        arm = {"time_point": "end of treatment", "source": HYPOTHETICAL_URL}
        outcome_row["arms"] = {
            "measure": trial.measure,
            "scale": trial.scale,
            "lower_is_better": lower_is_better,
            "groups": [
                {"label": "LDN", "role": "intervention", "events": ldn, "total": n, **arm},
                {"label": "placebo", "role": "comparator", "events": control, "total": n, **arm},
            ],
        }
    low = {"judgement": "low", "support": "hypothetical trial (ldngraph impact)"}
    study = {
        "id": HYPOTHETICAL_ID,
        "label": f"HYPOTHETICAL trial, {n} per arm (ldngraph impact; not a real study)",
        "design": "rct",
        "population": "human",
        "species": "NCBITaxon:9606",
        "n": 2 * n,
        "randomised": True,
        "controlled": True,
        "blinded": True,
        **({"year": year} if year is not None else {}),
        "publications": [HYPOTHETICAL_PUB],
        "comparator": {"kind": "placebo", "source": HYPOTHETICAL_URL},
        "risk_of_bias": {
            "tool": "rob2",
            "source": HYPOTHETICAL_URL,
            "domains": {
                d: dict(low)
                for d in ("randomisation", "deviations", "missing_data", "measurement", "reporting")
            },
        },
        "outcomes": [outcome_row],
        "notes": "HYPOTHETICAL: written by ldngraph impact to test what a new trial would change",
    }
    publication = {
        "id": HYPOTHETICAL_PUB,
        "journal_citation": "HYPOTHETICAL trial report (ldngraph impact), not a publication",
        "status": "unresolved",
    }
    return study, publication


def evidence_record(trial: Trial, outcome: str, question: str = "effect") -> dict[str, Any]:
    """The evidence item the hypothetical trial adds to the body's first claim (an effect claim:
    a null result refutes it; a tolerability claim: neither a null result nor fewer events refutes it)."""
    refutes = trial.result == "null" and question == "effect"
    return {
        "study": HYPOTHETICAL_ID,
        "direction": "refutes" if refutes else "supports",
        "outcome": outcome,
        "note": f"HYPOTHETICAL {trial.result} result (ldngraph impact)",
    }


def with_trial(
    kb: KnowledgeBase,
    claim_id: str,
    study: Mapping[str, Any],
    pub: Mapping[str, Any],
    item: Mapping[str, Any],
) -> KnowledgeBase:
    """``kb`` with the hypothetical records added (validated by the same models the loader uses;
    a record they refuse, such as a CI past the schema's bounds, is an :class:`ImpactError`)."""
    try:
        s = Study.model_validate(study)
        p = Publication.model_validate(pub)
        e = EvidenceItem.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ImpactError(f"the hypothetical trial is not a valid record: {where}: {first['msg']}") from None
    claims = tuple(
        c.model_copy(update={"evidence": (*c.evidence, e)}) if c.id == claim_id else c for c in kb.claims
    )
    return kb.model_copy(
        update={"studies": (*kb.studies, s), "publications": (*kb.publications, p), "claims": claims}
    )


__all__ = [
    "HYPOTHETICAL_ID",
    "HYPOTHETICAL_PUB",
    "HYPOTHETICAL_URL",
    "RESULTS",
    "ImpactError",
    "Result",
    "Trial",
    "evidence_record",
    "get_trial",
    "trial_records",
    "with_trial",
]
