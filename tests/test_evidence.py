"""One small corpus per principle of the GRADE evidence model (ldngraph/evidence/) that held in v2 and
still holds in v3 (issue 21): reviews of trials in the graph add nothing, retraction removes a trial
everywhere, the large null RCT, risk-of-bias domains, publication bias, citation flags, the profile
hash, critical outcomes. tests/test_evidence_v3.py has the v3 principles."""

from __future__ import annotations

from typing import Any

import pytest

from ldngraph.evidence.bodies import build_bodies
from ldngraph.evidence.claims import score_knowledge_base
from ldngraph.evidence.profile import Certainty, read_profile
from ldngraph.locations import get_data_dir
from ldngraph.model import (
    Claim,
    Entity,
    EntityKind,
    EvidenceItem,
    KnowledgeBase,
    OutcomeKind,
    Publication,
    Study,
)
from ldngraph.model.appraisal import ReviewInfo

P = read_profile(get_data_dir() / "evidence-profile.yaml")
PAIN = "HP:0012531"  # the shipped profile declares its MID: 1 point on a 0-10 scale
ENTITIES = (
    Entity(id="CHEBI:7465", label="LDN", kind=EntityKind.intervention),
    Entity(id="MESH:D005356", label="fibromyalgia", kind=EntityKind.condition, critical_outcome=PAIN),
    Entity(id=PAIN, label="pain", kind=EntityKind.outcome, outcome_kind=OutcomeKind.subjective),
)


def trial(
    sid: str,
    pid: int,
    n: int = 60,
    year: int = 2015,
    est: tuple[float, float, float] | None = None,
    **kw: Any,
) -> Study:
    """An RCT; ``est``: its pain MD (value, 95% CI) on a 0-10 scale."""
    base: dict[str, Any] = {"randomised": True, "controlled": True, "blinded": True}
    base.update(kw)
    if est is not None:
        value, lo, hi = est
        effect = "improved" if hi < 0 else "no_effect"
        estimate = {
            "measure": "md",
            "value": value,
            "ci_lower": lo,
            "ci_upper": hi,
            "scale": "pain NRS 0-10",
            "lower_is_better": True,
            "source": "https://x.org",
        }
        base["outcomes"] = ({"outcome": PAIN, "kind": "subjective", "effect": effect, "estimate": estimate},)
    return Study(
        id=sid,
        label=sid,
        design="rct",
        population="human",
        n=n,
        year=year,
        publications=(f"PMID:{pid}",),
        **base,
    )


def review(sid: str, pid: int, year: int = 2021, *, summarises: tuple[str, ...] = (), **info: Any) -> Study:
    return Study(
        id=sid,
        label=sid,
        design="meta_analysis",
        population="human",
        year=year,
        publications=(f"PMID:{pid}",),
        summarises=summarises,
        review=ReviewInfo(**{"reports_methods": True, **info}) if info else None,
    )


def corpus(
    studies: list[Study], items: list[tuple[str, str]], retracted: frozenset[str] = frozenset()
) -> KnowledgeBase:
    pubs = tuple(
        Publication(
            id=p,
            pmid=p.split(":")[1],
            status="verified",
            title="t",
            sources=("https://x.org",),
            retracted=s.id in retracted,
        )
        for s in studies
        for p in s.publications
    )
    claim = Claim(
        id="c",
        subject="CHEBI:7465",
        predicate="in_clinical_trials_for",
        object="MESH:D005356",
        qualifiers={"outcome": PAIN},
        statement="LDN improves pain",
        evidence=tuple(EvidenceItem(study=s, direction=d, outcome=PAIN) for s, d in items),
    )
    return KnowledgeBase(entities=ENTITIES, publications=pubs, studies=tuple(studies), claims=(claim,))


def scored(kb: KnowledgeBase) -> Any:
    return score_knowledge_base(kb, P).claims["c"]


LISTED = {
    "inclusion_list": "listed",
    "inclusion_source": "https://x.org",
    "included_total": 2,
    "includes_other": 0,
    "included_designs": ["rct"],
}


