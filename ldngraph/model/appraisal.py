"""Appraisal records: effect estimates, risk-of-bias judgements and what a review includes.

These hang off studies (:class:`ldngraph.model.Study`) and feed the GRADE evidence model: effect
estimates as a public source reports them (never computed by hand), risk of bias by domain after
RoB 2 / ROBINS-I, and a review's inclusion list, search date and pooled results, so that a review
can be treated as a container of the studies it includes.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from ldngraph.model.terms import (
    COUNT_MEASURES,
    CROSSOVER_DOMAIN,
    MEAN_MEASURES,
    PARTIAL_DATE_RE,
    RATIO_MEASURES,
    ROB_DOMAINS,
    ArmRole,
    ComparatorKind,
    Design,
    EffectMeasure,
    InclusionList,
    Judgement,
    RobTool,
    _check_urls,
    _Frozen,
)

__all__ = [
    "CI_LEVEL_RANGE",
    "CROSSOVER_DOMAIN",
    "Arm",
    "ArmData",
    "Comparator",
    "DomainJudgement",
    "EffectEstimate",
    "PooledResult",
    "ReviewInfo",
    "RiskOfBias",
]

#: Bounds that keep every number derived from an estimate finite (issue 27 F2/F3: an RR with
#: ``se: 1000`` overflowed ``math.exp``, an SE of 1e-200 squared to 0 and pooled to NaN). They are
#: far outside anything a trial reports; a number beyond them is a typing or unit error.
MAX_ABS = 1e9  #: |value| and |CI bound| on a difference scale (md, smd, rd, pct_change)
RATIO_RANGE = (1e-6, 1e6)  #: a ratio (rr, or, hr) and its CI bounds
SE_RANGE = (1e-9, 1e9)  #: the analysis-scale standard error, reported or derived (CI, p-value)
LOG_SE_MAX = 10.0  #: the SE of a log ratio (a 95% CI wider than a factor of e^39 is no estimate)
CI_LEVEL_RANGE = (0.5, 0.9999)  #: confidence level of a reported interval
P_MIN = 1e-50  #: smallest exact p-value (below it the normal quantile cannot be told from infinity)


def _analysis(measure: EffectMeasure, value: float) -> float:
    return math.log(value) if measure in RATIO_MEASURES else value


class EffectEstimate(_Frozen):
    """An effect estimate exactly as a public source reports it (never computed by hand)."""

    measure: EffectMeasure = Field(description="md / smd / rr / or / hr / rd / pct_change")
    value: float = Field(
        description="Point estimate (LDN vs comparator; for pct_change, change from baseline)"
    )
    ci_lower: float | None = Field(default=None, description="Lower bound of the confidence interval")
    ci_upper: float | None = Field(default=None, description="Upper bound of the confidence interval")
    ci_level: float = Field(default=0.95, description="Confidence level of the interval, 0.5 to 0.9999")
    se: float | None = Field(default=None, gt=0, description="Standard error, where reported instead of a CI")
    p_value: float | None = Field(default=None, gt=0, le=1, description="Exact p-value, where that is all")
    scale: str = Field(min_length=1, description="Measure and scale, e.g. 'pain NRS 0-10'")
    lower_is_better: StrictBool = Field(description="True when a lower value means benefit (pain, fatigue)")
    time_point: str | None = Field(default=None, description="When measured, e.g. '12 weeks'")
    comparator: str | None = Field(default=None, description="placebo, baseline, or an active comparator")
    n_intervention: StrictInt | None = Field(default=None, ge=1, description="Participants analysed on LDN")
    n_control: StrictInt | None = Field(default=None, ge=1, description="Participants in the comparator arm")
    source: str = Field(description="URL of the public source where these numbers were seen")
    note: str | None = Field(default=None, description="Where in the source, caveats")
    primary: StrictBool = Field(
        default=False,
        description="The trial's pre-specified primary scale or time point: chooses among several estimates "
        "of one study for one outcome (a pool takes each study once)",
    )

    @field_validator("source")
    @classmethod
    def _source_url(cls, value: str) -> str:
        return _check_urls((value,))[0]

    @field_validator("value", "ci_lower", "ci_upper", "se", "p_value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return value

    @field_validator("ci_level")
    @classmethod
    def _level(cls, value: float) -> float:
        lo, hi = CI_LEVEL_RANGE
        if not lo <= value <= hi:
            raise ValueError(f"{value:g} is not a confidence level between {lo} and {hi} (e.g. 0.95)")
        return value

    @field_validator("p_value")
    @classmethod
    def _p_floor(cls, value: float | None) -> float | None:
        if value is not None and value < P_MIN:
            raise ValueError(
                f"an exact p-value of {value:g} (below {P_MIN:g}) cannot weigh an estimate; "
                "give the CI or standard error instead"
            )
        return value

    def _check_ranges(self) -> None:
        """Every number within the bounds above, and the standard error pooling would derive from
        them within :data:`SE_RANGE` (issue 27 F2/F3)."""
        fields = {"value": self.value, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper}
        ratio = self.measure in RATIO_MEASURES
        for name, v in fields.items():
            if v is None:
                continue
            if ratio and not RATIO_RANGE[0] <= v <= RATIO_RANGE[1]:
                raise ValueError(
                    f"{name}: a {self.measure.value} of {v:g} is outside [{RATIO_RANGE[0]:g}, "
                    f"{RATIO_RANGE[1]:g}]; check the number (ratios on their natural scale)"
                )
            if not ratio and abs(v) > MAX_ABS:
                raise ValueError(
                    f"{name}: {v:g} is outside [-{MAX_ABS:g}, {MAX_ABS:g}]; check the number and unit"
                )
        se_max = LOG_SE_MAX if ratio else SE_RANGE[1]
        lo, hi = self.ci_lower, self.ci_upper
        derived: tuple[str, float] | None = None
        if lo is not None and hi is not None and hi > lo:
            z = NormalDist().inv_cdf(0.5 + self.ci_level / 2.0)
            derived = ("ci_lower", (_analysis(self.measure, hi) - _analysis(self.measure, lo)) / (2.0 * z))
        elif self.se is not None:
            derived = ("se", self.se)
        elif self.p_value is not None and self.p_value < 1.0:
            centre = abs(_analysis(self.measure, self.value))
            if centre > 0:
                derived = ("p_value", centre / -NormalDist().inv_cdf(self.p_value / 2.0))
        if derived is None:
            return
        name, se = derived
        what = f"a standard error of {se:g} for the {'log ratio' if ratio else 'estimate'}"
        what = what if name == "se" else f"gives {what}"
        if se > se_max:
            fix = "it must be the SE of the log ratio" if name == "se" and ratio else "check the numbers"
            raise ValueError(f"{name}: {what} is more than {se_max:g}; {fix}")
        if se < SE_RANGE[0]:
            raise ValueError(
                f"{name}: {what} is less than {SE_RANGE[0]:g}: too precise to weigh against other "
                "studies; check the numbers"
            )

    @model_validator(mode="after")
    def _consistent(self) -> EffectEstimate:
        lo, hi = self.ci_lower, self.ci_upper
        if (lo is None) != (hi is None):
            raise ValueError("ci_lower: give both ci_lower and ci_upper, or neither")
        if lo is not None and hi is not None:
            if lo > hi:
                raise ValueError(f"ci_lower: the interval [{lo}, {hi}] has lower > upper; swap the bounds")
            if not lo <= self.value <= hi:
                raise ValueError(f"value: the estimate {self.value} lies outside its interval [{lo}, {hi}]")
        if self.measure in RATIO_MEASURES:
            bad = [v for v in (self.value, lo, hi) if v is not None and v <= 0]
            if bad:
                raise ValueError(
                    f"value: a {self.measure.value} is a ratio and must be > 0 (got {bad[0]}); "
                    "record ratios on their natural scale, not as logs"
                )
        self._check_ranges()
        return self

    @property
    def null_value(self) -> float:
        """The value meaning no difference: 1 for ratios, 0 otherwise."""
        return 1.0 if self.measure in RATIO_MEASURES else 0.0

    @property
    def favours(self) -> str:
        """'ldn', 'comparator' or 'neither' (the point estimate sits on the null)."""
        if self.value == self.null_value:
            return "neither"
        below = self.value < self.null_value
        return "ldn" if below == self.lower_is_better else "comparator"


class Comparator(_Frozen):
    """What a controlled study compared LDN with, as a seen source states it."""

    kind: ComparatorKind = Field(description="placebo / active / usual_care / none")
    name: str | None = Field(default=None, description="The active drug (required for kind active)")
    source: str = Field(description="URL where the comparator was seen")
    note: str | None = Field(
        default=None, description="E.g. crossover, fixed order, add-on to usual treatment"
    )

    @field_validator("source")
    @classmethod
    def _source_url(cls, value: str) -> str:
        return _check_urls((value,))[0]

    @model_validator(mode="after")
    def _named(self) -> Comparator:
        if self.kind is ComparatorKind.active and not self.name:
            raise ValueError("name: an active comparator needs the drug's name (e.g. amitriptyline)")
        return self


class Arm(_Frozen):
    """One arm of a two-arm comparison, as a public source reports it: events/total for a
    dichotomous outcome, or mean/SD/n for a continuous one (``change: true`` when the mean is a
    change from baseline)."""

    label: str = Field(min_length=1, description="What the arm received, e.g. 'LDN 4.5 mg', 'placebo'")
    role: ArmRole = Field(description="intervention (LDN) or comparator")
    events: StrictInt | None = Field(default=None, ge=0, description="Participants with the event")
    total: StrictInt | None = Field(default=None, ge=1, description="Participants analysed (dichotomous)")
    mean: float | None = Field(default=None, description="Mean (or mean change, with change: true)")
    sd: float | None = Field(default=None, gt=0, description="Standard deviation of that mean's data")
    n: StrictInt | None = Field(default=None, ge=1, description="Participants analysed (continuous)")
    change: StrictBool = Field(default=False, description="The mean is a change from baseline")
    randomised: StrictInt | None = Field(
        default=None, ge=1, description="Participants randomised to the arm, where more than were analysed"
    )
    time_point: str = Field(min_length=1, description="When measured, e.g. '12 weeks'")
    source: str = Field(description="URL of the public source where these numbers were seen")

    @field_validator("source")
    @classmethod
    def _source_url(cls, value: str) -> str:
        return _check_urls((value,))[0]

    @field_validator("mean", "sd")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Arm:
        counts = (self.events, self.total)
        means = (self.mean, self.sd, self.n)
        has_counts = any(v is not None for v in counts)
        has_means = any(v is not None for v in means)
        if has_counts == has_means:
            raise ValueError(
                "events: give events and total (a dichotomous outcome) or mean, sd and n (a continuous "
                "one), not both and not neither"
            )
        if has_counts and None in counts:
            raise ValueError("events: give both events and total")
        if has_means and None in means:
            missing = next(k for k, v in zip(("mean", "sd", "n"), means, strict=True) if v is None)
            raise ValueError(f"{missing}: a continuous arm needs mean, sd and n (sd > 0)")
        if self.events is not None and self.total is not None and self.events > self.total:
            raise ValueError(f"events: {self.events} events in {self.total} participants; events <= total")
        if self.randomised is not None and self.randomised < self.size:
            raise ValueError(
                f"randomised: {self.randomised} randomised but {self.size} analysed; analysed <= randomised"
            )
        return self

    @property
    def size(self) -> int:
        """Participants analysed in this arm."""
        return self.total if self.total is not None else (self.n or 0)

    @property
    def dichotomous(self) -> bool:
        return self.total is not None


class ArmData(_Frozen):
    """Arm-level data of one outcome row: the effect and its 95% CI are computed from them with
    statsmodels (:func:`ldngraph.evidence.arms.compute_estimate`), never written by hand."""

    measure: EffectMeasure = Field(
        description="What to compute: rr / or / rd from counts, md / smd (Hedges' g) from means"
    )
    scale: str = Field(
        min_length=1, description="The event or scale, e.g. 'clinical remission (CDAI <= 150)'"
    )
    lower_is_better: StrictBool = Field(description="True when fewer events / a lower value is the better")
    groups: tuple[Arm, ...] = Field(description="Exactly two arms: one intervention, one comparator")
    note: str | None = Field(default=None, description="Where in the source, caveats")

    @model_validator(mode="after")
    def _two_arms(self) -> ArmData:
        roles = sorted(a.role.value for a in self.groups)
        if roles != ["comparator", "intervention"]:
            raise ValueError(
                f"groups: give exactly two arms, one intervention and one comparator (got {roles or 'none'})"
            )
        kinds = {a.dichotomous for a in self.groups}
        if len(kinds) > 1:
            raise ValueError("groups: both arms need the same kind of data (events/total, or mean/sd/n)")
        dichotomous = kinds.pop()
        if dichotomous and self.measure not in COUNT_MEASURES:
            raise ValueError(f"measure: counts give rr, or or rd, not {self.measure.value}")
        if not dichotomous and self.measure not in MEAN_MEASURES:
            raise ValueError(f"measure: means give md or smd, not {self.measure.value}")
        if len({a.time_point for a in self.groups}) > 1:
            raise ValueError("groups: the arms have different time points; give one time point")
        if not dichotomous and len({a.change for a in self.groups}) > 1:
            raise ValueError("groups: one arm gives change scores and the other final values; use one kind")
        return self

    def arm(self, role: ArmRole) -> Arm:
        return next(a for a in self.groups if a.role is role)

    @property
    def intervention(self) -> Arm:
        return self.arm(ArmRole.intervention)

    @property
    def comparator(self) -> Arm:
        return self.arm(ArmRole.comparator)


class DomainJudgement(_Frozen):
    """One risk-of-bias domain: the judgement and a one-line support from the source."""

    judgement: Judgement = Field(description="low / some_concerns / high / not_assessed")
    support: str = Field(min_length=1, description="Why, in one line of our words, from the source")


class RiskOfBias(_Frozen):
    """Risk-of-bias judgements by domain, after RoB 2 (randomised) or ROBINS-I (non-randomised)."""

    tool: RobTool = Field(description="rob2 or robins_i")
    domains: dict[str, DomainJudgement] = Field(description="Every domain of the tool -> judgement")
    source: str = Field(description="URL of the source the judgements rest on")

    @field_validator("source")
    @classmethod
    def _source_url(cls, value: str) -> str:
        return _check_urls((value,))[0]

    @model_validator(mode="after")
    def _domains_of_tool(self) -> RiskOfBias:
        allowed = (*ROB_DOMAINS[self.tool], *((CROSSOVER_DOMAIN,) if self.tool is RobTool.rob2 else ()))
        unknown = sorted(set(self.domains) - set(allowed))
        if unknown:
            raise ValueError(
                f"domains: unknown {self.tool.value} domain '{unknown[0]}'; use {', '.join(allowed)}"
            )
        missing = [d for d in ROB_DOMAINS[self.tool] if d not in self.domains]
        if missing:
            raise ValueError(
                f"domains: {self.tool.value} domain '{missing[0]}' is missing; judge every domain "
                "(not_assessed where the source does not say)"
            )
        return self

    @property
    def overall(self) -> Judgement:
        """Worst assessed domain (RoB 2's rule), but low only when every domain was judged low: a
        domain the source leaves unassessed (ROBINS-I "no information") makes a study otherwise at
        low risk "some concerns" (RoB 2: low overall needs low in all domains). not_assessed only
        when no domain was assessed."""
        judged = [d.judgement for d in self.domains.values()]
        assessed = [j for j in judged if j is not Judgement.not_assessed]
        if not assessed:
            return Judgement.not_assessed
        for level in (Judgement.high, Judgement.some_concerns):
            if level in assessed:
                return level
        return Judgement.some_concerns if len(assessed) < len(judged) else Judgement.low

    @property
    def overall_domains(self) -> tuple[str, ...]:
        """The domains behind :attr:`overall`: those judged at it, else (every assessed domain low,
        some not assessed) the unassessed ones, as "NAME not assessed"."""
        overall = self.overall
        at = tuple(name for name, d in self.domains.items() if d.judgement is overall)
        unassessed = (n for n, d in self.domains.items() if d.judgement is Judgement.not_assessed)
        return at or tuple(f"{name} not assessed" for name in unassessed)


class PooledResult(_Frozen):
    """A pooled result as a review reports it, for one outcome."""

    outcome: str = Field(description="Outcome entity CURIE")
    k: StrictInt | None = Field(default=None, ge=1, description="Studies pooled (None: not stated)")
    n: StrictInt | None = Field(default=None, ge=1, description="Participants pooled")
    i2: float | None = Field(default=None, ge=0, le=100, description="I^2 in percent, as reported")
    estimate: EffectEstimate = Field(description="The pooled estimate and its interval")


class ReviewInfo(_Frozen):
    """What a review includes and when it searched (evidence model v2: reviews are containers)."""

    reports_methods: StrictBool = Field(
        description="Search strategy and eligibility criteria reported; False makes it a narrative review"
    )
    search_date: str | None = Field(default=None, description="Last search, YYYY, YYYY-MM or YYYY-MM-DD")
    inclusion_list: InclusionList = Field(
        default=InclusionList.unknown, description="listed / partial / unknown"
    )
    inclusion_source: str | None = Field(default=None, description="URL where the list was seen")
    inclusion_note: str | None = Field(
        default=None, description="Where the list is, or why it cannot be found"
    )
    included_total: StrictInt | None = Field(default=None, ge=0, description="Included studies, as stated")
    includes_other: StrictInt | None = Field(
        default=None, ge=0, description="Included studies that are not in this graph (None: unknown)"
    )
    included_designs: tuple[Design, ...] = Field(default=(), description="Designs of the included studies")
    included_n: StrictInt | None = Field(default=None, ge=1, description="Participants included, as stated")
    dose_range_mg: tuple[float, float] | None = Field(default=None, description="LDN doses covered, mg/day")
    pooled: tuple[PooledResult, ...] = Field(default=(), description="Pooled results the review reports")

    @field_validator("search_date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None and not PARTIAL_DATE_RE.match(value):
            raise ValueError(f"search_date '{value}' must be YYYY, YYYY-MM or YYYY-MM-DD (quote it in YAML)")
        return value

    @field_validator("inclusion_source")
    @classmethod
    def _source_url(cls, value: str | None) -> str | None:
        return _check_urls((value,))[0] if value is not None else None

    @field_validator("dose_range_mg")
    @classmethod
    def _doses(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 < value[0] <= value[1]:
            raise ValueError(f"dose_range_mg {list(value)} must be [low, high] with 0 < low <= high")
        return value

    @model_validator(mode="after")
    def _list_or_reason(self) -> ReviewInfo:
        if self.inclusion_list is InclusionList.unknown and self.reports_methods and not self.inclusion_note:
            raise ValueError("inclusion_note: say why the inclusion list of this review could not be found")
        if self.inclusion_list is not InclusionList.unknown and not self.inclusion_source:
            raise ValueError("inclusion_source: give the URL where the inclusion list was seen")
        return self
