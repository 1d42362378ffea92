"""Exclusions for a sensitivity analysis: studies left out everywhere (``--exclude``, profile ``exclude:``).

A rule is one of:

* a study id (``younger2009``);
* ``rob=high``: every study at high risk of bias for any of its evidence (curated RoB 2 /
  ROBINS-I overall judgement high, or, without curated domains, the yes/no flags; a study
  without a concurrent comparison is always at high risk); ``rob=some_concerns`` also drops
  studies with "some concerns";
* ``design=D`` (a study design, e.g. ``design=pre_post``, ``design=crossover_rct``);
* ``comparator=C`` (``placebo``, ``active``, ``usual_care`` or ``none``).

An excluded study is gone everywhere: it counts in no body, no claim strength, no participant
count, it is taken out of every review's coverage (a review that lists it has its pooled result
flagged and not used, as for a retracted trial) and it never comes back through a review.
Exclusions are part of the evidence profile, so they change its content hash: a scoring with
exclusions never shares an identity with one without.
"""

from __future__ import annotations

from collections.abc import Mapping

from ldngraph.evidence.exclude_rules import HINT, RULE_KEYS, ExcludeRule, parse_rule, parse_rules
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.risk_of_bias import judge_item_risk
from ldngraph.evidence.weights import weighed_design
from ldngraph.model import ComparatorKind, KnowledgeBase, Study


def get_comparator(study: Study) -> ComparatorKind | None:
    """What ``study`` compared LDN with: its curated comparator, ``none`` for a study without a
    concurrent control, else unknown (None)."""
    if study.comparator is not None:
        return study.comparator.kind
    if study.controlled is False:
        return ComparatorKind.none
    return None


def get_study_risk(study: Study, kb: KnowledgeBase, profile: Profile) -> str:
    """The worst risk of bias of ``study`` over its evidence items (low / some_concerns / high)."""
    levels = {"low"}
    for claim in kb.claims:
        for item in claim.evidence:
            if item.study == study.id:
                kind = item.outcome_kind
                if kind is None and item.outcome is not None and item.outcome in kb.entity_index:
                    kind = kb.entity_index[item.outcome].outcome_kind
                levels.add(judge_item_risk(study, weighed_design(study, item), kind, item, profile).level)
    return "high" if "high" in levels else "some_concerns" if "some_concerns" in levels else "low"


def get_excluded(kb: KnowledgeBase, profile: Profile) -> dict[str, str]:
    """Study id -> the rule that excludes it, for the profile's ``exclude`` rules.

    Raises :class:`ldngraph.errors.ProfileError` for a study id that is not in ``kb``."""
    from ldngraph.errors import ProfileError

    rules = parse_rules(profile.exclude)
    out: dict[str, str] = {}
    studies: Mapping[str, Study] = kb.study_index
    for rule in rules:
        if rule.key == "study":
            if rule.value not in studies:
                raise ProfileError(
                    f"exclude: no study '{rule.value}' in the data; "
                    + HINT.replace("give a study id", "give an id from studies.yaml")
                )
            out.setdefault(rule.value, rule.text)
            continue
        for study in kb.studies:
            if study.id in out:
                continue
            if rule.key == "design" and study.design.value == rule.value:
                out[study.id] = rule.text
            elif rule.key == "comparator":
                kind = get_comparator(study)
                if kind is not None and kind.value == rule.value:
                    out[study.id] = rule.text
            elif rule.key == "rob" and study.population.value == "human" and not study.is_secondary:
                risk = get_study_risk(study, kb, profile)
                if risk == "high" or (rule.value == "some_concerns" and risk == "some_concerns"):
                    out[study.id] = rule.text
    return out


__all__ = [
    "RULE_KEYS",
    "ExcludeRule",
    "get_comparator",
    "get_excluded",
    "get_study_risk",
    "parse_rule",
    "parse_rules",
]
