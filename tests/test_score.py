"""The evidence model: one test per scoring rule, expected values computed from the profile."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from ldngraph.errors import ProfileError
from ldngraph.evidence.score import (
    REASON_CODES,
    Certainty,
    ClaimScore,
    Profile,
    combine,
    get_disagreement,
    materialise,
    profile_iri,
    quantise,
    read_profile,
    score_claim,
    score_knowledge_base,
)
from ldngraph.locations import get_data_dir
from ldngraph.model import (
    Claim,
    Design,
    Entity,
    EntityKind,
    EvidenceItem,
    KnowledgeBase,
    OutcomeKind,
    Publication,
    Study,
    StudyOutcome,
)
from ldngraph.pipeline import load
from ldngraph.rdf.build import to_graph
from ldngraph.rdf.vocab import LDN, claim_iri

PROFILE_PATH = get_data_dir() / "evidence-profile.yaml"
P = read_profile(PROFILE_PATH)

ENTITIES = (
    Entity(id="CHEBI:7465", label="LDN", kind=EntityKind.intervention),
    Entity(id="MESH:D005356", label="fibromyalgia", kind=EntityKind.condition),
    Entity(id="LDNO:pain", label="pain", kind=EntityKind.outcome, outcome_kind=OutcomeKind.subjective),
    Entity(id="LDNO:crp", label="CRP", kind=EntityKind.outcome, outcome_kind=OutcomeKind.objective),
)


def pub(pid: int, status: str = "verified", *, retracted: bool = False) -> Publication:
    extra: dict[str, Any] = {} if status == "unresolved" else {"title": "t", "sources": ["https://x.org"]}
    return Publication(id=f"PMID:{pid}", pmid=str(pid), status=status, retracted=retracted, **extra)


def study(sid: str, design: str = "rct", pid: int = 1, **kw: Any) -> Study:
    human = design not in {"animal", "in_vitro", "commentary"}
    defaults: dict[str, Any] = {
        "population": "human" if human else {"animal": "animal", "in_vitro": "cell"}.get(design, "none"),
        "n": 40 if human else None,
        "randomised": True,
        "controlled": True,
        "blinded": True,
    }
    defaults.update(kw)
    return Study(id=sid, label=sid, design=design, publications=(f"PMID:{pid}",), **defaults)


def ev(sid: str, direction: str = "supports", outcome: str | None = "LDNO:pain", **kw: Any) -> EvidenceItem:
    return EvidenceItem(study=sid, direction=direction, outcome=outcome, **kw)


def score(
    studies: list[Study],
    items: list[EvidenceItem],
    pubs: list[Publication] | None = None,
    prof: Profile = P,
) -> ClaimScore:
    """Score one claim whose evidence is ``items``; the knowledge base holds ``studies``. The claim
    is about the items' outcome when they share one (its body then has estimates to read)."""
    outcomes = {i.outcome for i in items}
    claim = Claim(
        id="c",
        subject="CHEBI:7465",
        predicate="in_clinical_trials_for",
        object="MESH:D005356",
        qualifiers={"outcome": outcomes.pop()} if len(outcomes) == 1 else {},
        statement="s",
        evidence=tuple(items),
    )
    pids = {p for s in studies for p in s.publications}
    known = {p.id: p for p in pubs or []}
    allpubs = [known.get(p) or pub(int(p.split(":")[1])) for p in sorted(pids)]
    kb = KnowledgeBase(
        entities=ENTITIES, publications=tuple(allpubs), studies=tuple(studies), claims=(claim,)
    )
    return score_claim(claim, kb, prof)


def size(n: int) -> float:
    s = P.sample_size
    return s.floor + (1 - s.floor) * n / (n + s.half_n)


# -- profile ---------------------------------------------------------------------------------------


def test_shipped_profile_is_versioned_and_complete() -> None:
    assert P.version
    assert set(P.base_weights) == set(Design)
    assert set(P.certainty.start) == set(Design)


