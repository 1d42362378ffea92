"""The parts a body of evidence is made of: its independent units and the GRADE domain judgements.

Kept apart from :mod:`ldngraph.evidence.bodies` (which assembles bodies) so that the certainty rules
(:mod:`ldngraph.evidence.certainty`) can use them without importing the assembly.
"""

from __future__ import annotations

from pydantic import Field

from ldngraph.evidence.profile import Certainty
from ldngraph.evidence.risk_of_bias import RiskJudgement
from ldngraph.model import CitationStatus, Design
from ldngraph.model.terms import _Frozen

#: GRADE's five downgrade domains, in the order they are shown.
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
_LEVEL_WORDS = {1: "one level", 2: "two levels", 3: "three levels"}


def levels_in_words(levels: int) -> str:
    """'one level', 'two levels', ... as GRADE writes a downgrade."""
    return _LEVEL_WORDS.get(levels, f"{levels} levels")


class Downgrade(_Frozen):
    """One GRADE domain's judgement for a body: how many levels it costs and why."""

    domain: str = Field(
        description="risk_of_bias / inconsistency / indirectness / imprecision / publication_bias"
    )
    levels: int = Field(
        ge=0, le=3, description="Levels lost (0: not serious; 3 only for extremely serious imprecision)"
    )
    code: str = Field(description="Reason code (the domain, or e.g. preclinical_only)")
    explanation: str = Field(description="One line: why")
    # the structured facts the judgement rests on (issue 23: the SoF footnotes are written from these,
    # never from the explanation line); each judge sets those it has, the rest stay empty
    reason: str = Field(default="", description="Code of the main finding, e.g. serious_share, one_mid")
    extra: tuple[str, ...] = Field(default=(), description="Codes of further findings, e.g. ois_below")
    studies: tuple[str, ...] = Field(default=(), description="Studies the finding is about")
    share: float | None = Field(default=None, description="Share of the information concerned (0-1)")
    threshold: float | None = Field(
        default=None, description="The profile threshold it was judged against (share, or participants)"
    )
    participants: int | None = Field(default=None, description="Participants rated (imprecision)")
    ci: tuple[float, float] | None = Field(default=None, description="The 95% CI judged (imprecision)")
    mid: float | None = Field(default=None, description="The MID applied (imprecision, inconsistency)")
    i2: float | None = Field(default=None, description="I^2 judged, percent (inconsistency)")


class BodyUnit(_Frozen):
    """An independent unit of a body: a primary study, or a piece of expert opinion (evidence model v3:
    a systematic review or meta-analysis is never a unit; it informs the body)."""

    studies: tuple[str, ...] = Field(description="The study (or the piece of expert opinion)")
    role: str = Field(description="study (a primary study) / opinion (a narrative review)")
    side: str = Field(description="benefit / null / harm")
    weight: float
    participants: int | None = Field(description="n of a human study (0: not reported; None: not human)")
    design: Design = Field(description="Weighed design (pre_post for a within-group comparison)")
    start: Certainty = Field(description="GRADE start level of this unit")
    risk: RiskJudgement
    indirect: tuple[str, ...]
    citation: CitationStatus
    tier: str
    note: str
