"""The evidence profile: every number the scorer uses, read from a versioned YAML file.

``data/evidence-profile.yaml`` is the shipped profile; docs/evidence-model.md explains each number.
:func:`read_profile` validates it (weights in [0, 1], a base weight and a start level for every
design) and raises :class:`ProfileError` naming the file and field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ldngraph.errors import ProfileError
from ldngraph.limits import LimitError, read_input_bytes
from ldngraph.model import CitationStatus, Design, Judgement, OutcomeKind
from ldngraph.model.terms import EffectMeasure

#: The evidence model these rules belong to. It is part of every profile's content hash, so the
#: same profile file scored by another model (v2's vote of weights, v3's estimates) never shares
#: an identity with it (issue 21: the hash changes with any rule change).
EVIDENCE_MODEL = "v3"


class Certainty(StrEnum):
    """GRADE-like certainty of a claim, highest first."""

    high = "high"
    moderate = "moderate"
    low = "low"
    very_low = "very_low"

    @property
    def rank(self) -> int:
        """3 for high ... 0 for very_low (larger is better)."""
        return _CERTAINTY_ORDER.index(self)

    @classmethod
    def from_rank(cls, rank: int) -> Certainty:
        return _CERTAINTY_ORDER[max(0, min(rank, len(_CERTAINTY_ORDER) - 1))]


_CERTAINTY_ORDER = (Certainty.very_low, Certainty.low, Certainty.moderate, Certainty.high)

# -- profile -------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _unit(value: float, where: str) -> float:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{where}: {value} is not in [0, 1]")
    return value


class SampleSize(_Frozen):
    floor: float = Field(description="Factor for a study of (almost) nobody")
    half_n: float = Field(gt=0, description="n at which the factor is halfway between floor and 1")
    missing_n: float = Field(description="Factor for a human study that reports no n")
    exempt_designs: tuple[Design, ...] = Field(default=(), description="Designs the curve skips")

    @model_validator(mode="after")
    def _units(self) -> SampleSize:
        _unit(self.floor, "floor")
        _unit(self.missing_n, "missing_n")
        return self

    def get_factor(self, n: int) -> float:
        """floor + (1 - floor) * n / (n + half_n): rises with n, in [floor, 1)."""
        return self.floor + (1.0 - self.floor) * n / (n + self.half_n)


class Modifier(_Frozen):
    multiplier: float
    designs: tuple[Design, ...]

    @model_validator(mode="after")
    def _units(self) -> Modifier:
        _unit(self.multiplier, "multiplier")
        return self


class Modifiers(_Frozen):
    unblinded_subjective: Modifier
    blinding_unknown_subjective: Modifier
    uncontrolled: Modifier
    non_randomised: Modifier


class Indirectness(_Frozen):
    animal: float
    cell: float
    different_isomer: float
    different_dose: float
    co_intervention: float
    different_population: float
    different_condition: float
    different_agent: float
    #: a comparator other than the question's (an active drug instead of placebo or no LDN)
    active_comparator: float = 0.7
    #: a surrogate or proxy outcome (profile ``surrogate_outcomes``), e.g. dispensed medication
    surrogate_outcome: float = 0.8

    @model_validator(mode="after")
    def _units(self) -> Indirectness:
        for key, value in self.model_dump().items():
            _unit(value, key)
        return self


class Reviews(_Frozen):
    """How reviews enter a body of evidence (ldngraph/evidence/reviews.py)."""

    unknown_designs_start: Certainty = Field(
        default=Certainty.low,
        description="Start level of a review whose included designs are not known",
    )


#: RoB 2 / ROBINS-I domains whose "some concerns" can bias an outcome of each kind (see
#: :class:`RiskOfBiasWeights.serious_some_concerns`).
_SERIOUS_SOME_CONCERNS: dict[OutcomeKind, tuple[str, ...]] = {
    OutcomeKind.subjective: ("deviations", "measurement", "period_carryover"),
    OutcomeKind.objective: ("period_carryover",),
}


class RiskOfBiasWeights(_Frozen):
    """Weight multiplier by a study's overall RoB 2 / ROBINS-I judgement (curated domains), and
    which "some concerns" count as serious for an outcome (docs/evidence-model.md, rule 5)."""

    low: float = 1.0
    some_concerns: float = 0.75
    high: float = 0.5
    serious_some_concerns: dict[OutcomeKind, tuple[str, ...]] = Field(
        default_factory=lambda: dict(_SERIOUS_SOME_CONCERNS),
        description="Outcome kind -> domains whose 'some concerns' can bias such an outcome; a study "
        "whose concerns lie only in other domains is not at serious risk for it",
    )

    @model_validator(mode="after")
    def _units(self) -> RiskOfBiasWeights:
        for key in ("low", "some_concerns", "high"):
            _unit(getattr(self, key), key)
        return self

    def get(self, judgement: Judgement) -> float | None:
        """The multiplier for ``judgement`` (None for not_assessed: fall back to the flags)."""
        return None if judgement is Judgement.not_assessed else float(getattr(self, judgement.value))


class PublicationBias(_Frozen):
    """Small-study / single-group check (ldngraph/evidence/publication_bias.py)."""

    small_n: int = Field(default=100, ge=1, description="A study with fewer participants is 'small'")
    registry_overdue_months: int = Field(
        default=12,
        ge=0,
        description="A registered trial completed more than this many months before the registry was "
        "checked, with no results posted and no publication, counts as unpublished",
    )


class PathSettings(_Frozen):
    hop_penalty: float
    max_hops: int

    @field_validator("max_hops")
    @classmethod
    def _hops(cls, value: int) -> int:
        if not 1 <= value <= 3:
            raise ValueError(
                f"{value} is not 1, 2 or 3: paths run through at most 2 mechanisms, the longest "
                "paths queries/paths_to_condition.rq (the SPARQL twin of ldngraph paths) covers"
            )
        return value

    @model_validator(mode="after")
    def _units(self) -> PathSettings:
        _unit(self.hop_penalty, "hop_penalty")
        return self


class Imprecision(_Frozen):
    serious_below_n: int = Field(ge=0)
    very_serious_below_n: int = Field(ge=0)


class InconsistencyRules(_Frozen):
    """Inconsistency from the body's own estimates (ldngraph/evidence/inconsistency.py)."""

    serious_i2: float = Field(
        default=50.0, ge=0, le=100, description="I^2 (percent) at or above which heterogeneity is substantial"
    )
    very_serious_i2: float = Field(
        default=75.0, ge=0, le=100, description="I^2 (percent) at or above which it is considerable"
    )

    @model_validator(mode="after")
    def _order(self) -> InconsistencyRules:
        if self.very_serious_i2 < self.serious_i2:
            raise ValueError("very_serious_i2 must be at least serious_i2")
        return self