def _write_profile(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(PROFILE_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["base_weights"].__setitem__("rct", 1.5), "base_weights.rct"),
        (lambda d: d["base_weights"].pop("animal"), "animal"),
        (lambda d: d["indirectness"].__setitem__("cell", -0.1), "cell"),
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.__setitem__("version", "2024 beta"), "version: '2024 beta' is not a safe version label"),
        (lambda d: d.__setitem__("version", "v1/../x"), "version: 'v1/../x' is not a safe version label"),
        (lambda d: d.__setitem__("version", "-1"), "version: '-1' is not a safe version label"),
        (lambda d: d.__setitem__("version", ""), "version: '' is not a safe version label"),
        (lambda d: d.__setitem__("version", [1, 2]), "version: must be a label such as"),
        (lambda d: d.__setitem__("version", True), "version: must be a label such as"),
        (lambda d: d["paths"].__setitem__("max_hops", 4), "paths.max_hops: 4 is not 1, 2 or 3"),
        (lambda d: d["modifiers"].pop("uncontrolled"), "modifiers.uncontrolled"),
        (lambda d: d["paths"].__setitem__("hop_penalty", 2), "hop_penalty"),
        (lambda d: d["certainty"]["start"].__setitem__("rct", "great"), "certainty.start.rct"),
    ],
)
def test_bad_profile_names_file_and_field(tmp_path: Path, change: Any, field: str) -> None:
    path = _write_profile(tmp_path, change)
    with pytest.raises(ProfileError) as err:
        read_profile(path)
    assert str(path) in str(err.value) and field in str(err.value)


@pytest.mark.parametrize(("written", "version"), [("2024.10", "2024.10"), ("7", "7"), ("2.0e1", "2.0e1")])
def test_unquoted_numeric_version_is_kept_as_written(tmp_path: Path, written: str, version: str) -> None:
    """YAML would read `version: 2024.10` as the float 2024.1; the profile keeps the text as written."""
    text = PROFILE_PATH.read_text(encoding="utf-8")
    path = tmp_path / "profile.yaml"
    path.write_text(re.sub(r"(?m)^version: .*$", f"version: {written}", text), encoding="utf-8")
    assert read_profile(path).version == version


def test_safe_profile_version_serialises(mini_dir: Path, tmp_path: Path) -> None:
    """Every character the version pattern allows survives the profile IRI in Turtle."""
    path = _write_profile(tmp_path, lambda d: d.__setitem__("version", "2024.1-rc_2"))
    built = load(mini_dir, profile=path)
    parsed = Graph().parse(data=built.graph.serialize(format="turtle"), format="turtle")
    prof = read_profile(path)
    iri = profile_iri("2024.1-rc_2", prof.content_hash)
    assert (iri, LDN.profileVersion, Literal("2024.1-rc_2")) in parsed


def test_profile_not_utf8_names_file_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(PROFILE_PATH.read_bytes().replace(b"# Evidence profile", b"# \xc9vidence profile", 1))
    with pytest.raises(
        ProfileError, match=r"latin1\.yaml: not valid UTF-8 \(byte offset 2\); save the file as UTF-8"
    ):
        read_profile(path)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  rct: 0.75\n", "  rct: 0.75\n  rct: 0.2\n", "rct"),  # the last value would win silently
        ('version: "2026.1"\n', 'version: "2026.1"\nversion: "2026.2"\n', "version"),
        ("  max_hops: 3\n", "  max_hops: 3\n  max_hops: 1\n", "max_hops"),
    ],
)
def test_profile_duplicate_key_is_refused(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = PROFILE_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "dup.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text.replace(old, new, 1).splitlines().index(new.splitlines()[-1]) + 1
    with pytest.raises(ProfileError, match=rf"dup\.yaml:{line}: duplicate key '{key}'"):
        read_profile(path)


def test_profile_yaml_syntax_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"p\.yaml"):
        read_profile(bad)
    with pytest.raises(ProfileError, match="cannot read"):
        read_profile(tmp_path / "missing.yaml")


# -- item weights ----------------------------------------------------------------------------------


def test_base_weight_times_sample_size() -> None:
    s = score([study("a", n=40)], [ev("a")])
    assert s.items[0].weight == quantise(P.base_weights[Design.rct] * size(40))


def test_missing_n_is_imprecise() -> None:
    s = score([study("a", n=None)], [ev("a")])
    assert s.items[0].weight == quantise(P.base_weights[Design.rct] * P.sample_size.missing_n)


def test_unblinded_subjective_outcome_is_at_risk_of_bias() -> None:
    s = score([study("a", blinded=False)], [ev("a")])
    expected = P.base_weights[Design.rct] * size(40) * P.modifiers.unblinded_subjective.multiplier
    assert s.items[0].weight == quantise(expected)
    assert "risk_of_bias" in s.items[0].flags
    objective = score([study("a", blinded=False)], [ev("a", outcome="LDNO:crp")])
    assert objective.items[0].weight == quantise(P.base_weights[Design.rct] * size(40))


