"""Named SPARQL queries: headers, bound parameters, errors, and every query on real graphs."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ldngraph.errors import QueryError, UnknownEntityError
from ldngraph.evidence.score import Certainty
from ldngraph.model import CitationStatus, Design, Predicate
from ldngraph.pipeline import Built, load
from ldngraph.stores.query import get_query, list_queries, parse_params, run_query

MINI = Path(__file__).parent / "resources" / "mini"
QUERIES = list_queries()


#: The mini fixture records no effect estimates; effects_for_outcome runs on the effects fixture.
EFFECTS = Path(__file__).parent / "resources" / "effects"
FIXTURE_FOR = {"effects_for_outcome": EFFECTS}


@cache
def built(dataset: str) -> Built:
    return load(None if dataset == "shipped" else MINI if dataset == "mini" else FIXTURE_FOR[dataset])


def _params(dataset: str, name: str) -> dict[str, str]:
    """Example values from the query header; a claim parameter gets the data set's first claim."""
    query = get_query(name)
    params = {p.name: p.example for p in query.parameters if p.required and p.example}
    for p in query.parameters:
        if p.kind == "claim":
            params[p.name] = built(dataset).kb.claims[0].id
    return params


def test_there_is_one_query_per_topic() -> None:
    names = {q.name for q in QUERIES}
    assert {
        "paths_to_condition",
        "evidence_for_claim",
        "conditions_by_certainty",
        "claims_by_strength",
        "gaps",
        "contradictions",
        "studies_by_design",
        "mechanisms_for_condition",
        "publications_by_status",
    } <= names


@pytest.mark.parametrize("dataset", ["shipped", "mini"])
@pytest.mark.parametrize("name", [q.name for q in QUERIES])
def test_every_query_runs_and_returns_its_declared_columns(dataset: str, name: str) -> None:
    if dataset == "mini" and name in FIXTURE_FOR:
        dataset = name
    query = get_query(name)
    result = run_query(built(dataset).graph, name, _params(dataset, name))
    assert result.columns == query.columns
    assert result.rows, f"{name} returned nothing on the {dataset} data"


def test_unresolved_publications_have_no_title() -> None:
    rows = run_query(built("mini").graph, "publications_by_status", {"status": "unresolved"}).to_records()
    assert [r["publication"] for r in rows] == ["PMID 333"]
    assert rows[0]["title"] is None


def test_optional_filters_bind(mini_dir: Path) -> None:
    graph = built("mini").graph
    everything = run_query(graph, "claims_by_strength", {}).rows
    strong = run_query(graph, "claims_by_strength", {"min_strength": "0.3"}).to_records()
    assert 0 < len(strong) < len(everything)
    assert all(r["strength"] >= 0.3 for r in strong)
    only = run_query(graph, "claims_by_strength", {"predicate": "decreases"}).to_records()
    assert [r["claim_id"] for r in only] == ["ldn-microglia"]


def test_gap_and_certainty_filters() -> None:
    graph = built("shipped").graph
    rows = run_query(graph, "gaps", {"only": "no_rct"}).to_records()
    assert rows and {r["gap"] for r in rows} == {"no_rct"}
    assert "ldn-improves-crohn-disease-activity" not in {r["subject_id"] for r in rows}  # Smith 2011 RCT
    all_gaps = {r["gap"] for r in run_query(graph, "gaps", {}).to_records()}
    assert {"no_rct", "no_objective_outcome", "preclinical_only", "theoretical_only"} <= all_gaps
    assert "unverified_citation" in all_gaps
    every = run_query(graph, "conditions_by_certainty", {}).to_records()
    level = every[0]["certainty"]
    some = run_query(graph, "conditions_by_certainty", {"level": level}).to_records()
    assert some and {r["certainty"] for r in some} == {level}
    assert len(some) == sum(r["certainty"] == level for r in every)


def test_entities_by_curie_label_or_synonym_any_case() -> None:
    graph = built("mini").graph
    a = run_query(graph, "mechanisms_for_condition", {"condition": "MESH:D005356"}).rows
    b = run_query(graph, "mechanisms_for_condition", {"condition": "FIBROMYALGIA"}).rows
    assert a == b and a


