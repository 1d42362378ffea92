"""Issue 21 acceptance: one principle test per rule of evidence model v3, each on a small fixture
(tests/resources/v3/), each failing on the v2 code (docs/grade-v3-table.md records the run).

Fixtures are read with the curated-data loader (the same files work with v2's), so a v2 checkout
fails these tests on the principle, not on a missing file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ldngraph.errors import DataError
from ldngraph.evidence.bodies import OutcomeBody, build_bodies
from ldngraph.evidence.claims import score_knowledge_base
from ldngraph.evidence.profile import Certainty, read_profile
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.locations import get_data_dir
from ldngraph.model import KnowledgeBase

V3 = Path(__file__).parent / "resources" / "v3"
P = read_profile(get_data_dir() / "evidence-profile.yaml")


def load(name: str, tmp_path: Path, edit: Callable[[Path], None] | None = None) -> KnowledgeBase:
    """The fixture ``name``: shared entities and publications plus its own studies and claims."""
    where = tmp_path / name
    where.mkdir(parents=True)
    for shared in ("entities.yaml", "publications.yaml"):
        shutil.copy(V3 / shared, where / shared)
    for own in (V3 / name).iterdir():
        shutil.copy(own, where / own.name)
    if edit is not None:
        edit(where)
    return read_knowledge_base(where)


def only_body(kb: KnowledgeBase, profile: Any = P) -> OutcomeBody:
    (body,) = build_bodies(kb, profile).values()
    return body


def with_study(kb: KnowledgeBase, sid: str, **update: Any) -> KnowledgeBase:
    """``kb`` with study ``sid`` changed (validated again, so enums stay enums)."""
    studies = tuple(
        type(s).model_validate({**s.model_dump(), **update}) if s.id == sid else s for s in kb.studies
    )
    return kb.model_copy(update={"studies": studies})


def without_study(kb: KnowledgeBase, sid: str) -> KnowledgeBase:
    claims = tuple(
        c.model_copy(update={"evidence": tuple(e for e in c.evidence if e.study != sid)}) for c in kb.claims
    )
    return kb.model_copy(update={"studies": tuple(s for s in kb.studies if s.id != sid), "claims": claims})


# -- rule 1: estimate-first conclusions against the null and the MID -----------------------------


def effect_of(kb: KnowledgeBase, body: OutcomeBody) -> Any:
    """The body's effect through the API v2 also has (so a v2 run fails on the principle)."""
    from ldngraph.evidence.effects import summarise_body

    return summarise_body(kb, body)


def test_rule1_conclusion_comes_from_the_estimate_against_the_mid(tmp_path: Path) -> None:
    beyond_kb = load("estimate-benefit", tmp_path)
    beyond = only_body(beyond_kb)
    pooled = effect_of(beyond_kb, beyond).pooled
    assert pooled is not None and pooled.ci_upper < -1.0  # wholly beyond the MID of 1 point
    assert beyond.conclusion == "benefit"
    inside_kb = load("estimate-small", tmp_path)
    inside = only_body(inside_kb)
    pooled = effect_of(inside_kb, inside).pooled
    assert pooled is not None and pooled.ci_lower > -1.0 and pooled.ci_upper < 0  # inside the MIDs
    assert inside.conclusion == "little_or_no_effect"  # v2: "benefit" (both trials recorded improved)
    assert beyond.synthesis.magnitude == "important" and inside.synthesis.magnitude == "small_benefit"
    from ldngraph.evidence.summary import get_statement

    assert get_statement(inside, "pain") == "LDN slightly reduces pain."  # high certainty, Santesso
    # changing only the MID (1 point -> 0.25 point) moves the same estimate to an important benefit
    mid = P.mid["HP:0012531"].model_copy(update={"value": 0.25})
    smaller = P.model_copy(update={"mid": {**P.mid, "HP:0012531": mid}})
    moved = only_body(inside_kb, smaller)
    assert moved.conclusion == "benefit" and moved.synthesis.mid == 0.25
    assert smaller.content_hash != P.content_hash


# -- rule 2: a synthesis without meta-analysis only where no estimate exists ---------------------


