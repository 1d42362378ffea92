"""Cross-record checks of a knowledge base: dangling references, duplicate ids, and evidence
directions that contradict what the cited study recorded. :func:`find_problems` lists them all, as
(kind, record id, field, message), for the curated-data loader to report at once.

Issue 22 turned three silent data errors into problems here: a controlled human study without a
risk-of-bias block (it counted as low risk), an evidence item on an outcome its study never
recorded (it still counted for the study's other outcomes; the same for a study cited for a
claim's outcome), and arm sizes that do not add up to the study's ``n``.
"""

from __future__ import annotations

from ldngraph.model.records import Claim, EvidenceItem, KnowledgeBase, Study, StudyOutcome
from ldngraph.model.terms import Design, Direction, Effect, EntityKind, Predicate

#: Designs that report no results of their own, so they record no outcomes: they may back a claim
#: about an outcome without recording it (their evidence is rationale, not a measured result).
NO_OUTCOME_DESIGNS = frozenset({Design.narrative_review, Design.commentary})


def expected_direction(claim: Claim, effect: Effect) -> Direction:
    """The direction a study's recorded effect gives an evidence item on ``claim``.

    For a tolerability claim (``well_tolerated_in``, outcome adverse events) no difference from the
    comparator supports the claim and only more harm refutes it; for every other claim only an
    improvement supports it and a null or worse result refutes it.
    """
    if claim.predicate is Predicate.well_tolerated_in:
        return Direction.refutes if effect is Effect.worsened else Direction.supports
    return Direction.supports if effect is Effect.improved else Direction.refutes


def direction_problem(claim: Claim, item: EvidenceItem, study: Study) -> str | None:
    """Why ``item``'s direction disagrees with what ``study`` recorded for its outcome (None if it agrees).

    A study may record one outcome more than once (e.g. physical and mental quality of life); the
    item must agree with at least one reported record of its outcome.
    """
    records = [out for out in study.outcomes if out.outcome == item.outcome]
    if not records:
        return None
    reported = [out for out in records if out.reported]
    if not reported:
        return (
            f"study '{study.id}' does not report outcome {item.outcome} (reported: false), so it "
            "cannot back this claim; remove the evidence item"
        )
    if any(expected_direction(claim, out.effect) is item.direction for out in reported):
        return None
    effects = "/".join(sorted({out.effect.value for out in reported}))
    want = expected_direction(claim, reported[0].effect)
    return (
        f"direction '{item.direction.value}' contradicts study '{study.id}', which recorded effect "
        f"'{effects}' for {item.outcome} (expected '{want.value}'); fix the direction or the study's effect"
    )


def risk_of_bias_problem(study: Study) -> str | None:
    """Why ``study`` needs a risk-of-bias block it lacks (None if it has one or needs none)."""
    if study.controlled is True and study.is_human and not study.is_secondary and study.risk_of_bias is None:
        return (
            "a controlled human study needs a risk_of_bias block (it would count as low risk); "
            "judge every RoB 2 or ROBINS-I domain, not_assessed where the source is silent"
        )
    return None


def _arm_sizes(row: StudyOutcome) -> tuple[str, tuple[int, ...], tuple[int, ...] | None] | None:
    """(field, analysed arm sizes, randomised arm sizes or None) that a row records."""
    if row.arms is not None:
        arms = row.arms.groups
        randomised = tuple(a.randomised for a in arms if a.randomised is not None)
        return "arms", tuple(a.size for a in arms), randomised if len(randomised) == len(arms) else None
    est = row.estimate
    if est is not None and est.n_intervention is not None and est.n_control is not None:
        return "estimate", (est.n_intervention, est.n_control), None
    return None


def arm_size_problems(study: Study) -> list[tuple[str, str]]:
    """(field, message) for every outcome row whose arm sizes do not fit the study's ``n``: in a
    parallel-group trial the arms add up to ``n`` (or, where fewer were analysed than randomised,
    the arms' ``randomised`` counts do); in a crossover trial no arm is larger than ``n``."""
    if study.n is None or study.is_secondary:
        return []
    found = []
    for i, row in enumerate(study.outcomes):
        sizes = _arm_sizes(row)
        if sizes is None:
            continue
        field, analysed, randomised = sizes
        where = f"outcomes[{i}].{field}"
        if study.crossover:
            if max(analysed) > study.n:
                found.append(
                    (
                        where,
                        f"an arm of {max(analysed)} in a crossover trial of n = {study.n}; fix the arm or n",
                    )
                )
            continue
        shown = " + ".join(str(s) for s in analysed)
        if sum(analysed) == study.n or (randomised is not None and sum(randomised) == study.n):
            continue
        if randomised is not None:
            found.append(
                (
                    where,
                    f"arms randomised {' + '.join(str(s) for s in randomised)} = {sum(randomised)} "
                    f"do not add up to the study's n ({study.n}); fix the arms or n",
                )
            )
            continue
        hint = (
            "give each arm's randomised count when fewer were analysed"
            if field == "arms"
            else "record arm-level data with each arm's randomised count when fewer were analysed"
        )
        found.append(
            (
                where,
                f"arm sizes {shown} = {sum(analysed)} do not add up to the study's n ({study.n}); "
                f"fix the arm sizes or n, or {hint}",
            )
        )
    return found