@pytest.mark.parametrize("review_direction", ["supports", "refutes"])
def test_review_of_trials_in_the_graph_adds_nothing_in_either_direction(review_direction: str) -> None:
    trials = [trial("a", 1), trial("b", 2, n=90)]
    items = [("a", "supports"), ("b", "refutes")]
    without = scored(corpus(trials, items))
    kb = corpus([*trials, review("r", 3, summarises=("a", "b"), **LISTED)], [*items, ("r", review_direction)])
    with_review = scored(kb)
    assert (with_review.support, with_review.refute) == (without.support, without.refute)
    body = next(iter(build_bodies(kb, P).values()))
    assert [r.weight for r in body.reviews] == [0.0] and "r" not in body.studies


def test_review_listing_absent_trials_never_stands_in_for_them() -> None:
    """v2 let a review "stand in" for its included trials absent from the graph; v3 counts only the
    studies the graph can name (issue 21): the review informs, with its overlap."""
    info = {**LISTED, "included_total": 3, "includes_other": 2, "included_n": 150}
    kb = corpus(
        [trial("a", 1), review("r", 3, summarises=("a",), **info)], [("a", "supports"), ("r", "supports")]
    )
    body = next(iter(build_bodies(kb, P).values()))
    (role,) = body.reviews
    assert role.weight == 0.0 and role.covers == ("a",) and role.covered_n == 60
    assert [u.studies for u in body.units] == [("a",)]
    assert body.participants == 60 and body.studies == ("a",)


def test_review_cannot_cover_a_study_published_after_its_search_date() -> None:
    info = {"inclusion_list": "unknown", "inclusion_note": "not seen", "search_date": "2019-06"}
    kb = corpus(
        [trial("late", 1, n=200, year=2023), review("r", 3, year=2020, **info)],
        [("late", "refutes"), ("r", "supports")],
    )
    body = next(iter(build_bodies(kb, P).values()))
    (role,) = body.reviews
    assert role.covers == () and role.cannot_cover[0].startswith("late: published 2023")
    assert role.weight == 0.0 and "r" not in body.studies


def test_retracting_a_trial_removes_it_everywhere_including_through_its_review() -> None:
    trials = [trial("a", 1, n=200), trial("b", 2, n=80)]
    studies = [*trials, review("r", 3, summarises=("a", "b"), **LISTED)]
    items = [("a", "supports"), ("b", "supports"), ("r", "supports")]
    live = scored(corpus(studies, items))
    gone = scored(corpus(studies, items, retracted=frozenset({"a"})))
    only_b = scored(corpus([trials[1]], [("b", "supports")]))
    assert gone.support == only_b.support < live.support
    assert "retracted" in gone.reasons
    assert all("a" not in u.studies for u in gone.units)


@pytest.mark.parametrize(
    ("n", "small", "certainty"),
    [(400, False, Certainty.high), (250, False, Certainty.moderate), (400, True, Certainty.high)],
)
def test_large_blinded_null_rct_is_little_or_no_effect(n: int, small: bool, certainty: Certainty) -> None:
    """A large null RCT whose CI lies inside the MIDs: little or no important difference, high
    certainty when it meets the optimal information size. A small positive trial beside it without
    an estimate does not move the estimate (v2 called it inconsistency); it is shown."""
    studies = [trial("big", 1, n=n, est=(-0.1, -0.4, 0.2)), trial("small", 2, n=20)]
    items = [("big", "refutes"), ("small", "supports")]
    kb = corpus(studies if small else studies[:1], items if small else items[:1])
    body = next(iter(build_bodies(kb, P).values()))
    assert body.conclusion == "little_or_no_effect" and body.certainty is certainty, body.trace
    assert body.critical and [d.domain for d in body.judgements] == [
        "risk_of_bias",
        "inconsistency",
        "indirectness",
        "imprecision",
        "publication_bias",
    ]
    assert [d.code for d in body.downgrades] == ([] if n >= 400 else ["imprecision"])
    assert body.participants == n + (20 if small else 0)


