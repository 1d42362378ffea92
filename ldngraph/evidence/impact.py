"""What would change a conclusion: the smallest trial that moves a body's conclusion or certainty.

For a body of evidence (normally a condition's critical outcome) this module adds one
**hypothetical** placebo-controlled, blinded, parallel-group RCT at low risk of bias in every
RoB 2 domain to the knowledge base, as curated records (a study, a publication, an evidence item
on the body's claim), and re-runs the **real engine** on it: :func:`ldngraph.evidence.bodies.
build_body`, which pools with statsmodels (:mod:`ldngraph.evidence.effects`), synthesises
(:mod:`ldngraph.evidence.synthesis`) and judges certainty (:mod:`ldngraph.evidence.certainty`),
exactly as ``sof`` and ``report`` do. Nothing here computes a conclusion or a certainty itself.

Two results are tried (issue 25, point 5):

* **null**: the trial finds no difference (MD 0, SMD 0, or the same event risk in both arms);
* **mid**: the trial finds an effect exactly at the minimal important difference of the profile
  (``mid:``), on the benefit side; without a declared MID this scenario is not defined.

**The hypothetical trial's spread** comes from the body's own studies (those in its estimate):

* MD: each study's standard deviation is recovered from its standard error and arm sizes,
  ``SD = SE / sqrt(1/n1 + 1/n2)`` (arms split equally when not recorded), and the trial gets the
  **participant-weighted root mean square** of those SDs (a pooled SD); its 95% CI is then
  ``value +- 1.96 * SD * sqrt(2/n)`` with ``n`` per arm;
* SMD: SD 1 (the scale of a standardised difference);
* RR / OR: the comparator arms' pooled risk (events / participants, from arm-level counts, the
  assumed risk of the SoF), given to both arms for a null result; for the MID the LDN arm gets
  the risk times the MID's ratio on the benefit side. Event counts are rounded to whole
  participants, so the result lies at the MID up to one event.

**The search** is a bisection over ``n`` per arm in ``[1, cap]`` (cap 10,000 by default). It
assumes that "the body's conclusion or certainty differs from today's" is monotone in ``n``:
once a trial of ``n`` per arm changes it, every larger one does. Bisection keeps a lower end that
does not change it and an upper end that does, and ends with ``n - 1`` (unchanged) and ``n``
(changed) both run through the engine. The assumption is then **checked** at a few more points
(``n / 4``, ``n / 2`` below; ``2n``, the cap above); a point that contradicts it is reported
(``monotone: false``, with the points) rather than hidden. When even a trial of ``cap`` per arm
changes nothing, the answer is "no trial up to cap per arm changes it". When the first change
is the certainty alone, a second search (``target="conclusion"``) asks the same for the conclusion.

A **candidate** (a registered trial in the screening log with an enrolment, issue 25 point 5) is
run at its own size: enrolment split equally between two arms (floor), for the null and the MID
result. Only enrolments recorded in data/ or in the cached registry record are used; none is
guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from ldngraph.errors import LdnGraphError
from ldngraph.evidence.bodies import (
    BodyKey,
    OutcomeBody,
    body_key,
    build_body,
    get_context,
    get_critical_keys,
)
from ldngraph.evidence.hypothetical import (
    RESULTS,
    ImpactError,
    Result,
    Trial,
    evidence_record,
    get_trial,
    trial_records,
    with_trial,
)
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.evidence.units import levels_in_words
from ldngraph.model import Claim, EntityKind, KnowledgeBase
from ldngraph.model.terms import _Frozen

#: Default upper bound of the search, participants per arm.
DEFAULT_CAP = 10_000


class State(_Frozen):
    """A body's conclusion and certainty."""

    conclusion: str
    certainty: str
    downgrades: tuple[tuple[str, int], ...] = Field(
        default=(), description="(GRADE domain, levels taken off) for each domain that cost levels"
    )

    def __str__(self) -> str:
        return f"{self.conclusion.replace('_', ' ')}, {self.certainty.replace('_', ' ')}"

    @property
    def rating(self) -> tuple[str, str]:
        """What a change is judged on: the conclusion and the certainty (not how it was reached)."""
        return self.conclusion, self.certainty


