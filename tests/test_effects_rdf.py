"""Effects and pooled results in the graph: queries/effects_for_outcome.rq gives the Python numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import PROV, RDF

from ldngraph.evidence.bodies import build_bodies
from ldngraph.evidence.effects import get_effect_studies, summarise_effects
from ldngraph.pipeline import load
from ldngraph.present.sof import read_inputs
from ldngraph.rdf.vocab import LDN
from ldngraph.stores.query import run_query, run_query_on_store
from ldngraph.stores.store import open_store

EFFECTS = Path(__file__).parent / "resources" / "effects"
PARAMS = {"outcome": "pain", "condition": "fibromyalgia"}


def _python_rows() -> list[tuple[object, ...]]:
    kb, profile = read_inputs(EFFECTS, None)
    (body,) = [b for b in build_bodies(kb, profile).values() if b.outcome == "HP:0012531"]
    summary = summarise_effects(get_effect_studies(kb, body.studies), "HP:0012531")
    p = summary.pooled
    assert p is not None and p.tau2 is not None and p.i2 is not None
    assert p.pi_lower is not None and p.pi_upper is not None
    head = (
        "fibromyalgia",
        "pain",
        summary.status,
        p.measure.value,
        p.k,
        p.value,
        p.ci_lower,
        p.ci_upper,
        p.tau2,
        p.i2,
        p.pi_lower,
        p.pi_upper,
    )
    rows = []
    for e in sorted(summary.studies, key=lambda e: (-(e.weight or 0), e.study)):
        rows.append(
            (*head, e.study, e.label, e.value, e.ci_lower, e.ci_upper, e.weight, e.variance_from, e.source)
        )
    return rows


def _same(sparql: tuple[object, ...], python: tuple[object, ...]) -> bool:
    for a, b in zip(sparql, python, strict=True):
        if isinstance(b, float):
            # RDF keeps 6 decimals and at most 7 significant digits (effects_rdf._d)
            if not isinstance(a, int | float) or abs(a - b) > 1e-6 * max(1.0, abs(b)):
                return False
        elif a != b:
            return False
    return True


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_sparql_rows_equal_python_results(store: str) -> None:
    built = load(EFFECTS)
    if store == "memory":
        result = run_query(built.graph, "effects_for_outcome", PARAMS)
    else:
        ox = open_store("oxigraph")
        from ldngraph.rdf.build import from_rdflib_term

        ox.replace([[tuple(from_rdflib_term(t) for t in triple) for triple in built.graph]])  # type: ignore[misc]
        result = run_query_on_store(ox, "effects_for_outcome", PARAMS)
    expected = _python_rows()
    assert len(result.rows) == len(expected) == 3
    for got, want in zip(result.rows, expected, strict=True):
        assert _same(tuple(got), want), (got, want)


def test_every_estimate_is_in_the_graph_with_its_source() -> None:
    built = load(EFFECTS)
    g = built.graph
    estimates = set(g.subjects(RDF.type, LDN.EffectEstimate))
    recorded = [(s, o) for s in built.kb.studies for o in s.outcomes if o.estimate is not None]
    assert len(estimates) == len(recorded) == 4
    for node in estimates:
        (source,) = g.objects(node, PROV.wasDerivedFrom)
        assert isinstance(source, URIRef) and str(source).startswith("https://example.org/")
    # both bodies with estimates have a headline: pain pooled (k=3), adverse events a single RR
    statuses = sorted(str(g.value(n, LDN.status)) for n in g.subjects(RDF.type, LDN.PooledEffect))
    assert statuses == ["pooled", "single"]


def test_graph_without_estimates_has_no_effect_nodes(mini_dir: Path) -> None:
    g = load(mini_dir).graph
    assert not list(g.subjects(RDF.type, LDN.EffectEstimate))
    assert not list(g.subjects(RDF.type, LDN.PooledEffect))