def test_risk_of_bias_domains_drive_the_downgrade() -> None:
    domains = {
        d: {"judgement": "low", "support": "s"}
        for d in ("randomisation", "deviations", "missing_data", "measurement", "reporting")
    }
    domains["missing_data"] = {"judgement": "high", "support": "40% lost to follow-up"}
    rob = {"tool": "rob2", "source": "https://x.org", "domains": domains}
    kb = corpus([trial("a", 1, n=400, est=(-1.8, -2.3, -1.3), risk_of_bias=rob)], [("a", "supports")])
    body = next(iter(build_bodies(kb, P).values()))
    assert body.conclusion == "benefit" and body.certainty is Certainty.moderate
    assert [d.code for d in body.downgrades] == ["risk_of_bias"]
    assert "rob2 overall high (missing_data)" in body.downgrades[0].explanation


def test_small_single_group_positive_trials_against_a_larger_null_trial_flag_publication_bias() -> None:
    kb = corpus(
        [
            trial("p1", 1, n=30, research_group="lab-a"),
            trial("p2", 2, n=25, research_group="lab-a"),
            trial("p3", 4, n=30, research_group="lab-a"),
            trial("null", 3, n=80, research_group="lab-b"),
        ],
        [("p1", "supports"), ("p2", "supports"), ("p3", "supports"), ("null", "refutes")],
    )
    body = next(iter(build_bodies(kb, P).values()))
    pub = next(d for d in body.judgements if d.domain == "publication_bias")
    assert "lab-a" in pub.explanation and "null (n=80)" in pub.explanation
    assert pub.levels == (1 if body.conclusion == "benefit" else 0)


def test_citation_status_is_a_flag_not_a_downgrade() -> None:
    kb = corpus([trial("a", 1, n=400, est=(-1.8, -2.3, -1.3))], [("a", "supports")])
    pubs = tuple(p.model_copy(update={"status": "content_match"}) for p in kb.publications)
    body = next(iter(build_bodies(kb.model_copy(update={"publications": pubs}), P).values()))
    assert body.certainty is Certainty.high and body.downgrades == ()
    assert body.citation_flags == ("unverified_citation: a (best publication content_match)",)


def test_profile_hash_tells_copies_apart(tmp_path: Any) -> None:
    text = (get_data_dir() / "evidence-profile.yaml").read_text(encoding="utf-8")
    path = tmp_path / "copy.yaml"
    path.write_text(text.replace("  crossover_rct: 0.65", "  crossover_rct: 0.6"), encoding="utf-8")
    copy = read_profile(path)
    assert copy.version == P.version and copy.content_hash != P.content_hash
    from ldngraph.evidence.rdf import profile_iri

    assert profile_iri(copy.version, copy.content_hash) != profile_iri(P.version, P.content_hash)


def test_a_copied_profile_with_another_number_gets_another_hash() -> None:
    copy = P.model_copy(update={"base_weights": {**P.base_weights, "rct": 0.5}})
    assert copy.version == P.version and copy.content_hash != P.content_hash
    assert P.model_copy().content_hash == P.content_hash


def test_review_cannot_cover_a_trial_outside_its_dose_range() -> None:
    info = {"inclusion_list": "unknown", "inclusion_note": "not seen", "dose_range_mg": (2.0, 4.5)}
    kb = corpus(
        [trial("six-mg", 1, n=99, dose_mg=6.0), trial("low", 2, n=40, dose_mg=4.5), review("r", 3, **info)],
        [("six-mg", "refutes"), ("low", "supports"), ("r", "refutes")],
    )
    (role,) = next(iter(build_bodies(kb, P).values())).reviews
    assert role.covers == ("low",) and role.cannot_cover == ("six-mg: 6 mg outside the review's 2-4.5 mg",)


def test_outcome_bodies_query_lists_every_body_with_conclusion_and_certainty() -> None:
    from collections import Counter

    from ldngraph.pipeline import load
    from ldngraph.stores.query import run_query

    built = load()
    rows = run_query(built.graph, "outcome_bodies").to_records()
    got = Counter(
        (
            r["intervention"],
            r["condition"],
            r["outcome"],
            r["question"],
            r["critical"],
            r["conclusion"],
            r["certainty"],
            r["profile"],
            r["profile_hash"],
        )
        for r in rows
    )
    want = Counter(
        (
            b.intervention,
            b.condition,
            b.outcome,
            b.question,
            b.critical,
            b.conclusion,
            b.certainty.value,
            P.version,
            P.content_hash,
        )
        for b in built.scores.bodies.values()
    )
    assert got == want
    fibro = run_query(built.graph, "outcome_bodies", {"condition": "fibromyalgia"}).to_records()
    assert fibro[0]["outcome"] == "HP:0012531" and fibro[0]["critical"] is True
    assert {r["condition"] for r in fibro} == {"MESH:D005356"}


