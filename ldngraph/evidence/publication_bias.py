"""Publication bias and missing results: patterns GRADE treats as reasons to downgrade.

* **Small-study / single-group pattern**: every positive (benefit) study is small (n <
  ``publication_bias.small_n``) and some null-or-harm study is larger than all of them, or every
  positive study comes from one research group (``Study.research_group``) and some null-or-harm
  study comes from another. Costs a level only for a "benefit" conclusion, the one such a pattern
  would inflate.
* **Registry evidence** (data/registrations.yaml; ``registry_status`` in data/screening.yaml for
  older data): a registered trial of the body's condition with no linked study in data/, completed
  or terminated more than ``publication_bias.registry_overdue_months`` months before the registry
  was last checked, and with no results posted, is an unpublished result: it costs a level for a
  "benefit" conclusion, and is listed whatever the conclusion. A trial whose completion date, check
  date or results are not known is **not judged** (shown, costs nothing); so is a withdrawn trial
  (never enrolled) and one whose results are posted on the registry (they are not missing).
* **Missing results**: when the estimate the conclusion rests on holds less than
  ``certainty.share_threshold`` of the body's participants (the other studies report no usable
  estimate), the missing results cost a level whatever the conclusion.

Reviews are not studies of a group and do not take part. At most one level in all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ldngraph.evidence.profile import Profile
from ldngraph.model import Study
from ldngraph.model.terms import _Frozen


class RegistryEntry(_Frozen):
    """A registered trial of a condition (data/registrations.yaml or the screening log)."""

    id: str
    label: str
    condition: str = Field(description="Condition CURIE it addresses")
    status: str = Field(description="Registry status, lower case: completed, terminated, withdrawn ...")
    note: str | None = None
    completion_date: str | None = Field(default=None, description="YYYY-MM or YYYY-MM-DD, as registered")
    results_posted: bool | None = Field(default=None, description="Results on the registry (None: not known)")
    study: str | None = Field(default=None, description="Its study in data/ (published), if any")
    checked: str | None = Field(default=None, description="Day the registry record was last seen")

    @property
    def unpublished(self) -> bool:
        """It enrolled participants (completed or terminated) and no study in data/ reports it."""
        return self.status in ("terminated", "completed") and self.study is None

    def judge(self, months: int) -> str:
        """``overdue`` (completed or terminated more than ``months`` whole calendar months before
        ``checked``, no results posted, no study), ``not_judged`` (a date or the results are not
        known), ``results_posted``, ``withdrawn``, ``published`` or ``open`` (still running)."""
        if self.study is not None:
            return "published"
        if self.status == "withdrawn":
            return "withdrawn"
        if not self.unpublished:
            return "open"
        if self.results_posted:
            return "results_posted"
        if self.results_posted is None or not self.completion_date or not self.checked:
            return "not_judged"
        done, seen = _month(self.completion_date), _month(self.checked)
        return "overdue" if seen - done > months else "open"

    def describe(self, verdict: str) -> str:
        when = f"completed {self.completion_date}" if self.completion_date else "completion date unknown"
        if verdict == "overdue":
            return f"{self.label} ({self.status} {self.completion_date}, no results posted by {self.checked})"
        if verdict == "not_judged":
            missing = [
                name
                for name, value in (
                    ("completion date", self.completion_date),
                    ("check date", self.checked),
                    ("whether results are posted", self.results_posted),
                )
                if value is None or value == ""
            ]
            return f"{self.label} ({self.status}; not judged: {', '.join(missing)} unknown)"
        return f"{self.label} ({self.status}, {when})"


#: How the publication-bias text starts the list of overdue registered trials.
OVERDUE_TEXT = "registered trials completed more than"


def _month(day: str) -> int:
    year, month = day.split("-")[:2]
    return int(year) * 12 + int(month)


def get_overdue(registry: Sequence[RegistryEntry], months: int) -> list[RegistryEntry]:
    """Registered trials whose results are overdue (:meth:`RegistryEntry.judge`)."""
    return [r for r in registry if r.judge(months) == "overdue"]


def judge_publication_bias(
    positive: Sequence[Study],
    negative: Sequence[Study],
    profile: Profile,
    *,
    conclusion: str,
    registry: Sequence[RegistryEntry] = (),
    missing: str | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """(levels, explanation, facts: the structured fields of a Downgrade) from the benefit-side and
    null-or-harm-side primary studies, the
    registry entries of the body's condition and ``missing`` (why results are missing, if so)."""
    reasons: list[str] = []
    codes: list[str] = []
    concerned: list[str] = []
    small = profile.publication_bias.small_n
    if positive and negative:
        pos_n = [s.n for s in positive]
        if all(n is not None and n < small for n in pos_n):
            biggest = max(n for n in pos_n if n is not None)
            larger = [s for s in negative if s.n is not None and s.n > biggest]
            if larger:
                codes.append("small_positive")
                concerned += [s.id for s in larger]
                reasons.append(
                    f"every positive study has n < {small} (largest {biggest}) while "
                    f"{', '.join(f'{s.id} (n={s.n})' for s in larger)} found no benefit"
                )
        groups = {s.research_group for s in positive}
        if len(groups) == 1 and None not in groups:
            group = next(iter(groups))
            others = [s for s in negative if s.research_group is not None and s.research_group != group]
            if others:
                codes.append("one_group")
                concerned += [s.id for s in others]
                reasons.append(
                    f"every positive study is from research group '{group}' while independent "
                    f"{', '.join(s.id for s in others)} found no benefit"
                )
    months = profile.publication_bias.registry_overdue_months
    verdicts = [(r, r.judge(months)) for r in registry]
    overdue = [r.describe(v) for r, v in verdicts if v == "overdue"]
    if overdue:
        codes.append("overdue")
        codes += [f"overdue_trial:{r.label}" for r, v in verdicts if v == "overdue"]
        reasons.append(
            f"{OVERDUE_TEXT} {months} months before the registry was checked, "
            f"with no results posted and no publication: {', '.join(overdue)}"
        )
    shown = ""
    withdrawn = [r.label for r, v in verdicts if v == "withdrawn"]
    if withdrawn:
        shown += f"; withdrawn before results (nothing missing): {', '.join(withdrawn)}"
    posted = [r.label for r, v in verdicts if v == "results_posted"]
    if posted:
        shown += f"; results posted on the registry, no journal report (not missing): {', '.join(posted)}"
    unjudged = [r.describe(v) for r, v in verdicts if v == "not_judged"]
    if unjudged:
        shown += f"; registered trials not judged: {', '.join(unjudged)}"
    facts: dict[str, Any] = {"studies": tuple(dict.fromkeys(concerned)), "extra": tuple(codes)}
    if missing:
        text = f"missing results: {missing}" + (f"; also {'; '.join(reasons)}" if reasons else "") + shown
        return 1, text, {**facts, "reason": "missing"}
    if not reasons:
        text = "not suspected: positive studies are not all small or all from one group" + shown
        return 0, text, {**facts, "reason": "not_suspected"}
    text = "; ".join(reasons)
    if conclusion != "benefit":
        return (
            0,
            f"pattern noted, no downgrade (the conclusion is not benefit): {text}{shown}",
            {**facts, "reason": "pattern_not_benefit"},
        )
    return 1, f"suspected: {text}{shown}", {**facts, "reason": "suspected"}


__all__ = ["OVERDUE_TEXT", "RegistryEntry", "get_overdue", "judge_publication_bias"]