def _moves(before: State, after: State) -> str:
    """The GRADE domains whose downgrade moved, e.g. 'imprecision no longer downgraded'."""
    parts, was_by, now_by = [], dict(before.downgrades), dict(after.downgrades)
    for domain in sorted(was_by.keys() | now_by.keys()):
        was, now = was_by.get(domain, 0), now_by.get(domain, 0)
        name = domain.replace("_", " ")
        if was != now:
            parts.append(
                f"{name} no longer downgraded" if not now else f"{name} now downgraded {levels_in_words(now)}"
            )
    return ", ".join(parts)


class Search(_Frozen):
    """The smallest trial, per arm, that changes the body (module doc: bisection, monotonicity)."""

    trial: Trial
    target: Literal["any", "conclusion"] = Field(
        default="any", description="any: the conclusion or the certainty; conclusion: the conclusion only"
    )
    n_per_arm: int | None = Field(description="Smallest n per arm that changes it; None: none up to cap")
    cap: int
    before: State
    after: State | None = Field(description="The body with the trial of n_per_arm per arm")
    below: State | None = Field(description="The body with a trial of n_per_arm - 1 per arm")
    checked: tuple[tuple[int, bool], ...] = Field(
        description="(n per arm, changed?) at each point checked for monotonicity"
    )
    monotone: bool = Field(description="Every checked point agrees with the monotonicity assumption")
    runs: int = Field(description="Engine runs the search took")

    @property
    def changes(self) -> str | None:
        """'certainty moderate -> high' / 'conclusion ... -> ...' (None when nothing changes)."""
        if self.after is None:
            return None
        parts = []
        if self.after.conclusion != self.before.conclusion:
            parts.append(f"conclusion {self.before.conclusion} -> {self.after.conclusion}")
        if self.after.certainty != self.before.certainty:
            parts.append(f"certainty {self.before.certainty} -> {self.after.certainty}")
        moved = _moves(self.before, self.after)
        return "; ".join(parts).replace("_", " ") + (f" ({moved})" if moved else "")


class CandidateRun(_Frozen):
    """A registered trial, run at its enrolment for one result."""

    record: str = Field(description="Screening-log record id")
    registry: str = Field(description="Registry id, e.g. NCT04739995")
    enrolment: int
    enrolment_from: str = Field(description="Where the enrolment was recorded")
    result: Result
    before: State
    after: State

    @property
    def changed(self) -> bool:
        return self.before.rating != self.after.rating


class Candidate(_Frozen):
    """A registered LDN trial of a condition, not yet in the graph, with what it enrolled."""

    record: str
    registry: str
    label: str
    condition: str
    enrolment: int | None
    enrolment_from: str | None = None


class OutcomeImpact(_Frozen):
    """What would change one body (one outcome of a condition)."""

    body: str = Field(description="Body id")
    condition: str
    condition_label: str
    outcome: str
    outcome_label: str
    critical: bool
    before: State
    searches: tuple[Search, ...] = ()
    candidates: tuple[CandidateRun, ...] = ()
    skipped: tuple[str, ...] = Field(default=(), description="Why a result or a candidate was not run")
    registered: int = Field(default=0, description="Registered trials of the condition in the screening log")

    def to_lines(self) -> list[str]:
        """One line per answer, in words."""
        what = f"{self.condition_label} {self.outcome_label}"
        lines = [f"{what}: now {self.before}"]
        trials = {(s.trial.sd, s.trial.control_risk, s.trial.spread_from): s.trial for s in self.searches}
        lines += [f"  the trial added: {_describe_trial(trial)}" for trial in trials.values()]
        for s in self.searches:
            result = _describe_result(s.trial)
            if s.target == "conclusion":
                result += ", for the conclusion"
            if s.n_per_arm is None:
                it = "the conclusion" if s.target == "conclusion" else "it"
                lines.append(f"  {result}: no trial up to {s.cap:,} per arm changes {it}")
                continue
            flag = "" if s.monotone else f" (not monotone at the checked points: {_points(s.checked)})"
            below = f"n - 1 = {s.n_per_arm - 1} per arm" if s.n_per_arm > 1 else "no trial"
            lines.append(
                f"  {result}: a trial of {s.n_per_arm} per arm ({2 * s.n_per_arm} participants) "
                f"changes it: {s.changes} ({below}: {s.below}){flag}"
            )
        for c in self.candidates:
            reports = "a null result" if c.result == "null" else "a result at the MID"
            if c.changed:
                lines.append(
                    f"  if {c.registry} reports {reports} with n = {c.enrolment}, "
                    f"{what} goes from {c.before} to {c.after}"
                )
            else:
                lines.append(
                    f"  if {c.registry} reports {reports} with n = {c.enrolment}, {what} stays {c.before}"
                )
        lines += [f"  not run: {why}" for why in self.skipped]
        if not self.registered:
            lines.append("  registered trials: none of this condition in the screening log to run")
        return lines