def test_rule2_without_an_estimate_a_sign_test_by_direction_labelled_as_such(tmp_path: Path) -> None:
    kb = load("swim", tmp_path)
    # never vote counting by significance: three improvements and a null without estimates do not
    # make a benefit (3 of 3 clear directions, sign test p = 0.25)
    few = kb
    for sid in ("trial-4", "trial-5", "trial-6"):
        few = without_study(few, sid)
    small = only_body(few)
    assert small.conclusion == "uncertain"  # v2: "benefit" from a weighted vote
    assert small.synthesis.sign_test is not None and small.synthesis.sign_test.p_value == pytest.approx(0.25)
    body = only_body(kb)
    test = body.synthesis.sign_test
    assert body.synthesis.basis == "swim" and test is not None
    assert (len(test.favours_ldn), len(test.favours_comparator), test.unclear) == (6, 0, ("trial-7",))
    from scipy.stats import binomtest

    assert test.p_value == pytest.approx(binomtest(6, 6, 0.5).pvalue)  # 0.03125
    assert body.conclusion == "benefit" and body.synthesis.magnitude == "unknown"
    from ldngraph.evidence.summary import explain_lines, get_statement

    assert "direction of effect only" in get_statement(body, "pain")
    assert any("sign test p = 0.0312" in line for line in explain_lines(body))
    report = score_knowledge_base(kb, P)
    assert report.claims["ldn-pain"].basis == "swim" and "sign test" in (
        report.claims["ldn-pain"].effect or ""
    )


# -- rule 3: one estimate per study; a review's pooled result is never pooled again --------------