def test_a_null_critical_outcome_is_not_hidden_behind_a_stronger_outcome() -> None:
    """Issue 12, problem 4: adding a null RCT on the critical outcome must not switch the headline
    (and the path) to another outcome; SPARQL and networkx agree on the edge."""
    from ldngraph.evidence.paths import find_paths, get_bodies, to_networkx
    from ldngraph.evidence.score import materialise
    from ldngraph.pipeline import Built
    from ldngraph.rdf.build import to_graph
    from ldngraph.stores.query import run_query

    sleep = Entity(
        id="LDNO:sleep", label="sleep", kind=EntityKind.outcome, outcome_kind=OutcomeKind.subjective
    )
    sleepers = [trial(f"sleep-{i}", 10 + i, n=300) for i in range(6)]  # six positive trials, no estimates
    base = corpus([trial("null-rct", 1, n=400, est=(-0.1, -0.4, 0.2)), *sleepers], [("null-rct", "refutes")])
    sleep_claim = Claim(
        id="c-sleep",
        subject="CHEBI:7465",
        predicate="in_clinical_trials_for",
        object="MESH:D005356",
        qualifiers={"outcome": "LDNO:sleep"},
        statement="LDN improves sleep",
        evidence=tuple(
            EvidenceItem(study=s.id, direction="supports", outcome="LDNO:sleep") for s in sleepers
        ),
    )
    kb = base.model_copy(update={"entities": (*ENTITIES, sleep), "claims": (*base.claims, sleep_claim)})
    report = score_knowledge_base(kb, P)
    assert report.claims["c-sleep"].strength > report.claims["c"].strength
    built = Built(kb=kb, graph=materialise(to_graph(kb), kb, report), scores=report)
    graph = to_networkx(built)
    (direct,) = [p for p in find_paths(graph, "CHEBI:7465", "MESH:D005356") if p.hops == 1]
    assert direct.claim_ids == ("c",) and direct.strength == report.claims["c"].strength
    bodies = get_bodies(graph, "CHEBI:7465", "MESH:D005356")
    assert [(b.outcome, b.conclusion) for b in bodies] == [
        (PAIN, "little_or_no_effect"),
        ("LDNO:sleep", "benefit"),  # six of six trials favour LDN: sign test p = 0.03
    ]
    rows = run_query(built.graph, "paths_to_condition", {}).to_records()
    assert [r["strength"] for r in rows if r["hops"] == 1] == [direct.strength]


def test_certainty_starts_from_the_design_behind_the_conclusion() -> None:
    """Before/after studies alone start low and are at serious risk of bias (no concurrent control);
    beside a randomised trial they neither dilute nor add: the RCT level is the evidence."""
    prepost = [
        Study(
            id=f"pp{i}",
            label=f"pp{i}",
            design="pre_post",
            population="human",
            n=300,
            year=2015,
            controlled=False,
            blinded=True,
            publications=(f"PMID:{10 + i}",),
        )
        for i in range(6)
    ]
    items = [(s.id, "supports") for s in prepost]
    alone = next(iter(build_bodies(corpus(prepost, items), P).values()))
    assert alone.start is Certainty.low and alone.conclusion == "benefit"  # six of six, direction only
    assert "risk_of_bias" in [d.code for d in alone.downgrades] and alone.certainty is Certainty.very_low
    kb = corpus([*prepost, trial("null", 1, n=400, est=(-0.1, -0.4, 0.2))], [*items, ("null", "refutes")])
    body = next(iter(build_bodies(kb, P).values()))
    assert body.start is Certainty.high and body.conclusion == "little_or_no_effect"
    assert body.synthesis.basis == "estimate" and body.participants == 6 * 300 + 400
