"""Paths: the networkx view, path scoring, SPARQL agreement, and acceptance on the shipped data."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.errors import QueryError, UnknownEntityError
from ldngraph.evidence.paths import find_paths, get_max_hops, rank_conditions, to_networkx
from ldngraph.evidence.score import Certainty, read_profile
from ldngraph.locations import get_data_dir
from ldngraph.model import EntityKind
from ldngraph.pipeline import Built, load
from ldngraph.stores.query import run_query

MINI = Path(__file__).parent / "resources" / "mini"
PENALTY = read_profile(get_data_dir() / "evidence-profile.yaml").paths.hop_penalty


@cache
def shipped() -> Built:
    return load()


def _key(row: dict[str, object]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in ("source", "mid1", "mid2", "target") if row[k])


def _pairs(built: Built) -> list[tuple[str, str]]:
    kinds = {e.id: e.kind for e in built.kb.entities}
    return [
        (s, t)
        for s, ks in kinds.items()
        if ks is EntityKind.intervention
        for t, kt in kinds.items()
        if kt is EntityKind.condition
    ]


def test_parallel_claims_collapse_to_the_critical_outcome_not_the_strongest() -> None:
    """Issue 12: an intervention -> condition edge is the critical outcome's claim (no headline rests
    on a maximum over outcomes); other edges (mechanisms, no critical outcome) keep the strongest."""
    built = shipped()
    graph = to_networkx(built)
    scores = built.scores.claims
    entities = built.kb.entity_index
    seen_critical = 0
    for a, b, data in graph.edges(data=True):
        parallel = [c for c in built.kb.claims if (c.subject, c.object) == (a, b)]
        assert data["claim_ids"] == tuple(
            sorted(c.id for c in parallel if c.predicate.value != "well_tolerated_in")
        )
        assert data["strength"] == scores[data["claim"]].strength
        critical = entities[b].critical_outcome
        rep = built.kb.claim_index[data["claim"]]
        if critical and any(c.qualifiers.outcome == critical for c in parallel):
            assert rep.qualifiers.outcome == critical and scores[rep.id].critical
            seen_critical += 1
        else:
            assert data["strength"] == max(scores[c].strength for c in data["claim_ids"])
    assert seen_critical >= 5


def test_path_strength_is_product_times_penalty(mini_dir: Path) -> None:
    built = load(mini_dir)
    graph = to_networkx(built)
    paths = find_paths(graph, "LDN", "fibromyalgia")
    s = built.scores.claims
    two = next(p for p in paths if p.hops == 2)
    assert two.strength == pytest.approx(
        s["ldn-microglia"].strength * s["microglia-fibro"].strength * PENALTY
    )
    direct = next(p for p in paths if p.hops == 1)
    assert direct.strength == s["ldn-pain"].strength
    assert [p.strength for p in paths] == sorted((p.strength for p in paths), reverse=True)


def test_weakest_link_is_named_and_sets_certainty(mini_dir: Path) -> None:
    built = load(mini_dir)
    two = next(p for p in find_paths(to_networkx(built), "CHEBI:7465", "MESH:D005356") if p.hops == 2)
    ranks = {c: built.scores.claims[c].certainty for c in two.claim_ids}
    weakest = min(ranks.values(), key=lambda c: c.rank)
    assert two.certainty.rank <= weakest.rank
    assert ranks[two.weakest_link] == weakest
    assert "->" in two.weakest_link_label
    assert "PMID:111" in two.citations


def test_mechanistic_chain_never_raises_the_direct_grade(mini_copy: Path) -> None:
    # make the mechanism edges strong and well evidenced (six large human RCTs, all favouring LDN:
    # a sign test by direction of effect, p = 0.03), the direct clinical edge weak (uncertain)
    data = mini_copy
    studies = (data / "studies.yaml").read_text(encoding="utf-8")
    claims = (data / "claims.yaml").read_text(encoding="utf-8")
    rob = next(line for line in studies.splitlines(True) if "org/111, dom" in line)
    for i in range(6):
        studies += (
            f"  - id: big-{i}\n    label: Big {i}\n    design: rct\n    population: human\n    n: 900\n"
            "    randomised: true\n    controlled: true\n    blinded: true\n    publications: [PMID:111]\n"
            + rob  # a controlled human study needs its risk-of-bias block (issue 22)
        )
    bigs = "".join(f"      - study: big-{i}\n        direction: supports\n" for i in range(6))
    claims = claims.replace("      - study: cells-c\n        direction: supports\n", bigs)  # LDN -> microglia
    claims = claims.rstrip("\n") + "\n" + bigs  # microglia -> fibromyalgia, the last claim
    (data / "studies.yaml").write_text(studies, encoding="utf-8")
    (data / "claims.yaml").write_text(claims, encoding="utf-8")
    built = load(data)
    graph = to_networkx(built)
    direct = graph.edges["CHEBI:7465", "MESH:D005356"]["certainty"]
    for path in find_paths(graph, "LDN", "fibromyalgia", top_k=None):
        assert path.certainty.rank <= direct.rank
        assert path.certainty.rank <= min(c.rank for c in path.edge_certainties)
    chain = next(p for p in find_paths(graph, "LDN", "fibromyalgia") if p.hops == 2)
    assert min(c.rank for c in chain.edge_certainties) > direct.rank and chain.capped_by_direct


def test_bounds_and_unknown_names(mini_dir: Path) -> None:
    graph = to_networkx(load(mini_dir))
    assert [p.hops for p in find_paths(graph, "LDN", "fibromyalgia", max_hops=1)] == [1]
    assert len(find_paths(graph, "LDN", "fibromyalgia", top_k=1)) == 1
    with pytest.raises(UnknownEntityError, match="fibromyalgia"):
        find_paths(graph, "LDN", "fibromyalgiaa")


@pytest.mark.parametrize("hops", [0, 4, 6])
def test_max_hops_beyond_what_sparql_covers_is_refused(mini_dir: Path, hops: int) -> None:
    """networkx could list longer paths than queries/paths_to_condition.rq; the two must agree."""
    graph = to_networkx(load(mini_dir))
    with pytest.raises(QueryError, match=f"max_hops must be 1 to 3 \\(got {hops}\\)"):
        find_paths(graph, "LDN", "fibromyalgia", max_hops=hops)


def test_max_hops_default_comes_from_the_profile(mini_dir: Path, tmp_path: Path) -> None:
    text = (get_data_dir() / "evidence-profile.yaml").read_text(encoding="utf-8")
    profile = tmp_path / "one-hop.yaml"
    profile.write_text(text.replace("  max_hops: 3\n", "  max_hops: 1\n"), encoding="utf-8")
    built = load(mini_dir, profile=profile)
    graph = to_networkx(built)
    assert built.scores.max_hops == get_max_hops(graph) == 1
    assert [p.hops for p in find_paths(graph, "LDN", "fibromyalgia")] == [1]
    assert [p.hops for p in find_paths(graph, "LDN", "fibromyalgia", max_hops=2)] == [1, 2]
    graph.remove_edge("CHEBI:7465", "MESH:D005356")  # fibromyalgia now only through a mechanism
    assert rank_conditions(graph, "LDN") == []
    assert [r.condition for r in rank_conditions(graph, "LDN", max_hops=3)] == ["MESH:D005356"]
    shipped_default = to_networkx(load(mini_dir))
    assert (
        get_max_hops(shipped_default) == read_profile(get_data_dir() / "evidence-profile.yaml").paths.max_hops
    )
    assert [p.hops for p in find_paths(shipped_default, "LDN", "fibromyalgia")] == [1, 2]


@pytest.mark.parametrize("dataset", ["shipped", "mini"])
def test_every_path_agrees_with_sparql(dataset: str) -> None:
    built = shipped() if dataset == "shipped" else load(MINI)
    graph = to_networkx(built)
    rows = run_query(built.graph, "paths_to_condition", {}).to_records()
    sparql = {
        tuple(x for x in (r["source"], r["mid1"], r["mid2"], r["target"]) if x): r["strength"] for r in rows
    }
    nx_paths = {
        p.nodes: p.strength for s, t in _pairs(built) for p in find_paths(graph, s, t, max_hops=3, top_k=None)
    }
    assert set(sparql) == set(nx_paths)
    assert nx_paths


@pytest.mark.parametrize("max_hops", [1, 2, 3])
def test_profile_max_hops_bounds_sparql_and_networkx_alike(tmp_path: Path, max_hops: int) -> None:
    """paths.max_hops reaches the SPARQL twin through the profile node (ldn:maxHops), so both list
    the same paths with the same strengths; a synthetic corpus with signalling links has 3-hop paths."""
    import sys

    from ldngraph.evidence.score import materialise, score_knowledge_base
    from ldngraph.rdf.build import to_graph

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from synthetic import generate

    text = (get_data_dir() / "evidence-profile.yaml").read_text(encoding="utf-8")
    profile = tmp_path / "profile.yaml"
    profile.write_text(text.replace("  max_hops: 3\n", f"  max_hops: {max_hops}\n"), encoding="utf-8")
    kb = generate(1500, seed=3)
    report = score_knowledge_base(kb, read_profile(profile))
    built = Built(kb=kb, graph=materialise(to_graph(kb), kb, report), scores=report)
    graph = to_networkx(built)
    source = next(e.id for e in kb.entities if e.kind is EntityKind.intervention)
    rows = run_query(built.graph, "paths_to_condition", {"source": source}).to_records()
    sparql = {
        tuple(x for x in (r["source"], r["mid1"], r["mid2"], r["target"]) if x): r["strength"] for r in rows
    }
    conditions = [n for n, kind in graph.nodes(data="kind") if kind == "condition"]
    nx_paths = {p.nodes: p.strength for c in conditions for p in find_paths(graph, source, c, top_k=None)}
    assert sparql.keys() == nx_paths.keys()
    assert all(abs(sparql[k] - nx_paths[k]) < 1e-9 for k in sparql)
    assert max(len(k) - 1 for k in sparql) == max_hops  # every allowed length occurs, none longer


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            "LDN",
            "TLR4",
            "'TLR4' (HGNC:11850) is a mechanism, but paths end at a condition; conditions in this",
        ),
        (
            "glial cell",
            "fibromyalgia",
            "'glial cell' (CL:0000125) is a mechanism, but paths start at an intervention",
        ),
        (
            "fibromyalgia",
            "LDN",
            "'fibromyalgia' (MESH:D005356) is a condition, but paths start at an intervention",
        ),
        ("LDN", "LDN", "'LDN' (CHEBI:7465) is an intervention, but paths end at a condition"),
    ],
)
def test_paths_run_from_an_intervention_to_a_condition_only(source: str, target: str, message: str) -> None:
    """Other kinds used to give paths (or an empty table) where paths_to_condition.rq gives no row."""
    built = shipped()
    rows = run_query(built.graph, "paths_to_condition", {"source": source, "target": target}).rows
    assert rows == ()  # what the SPARQL twin says: no intervention -> condition path here
    with pytest.raises(QueryError) as caught:
        find_paths(to_networkx(built), source, target)
    assert str(caught.value).startswith(message)
    if "start at" in message:
        assert str(caught.value).endswith("interventions in this graph: 'low-dose naltrexone'")
    else:
        conditions = sum(e.kind is EntityKind.condition for e in built.kb.entities)
        assert "'fibromyalgia'" in str(caught.value) and f"({conditions} in all)" in str(caught.value)


def test_cli_paths_refuses_a_wrong_kind_in_one_line() -> None:
    from ldngraph.cli import cli

    result = CliRunner().invoke(cli, ["paths", "--from", "LDN", "--to", "TLR4"])
    assert result.exit_code == 1 and result.stdout == ""
    assert isinstance(result.exception, QueryError)
    assert "\n" not in str(result.exception)


def _all_paths() -> list[tuple[str, ...]]:
    graph = to_networkx(shipped())
    return [p.nodes for s, t in _pairs(shipped()) for p in find_paths(graph, s, t, top_k=None)]


@pytest.mark.parametrize("nodes", _all_paths(), ids="->".join)
def test_path_strength_sparql_equals_networkx(nodes: tuple[str, ...]) -> None:
    built = shipped()
    path = next(
        p for p in find_paths(to_networkx(built), nodes[0], nodes[-1], top_k=None) if p.nodes == nodes
    )
    rows = run_query(
        built.graph, "paths_to_condition", {"source": nodes[0], "target": nodes[-1]}
    ).to_records()
    row = next(
        r for r in rows if tuple(x for x in (r["source"], r["mid1"], r["mid2"], r["target"]) if x) == nodes
    )
    assert abs(row["strength"] - path.strength) <= 1e-9


# -- acceptance on the shipped data -----------------------------------------------------------------


def _ranked() -> list:  # type: ignore[type-arg]
    return rank_conditions(to_networkx(shipped()), "CHEBI:7465")


def test_no_condition_above_low() -> None:
    assert all(c.certainty.rank <= Certainty.low.rank for c in _ranked())


def test_covid_coagulopathy_is_the_weakest_condition() -> None:
    target = shipped().kb.claim_index["ldn-reduces-covid-coagulopathy"].object
    assert _ranked()[-1].condition == target


def test_insulin_resistance_ranks_below_every_condition_with_human_data() -> None:
    target = shipped().kb.claim_index["ldn-reduces-insulin-resistance"].object
    ranked = [c.condition for c in _ranked()]
    human = [c.condition for c in _ranked() if c.tier == "clinical"]
    assert human and all(ranked.index(h) < ranked.index(target) for h in human)


def test_conflicting_follows_the_headline_bodys_inconsistency() -> None:
    fibro = next(c for c in _ranked() if c.condition == "MESH:D005356")
    reasons = shipped().scores.claims["ldn-improves-pain-fibromyalgia"].reasons
    assert fibro.conflicting == ("inconsistency" in reasons)
    assert fibro.conclusion == "little_or_no_effect" and fibro.outcome == "HP:0012531"