def outcome_record_problem(claim: Claim, item: EvidenceItem, study: Study) -> str | None:
    """Why ``item`` rests on an outcome ``study`` never recorded (None if it recorded it).

    The outcome is the item's own, else the claim's; a study records it as an outcome row or, for
    a review, as a pooled result. Narrative reviews and commentaries record none (exempt)."""
    outcome = item.outcome or claim.qualifiers.outcome
    if outcome is None or study.design in NO_OUTCOME_DESIGNS:
        return None
    recorded = {o.outcome for o in study.outcomes}
    if study.review is not None:
        recorded |= {p.outcome for p in study.review.pooled}
    if outcome in recorded:
        return None
    if item.outcome is not None:
        return (
            f"study '{study.id}' records no outcome {outcome}, so it cannot back this item; add the outcome "
            "to the study (with what it found) or cite the study for an outcome it records"
        )
    return (
        f"study '{study.id}' is cited for {outcome} (the claim's outcome) but records no such outcome; "
        "add it to the study's outcomes, or give the item the outcome the study did record"
    )


def find_problems(kb: KnowledgeBase) -> list[tuple[str, str, str, str]]:
    """Cross-record problems as (kind, record id, field, message); empty when consistent."""
    problems: list[tuple[str, str, str, str]] = []

    def dupes(kind: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for rid in ids:
            if rid in seen:
                problems.append((kind, rid, "id", f"duplicate id '{rid}'; ids must be unique"))
            seen.add(rid)

    dupes("entity", [e.id for e in kb.entities])
    dupes("publication", [p.id for p in kb.publications])
    dupes("study", [s.id for s in kb.studies])
    dupes("claim", [c.id for c in kb.claims])
    dupes("source", [s.id for s in kb.sources])

    entities = kb.entity_index
    pubs = kb.publication_index
    studies = kb.study_index
    claims = kb.claim_index
    sources = {s.id for s in kb.sources}

    def need_entity(kind: str, rid: str, field: str, curie: str | None, want: EntityKind | None) -> None:
        if curie is None:
            return
        ent = entities.get(curie)
        if ent is None:
            problems.append((kind, rid, field, f"unknown entity '{curie}'; add it to entities.yaml"))
        elif want is not None and ent.kind is not want:
            problems.append(
                (
                    kind,
                    rid,
                    field,
                    f"'{curie}' is a {ent.kind.value}, expected an entity of kind {want.value}",
                )
            )

    for ent in kb.entities:
        need_entity("entity", ent.id, "critical_outcome", ent.critical_outcome, EntityKind.outcome)

    for study in kb.studies:
        for pub in study.publications:
            if pub not in pubs:
                problems.append(
                    ("study", study.id, "publications", f"unknown publication '{pub}'; add it first")
                )
        for i, out in enumerate(study.outcomes):
            need_entity("study", study.id, f"outcomes[{i}].outcome", out.outcome, EntityKind.outcome)
        if study.review is not None:
            for j, pooled in enumerate(study.review.pooled):
                need_entity(
                    "study", study.id, f"review.pooled[{j}].outcome", pooled.outcome, EntityKind.outcome
                )
        if (why := risk_of_bias_problem(study)) is not None:
            problems.append(("study", study.id, "risk_of_bias", why))
        for field, message in arm_size_problems(study):
            problems.append(("study", study.id, field, message))
        for ref in study.summarises:
            if ref not in studies:
                problems.append(("study", study.id, "summarises", f"unknown study '{ref}'"))
            elif ref == study.id:
                problems.append(("study", study.id, "summarises", "a study cannot summarise itself"))

    hashes: dict[str, str] = {}
    for claim in kb.claims:
        need_entity("claim", claim.id, "subject", claim.subject, None)
        need_entity("claim", claim.id, "object", claim.object, None)
        need_entity("claim", claim.id, "qualifiers.outcome", claim.qualifiers.outcome, EntityKind.outcome)
        other = hashes.get(claim.content_hash)
        if other is not None:
            problems.append(
                ("claim", claim.id, "subject", f"same subject, predicate, object and qualifiers as '{other}'")
            )
        hashes.setdefault(claim.content_hash, claim.id)
        for i, item in enumerate(claim.evidence):
            if item.study not in studies:
                problems.append(
                    ("claim", claim.id, f"evidence[{i}].study", f"unknown study '{item.study}'; add it first")
                )
            need_entity("claim", claim.id, f"evidence[{i}].outcome", item.outcome, EntityKind.outcome)
            study_rec = studies.get(item.study)
            missing = outcome_record_problem(claim, item, study_rec) if study_rec is not None else None
            if missing is not None:
                problems.append(("claim", claim.id, f"evidence[{i}].outcome", missing))
            elif study_rec is not None and item.outcome is not None:
                problem = direction_problem(claim, item, study_rec)
                if problem:
                    problems.append(("claim", claim.id, f"evidence[{i}].direction", problem))
        for src in claim.asserted_by:
            if src not in sources:
                problems.append(("claim", claim.id, "asserted_by", f"unknown source document '{src}'"))

    for doc in kb.sources:
        for pub in doc.cites:
            if pub not in pubs:
                problems.append(("source", doc.id, "cites", f"unknown publication '{pub}'"))
        for st in doc.statements:
            for cid in st.claims:
                if cid not in claims:
                    field = f"statements[{st.key}].claims"
                    problems.append(("source", doc.id, field, f"unknown claim '{cid}'"))
    return problems