def test_claim_by_content_hash() -> None:
    kb = built("mini").kb
    claim = kb.claim_index["ldn-pain"]
    rows = run_query(built("mini").graph, "evidence_for_claim", {"claim": claim.content_hash}).to_records()
    assert {r["claim_id"] for r in rows} == {"ldn-pain"} and len(rows) == len(claim.evidence)


@pytest.mark.parametrize(
    "value",
    [
        'rct" } UNION { ?study ?p ?o } #',
        "rct') || true || ('",
        "rct> } ?s ?p ?o . { <x",
    ],
)
def test_injection_in_a_parameter_returns_nothing_extra(value: str) -> None:
    graph = built("mini").graph
    with pytest.raises(QueryError, match="parameter 'design' must be one of"):
        run_query(graph, "studies_by_design", {"design": value})
    assert len(run_query(graph, "studies_by_design", {"design": "rct"}).rows) == 1


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        ("gaps", "only", "bogus"),
        ("studies_by_design", "design", "rtc"),
        ("publications_by_status", "status", "ok"),
    ],
)
def test_enumerated_parameter_refuses_other_values(name: str, param: str, value: str) -> None:
    query = get_query(name)
    (declared,) = [p for p in query.parameters if p.name == param]
    assert declared.choices
    with pytest.raises(QueryError) as info:
        run_query(built("mini").graph, name, {param: value})
    message = str(info.value)
    assert f"parameter '{param}' must be one of {', '.join(declared.choices)} (got '{value}')" in message


def _choices(name: str, param: str) -> set[str]:
    (declared,) = [p for p in get_query(name).parameters if p.name == param]
    return set(declared.choices)


def test_declared_values_match_the_model() -> None:
    assert _choices("studies_by_design", "design") == {d.value for d in Design}
    assert _choices("publications_by_status", "status") == {s.value for s in CitationStatus}
    assert _choices("claims_by_strength", "predicate") == {p.value for p in Predicate}
    assert _choices("conditions_by_certainty", "level") == {c.value for c in Certainty}


def test_gap_codes_cover_computed_and_asserted_gaps() -> None:
    allowed = _choices("gaps", "only")
    found = {r["gap"] for r in run_query(built("shipped").graph, "gaps", {}).to_records()}
    asserted = {gap for doc in built("shipped").kb.sources for st in doc.statements for gap in st.gaps}
    assert found and asserted and (found | asserted) <= allowed
    gaps_rq = get_query("gaps").text
    computed = {code for code in allowed if f'"{code}"' in gaps_rq}  # the codes the query BINDs itself
    assert {"no_rct", "no_objective_outcome", "preclinical_only", "retracted_citation"} <= computed


@pytest.mark.parametrize("name", [q.name for q in QUERIES if any(p.choices for p in q.parameters)])
def test_every_declared_value_is_accepted(name: str) -> None:
    graph = built("mini").graph
    for param in get_query(name).parameters:
        for value in param.choices:
            run_query(graph, name, {param.name: value})  # no QueryError