def test_blinding_not_reported_with_subjective_outcome() -> None:
    s = score([study("a", blinded=None)], [ev("a")])
    expected = P.base_weights[Design.rct] * size(40) * P.modifiers.blinding_unknown_subjective.multiplier
    assert s.items[0].weight == quantise(expected)


def test_study_outcome_kind_overrides_entity_kind() -> None:
    outs = (StudyOutcome(outcome="LDNO:pain", kind=OutcomeKind.objective, effect="improved"),)
    s = score([study("a", blinded=False, outcomes=outs)], [ev("a")])
    assert s.items[0].weight == quantise(P.base_weights[Design.rct] * size(40))


def test_uncontrolled_applies_only_where_design_expects_a_control() -> None:
    kw = {"design": "retrospective_cohort", "controlled": False, "randomised": False}
    s = score([study("a", **kw)], [ev("a", outcome="LDNO:crp")])
    expected = P.base_weights[Design.retrospective_cohort] * size(40) * P.modifiers.uncontrolled.multiplier
    assert s.items[0].weight == quantise(expected)
    pre = score([study("a", design="pre_post", controlled=False)], [ev("a", outcome="LDNO:crp")])
    assert pre.items[0].weight == quantise(P.base_weights[Design.pre_post] * size(40))


def test_non_randomised_rct_label() -> None:
    s = score([study("a", randomised=False)], [ev("a", outcome="LDNO:crp")])
    expected = P.base_weights[Design.rct] * size(40) * P.modifiers.non_randomised.multiplier
    assert s.items[0].weight == quantise(expected)


def test_indirectness_multipliers_multiply() -> None:
    mouse = score([study("m", design="animal")], [ev("m", outcome=None)])
    assert mouse.items[0].weight == quantise(P.base_weights[Design.animal] * P.indirectness.animal)
    assert mouse.items[0].flags == ("indirectness",)
    cells = score([study("c", design="in_vitro")], [ev("c", outcome=None)])
    assert cells.items[0].weight == quantise(P.base_weights[Design.in_vitro] * P.indirectness.cell)
    both = score(
        [study("a", indirectness=("different_dose",))],
        [ev("a", outcome="LDNO:crp", indirectness=("co_intervention", "different_dose"))],
    )
    ind = P.indirectness
    expected = P.base_weights[Design.rct] * size(40) * ind.different_dose * ind.co_intervention
    assert both.items[0].weight == quantise(expected)


def test_unresolved_citation_discounted_and_flagged() -> None:
    s = score([study("a")], [ev("a", outcome="LDNO:crp")], pubs=[pub(1, "unresolved")])
    expected = P.base_weights[Design.rct] * size(40) * P.citation_status[pub(1, "unresolved").status]
    assert s.items[0].weight == quantise(expected)
    matched = score([study("a")], [ev("a", outcome="LDNO:crp")], pubs=[pub(1, "content_match")])
    assert "unverified_citation" in matched.items[0].flags


def test_retracted_evidence_is_excluded() -> None:
    s = score(
        [study("a", pid=1), study("b", pid=2, n=10)],
        [ev("a"), ev("b")],
        pubs=[pub(1, retracted=True), pub(2)],
    )
    assert s.items[0].excluded == "retracted" and s.items[0].weight == 0.0
    assert s.support == s.items[1].weight
    assert "retracted" in s.reasons


# -- claim masses ----------------------------------------------------------------------------------


def test_noisy_or_strength_and_disagreement() -> None:
    s = score(
        [study("a"), study("b", pid=2, n=90), study("c", pid=3)], [ev("a"), ev("b"), ev("c", "refutes")]
    )
    wa, wb, wc = (i.weight for i in s.items)
    assert s.support == quantise(1 - (1 - wa) * (1 - wb))
    assert s.refute == quantise(wc)
    assert s.strength == quantise((1 - (1 - wa) * (1 - wb)) * (1 - wc))
    sup, ref = 1 - (1 - wa) * (1 - wb), wc
    assert s.disagreement == quantise(2 * min(sup, ref) / (sup + ref))
    assert get_disagreement(0.0, 0.0) == 0.0


def test_one_study_counts_once_per_direction() -> None:
    s = score([study("a")], [ev("a"), ev("a", outcome="LDNO:crp")])
    assert s.support == max(i.weight for i in s.items)
    assert len(s.units) == 1