class CertaintyRules(_Frozen):
    start: dict[Design, Certainty]
    imprecision: Imprecision
    share_threshold: float = Field(
        description="Share of the body's information from studies at serious risk of bias (or indirect) "
        "at or above which the domain costs a level"
    )
    inconsistency: InconsistencyRules = Field(default_factory=InconsistencyRules)

    @model_validator(mode="after")
    def _complete(self) -> CertaintyRules:
        missing = [d.value for d in Design if d not in self.start]
        if missing:
            raise ValueError(f"start: no start level for design(s) {', '.join(missing)}")
        _unit(self.share_threshold, "share_threshold")
        return self


class Synthesis(_Frozen):
    """Which estimate a body's conclusion rests on, and the fallback without one
    (ldngraph/evidence/synthesis.py)."""

    minority_rule: Literal["review", "body"] = Field(
        default="body",
        description="When the body's own estimate holds fewer than minority_share of the participants a "
        "review pooled: rest the conclusion on that review's pooled result (review) or on the body's "
        "own estimate all the same (body)",
    )
    minority_share: float = Field(default=0.5, description="See minority_rule")
    sign_test_alpha: float = Field(
        default=0.05, description="Two-sided level of the sign test of a synthesis without meta-analysis"
    )

    @model_validator(mode="after")
    def _units(self) -> Synthesis:
        _unit(self.minority_share, "minority_share")
        _unit(self.sign_test_alpha, "sign_test_alpha")
        return self


class MinimalImportantDifference(_Frozen):
    """The smallest difference in an outcome that patients would see as important (``mid:``)."""

    measure: EffectMeasure = Field(description="The measure the MID is on (md, smd, rr ...)")
    value: float = Field(gt=0, description="Size of the MID (a ratio for rr/or/hr, e.g. 1.25)")
    scale: str | None = Field(
        default=None, description="Applies to estimates whose scale contains this text (e.g. '0-10')"
    )
    source: str = Field(description="URL of the source the MID rests on")
    note: str | None = Field(default=None, description="How the number follows from the source")

    @field_validator("source")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"'{value}' is not a URL; give the source of the MID as https://...")
        return value


