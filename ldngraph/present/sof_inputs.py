"""Inputs of the per-outcome figures drawn from a condition's summary of findings: the bodies of one
outcome, their studies, and the forest plot's rows (moved from :mod:`ldngraph.present.sof`, issue 23,
so that module stays a table under the 600-line limit)."""

from __future__ import annotations

from ldngraph.errors import UnknownEntityError
from ldngraph.evidence.bodies import OutcomeBody, build_bodies
from ldngraph.evidence.effects import EffectSummary, get_effect_studies
from ldngraph.evidence.profile import Profile
from ldngraph.model import EntityKind, KnowledgeBase
from ldngraph.model.names import get_entity
from ldngraph.model.terms import RATIO_MEASURES
from ldngraph.present.sof import get_condition_bodies


def get_outcome_bodies(
    kb: KnowledgeBase, profile: Profile, condition: str, outcome_name: str
) -> tuple[list[OutcomeBody], str, str]:
    """(the unqualified bodies of one outcome of ``condition``, the outcome CURIE, its label)."""
    outcome = get_entity(kb, outcome_name)
    if outcome.kind is not EntityKind.outcome:
        raise UnknownEntityError(
            f"'{outcome_name}' is a {outcome.kind.value}, not an outcome; name an outcome"
        )
    every = get_condition_bodies(kb, build_bodies(kb, profile), condition)
    bodies = [b for b in every if b.outcome == outcome.id and not b.qualifier]
    if not bodies:
        raise UnknownEntityError(
            f"no evidence on {outcome.label} in {kb.entity_index[condition].label}; "
            "`ldngraph sof --condition ...` lists the outcomes that have some"
        )
    return bodies, outcome.id, outcome.label


def get_outcome_studies(
    kb: KnowledgeBase, profile: Profile, condition: str, outcome_name: str
) -> tuple[list[str], str]:
    """(the study ids of one outcome body of ``condition``, the outcome's label)."""
    bodies, _, label = get_outcome_bodies(kb, profile, condition, outcome_name)
    return list(dict.fromkeys(s for b in bodies for s in b.studies)), label


def get_forest_inputs(
    kb: KnowledgeBase, profile: Profile, condition: str, outcome_name: str
) -> tuple[EffectSummary, str, float | None]:
    """(effect summary, plot title, MID or None) for one outcome body of a condition."""
    bodies, outcome_id, outcome_label = get_outcome_bodies(kb, profile, condition, outcome_name)
    studies = get_effect_studies(kb, [s for b in bodies for s in b.studies])
    body = next((b for b in bodies if b.critical), bodies[0])
    syn = body.synthesis
    # the body's own pool (or the review's result its conclusion rests on), with every review's own
    # pooled result beside it as an unpooled row (evidence model v3: never pooled again)
    base = syn.own if syn.own.pooled is not None else syn.effect
    beside = tuple(r.effect for r in syn.reviews if all(r.effect is not e for e in base.studies))
    order = {s.id: i for i, s in enumerate(studies)}  # forest rows by year, then id
    rows = tuple(sorted(base.studies, key=lambda e: (order.get(e.study, len(order)), e.study)))
    summary = base.model_copy(update={"studies": rows, "others": (*base.others, *beside)})
    mid = None
    if summary.pooled is not None:
        from ldngraph.evidence.imprecision import get_body_effect, get_mid

        effect = get_body_effect(studies, outcome_id)
        found = get_mid(profile, outcome_id, effect) if effect is not None else None
        mid = found.value if found is not None and found.measure not in RATIO_MEASURES else None
    title = f"LDN and {outcome_label} in {kb.entity_index[condition].label}"
    return summary, title, mid


__all__ = ["get_forest_inputs", "get_outcome_bodies", "get_outcome_studies"]