def _points(checked: Sequence[tuple[int, bool]]) -> str:
    return ", ".join(f"{n}: {'changed' if c else 'unchanged'}" for n, c in checked)


def _describe_trial(trial: Trial) -> str:
    """The hypothetical trial's design and the spread it assumes, in words."""
    design = "parallel RCT, placebo-controlled, blinded, low risk of bias"
    if trial.sd is not None:
        return f"{design}; SD {trial.sd:.2f} per arm ({trial.spread_from})"
    if trial.control_risk is not None:
        return f"{design}; comparator risk {trial.control_risk:.1%} ({trial.spread_from})"
    return design


def _describe_result(trial: Trial) -> str:
    if trial.result == "null":
        return "a null result"
    return f"a result at the MID ({trial.measure.upper()} {trial.value:g})"


def _state(body: OutcomeBody) -> State:
    downgrades = tuple((d.domain, d.levels) for d in body.downgrades if d.levels)
    return State(conclusion=body.conclusion, certainty=body.certainty.value, downgrades=downgrades)


# -- running the engine ------------------------------------------------------------------------


class Records(_Frozen):
    """The curated records that add the hypothetical trial to a knowledge base (YAML-ready dicts)."""

    study: dict[str, Any]
    publication: dict[str, Any]
    claim: str = Field(description="Claim id whose evidence list the item joins")
    item: dict[str, Any]


def get_records(kb: KnowledgeBase, body: OutcomeBody, trial: Trial, n_per_arm: int) -> Records:
    """The hypothetical ``trial`` with ``n_per_arm`` per arm as records for ``body``: its outcome row
    takes the kind the body's studies record, its year follows every study of ``kb`` (so that no
    review's search can hold it), and its evidence item joins the body's first claim."""
    assert body.outcome is not None
    rows = [o for sid in body.studies for o in kb.study_index[sid].outcomes if o.outcome == body.outcome]
    study, pub = trial_records(
        trial,
        n_per_arm,
        outcome=body.outcome,
        kind=rows[0].kind.value if rows else "subjective",
        year=min(2100, max(years) + 1) if (years := [s.year for s in kb.studies if s.year]) else None,
        lower_is_better=body.lower_is_better,
    )
    item = evidence_record(trial, body.outcome, body.question)
    return Records(study=study, publication=pub, claim=body.claims[0], item=item)


class _Runner:
    """Re-runs one body through :func:`build_body` with a hypothetical trial of n per arm."""

    def __init__(
        self,
        kb: KnowledgeBase,
        body: OutcomeBody,
        profile: Profile,
        registry: Sequence[RegistryEntry],
        trial: Trial,
    ) -> None:
        self.kb, self.body, self.profile, self.registry, self.trial = kb, body, profile, registry, trial
        self.claims: list[Claim] = [kb.claim_index[c] for c in body.claims]
        self.key: BodyKey = body_key(self.claims[0])
        self.runs = 0
        self.seen: dict[int, State] = {}

    def body_at(self, n: int) -> OutcomeBody:
        rec = get_records(self.kb, self.body, self.trial, n)
        kb = with_trial(self.kb, rec.claim, rec.study, rec.publication, rec.item)
        claims = [kb.claim_index[c.id] for c in self.claims]
        self.runs += 1
        ctx = get_context(kb, self.profile, self.registry)
        return build_body(self.key, claims, kb, self.profile, critical=self.body.critical, context=ctx)

    def state(self, n: int) -> State:
        if n not in self.seen:
            self.seen[n] = _state(self.body_at(n))
        return self.seen[n]