#: The version becomes part of the profile's IRI (``ldnr:profile/VERSION``) and of every score, so
#: it may hold only characters that need no escaping in an IRI or a file name.
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Profile(_Frozen):
    """The evidence profile: every number the scorer uses (see data/evidence-profile.yaml)."""

    version: str = Field(description="Label such as 2024.1; letters, digits, '.', '_', '-'")
    base_weights: dict[Design, float]
    sample_size: SampleSize
    modifiers: Modifiers
    indirectness: Indirectness
    citation_status: dict[CitationStatus, float]
    reviews: Reviews = Field(default_factory=Reviews)
    risk_of_bias: RiskOfBiasWeights = Field(default_factory=RiskOfBiasWeights)
    publication_bias: PublicationBias = Field(default_factory=PublicationBias)
    paths: PathSettings
    certainty: CertaintyRules
    mid: dict[str, MinimalImportantDifference] = Field(
        default_factory=dict,
        description="Outcome CURIE -> minimal important difference (conclusion, imprecision)",
    )
    synthesis: Synthesis = Field(default_factory=Synthesis)
    surrogate_outcomes: dict[str, str] = Field(
        default_factory=dict,
        description="Outcome CURIE -> why it is a surrogate or proxy for what patients care about "
        "(indirectness)",
    )
    exclude: tuple[str, ...] = Field(
        default=(),
        description="Studies left out everywhere (sensitivity analysis): study ids, rob=high, design=D, "
        "comparator=C (ldngraph/evidence/exclusions.py)",
    )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Profile:
        """A copy without the cached content hash (pydantic copies ``__dict__``, where it lives):
        a copy with another number must get another hash."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("content_hash", None)
        return copied

    @cached_property
    def content_hash(self) -> str:
        """12 hex digits of SHA-256 over every number of the profile (canonical JSON).

        Part of the profile's identity: two profiles with the same ``version`` but a different
        number get different hashes, so their scores never share an IRI (issue 12).
        """
        data = {"evidence_model": EVIDENCE_MODEL, **self.model_dump(mode="json")}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @property
    def identity(self) -> str:
        """'VERSION+HASH': what every score output names its profile by."""
        return f"{self.version}+{self.content_hash}"

    @field_validator("exclude")
    @classmethod
    def _rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from ldngraph.evidence.exclude_rules import parse_rules

        return tuple(rule.text for rule in parse_rules(value))

    def with_exclusions(self, rules: Sequence[str]) -> Profile:
        """A copy that also leaves out ``rules`` (``--exclude``); its content hash differs."""
        if not rules:
            return self
        try:
            merged = self._rules((*self.exclude, *rules))
        except ValueError as exc:
            raise ProfileError(f"--exclude: {str(exc).removeprefix('exclude: ')}") from None
        return self.model_copy(update={"exclude": merged})

    @field_validator("version", mode="before")
    @classmethod
    def _safe_version(cls, value: Any) -> str:
        if not isinstance(value, str):  # read_profile keeps an unquoted number as written
            raise ValueError(f'must be a label such as "2024.1", not {value!r}; write it in quotes')
        if not VERSION_PATTERN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a safe version label (it becomes part of an IRI); use letters, digits, "
                "'.', '_' and '-' only, starting with a letter or digit, e.g. \"2024.1\""
            )
        return value

    @model_validator(mode="after")
    def _complete(self) -> Profile:
        missing = [d.value for d in Design if d not in self.base_weights]
        if missing:
            raise ValueError(f"base_weights: no base weight for design(s) {', '.join(missing)}")
        for design, value in self.base_weights.items():
            _unit(value, f"base_weights.{design.value}")
        missing = [s.value for s in CitationStatus if s not in self.citation_status]
        if missing:
            raise ValueError(f"citation_status: no multiplier for {', '.join(missing)}")
        for status, value in self.citation_status.items():
            _unit(value, f"citation_status.{status.value}")
        return self


def _version_as_written(data: dict[str, Any], node: Any) -> dict[str, Any]:
    """An unquoted ``version: 2024.10`` is the text ``2024.10``, not the number YAML makes of it."""
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int | float):
        return data
    for key, value in getattr(node, "value", ()):
        if getattr(key, "value", None) == "version" and isinstance(getattr(value, "value", None), str):
            return {**data, "version": value.value}
    return data


def read_profile(path: Path | str) -> Profile:
    """Read and validate an evidence profile; raises :class:`ProfileError` naming file and field."""
    path = Path(path)
    try:
        raw = read_input_bytes(path)
    except LimitError as exc:
        raise ProfileError(str(exc)) from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the evidence profile ({exc.strerror})") from exc
    # The curated-data parser: it also refuses a non-UTF-8 file and a repeated key (plain PyYAML
    # keeps the last value of a repeated key without a word).
    problems: list[str] = []
    from ldngraph.ingest.curated import parse_yaml  # PyYAML only when a profile is read

    data, node = parse_yaml(raw, str(path), problems)
    if problems:
        raise ProfileError(problems[0])
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping with 'version:' and the profile sections")
    data = _version_as_written(data, node)
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "profile"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ProfileError(f"{path}: {field}: {msg} (see docs/evidence-model.md)") from exc