def test_review_adds_nothing_on_top_of_covered_primaries() -> None:
    """A review whose count is unknown adds at most what its primaries do not already carry."""
    review = study("r", design="meta_analysis", pid=9, n=None, summarises=("a", "b"))
    prims = [study("a"), study("b", pid=2, n=90)]
    s = score([*prims, review], [ev("a"), ev("b"), ev("r")])
    wa, wb, wr = (i.weight for i in s.items)
    assert s.support == quantise(max(wr, 1 - (1 - wa) * (1 - wb)))


def test_expert_opinion_never_adds_on_top_of_studies() -> None:
    """A narrative review is expert opinion: it counts only where no human study does."""
    review = study("r", design="narrative_review", pid=9, population="human")
    s = score([study("a"), review], [ev("a"), ev("r")])
    assert s.items[0].weight > s.items[1].weight and s.support == s.items[0].weight  # max, not noisy-or
    alone = score([review], [ev("r", outcome=None)])
    assert alone.support == alone.items[0].weight > 0 and not alone.holds  # no human evidence


def test_reviews_never_add_weight_for_trials_the_graph_cannot_name() -> None:
    """v3 (issue 21): systematic reviews and meta-analyses inform a body; they are never units."""
    r1 = study("r1", design="systematic_review", pid=8, n=None, summarises=("a",))
    r2 = study("r2", design="meta_analysis", pid=9, n=300, summarises=("a",))
    s = score([study("a"), r1, r2], [ev("r1"), ev("r2")])
    assert s.support == 0.0 and s.units == () and "no_supporting_evidence" in s.reasons
    alone = score([study("r", design="systematic_review", pid=9, n=200)], [ev("r")])
    assert alone.support == 0.0 and alone.conclusion == "uncertain" and not alone.holds


# -- certainty -------------------------------------------------------------------------------------


def crp(value: float, lo: float, hi: float) -> tuple[StudyOutcome, ...]:
    """A CRP difference (no MID declared for it: only the null is judged)."""
    est = {
        "measure": "md",
        "value": value,
        "ci_lower": lo,
        "ci_upper": hi,
        "scale": "CRP mg/L",
        "lower_is_better": True,
        "source": "https://x.org",
    }
    effect = "improved" if hi < 0 else "no_effect"
    return (StudyOutcome(outcome="LDNO:crp", kind=OutcomeKind.objective, effect=effect, estimate=est),)


def test_large_blinded_rct_with_objective_outcome_is_high() -> None:
    n = P.certainty.imprecision.serious_below_n
    s = score([study("a", n=n, outcomes=crp(-2.0, -3.0, -1.0))], [ev("a", outcome="LDNO:crp")])
    assert s.conclusion == "benefit" and s.certainty is Certainty.high and s.reasons == ()
    assert s.basis == "estimate" and s.magnitude == "unknown"  # no MID for CRP: size not judged


@pytest.mark.parametrize("levels", [1, 2])
def test_imprecision_downgrades(levels: int) -> None:
    imp = P.certainty.imprecision
    n = imp.serious_below_n - 1 if levels == 1 else imp.very_serious_below_n - 1
    s = score([study("a", n=n, outcomes=crp(-2.0, -3.0, -1.0))], [ev("a", outcome="LDNO:crp")])
    assert s.certainty is Certainty.from_rank(Certainty.high.rank - levels)
    assert s.reasons == ("imprecision",)


def test_risk_of_bias_downgrade() -> None:
    n = P.certainty.imprecision.serious_below_n
    outs = (
        StudyOutcome(
            outcome="LDNO:pain",
            kind=OutcomeKind.subjective,
            effect="improved",
            estimate={
                "measure": "md",
                "value": -2.0,
                "ci_lower": -3.0,
                "ci_upper": -1.0,
                "scale": "pain score",
                "lower_is_better": True,
                "source": "https://x.org",
            },
        ),
    )
    s = score([study("a", n=n, blinded=False, outcomes=outs)], [ev("a")])
    assert s.reasons == ("risk_of_bias",) and s.certainty is Certainty.moderate


def test_inconsistency_downgrade() -> None:
    """Two large trials whose CRP differences do not overlap and sit on both sides of the null."""
    n = P.certainty.imprecision.serious_below_n
    s = score(
        [
            study("a", n=n, outcomes=crp(-2.0, -2.5, -1.5)),
            study("b", pid=2, n=n, outcomes=crp(1.0, 0.5, 1.5)),
        ],
        [ev("a", outcome="LDNO:crp"), ev("b", "refutes", "LDNO:crp")],
    )
    inc = next(d for d in s.downgrades if d.domain == "inconsistency")
    assert inc.levels == 2 and "I^2" in inc.explanation and "both sides of the null" in inc.explanation