def smallest_change(
    kb: KnowledgeBase,
    body: OutcomeBody,
    profile: Profile,
    trial: Trial,
    *,
    registry: Sequence[RegistryEntry] = (),
    cap: int = DEFAULT_CAP,
    target: Literal["any", "conclusion"] = "any",
) -> Search:
    """The smallest n per arm whose hypothetical ``trial`` changes ``body``'s conclusion or
    certainty (``target`` any), or its conclusion (``target`` conclusion); module doc."""
    if cap < 2:
        raise ImpactError(f"cap {cap}: the search needs at least 2 participants per arm")
    run = _Runner(kb, body, profile, registry, trial)
    before = _state(body)

    def changed(n: int) -> bool:
        now = run.state(n)
        return now.conclusion != before.conclusion if target == "conclusion" else now.rating != before.rating

    if not changed(cap):
        checked = tuple((n, changed(n)) for n in sorted({1, max(1, cap // 10), cap // 2}))
        return Search(
            trial=trial,
            target=target,
            n_per_arm=None,
            cap=cap,
            before=before,
            after=None,
            below=None,
            checked=checked,
            monotone=not any(c for _, c in checked),
            runs=run.runs,
        )
    lo, hi = 0, cap  # invariant: a trial of hi per arm changes the body, one of lo does not (0: no trial)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if changed(mid):
            hi = mid
        else:
            lo = mid
    points = sorted({p for p in (hi // 4, hi // 2, 2 * hi, cap) if 1 <= p <= cap and p not in (hi, hi - 1)})
    checked = tuple((p, changed(p)) for p in points)
    monotone = all(c == (p >= hi) for p, c in checked)
    return Search(
        trial=trial,
        target=target,
        n_per_arm=hi,
        cap=cap,
        before=before,
        after=run.state(hi),
        below=run.state(hi - 1) if hi > 1 else before,
        checked=checked,
        monotone=monotone,
        runs=run.runs,
    )


def run_candidate(
    kb: KnowledgeBase,
    body: OutcomeBody,
    profile: Profile,
    trial: Trial,
    candidate: Candidate,
    *,
    registry: Sequence[RegistryEntry] = (),
) -> CandidateRun:
    """``body`` if ``candidate`` reports ``trial``'s result at its enrolment (two equal arms)."""
    assert candidate.enrolment is not None
    run = _Runner(kb, body, profile, registry, trial)
    return CandidateRun(
        record=candidate.record,
        registry=candidate.registry,
        enrolment=candidate.enrolment,
        enrolment_from=candidate.enrolment_from or "",
        result=trial.result,
        before=_state(body),
        after=run.state(max(1, candidate.enrolment // 2)),
    )


# -- per condition -------------------------------------------------------------------------------


def get_impact_bodies(
    kb: KnowledgeBase, bodies: Mapping[str, OutcomeBody], condition: str, outcome: str | None = None
) -> list[OutcomeBody]:
    """The bodies ``impact`` asks about: the condition's critical outcome(s) (an intervention's
    effect on it, no aspect qualifier), or ``outcome`` when given."""
    critical = get_critical_keys(kb)
    chosen = []
    for b in bodies.values():
        ent = kb.entity_index.get(b.intervention)
        if (
            b.condition != condition
            or b.outcome is None
            or ent is None
            or ent.kind is not EntityKind.intervention
        ):
            continue
        if b.qualifier or (b.question != "effect" and outcome is None):
            continue
        key = body_key(kb.claim_index[b.claims[0]])
        if (outcome is None and key in critical) or (outcome is not None and b.outcome == outcome):
            chosen.append(b)
    if outcome is not None and not chosen:
        names = kb.entity_index
        raise ImpactError(
            f"no body of evidence on {names[outcome].label if outcome in names else outcome} in "
            f"{names[condition].label if condition in names else condition}; "
            "`ldngraph sof --condition` lists its outcomes"
        )
    return sorted(chosen, key=lambda b: (b.intervention, b.outcome or ""))


def get_impact(
    kb: KnowledgeBase,
    bodies: Mapping[str, OutcomeBody],
    profile: Profile,
    condition: str,
    *,
    outcome: str | None = None,
    registry: Sequence[RegistryEntry] = (),
    candidates: Sequence[Candidate] = (),
    cap: int = DEFAULT_CAP,
    progress: Callable[[str], None] | None = None,
) -> list[OutcomeImpact]:
    """What would change each body of :func:`get_impact_bodies`: the smallest trial for a null and
    an MID result, and each candidate of the condition at its enrolment."""
    if cap < 2:
        raise ImpactError(f"cap {cap}: the search needs at least 2 participants per arm")
    out = []
    for body in get_impact_bodies(kb, bodies, condition, outcome):
        searches: list[Search] = []
        runs: list[CandidateRun] = []
        skipped: list[str] = []
        for result in ("null", "mid"):
            trial = get_trial(kb, body, profile, result)
            if isinstance(trial, str):
                skipped.append(f"{result} result: {trial}")
                continue
            if progress is not None:
                progress(f"{body.label}: {result} result")
            try:  # one body's failure (e.g. a CI past the schema's bounds) is reported, not fatal
                first = smallest_change(kb, body, profile, trial, registry=registry, cap=cap)
                searches.append(first)
                if first.after is not None and first.after.conclusion == first.before.conclusion:
                    # the certainty moves first: how large a trial would move the conclusion itself?
                    searches.append(
                        smallest_change(
                            kb, body, profile, trial, registry=registry, cap=cap, target="conclusion"
                        )
                    )
            except LdnGraphError as exc:
                skipped.append(f"{result} result: {exc}")
                continue
            for cand in candidates:
                if cand.condition != condition:
                    continue
                if cand.enrolment is None:
                    if result == RESULTS[0]:
                        skipped.append(f"{cand.registry} ({cand.record}): no enrolment recorded")
                    continue
                try:
                    runs.append(run_candidate(kb, body, profile, trial, cand, registry=registry))
                except LdnGraphError as exc:
                    skipped.append(f"{cand.registry}, {result} result: {exc}")
        out.append(
            OutcomeImpact(
                body=body.id,
                condition=condition,
                condition_label=kb.entity_index[condition].label,
                outcome=body.outcome or "",
                outcome_label=kb.entity_index[body.outcome or ""].label,
                critical=body.critical,
                before=_state(body),
                searches=tuple(searches),
                candidates=tuple(runs),
                skipped=tuple(skipped),
                registered=sum(1 for c in candidates if c.condition == condition),
            )
        )
    return out


def get_candidates(
    log: Any, kb: KnowledgeBase, lookup: Callable[[str], Any] | None = None
) -> list[Candidate]:
    """Registered trials of the screening log ``log`` (a :class:`ldngraph.ingest.screening.ScreeningLog`)
    that may still report: ``watch`` candidates, ongoing trials, and completed or terminated trials
    without a journal report, each with an NCT number and not linked to a study of the graph.
    ``lookup``: NCT number -> the registry record ``watch`` cached (or None); it gives the enrolment
    and, for a candidate without a ``condition``, the conditions. An enrolment is never guessed."""
    names = {
        name.strip().casefold(): e.id
        for e in kb.entities
        if e.kind is EntityKind.condition
        for name in (e.label, *e.synonyms)
    }
    found = []
    for rec in log.records:
        decision = getattr(rec.decision, "value", rec.decision)
        if rec.study is not None or not (
            decision == "candidate" or rec.ongoing or rec.registry_status in ("completed", "terminated")
        ):
            continue
        nct = next((i.upper() for i in rec.identifiers if i.upper().startswith("NCT")), None)
        if nct is None:
            continue
        cached = lookup(nct) if lookup is not None else None
        enrolment = getattr(rec, "enrolment", None) or getattr(rec, "enrollment", None)
        source = "the screening log" if enrolment else None
        if not enrolment and cached is not None and getattr(cached, "enrollment", None):
            enrolment = int(cached.enrollment)
            kind = "actual" if getattr(cached, "enrollment_actual", False) else "anticipated"
            source = f"{nct} registry record cached by watch ({kind} enrolment)"
        conditions = [rec.condition] if rec.condition else []
        if not conditions and cached is not None:
            conditions = list(
                dict.fromkeys(
                    names[c.strip().casefold()] for c in cached.conditions if c.strip().casefold() in names
                )
            )
        for cond in conditions:
            found.append(
                Candidate(
                    record=rec.id,
                    registry=nct,
                    label=rec.label,
                    condition=cond,
                    enrolment=int(enrolment) if enrolment else None,
                    enrolment_from=source,
                )
            )
    return found


def to_records(impacts: Sequence[OutcomeImpact]) -> list[dict[str, Any]]:
    """JSON-ready form (``impact --format json``), with each answer's line."""
    records = []
    for imp in impacts:
        rec = imp.model_dump(mode="json")
        for s, d in zip(imp.searches, rec["searches"], strict=True):
            d["changes"] = s.changes
        rec["lines"] = imp.to_lines()
        records.append(rec)
    return records


__all__ = [
    "DEFAULT_CAP",
    "Candidate",
    "CandidateRun",
    "ImpactError",
    "OutcomeImpact",
    "Records",
    "Search",
    "State",
    "get_candidates",
    "get_impact",
    "get_impact_bodies",
    "get_records",
    "run_candidate",
    "smallest_change",
    "to_records",
]
