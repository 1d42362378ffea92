"""One summary-of-findings table per comparison (issue 23; Cochrane Handbook ch. 14: a SoF table
answers one question, LDN compared with one comparator).

The first table holds every study of the condition, its PICO listing each comparator with its
studies. When the condition's studies have more than one recorded comparator kind (placebo, an
active drug, usual care, no concurrent control), one table per kind follows, each scored by the
evidence model with the other kinds left out (the profile's ``comparator=`` exclusion rules, as
``--exclude`` applies them: a sensitivity analysis whose profile identity says so). Studies whose
comparator is not recorded stay in every table (the PICO says how many). Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ldngraph.evidence.bodies import OutcomeBody, build_bodies
from ldngraph.evidence.exclusions import get_comparator
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.model import KnowledgeBase
from ldngraph.model.terms import ComparatorKind
from ldngraph.present.sof import SofTable, get_sof_table
from ldngraph.present.sof_pico import get_search_date


def get_comparisons(kb: KnowledgeBase, table: SofTable) -> list[ComparatorKind]:
    """The recorded comparator kinds of the studies in ``table`` (ComparatorKind order)."""
    kinds = {get_comparator(kb.study_index[s]) for r in table.rows for s in r.studies}
    return [k for k in ComparatorKind if k in kinds]


def get_sof_tables(
    kb: KnowledgeBase,
    profile: Profile,
    condition: str,
    *,
    data_dir: Path | str | None = None,
    bodies: dict[str, OutcomeBody] | None = None,
    registry: Sequence[RegistryEntry] = (),
) -> list[SofTable]:
    """The condition's table, then one per comparison when its studies have more than one;
    ``data_dir``: where data/screening.yaml is, for the search date (None: not recorded);
    ``bodies``: the scored bodies (else built here); ``registry``: the registered trials publication
    bias reads, for the bodies built here."""
    bodies = build_bodies(kb, profile, registry=registry) if bodies is None else bodies
    first = get_sof_table(kb, profile, condition, bodies=bodies)
    date = "search date not recorded"
    if data_dir is not None:
        date = get_search_date(data_dir, kb, [s for r in first.rows for s in r.studies])
    # the date depends only on the rows' studies: set it on the table built above, not a second build
    tables = [first]
    if first.explanations is not None:
        dated = first.explanations.model_copy(update={"search_date": date})
        tables = [first.model_copy(update={"explanations": dated})]
    kinds = get_comparisons(kb, first)
    if len(kinds) < 2:
        return tables
    for kind in kinds:
        others = [f"comparator={k.value}" for k in kinds if k is not kind]
        restricted = profile.with_exclusions(others)
        tables.append(
            get_sof_table(
                kb, restricted, condition, registry=registry, search_date=date, comparison=kind.value
            )
        )
    return tables


__all__ = ["get_comparisons", "get_sof_tables"]
