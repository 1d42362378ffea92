"""Commands that ask the graph: ``query``, ``paths``, ``explain``, ``diff``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ldngraph.cli.options import (
    data_option,
    echo_rows,
    exclude_option,
    format_option,
    profile_option,
    store_options,
)
from ldngraph.safetext import terminal_lines, terminal_text, to_json


@click.command()
@data_option
@profile_option
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="K=V", help="Bind a query parameter (repeatable).")
@store_options
@format_option("table", "json", "csv", "sparql-json")
@click.option(
    "--labels/--no-labels",
    default=True,
    show_default=True,
    help="Add a <column>_label column after each column of entity CURIEs.",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Run a federated query (SPARQL SERVICE): it sends requests to the servers it names. "
    "Refused without this flag.",
)
def query(
    data_dir: Path | None,
    profile: Path | None,
    name: str,
    params: tuple[str, ...],
    spec: str,
    graph_iri: str | None,
    fmt: str,
    labels: bool,
    allow_service: bool,
) -> None:
    """Run a named query (see queries/) or a .rq file, with bound parameters.

    A query file opens with '# Purpose:' and '# Columns:' comment lines (see the README,
    "Writing your own query"); docs/vocabulary.md lists the terms of the graph. NAME is looked up
    in $LDNGRAPH_QUERIES, else ./queries (so a checkout's own queries win), else the shipped ones.
    """
    from ldngraph.pipeline import load
    from ldngraph.rdf.export import GRAPH_NAME
    from ldngraph.stores.query import (
        add_labels,
        get_labels,
        get_store_labels,
        parse_params,
        run_query,
        run_query_on_store,
    )
    from ldngraph.stores.store import MemoryStore, is_persistent, open_query_store

    bound = parse_params(params)
    graph = graph_iri or str(GRAPH_NAME)
    built = load(data_dir, profile) if not is_persistent(spec) else None
    store = open_query_store(
        spec,
        lambda: load(data_dir, profile).graph if built is None else built.graph,
        graph=graph,
        ntriples=built.ntriples if built is not None else None,
    )
    if isinstance(store, MemoryStore):  # rdflib: prepared query, initBindings
        result = run_query(store.graph, name, bound, allow_service=allow_service)
        result = add_labels(result, get_labels(store.graph)) if labels and fmt != "sparql-json" else result
    else:
        result = run_query_on_store(store, name, bound, allow_service=allow_service)
        result = add_labels(result, get_store_labels(store)) if labels and fmt != "sparql-json" else result
        store.close()
    if fmt == "sparql-json":  # W3C SPARQL 1.1 Query Results JSON: full IRIs, typed literals
        click.echo(result.to_sparql_json())
    else:  # json: one record per row, CURIEs
        echo_rows(result.columns, [list(r) for r in result.rows], fmt)
    click.echo(f"{len(result.rows)} row(s)", err=True)


@click.command()
@data_option
@profile_option
@click.option("--from", "source", required=True, help="Intervention: CURIE, label or synonym.")
@click.option("--to", "target", required=True, help="Condition: CURIE, label or synonym.")
@click.option(
    "--max-hops",
    type=click.IntRange(1, 3),
    default=None,
    help="Longest path, 1-3 [default: the profile's paths.max_hops].",
)
@click.option("--top", "top_k", type=click.IntRange(1), default=10, show_default=True)
@exclude_option
@format_option("table", "json")
def paths(
    data_dir: Path | None,
    profile: Path | None,
    source: str,
    target: str,
    max_hops: int | None,
    top_k: int,
    exclude: tuple[str, ...],
    fmt: str,
) -> None:
    """Ranked paths from an intervention to a condition: strength, weakest link, certainty, citations.

    Runs networkx over the graph in memory (no --store). The same ranking in SPARQL, on any store or
    server: `ldngraph query paths_to_condition --param source=LDN --param target=X --store SPEC`.
    """
    from ldngraph.evidence.paths import PathResult, get_paths_report
    from ldngraph.pipeline import load

    built = load(data_dir, profile, exclude=exclude)
    out = get_paths_report(built, source, target, max_hops=max_hops, top_k=top_k)
    if fmt == "json":
        click.echo(to_json(out, indent=2))
        return
    bodies, found = out["outcome_bodies"], out["paths"]
    click.echo(f"profile {out['profile_version']}+{out['profile_hash']}; outcome bodies (critical first):")
    if bodies:
        echo_rows(list(bodies[0]), [list(b.values()) for b in bodies], "table")
    click.echo("paths:")
    echo_rows(list(PathResult.COLUMNS), [PathResult.model_validate(p).to_row() for p in found], "table")


@click.command()
@data_option
@profile_option
@click.argument("claim")
@exclude_option
@format_option("table", "json")
def explain(
    data_dir: Path | None, profile: Path | None, claim: str, exclude: tuple[str, ...], fmt: str
) -> None:
    """Explain a claim's score step by step (claim id or content hash): how its body concluded
    (estimate, a review's pooled result beside it, or a sign test), each GRADE domain, the trace."""
    from ldngraph.model.names import get_claim
    from ldngraph.pipeline import load

    built = load(data_dir, profile, exclude=exclude)
    score = built.scores.claims[get_claim(built.kb, claim).id]
    if fmt == "json":
        click.echo(to_json(score.model_dump(mode="json"), indent=2))
        return
    from ldngraph.evidence.summary import explain_lines

    statement = built.kb.claim_index[score.claim_id].statement
    click.echo(terminal_text(f"{score.claim_id} ({score.content_hash}): {statement}"))
    body = built.scores.bodies[score.body]
    for line in [*explain_lines(body, score.outcome_label), "trace:", *score.trace]:
        click.echo(terminal_text(f"  {line}"))
    click.echo(terminal_text(f"  reasons: {', '.join(score.reasons) or 'none'}"))


@click.command()
@click.argument("old")
@click.argument("new")
@data_option
@profile_option
@format_option("table", "markdown", "json")
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(
        ["any", "claims", "conclusion", "certainty", "reasons", "strength", "evidence", "estimate", "paths"]
    ),
    help="Exit with status 3 if there are changes of this kind (repeatable).",
)
@click.option(
    "--min-change",
    type=click.FloatRange(min=0),
    default=0.001,
    show_default=True,
    help="Smallest strength change reported.",
)
@exclude_option
def diff(
    old: str,
    new: str,
    data_dir: Path | None,
    profile: Path | None,
    fmt: str,
    fail_on: tuple[str, ...],
    min_change: float,
    exclude: tuple[str, ...],
) -> None:
    """Compare two scorings: what changes in conclusions, certainty, strength, evidence and paths.

    OLD and NEW are each a data directory, an evidence profile (.yaml, applied to --data), a graph
    file (.ttl .nt .jsonld .trig) or a store (oxigraph:PATH, http(s)://ENDPOINT). Two profiles:
    a sensitivity analysis; two data directories: a curation review. --exclude RULE leaves studies
    out of NEW only (`ldngraph diff data data --exclude rob=high`: what the high-risk studies carry).
    Each body lists its estimate, participants, start level and every GRADE domain that moved.
    Exit status 0, or 3 when --fail-on names a kind of change that happened (1: an error).
    """
    from ldngraph.evidence.diff import compare, get_failed, render
    from ldngraph.pipeline import read_view

    result = compare(
        read_view(old, data_dir=data_dir, profile=profile),
        read_view(new, data_dir=data_dir, profile=profile, exclude=exclude),
        min_change=min_change,
    )
    text = render(result, fmt)
    click.echo(text if fmt == "json" else terminal_lines(text), nl=False)
    failed = get_failed(result, fail_on)
    if failed:
        click.echo(f"changes in: {', '.join(failed)}", err=True)
        sys.exit(3)