def test_unknown_entity_suggests_names() -> None:
    with pytest.raises(UnknownEntityError, match="fibromyalgia"):
        run_query(built("mini").graph, "mechanisms_for_condition", {"condition": "fibromialgia"})


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nonexistent", {}, "unknown query 'nonexistent'; named queries: claims_by_strength"),
        ("gaps", {"colour": "red"}, "has no parameter 'colour'"),
        ("mechanisms_for_condition", {}, "needs --param condition="),
        ("claims_by_strength", {"min_strength": "strong"}, "must be a double"),
        ("missing.rq", {}, "query file 'missing.rq' not found"),
    ],
)
def test_query_errors_are_clear(name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(")):
        run_query(built("mini").graph, name, params)


def test_query_file_and_header_errors(tmp_path: Path) -> None:
    ok = tmp_path / "count.rq"
    ok.write_text("# Purpose: count triples\n# Columns: n\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    result = run_query(built("mini").graph, str(ok), {})
    assert result.rows[0][0] == len(built("mini").graph)
    bare = tmp_path / "bare.rq"
    bare.write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match="Purpose"):
        run_query(built("mini").graph, str(bare), {})
    broken = tmp_path / "broken.rq"
    broken.write_text("# Purpose: x\n# Columns: s\nSELEC ?s WHERE {\n")
    with pytest.raises(QueryError, match="syntax error"):
        run_query(built("mini").graph, str(broken), {})


def test_parse_params() -> None:
    assert parse_params(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(QueryError, match="name=value"):
        parse_params(["oops"])


NOT_SELECT = {
    "ASK": "ASK { ?s ?p ?o }",
    "CONSTRUCT": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
    # a prefix IRI with '#' and 'select' in it, and a comment: neither is the query form
    "DESCRIBE": "PREFIX x: <http://example.org/a#select>\n# SELECT ?s\nDESCRIBE ?s WHERE { ?s ?p ?o }",
}


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("form", sorted(NOT_SELECT))
def test_non_select_queries_are_refused_on_every_store(tmp_path: Path, form: str, store: str) -> None:
    """ASK/CONSTRUCT/DESCRIBE used to print empty rows on rdflib and fail on Oxigraph: now one error."""
    from ldngraph.stores.query import run_query_on_store
    from ldngraph.stores.store import open_store

    path = tmp_path / "mine.rq"
    path.write_text(f"# Purpose: not a SELECT\n# Columns: s\n{NOT_SELECT[form]}\n", encoding="utf-8")
    article = "an" if form == "ASK" else "a"
    message = (
        f"{path}: only SELECT queries return rows, this is {article} {form} query; rewrite it as a SELECT"
    )
    message += " query"
    with pytest.raises(QueryError) as caught:
        if store == "memory":
            run_query(built("mini").graph, str(path), {})
        else:
            oxi = open_store("oxigraph")
            oxi.load(built("mini").graph)
            run_query_on_store(oxi, str(path), {})
    assert str(caught.value) == message


def test_query_form() -> None:
    from ldngraph.stores.query import get_query_form

    assert [get_query_form(text) for text in NOT_SELECT.values()] == ["ASK", "CONSTRUCT", "DESCRIBE"]
    assert get_query_form("PREFIX ask: <http://e.org/>\nselect ?s WHERE { ?s ask:p 'ASK' }") == "SELECT"
    assert get_query_form("# nothing") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "must be a double: a finite number such as 0.25 (got 'nan')"),
        ("NaN", "(got 'NaN')"),
        ("inf", "(got 'inf')"),
        ("-Infinity", "(got '-Infinity')"),
        ("1e999", "must be a double: 1e999 is beyond the largest"),
        ("-1e999", "must be a double: -1e999 is beyond the largest"),
        ("1_0", "(got '1_0')"),  # Python reads 10; SPARQL does not
        ("0x10", "(got '0x10')"),
    ],
)
def test_non_finite_doubles_are_refused(value: str, message: str) -> None:
    """NaN and infinities used to be bound and silently match nothing (or everything)."""
    with pytest.raises(QueryError) as caught:
        run_query(built("mini").graph, "claims_by_strength", {"min_strength": value})
    assert str(caught.value).startswith("parameter 'min_strength' must be a double")
    assert message in str(caught.value)


@pytest.mark.parametrize("value", ["0.01", " 0.01", "1e-2", ".01", "+0.01", "1E-2"])
def test_plain_decimal_and_exponent_doubles_are_accepted(value: str) -> None:
    graph = built("mini").graph
    expected = run_query(graph, "claims_by_strength", {"min_strength": "0.01"}).rows
    assert expected
    assert run_query(graph, "claims_by_strength", {"min_strength": value}).rows == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 30, "is out of range; integers must lie within +-9223372036854775807"),
        ("-" + "9" * 30, "is out of range"),
        ("2.5", "must be an integer such as 3 (got '2.5')"),
        ("1e3", "must be an integer such as 3 (got '1e3')"),
    ],
)
def test_integer_parameters_must_fit_64_bits(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "limit.rq"
    path.write_text(
        "# Purpose: claims above a count\n# Parameters:\n#   at_least (integer, required): lowest count\n"
        "# Columns: claim\n"
        "SELECT ?claim WHERE { ?claim ?p ?o } GROUP BY ?claim HAVING (COUNT(?o) >= ?at_least)\n",
        encoding="utf-8",
    )
    graph = built("mini").graph
    assert run_query(graph, str(path), {"at_least": str(2**63 - 1)}).rows == ()
    assert run_query(graph, str(path), {"at_least": "1"}).rows
    with pytest.raises(QueryError, match=re.escape("parameter 'at_least'")):
        run_query(graph, str(path), {"at_least": value})
    with pytest.raises(QueryError, match=re.escape(message)):
        run_query(graph, str(path), {"at_least": value})
