"""Cross-record checks of a knowledge base: dangling references, duplicate ids, and evidence
directions that contradict what the cited study recorded. :func:`find_problems` lists them all, as
(kind, record id, field, message), for the curated-data loader to report at once.
"""

from __future__ import annotations

from ldngraph.model.records import Claim, EvidenceItem, KnowledgeBase, Study
from ldngraph.model.terms import Direction, Effect, EntityKind, Predicate


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
            if study_rec is not None and item.outcome is not None:
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