def test_indirectness_downgrades_and_citation_status_does_not() -> None:
    n = P.certainty.imprecision.serious_below_n
    s = score(
        [study("a", n=n, indirectness=("different_isomer",), outcomes=crp(-2.0, -3.0, -1.0))],
        [ev("a", outcome="LDNO:crp")],
        pubs=[pub(1, "content_match")],
    )
    assert set(s.reasons) == {"indirectness"} and s.certainty is Certainty.moderate
    assert s.citation_flags and "unverified_citation" in s.citation_flags[0]  # a flag beside the grade


def test_no_supporting_evidence_has_a_reason() -> None:
    n = P.certainty.imprecision.serious_below_n
    s = score([study("a", n=n, outcomes=crp(0.0, -0.3, 0.3))], [ev("a", "refutes", "LDNO:crp")])
    # a large blinded null RCT: its CI includes the null and no MID is declared for CRP, so v3
    # cannot call it "little or no effect" (an unknown effect is not a small one): uncertain
    assert s.support == 0.0 and s.conclusion == "uncertain"
    assert not s.holds and s.path_certainty is Certainty.very_low
    assert "no_supporting_evidence" in s.reasons


def test_shipped_claims_without_support_carry_the_reason() -> None:
    from ldngraph.pipeline import load

    built = load()
    scores = built.scores.claims
    assert "no_supporting_evidence" in scores["ldn-improves-fatigue-fibromyalgia"].reasons  # audit case
    for cid, claim_score in scores.items():
        # v3: support is what counted units carry; a review with an unknown inclusion list only
        # informs (issue 21), so a claim backed by such reviews alone has no supporting evidence.
        counted = [i for i in claim_score.items if i.excluded is None]
        unsupported = claim_score.support == 0
        assert ("no_supporting_evidence" in claim_score.reasons) == unsupported, cid
        if any(i.direction.value == "supports" for i in counted) and unsupported:
            backing = {i.study for i in counted if i.direction.value == "supports"}
            assert all(built.kb.study_index[s].review is not None for s in backing), cid
        assert set(claim_score.reasons) <= set(REASON_CODES), cid


def test_preclinical_and_theoretical_only() -> None:
    mouse = score([study("m", design="animal")], [ev("m", outcome=None)])
    assert mouse.certainty is Certainty.very_low and "preclinical_only" in mouse.reasons
    talk = score([study("t", design="commentary")], [ev("t", outcome=None)])
    assert talk.certainty is Certainty.very_low and talk.reasons == ("theoretical_only",)
    assert talk.tier == "theoretical" and mouse.tier == "preclinical"


def test_every_score_carries_version_and_trace() -> None:
    s = score([study("a")], [ev("a")])
    assert s.profile_version == P.version and s.profile_hash == P.content_hash
    assert s.trace[0] == f"profile {P.version}+{P.content_hash}"
    assert any("strength" in line for line in s.trace)


# -- properties ------------------------------------------------------------------------------------

designs = st.sampled_from(list(Design))
flags = st.sampled_from([True, False, None])
studies = st.builds(
    lambda d, n, b, c, r: study("s", design=d.value, n=n, blinded=b, controlled=c, randomised=r),
    designs,
    st.one_of(st.none(), st.integers(1, 5000)),
    flags,
    flags,
    flags,
)
# A body: studies with a direction each, plus review links (i summarises j) among them.
bodies = st.tuples(
    st.lists(st.tuples(studies, st.sampled_from(["supports", "refutes"])), min_size=2, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=4),
)


def _kb_studies(body: tuple[list[tuple[Study, str]], list[tuple[int, int]]]) -> list[Study]:
    entries, links = body
    out = []
    for i, (s, _) in enumerate(entries):
        refs = tuple(sorted({f"s{j}" for k, j in links if k == i and j != i and j < len(entries)}))
        update = {"id": f"s{i}", "publications": (f"PMID:{i + 1}",), "summarises": refs}
        out.append(s.model_copy(update=update))
    return out


def _score_prefix(body: tuple[list[tuple[Study, str]], list[tuple[int, int]]], upto: int) -> ClaimScore:
    """Evidence from the first ``upto`` studies; the knowledge base holds all of them."""
    sts = _kb_studies(body)
    return score(sts, [ev(s.id, d) for s, (_, d) in zip(sts[:upto], body[0], strict=False)])


