"""The evidence model's public face: score a knowledge base, materialise the scores.

The model itself lives in :mod:`ldngraph.evidence`, one module per GRADE noun (bodies, reviews,
certainty, risk of bias, imprecision, publication bias); docs/evidence-model.md explains it with
a worked example. This module keeps the names other modules and notebooks import.
"""

from __future__ import annotations

from typing import Any

from ldngraph.evidence.bodies import BodyUnit, Downgrade, OutcomeBody, build_bodies
from ldngraph.evidence.built import Built
from ldngraph.evidence.claims import (
    REASON_CODES,
    ClaimScore,
    EvidenceUnit,
    ScoreReport,
    get_disagreement,
    get_edge_claims,
    score_claim,
    score_knowledge_base,
)
from ldngraph.evidence.profile import Certainty, Profile, read_profile
from ldngraph.evidence.rdf import body_iri, materialise, profile_iri
from ldngraph.evidence.synthesis import CONCLUSIONS
from ldngraph.evidence.weights import DIGITS, TIERS, Adjustment, ItemScore, combine, quantise, score_item

__all__ = [
    "CONCLUSIONS",
    "DIGITS",
    "REASON_CODES",
    "TIERS",
    "Adjustment",
    "BodyUnit",
    "Built",
    "Certainty",
    "ClaimScore",
    "Downgrade",
    "EvidenceUnit",
    "ItemScore",
    "OutcomeBody",
    "Profile",
    "ScoreReport",
    "body_iri",
    "build_bodies",
    "combine",
    "get_disagreement",
    "get_edge_claims",
    "materialise",
    "profile_iri",
    "quantise",
    "read_profile",
    "score_claim",
    "score_item",
    "score_knowledge_base",
    "to_dict",
]


def to_dict(score: ClaimScore) -> dict[str, Any]:
    """JSON-ready form of a claim score."""
    return score.model_dump(mode="json")