def test_rule3_two_scales_of_one_trial_never_pool_as_two_studies(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load("scales", tmp_path)
    message = str(err.value)
    assert "trial-1" in message and "outcomes[1].estimate" in message and "primary: true" in message
    assert len(message.splitlines()) == 1

    def mark_primary(where: Path) -> None:
        text = (where / "studies.yaml").read_text(encoding="utf-8")
        marked = text.replace(
            "          source: https://example.org/1\n      - outcome",
            "          source: https://example.org/1\n          primary: true\n      - outcome",
            1,
        )
        (where / "studies.yaml").write_text(marked, encoding="utf-8")

    body = only_body(load("scales", tmp_path / "marked", mark_primary))
    pooled = body.synthesis.effect.pooled
    assert pooled is not None and pooled.k == 1 and pooled.value == 0.62 and body.participants == 12
    from ldngraph.errors import SynthesisError
    from ldngraph.evidence.effects import get_study_effects, pool, to_study_effect

    trial = next(s for s in load("scales", tmp_path / "again", mark_primary).studies if s.id == "trial-1")
    both = [to_study_effect(trial, "LDNO:mood", o.estimate) for o in trial.outcomes if o.estimate]
    with pytest.raises(SynthesisError, match="would enter twice"):
        pool(both)
    assert len(get_study_effects([trial], "LDNO:mood")[0]) == 1


def test_rule3_a_reviews_pooled_result_is_never_pooled_again(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load("repool", tmp_path)
    assert "meta-a" in str(err.value) and "belongs in review.pooled" in str(err.value)

    def to_pooled(where: Path) -> None:  # the same numbers where v3 keeps them
        import yaml

        data = yaml.safe_load((where / "studies.yaml").read_text(encoding="utf-8"))
        for study in data["studies"]:
            if study["id"].startswith("meta-"):
                (row,) = study["outcomes"]
                study["review"]["pooled"] = [{"outcome": row["outcome"], "estimate": row.pop("estimate")}]
        (where / "studies.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    body = only_body(load("repool", tmp_path / "pooled", to_pooled))
    pooled = body.synthesis.effect.pooled
    assert body.synthesis.basis == "estimate" and pooled is not None and pooled.k == 1
    assert [e.study for e in body.synthesis.effect.studies] == ["trial-1"]
    assert sorted(r.review for r in body.synthesis.reviews) == ["meta-a", "meta-b"]
    assert body.studies == ("trial-1",) and body.participants == 99


def test_rule3_a_retracted_trials_review_is_flagged_and_not_used(tmp_path: Path) -> None:
    kb = load("retracted", tmp_path)
    pubs = tuple(p.model_copy(update={"retracted": p.id == "PMID:1"}) for p in kb.publications)
    kb = kb.model_copy(update={"publications": pubs})
    body = only_body(kb)
    assert effect_of(kb, body).status != "review"  # v2 showed the review's result as the body's effect
    (shown,) = body.synthesis.reviews
    assert shown.review == "meta-1" and not shown.used and not shown.usable
    assert shown.flag is not None and "trial-x (retracted)" in shown.flag
    assert body.synthesis.basis != "review" and body.synthesis.effect.status != "review"
    assert "trial-x" not in body.studies and body.participants == 60
    from ldngraph.evidence.summary import explain_lines

    assert any("not used" in line and "retracted" in line for line in explain_lines(body))


def test_rule3_when_the_bodys_estimate_is_a_minority_of_a_reviews_the_profile_chooses(tmp_path: Path) -> None:
    """The pilot fixture's own estimate (Bruun 2024, 99 participants) is under half of the 222
    Vatvani 2024 pooled: the body says so; the profile rule picks which estimate the conclusion
    rests on, and the review's result is never pooled with the trial either way."""
    kb = load("pilot", tmp_path)
    body = only_body(kb)
    assert body.synthesis.basis == "estimate" and body.synthesis.minority is not None
    assert "99 participants" in body.synthesis.minority and "222" in body.synthesis.minority
    assert body.synthesis.minority_of == ("vatvani2024", 99, 222)
    from ldngraph.present.sof import get_sof_table

    notes = get_sof_table(kb, P, body.condition).footnotes
    which = next(n for n in notes if n.startswith("Which estimate:"))  # in words (issue 23)
    assert "holds 99 participants, fewer than 50% of the 222 that" in which
    assert "the conclusion rests on the studies' own estimate" in which and "_" not in which
    rule = P.synthesis.model_copy(update={"minority_rule": "review"})
    review = only_body(kb, P.model_copy(update={"synthesis": rule}))
    pooled = review.synthesis.effect.pooled
    assert review.synthesis.basis == "review" and review.synthesis.review == "vatvani2024"
    assert pooled is not None and (pooled.value, pooled.ci_lower, pooled.ci_upper, pooled.k) == (
        -0.86,
        -1.2,
        -0.51,
        4,
    )
    assert review.synthesis.estimate_participants == 222 and review.participants == body.participants
    assert [e.study for e in review.synthesis.effect.studies] == ["vatvani2024"]  # not pooled with Bruun
    assert (
        review.conclusion == "benefit" and review.synthesis.magnitude == "unknown"
    )  # its scale is not named


# -- rule 4: honest counts -----------------------------------------------------------------------


def test_rule4_a_review_with_an_unknown_inclusion_list_adds_no_participants_or_studies(
    tmp_path: Path,
) -> None:
    kb = load("unknown-list", tmp_path)
    body = only_body(kb)
    assert body.studies == ("trial-1",) and body.participants == 50
    assert all(u.studies != ("review-1",) for u in body.units)
    (role,) = body.reviews
    assert role.review == "review-1" and role.inclusion == "unknown" and "informs" in role.note
    from ldngraph.present.sof import get_sof_table

    (row,) = get_sof_table(kb, P, "MESH:D005356").rows
    assert row.participants == 50 and row.studies == ("trial-1",)


def test_rule4_a_pilots_size_or_removal_cannot_move_the_body_through_unreported_participants(
    tmp_path: Path,
) -> None:
    kb = load("pilot", tmp_path)
    body = only_body(kb)
    identified = {s.id: s.n for s in kb.studies if s.id in body.studies}
    assert body.participants == sum(n or 0 for n in identified.values())  # no stand-ins
    assert not {"yang2023", "partridge2023", "vatvani2024", "rassimariani2024"} & set(body.studies)
    grown = only_body(with_study(kb, "younger2009", n=14))
    assert grown.participants == body.participants + 4
    assert (grown.conclusion, grown.certainty) == (body.conclusion, body.certainty)
    gone = only_body(without_study(kb, "younger2009"))
    assert gone.participants == body.participants - 10
    assert gone.conclusion == body.conclusion and gone.certainty.rank <= body.certainty.rank


# -- rule 5: GRADE domains from the body ---------------------------------------------------------


def test_rule5_considerable_unexplained_heterogeneity_costs_levels_with_the_numbers(tmp_path: Path) -> None:
    kb = load("heterogeneity", tmp_path)
    body = only_body(kb)
    pooled = effect_of(kb, body).pooled
    assert pooled is not None and pooled.i2 is not None and pooled.i2 >= 75
    inconsistency = next(d for d in body.judgements if d.domain == "inconsistency")
    assert inconsistency.levels >= 1  # v2: 0 (every trial found less pain: no "disagreement")
    assert f"I^2 {pooled.i2:.0f}%" in inconsistency.explanation and "tau^2" in inconsistency.explanation
    assert "prediction interval" in inconsistency.explanation
    from ldngraph.present.sof import get_sof_table

    table = get_sof_table(kb, P, "MESH:D005356")
    # the SoF footnote says it in GRADE's words, with the same I^2
    assert any(
        note.startswith("Downgraded") and "for inconsistency" in note and f"I² = {pooled.i2:.0f}%" in note
        for note in table.footnotes
    )


def test_rule5_risk_of_bias_some_concerns_only_where_it_can_bias_the_outcome(tmp_path: Path) -> None:
    kb = load("estimate-benefit", tmp_path)
    trial = next(s for s in kb.studies if s.id == "trial-1")
    assert trial.risk_of_bias is not None

    def concerns(domain: str) -> KnowledgeBase:
        rob = trial.risk_of_bias.model_dump()  # type: ignore[union-attr]
        rob["domains"][domain]["judgement"] = "some_concerns"
        return with_study(with_study(kb, "trial-1", risk_of_bias=rob), "trial-2", risk_of_bias=rob)

    method = next(d for d in only_body(concerns("randomisation")).judgements if d.domain == "risk_of_bias")
    assert method.levels == 0 and "not serious" in method.explanation
    blinding = next(d for d in only_body(concerns("measurement")).judgements if d.domain == "risk_of_bias")
    assert blinding.levels == 1
    # an uncontrolled before/after comparison is at high risk whatever its flags say
    uncontrolled = with_study(kb, "trial-1", controlled=False, randomised=False, design="pre_post")
    uncontrolled = with_study(uncontrolled, "trial-2", controlled=False, randomised=False, design="pre_post")
    rob = next(d for d in only_body(uncontrolled).judgements if d.domain == "risk_of_bias")
    assert rob.levels == 1 and "no concurrent comparison" in rob.explanation


def test_rule5_an_active_comparator_and_a_surrogate_outcome_are_indirect(tmp_path: Path) -> None:
    kb = load("estimate-benefit", tmp_path)
    proxy = P.model_copy(update={"surrogate_outcomes": {"HP:0012531": "a proxy in this test"}})
    ind = next(d for d in only_body(kb, proxy).judgements if d.domain == "indirectness")
    assert ind.levels == 1 and "surrogate outcome" in ind.explanation
    drug = {"kind": "active", "name": "amitriptyline", "source": "https://example.org/1"}
    active = with_study(with_study(kb, "trial-1", comparator=drug), "trial-2", comparator=drug)
    ind = next(d for d in only_body(active).judgements if d.domain == "indirectness")
    assert ind.levels == 1 and "active_comparator" in ind.explanation


# -- rule 6: preclinical and hypothesis bodies ---------------------------------------------------


def test_rule6_a_preclinical_body_says_no_human_evidence_and_its_claim_does_not_hold(tmp_path: Path) -> None:
    kb = load("preclinical", tmp_path)
    body = only_body(kb)
    assert body.conclusion == "no_human_evidence" and "preclinical_only" in body.notes
    from ldngraph.evidence.summary import get_statement

    assert get_statement(body, "insulin sensitivity").startswith("No human evidence")
    score = score_knowledge_base(kb, P).claims["ldn-insulin"]
    assert not score.holds and score.path_certainty is Certainty.very_low
    assert score.strength > 0  # a mechanistic edge keeps a strength for paths


# -- rule 7: exclusions for a sensitivity analysis -----------------------------------------------


def test_rule7_exclude_rob_high_removes_those_studies_everywhere_and_diff_shows_it(tmp_path: Path) -> None:
    from ldngraph.evidence.diff import compare
    from ldngraph.evidence.score import materialise
    from ldngraph.evidence.scored import from_graph
    from ldngraph.rdf.build import to_graph

    kb = load("exclude", tmp_path)
    strict = P.model_copy(update={"exclude": ("rob=high",)})  # what --exclude rob=high gives
    base, cut = only_body(kb), only_body(kb, strict)
    assert set(base.studies) == {"trial-1", "trial-2", "trial-high", "prepost-1"}
    assert cut.studies == ("trial-1", "trial-2") and cut.participants == 300
    assert sorted(cut.excluded) == ["prepost-1", "trial-high"]
    assert cut.synthesis.effect.pooled is not None and cut.synthesis.effect.pooled.k == 2
    assert base.synthesis.effect.pooled is not None and base.synthesis.effect.pooled.k == 3
    scores = score_knowledge_base(kb, strict)
    items = {i.study: i for i in scores.claims["ldn-pain"].items}
    assert items["trial-high"].excluded == "excluded (rob=high)" and items["trial-high"].weight == 0
    from ldngraph.present.sof import get_sof_table

    (row,) = get_sof_table(kb, strict, "MESH:D005356").rows
    assert row.participants == 300 and "trial-high" not in row.studies
    graphs = [materialise(to_graph(kb), kb, score_knowledge_base(kb, p)) for p in (P, strict)]
    diff = compare(from_graph(graphs[0], "all"), from_graph(graphs[1], "rob=high excluded"))
    kinds = {c.kind for c in diff.changes}
    assert {"body_estimate", "body_participants", "body_domain"} <= kinds
    part = next(c for c in diff.changes if c.kind == "body_participants")
    assert (part.before, part.after) == ("480", "300")
    assert P.content_hash != strict.content_hash
    assert P.with_exclusions(["rob=high"]).content_hash == strict.content_hash
    # the same from the command line: diff of the data against itself with the studies left out
    import json

    from click.testing import CliRunner

    from ldngraph.cli import cli

    data = tmp_path / "exclude"
    prof = get_data_dir() / "evidence-profile.yaml"
    args = ["diff", str(data), str(data), "--profile", str(prof), "--exclude", "rob=high", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    changes = {(c["kind"], c["detail"]): c for c in json.loads(result.stdout)["changes"]}
    assert (changes[("body_participants", "")]["before"], changes[("body_participants", "")]["after"]) == (
        "480",
        "300",
    )
    assert changes[("body_domain", "inconsistency")]["after"] == "0"
    assert any(kind == "body_estimate" for kind, _ in changes)
    sof = CliRunner().invoke(
        cli, ["sof", "--data", str(data), "--condition", "fibromyalgia", "--exclude", "rob=high"]
    )
    # the SoF names it in words (issue 23: no rule syntax in a footnote)
    assert sof.exit_code == 0
    assert "Not counted: trial-high trial: excluded (risk of bias high)" in sof.stdout.replace("\\", "")


# -- the profile hash follows every rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("synthesis.minority_rule", "review"),
        ("synthesis.sign_test_alpha", 0.1),
        ("exclude", ["rob=high"]),
        ("surrogate_outcomes", {"HP:0012531": "x"}),
        ("certainty.inconsistency.serious_i2", 40),
        ("risk_of_bias.serious_some_concerns", {"subjective": ["measurement"], "objective": []}),
        ("indirectness.active_comparator", 0.5),
        ("mid.HP:0012531.value", 0.5),
    ],
)
def test_the_profile_hash_changes_with_any_rule(path: str, value: Any) -> None:
    data = P.model_dump(mode="json")
    *parents, leaf = path.split(".") if not path.startswith("mid.") else ["mid", "HP:0012531", "value"]
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    changed = type(P).model_validate(data)
    assert changed.content_hash != P.content_hash


# -- the documentation quotes these fixtures ---------------------------------------------------------


def test_docs_worked_examples_match_the_code(tmp_path: Path) -> None:
    """docs/evidence-model.md quotes numbers of these fixtures; they must be what the code gives."""
    doc = " ".join((get_data_dir().parent / "docs" / "evidence-model.md").read_text(encoding="utf-8").split())
    assert f"`{P.identity}`" in doc

    def pooled(body: OutcomeBody) -> str:
        p = body.synthesis.effect.pooled
        assert p is not None
        return f"{p.value:.3g} (95% CI {p.ci_lower:.3g} to {p.ci_upper:.3g})"

    assert f"**{pooled(only_body(load('estimate-benefit', tmp_path)))}**" in doc
    small_kb = load("estimate-small", tmp_path)
    assert f"**{pooled(only_body(small_kb))}**" in doc
    swim = only_body(load("swim", tmp_path)).synthesis.sign_test
    assert swim is not None and f"**sign test p = {swim.p_value:.3g}**" in doc
    assert f"(95% CI {swim.ci_lower:.0%} to {swim.ci_upper:.0%})" in doc
    het = only_body(load("heterogeneity", tmp_path))
    p = het.synthesis.effect.pooled
    assert p is not None and p.i2 is not None and p.tau2 is not None and p.pi_lower is not None
    assert f"**I^2 {p.i2:.0f}%**, tau^2 {p.tau2:.3g}" in doc and f"from {p.pi_lower:.3g} to" in doc
    kb = load("exclude", tmp_path / "x")
    base, cut = only_body(kb), only_body(kb, P.with_exclusions(["rob=high"]))
    assert f"{base.participants} participants" in doc and f"**{cut.participants} participants**" in doc
    weight = next(e.weight for e in base.synthesis.effect.studies if e.study == "trial-high")
    assert weight is not None and f"**{weight:.0f}%** of the pool's weight" in doc
    pilot = only_body(load("pilot", tmp_path / "p"))
    assert f"{pilot.participants} participants in {len(pilot.studies)}" in doc


def test_rule5_registry_evidence_of_unpublished_or_withdrawn_trials(tmp_path: Path) -> None:
    """A registered trial of the condition that finished more than 12 months before its registry
    record was checked, with no results posted and no journal report, is an unpublished result (a
    level off a benefit); a withdrawn one is shown and costs nothing. Issue 25: without a completion
    date (the screening log's registry_status alone) the trial is shown as not judged."""
    from ldngraph.evidence.bodies import build_bodies
    from ldngraph.evidence.publication_bias import RegistryEntry

    kb = load("estimate-benefit", tmp_path)
    unpublished = RegistryEntry(
        id="t1",
        label="NCT-unpublished",
        condition="MESH:D005356",
        status="terminated",
        completion_date="2022-05",
        results_posted=False,
        checked="2024-01-15",
    )
    withdrawn = RegistryEntry(id="t2", label="NCT-withdrawn", condition="MESH:D005356", status="withdrawn")
    elsewhere = RegistryEntry(id="t3", label="NCT-other", condition="MESH:D007333", status="completed")

    def pub_bias(*registry: RegistryEntry) -> Any:
        (body,) = build_bodies(kb, P, registry=registry).values()
        return next(d for d in body.judgements if d.domain == "publication_bias"), body

    judged, body = pub_bias(unpublished, withdrawn, elsewhere)
    assert body.conclusion == "benefit" and judged.levels == 1
    assert "NCT-unpublished (terminated 2022-05, no results posted by 2024-01-15)" in judged.explanation
    assert "NCT-other" not in judged.explanation
    undated, _ = pub_bias(unpublished.model_copy(update={"completion_date": None}))
    assert undated.levels == 0 and "not judged: completion date unknown" in undated.explanation
    assert "withdrawn before results (nothing missing): NCT-withdrawn" in judged.explanation
    only_withdrawn, _ = pub_bias(withdrawn)
    assert only_withdrawn.levels == 0 and "NCT-withdrawn" in only_withdrawn.explanation