@settings(max_examples=80, deadline=None)
@given(bodies)
def test_adding_a_supporting_study_never_lowers_support(body: Any) -> None:
    entries = body[0]
    entries[-1] = (entries[-1][0], "supports")
    # Scores keep 6 decimals, so the sum may move by one unit in the last place.
    assert _score_prefix(body, len(entries)).support >= _score_prefix(body, len(entries) - 1).support - 2e-6


@settings(max_examples=80, deadline=None)
@given(bodies, st.integers(1, 5000))
def test_an_independent_supporting_trial_never_lowers_certainty_of_benefit(body: Any, n: int) -> None:
    """Issue 12: a blinded RCT that no review can include (published after every review) never
    lowers the certainty of a 'benefit' conclusion, and every score stays in [0, 1]."""
    sts = [s.model_copy(update={"year": 2000}) for s in _kb_studies(body)]
    items = [ev(s.id, d) for s, (_, d) in zip(sts, body[0], strict=True)]
    before = score(sts, items)
    trial = study("new", pid=99, n=n, year=2030)
    after = score([*sts, trial], [*items, ev("new")])
    for sc in (before, after):
        assert all(0.0 <= v <= 1.0 for v in (sc.support, sc.refute, sc.strength, sc.disagreement))
    if before.conclusion == "benefit":
        assert after.conclusion == "benefit"
        assert after.certainty.rank >= before.certainty.rank, after.trace


@settings(max_examples=80, deadline=None)
@given(bodies)
def test_adding_a_refuting_study_never_raises_strength(body: Any) -> None:
    entries = body[0]
    entries[-1] = (entries[-1][0], "refutes")
    # As above: 6-decimal rounding of a review's stand-in may move the result by one last-place unit.
    assert _score_prefix(body, len(entries)).strength <= _score_prefix(body, len(entries) - 1).strength + 2e-6


@settings(max_examples=60, deadline=None)
@given(studies, st.integers(1, 10_000), st.integers(0, 10_000))
def test_more_participants_never_lower_an_item_weight(s: Study, n: int, more: int) -> None:
    small = score([s.model_copy(update={"n": n})], [ev(s.id)])
    large = score([s.model_copy(update={"n": n + more})], [ev(s.id)])
    assert large.items[0].weight >= small.items[0].weight


@settings(max_examples=80, deadline=None)
@given(bodies)
def test_scores_stay_in_unit_interval(body: Any) -> None:
    s = _score_prefix(body, len(body[0]))
    for value in (s.support, s.refute, s.strength, s.disagreement, *(i.weight for i in s.items)):
        assert 0.0 <= value <= 1.0 and not math.isnan(value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=6), st.floats(0, 1))
def test_combine_is_monotone(weights: list[float], extra: float) -> None:
    assert combine([*weights, extra]) >= combine(weights) - 1e-12


# -- graph -----------------------------------------------------------------------------------------


def test_materialise_adds_contract_triples(mini_dir: Path) -> None:
    built = load(mini_dir)
    claim = built.kb.claim_index["ldn-pain"]
    node = claim_iri(claim)
    s = built.scores.claims["ldn-pain"]
    g = built.graph
    assert g.value(node, LDN.strength) == Literal(s.strength, datatype=Literal(0.5).datatype)
    assert str(g.value(node, LDN.certainty)) == s.certainty.value
    assert {str(r) for r in g.objects(node, LDN.reason)} == set(s.reasons)
    assert str(g.value(node, LDN.profileVersion)) == P.version
    weights = [
        float(w) for ev_node in g.objects(node, LDN.hasEvidence) for w in g.objects(ev_node, LDN.weight)
    ]
    assert sorted(weights) == sorted(i.weight for i in s.items)


def test_materialise_does_not_mutate_and_round_trips(mini_dir: Path) -> None:
    built = load(mini_dir)
    before = built.kb.model_dump()
    report = score_knowledge_base(built.kb, P)
    g = materialise(to_graph(built.kb), built.kb, report)
    assert built.kb.model_dump() == before
    assert isomorphic(Graph().parse(data=g.serialize(format="turtle"), format="turtle"), g)


def test_load_takes_a_profile_path(mini_dir: Path, tmp_path: Path) -> None:
    path = _write_profile(tmp_path, lambda d: d.__setitem__("version", "test-9"))
    built = load(mini_dir, profile=path)
    assert {s.profile_version for s in built.scores.claims.values()} == {"test-9"}
