"""Command-line interface: a thin click skin over the library.

The library raises :class:`ldngraph.errors.LdnGraphError`; :func:`main` turns it into one line on
stderr and exit status 1. Results go to stdout, progress and logs to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from ldngraph.cli.figures import get_targets, image_formats_option, save_all
from ldngraph.cli.figures import register as register_figures
from ldngraph.errors import DataError, LdnGraphError, printable

F = TypeVar("F", bound=Callable[..., Any])

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Curated data directory (default: the shipped data/).",
)

profile_option = click.option(
    "--profile",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Evidence profile YAML (default: data/evidence-profile.yaml).",
)


def output_option(help_text: str, *, required: bool = True) -> Callable[[F], F]:
    """``-o/--output FILE``: every command writes its file atomically (``-``: stdout; see ldngraph.atomic)."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=required,
        default=None,
        help=help_text,
    )


def guard_output(output: Path | None, data_dir: Path | None, profile: Path | None) -> None:
    """Before any work: refuse an output path that is an input of this run (curated YAML, profile,
    queries, PubMed cache) or a directory; see :mod:`ldngraph.atomic` for ``-``, links and FIFOs."""
    from ldngraph.atomic import check_output, protect_inputs
    from ldngraph.ingest.cache import get_cache_dir
    from ldngraph.locations import get_data_dir, get_queries_dir
    from ldngraph.pipeline import get_profile_path

    if output is None:
        return
    directory = data_dir if data_dir is not None else get_data_dir()
    protect_inputs(
        directory, profile or get_profile_path(directory), get_queries_dir(), get_cache_dir(directory)
    )
    check_output(output)


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def store_options(func: F) -> F:
    """``--store SPEC`` and ``--graph IRI`` (see ldngraph.stores.store)."""
    func = click.option(
        "--graph",
        "graph_iri",
        default=None,
        help="Named graph on an endpoint (default: ldngraph's graph IRI; 'default' for the default graph).",
    )(func)
    return click.option(
        "--store",
        "spec",
        metavar="SPEC",
        default="auto",
        show_default=True,
        help="Run on auto | memory | oxigraph | oxigraph:PATH | http(s)://ENDPOINT. auto: rdflib in memory "
        "up to 5,000 triples, Oxigraph in memory above (same rows, much faster on big graphs).",
    )(func)


def _echo_table(rows: Mapping[str, Any], indent: int = 0) -> None:
    width = max((len(k) for k in rows), default=0)
    for key, value in rows.items():
        if isinstance(value, Mapping):
            click.echo(" " * indent + f"{key}:")
            _echo_table(value, indent + 2)
        else:
            click.echo(printable(" " * indent + f"{key:<{width}}  {value}"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="ldngraph")
def cli(verbose: bool) -> None:
    """ldngraph: a citation-grounded evidence knowledge graph for low-dose naltrexone."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)


@cli.command()
@data_option
@profile_option
@output_option(
    "Also write the graph to this file (format from the suffix: .ttl .jsonld .nt .trig).", required=False
)
@format_option("table", "json")
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Check the built graph against the SHACL shapes before writing it.",
)
def build(data_dir: Path | None, profile: Path | None, output: Path | None, fmt: str, validate: bool) -> None:
    """Validate data/, build the evidence graph and print a summary.

    For a big corpus (10^4 studies and more) build straight into a persistent Oxigraph store
    instead: `ldngraph push --store oxigraph:PATH` (the fast path, no rdflib graph).
    """
    from ldngraph.pipeline import get_summary, load
    from ldngraph.rdf.export import guess_format, write_rdf

    if output is not None:
        guess_format(output)  # fail before any work on a bad suffix
    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    if validate:
        from ldngraph.rdf.validate import check_graph

        check_graph(built.graph)  # the build checks its own output before writing it
    if output is not None:
        write_rdf(built.graph, output)
        # the file also carries dataset metadata and Biolink/SEPIO typing (export.with_interop)
        click.echo(f"wrote {output} (the graph's {len(built.graph)} triples plus dataset metadata)", err=True)
    summary = get_summary(built)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
    else:
        _echo_table(summary)


@cli.command()
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "jsonld", "nt", "trig", "kgx", "graphml"]),
    default=None,
    help="RDF format, or kgx / graphml (default: from the output suffix).",
)
@output_option("File to write (atomically); for kgx a prefix P giving P_nodes.jsonl and P_edges.jsonl.")
@profile_option
def export(data_dir: Path | None, fmt: str | None, output: Path, profile: Path | None) -> None:
    """Export the evidence graph as RDF, KGX JSON Lines or GraphML (scored with --profile)."""
    from ldngraph.pipeline import load
    from ldngraph.rdf.export import guess_export_format, kgx_meta_path, write_graphml, write_kgx, write_rdf

    fmt = fmt or guess_export_format(output)
    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    if fmt == "kgx":
        written = ", ".join(map(str, write_kgx(built.graph, output))) + f" and {kgx_meta_path(output)}"
    elif fmt == "graphml":
        written = str(write_graphml(built.graph, output))
    else:
        written = str(write_rdf(built.graph, output, fmt))
    click.echo(f"wrote {written} ({fmt}, from {len(built.graph)} triples)", err=True)


# -- hardening --


@cli.command(name="validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@click.option(
    "--kgx", "kgx_prefix", type=click.Path(path_type=Path), help="Check KGX files P_nodes/edges.jsonl"
)
@format_option("table", "json")
def validate_cmd(file: Path | None, data_dir: Path | None, kgx_prefix: Path | None, fmt: str) -> None:
    """Check an RDF FILE (default: the graph built from data/) against the SHACL shapes.

    Prints the results grouped by shape, with counts and the first few focus nodes; exits with
    status 1 when the graph does not conform. With --kgx P, checks an `export --format kgx`
    output with kgx's validator and the Biolink pydantic model instead (offline; needs the
    biolink extra).
    """
    from ldngraph.errors import ValidationFailed
    from ldngraph.rdf.validate import read_graph, validate_graph

    if kgx_prefix is not None:
        from ldngraph.rdf.export import check_kgx_files

        problems = check_kgx_files(kgx_prefix)
        if fmt == "json" or problems:
            click.echo(json.dumps(problems, indent=2) if fmt == "json" else "\n".join(problems))
        if problems:
            raise ValidationFailed(f"{kgx_prefix}: {len(problems)} Biolink/KGX error(s)")
        click.echo(f"{kgx_prefix}: KGX export conforms to Biolink (kgx validator, Biolink model)", err=True)
        return

    if file is not None:
        graph = read_graph(file)
    else:
        from ldngraph.pipeline import load

        graph = load(data_dir).graph
    report = validate_graph(graph)
    click.echo(report.model_dump_json(indent=2) if fmt == "json" else "\n".join(report.to_lines()))
    if not report.conforms:
        raise ValidationFailed(f"{file or 'the built graph'} {report.summary()}")


# -- scoring, paths and queries --


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _echo_rows(columns: list[str] | tuple[str, ...], rows: list[list[Any]], fmt: str) -> None:
    """Rows as an aligned table, JSON records or CSV, on stdout."""
    if fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], indent=2))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
    else:
        shown = [
            ["" if v is None else f"{v:.6g}" if isinstance(v, float) else printable(str(v)) for v in r]
            for r in rows
        ]
        widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for r in shown:
            click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


@cli.command()
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
def query(
    data_dir: Path | None,
    profile: Path | None,
    name: str,
    params: tuple[str, ...],
    spec: str,
    graph_iri: str | None,
    fmt: str,
    labels: bool,
) -> None:
    """Run a named query (see queries/) or a .rq file, with bound parameters.

    A query file opens with '# Purpose:' and '# Columns:' comment lines (see the README,
    "Writing your own query"); docs/vocabulary.md lists the terms of the graph.
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
    from ldngraph.stores.store import MemoryStore, open_query_store

    bound = parse_params(params)
    graph = graph_iri or str(GRAPH_NAME)
    store = open_query_store(spec, lambda: load(data_dir, profile).graph, graph=graph)
    if isinstance(store, MemoryStore):  # rdflib: prepared query, initBindings
        result = run_query(store.graph, name, bound)
        result = add_labels(result, get_labels(store.graph)) if labels and fmt != "sparql-json" else result
    else:
        result = run_query_on_store(store, name, bound)
        result = add_labels(result, get_store_labels(store)) if labels and fmt != "sparql-json" else result
        store.close()
    if fmt == "sparql-json":  # W3C SPARQL 1.1 Query Results JSON: full IRIs, typed literals
        click.echo(result.to_sparql_json())
    else:  # json: one record per row, CURIEs
        _echo_rows(result.columns, [list(r) for r in result.rows], fmt)
    click.echo(f"{len(result.rows)} row(s)", err=True)


@cli.command()
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
@format_option("table", "json")
def paths(
    data_dir: Path | None,
    profile: Path | None,
    source: str,
    target: str,
    max_hops: int | None,
    top_k: int,
    fmt: str,
) -> None:
    """Ranked paths from an intervention to a condition: strength, weakest link, certainty, citations.

    Runs networkx over the graph in memory (no --store). The same ranking in SPARQL, on any store or
    server: `ldngraph query paths_to_condition --param source=LDN --param target=X --store SPEC`.
    """
    from ldngraph.evidence.paths import PathResult, get_paths_report
    from ldngraph.pipeline import load

    out = get_paths_report(load(data_dir, profile), source, target, max_hops=max_hops, top_k=top_k)
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    bodies, found = out["outcome_bodies"], out["paths"]
    click.echo(f"profile {out['profile_version']}+{out['profile_hash']}; outcome bodies (critical first):")
    if bodies:
        _echo_rows(list(bodies[0]), [list(b.values()) for b in bodies], "table")
    click.echo("paths:")
    _echo_rows(list(PathResult.COLUMNS), [PathResult.model_validate(p).to_row() for p in found], "table")


@cli.command()
@data_option
@profile_option
@click.argument("claim")
@format_option("table", "json")
def explain(data_dir: Path | None, profile: Path | None, claim: str, fmt: str) -> None:
    """Explain a claim's score step by step (claim id or content hash)."""
    from ldngraph.model.names import get_claim
    from ldngraph.pipeline import load

    built = load(data_dir, profile)
    score = built.scores.claims[get_claim(built.kb, claim).id]
    if fmt == "json":
        click.echo(json.dumps(score.model_dump(mode="json"), indent=2))
        return
    from ldngraph.evidence.summary import explain_lines

    click.echo(f"{score.claim_id} ({score.content_hash}): {built.kb.claim_index[score.claim_id].statement}")
    for line in [*explain_lines(built.scores.bodies[score.body]), "trace:", *score.trace]:
        click.echo(f"  {line}")
    click.echo(f"  reasons: {', '.join(score.reasons) or 'none'}")


@cli.command()
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
        ["any", "claims", "conclusion", "certainty", "reasons", "strength", "evidence", "paths"]
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
def diff(
    old: str,
    new: str,
    data_dir: Path | None,
    profile: Path | None,
    fmt: str,
    fail_on: tuple[str, ...],
    min_change: float,
) -> None:
    """Compare two scorings: what changes in conclusions, certainty, strength, evidence and paths.

    OLD and NEW are each a data directory, an evidence profile (.yaml, applied to --data), a graph
    file (.ttl .nt .jsonld .trig) or a store (oxigraph:PATH, http(s)://ENDPOINT). Two profiles:
    a sensitivity analysis; two data directories: a curation review. Exit status 0, or 3 when
    --fail-on names a kind of change that happened (1: an error).
    """
    from ldngraph.evidence.diff import compare, get_failed, render
    from ldngraph.evidence.scored import read_view

    result = compare(
        read_view(old, data_dir=data_dir, profile=profile),
        read_view(new, data_dir=data_dir, profile=profile),
        min_change=min_change,
    )
    click.echo(render(result, fmt), nl=False)
    failed = get_failed(result, fail_on)
    if failed:
        click.echo(f"changes in: {', '.join(failed)}", err=True)
        sys.exit(3)


# -- pubmed --

cache_option = click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="PubMed cache directory (default: <data>/pubmed; for an installed package's own data, "
    "$XDG_CACHE_HOME/ldngraph/pubmed or ~/.cache/ldngraph/pubmed).",
)


def eutils_options(func: F) -> F:
    timeout = click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=None, help="Seconds per request."
    )
    base_url = click.option(
        "--base-url", default=None, help="E-utilities URL (default: NCBI or LDNGRAPH_EUTILS_URL)."
    )
    return base_url(timeout(func))


def _pubmed_cache(data_dir: Path | None, cache_dir: Path | None) -> Any:
    from ldngraph.ingest.cache import PubMedCache, get_cache_dir

    return PubMedCache(cache_dir or get_cache_dir(data_dir))


def _entrez_client(base_url: str | None, timeout: float | None) -> Any:
    from ldngraph.ingest.entrez import EntrezClient, read_entrez_config

    return EntrezClient(read_entrez_config(base_url=base_url, timeout=timeout))


@cli.command()
@click.argument("pmids", nargs=-1)
@click.option("--query", default=None, help="A PubMed search; fetch every hit (history server).")
@click.option("--max", "max_results", type=click.IntRange(1, 10_000), default=10_000, show_default=True)
@data_option
@cache_option
@eutils_options
@format_option("table", "json")
def fetch(
    pmids: tuple[str, ...],
    query: str | None,
    max_results: int,
    data_dir: Path | None,
    cache_dir: Path | None,
    base_url: str | None,
    timeout: float | None,
    fmt: str,
) -> None:
    """Fetch PubMed records by PMID or by --query into the local cache (resumable)."""
    from ldngraph.ingest.entrez import fetch_pmids, fetch_query

    if bool(pmids) == bool(query):
        raise click.UsageError("give PMIDs or --query (one of the two)")
    client, cache = _entrez_client(base_url, timeout), _pubmed_cache(data_dir, cache_dir)
    ids = [p.removeprefix("PMID:").strip() for p in pmids]
    if query:
        report = fetch_query(client, cache, query, max_results=max_results, progress=True)
    else:
        report = fetch_pmids(client, cache, ids, progress=True)
    out = report.model_dump(mode="json", exclude={"search": {"pmids"}}) | {"cache": str(cache.directory)}
    click.echo(json.dumps(out, indent=2)) if fmt == "json" else _echo_table(out)


@cli.command("import-pubmed")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@data_option
@cache_option
@format_option("table", "json")
def import_pubmed(files: tuple[Path, ...], data_dir: Path | None, cache_dir: Path | None, fmt: str) -> None:
    """Merge PubMed XML (.xml, .xml.gz) or MEDLINE files into the local cache."""
    from ldngraph.ingest.cache import import_files

    cache = _pubmed_cache(data_dir, cache_dir)
    counts = import_files(cache, files, progress=True)
    if fmt == "json":
        rows = [{"file": name, "records": count} for name, count in counts.items()]
        out = {"files": rows, "cache": str(cache.directory), "cached": len(cache)}
        click.echo(json.dumps(out, indent=2))
    else:
        for name, count in counts.items():
            click.echo(f"{name}\t{count} records")
    click.echo(f"cache {cache.directory} now holds {len(cache)} records", err=True)


@cli.command("verify-citations")
@data_option
@cache_option
@click.option("--missing-pmids", is_flag=True, help="Print only the PMIDs not cached (for `fetch`).")
@format_option("table", "json")
def verify_citations_command(
    data_dir: Path | None, cache_dir: Path | None, missing_pmids: bool, fmt: str
) -> None:
    """Compare curated publications with cached PubMed records: verified / mismatch / unresolved."""
    from ldngraph.ingest import citations
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.locations import get_data_dir

    directory = data_dir or get_data_dir()
    cache = _pubmed_cache(directory, cache_dir)
    checks = citations.verify_citations(read_knowledge_base(directory), cache)
    summary = citations.summarise_checks(checks)
    if missing_pmids:
        click.echo("\n".join(citations.missing_pmids(checks)))
    elif fmt == "json":
        rows = [c.model_dump(mode="json") for c in checks]
        click.echo(json.dumps({"summary": summary, "publications": rows}, indent=2))
    else:
        click.echo("\n".join(citations.format_checks(checks)))
        _echo_table(summary)
    if not cache.pmids():
        click.echo(
            f"cache {cache.directory} is empty: with network access run `ldngraph fetch "
            "$(ldngraph verify-citations --missing-pmids)`, then verify again",
            err=True,
        )


@cli.command("triage")
@click.option("--query", required=True, help="A PubMed search, e.g. 'low dose naltrexone'.")
@click.option("--max", "max_results", type=click.IntRange(1, 10_000), default=500, show_default=True)
@data_option
@cache_option
@eutils_options
@format_option("table", "json")
def triage_command(
    query: str,
    max_results: int,
    data_dir: Path | None,
    cache_dir: Path | None,
    base_url: str | None,
    timeout: float | None,
    fmt: str,
) -> None:
    """List PMIDs a PubMed search finds that data/ does not cite yet: the curator's queue."""
    from ldngraph.ingest.citations import format_triage, triage
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.ingest.entrez import fetch_query
    from ldngraph.locations import get_data_dir

    kb = read_knowledge_base(data_dir or get_data_dir())
    client, cache = _entrez_client(base_url, timeout), _pubmed_cache(data_dir, cache_dir)
    report = fetch_query(client, cache, query, max_results=max_results, progress=True)
    items = triage(kb, cache, report.search.pmids if report.search else ())
    if fmt == "json":
        click.echo(json.dumps([i.model_dump(mode="json") for i in items], indent=2))
    else:
        click.echo("\n".join(format_triage(items)))
    click.echo(f"{len(items)} of {report.requested} hits are not cited in data/", err=True)


# -- see the evidence: viz, plot, report --


@cli.command()
@data_option
@profile_option
@output_option("HTML file to write.")
@click.option(
    "--focus", default=None, help="Draw only this entity's neighbourhood (CURIE, label or synonym)."
)
@click.option("--depth", type=click.IntRange(min=0), default=None, help="Hops around --focus (default 1).")
@click.option("--title", default="LDN evidence graph", show_default=True, help="Page title.")
def viz(
    data_dir: Path | None,
    profile: Path | None,
    output: Path,
    focus: str | None,
    depth: int | None,
    title: str,
) -> None:
    """Write an interactive, offline HTML view of the evidence graph (one self-contained file)."""
    from ldngraph.pipeline import load
    from ldngraph.present.viz import write_html

    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    write_html(built, output, focus=focus, depth=depth, title=title)
    click.echo(f"wrote {output}", err=True)


@cli.group()
def plot() -> None:
    """Static figures of the evidence (matplotlib)."""


@plot.command("evidence-map")
@data_option
@profile_option
@output_option("Image to write: .png, .svg or .pdf.")
@format_option("table", "json")
def evidence_map(data_dir: Path | None, profile: Path | None, output: Path, fmt: str) -> None:
    """Conditions x study design bubble chart (size = participants, colour = direction)."""
    from ldngraph.pipeline import load
    from ldngraph.present.plot import describe, get_evidence_map, get_format, to_records, write_evidence_map

    get_format(output)  # fail before any work on a bad suffix
    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    write_evidence_map(built, output)
    emap = get_evidence_map(built.kb, built.graph)
    if str(output) == "-":
        pass  # stdout holds the image
    elif fmt == "json":
        click.echo(json.dumps(to_records(emap), indent=2))
    else:
        for line in describe(emap):
            click.echo(line)
    click.echo(f"wrote {output}", err=True)


@plot.command("forest")
@data_option
@profile_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@click.option("--outcome", required=True, help="Outcome: CURIE, label or synonym.")
@output_option("Image to write: .png, .svg or .pdf (or a stem, with --format).")
@image_formats_option
def forest(
    data_dir: Path | None,
    profile: Path | None,
    condition: str,
    outcome: str,
    output: Path,
    formats: tuple[str, ...],
) -> None:
    """Forest plot of one outcome: Study, n LDN/comparator, each study's effect with 95% CI and
    weight, risk-of-bias traffic lights, the pooled diamond, reviews' own pooled results apart,
    heterogeneity (tau², I²) and the minimal important difference band."""
    from ldngraph.present.forest import get_forest_extras, to_forest_figure
    from ldngraph.present.sof import get_condition, get_forest_inputs, read_inputs

    targets = get_targets(output, formats, lambda p: guard_output(p, data_dir, profile))
    kb, prof = read_inputs(data_dir, profile)
    summary, title, mid = get_forest_inputs(kb, prof, get_condition(kb, condition), outcome)
    extras = get_forest_extras(kb, summary)
    save_all(to_forest_figure(summary, title=title, mid=mid, extras=extras), targets)
    if str(output) != "-":
        for e in summary.studies:
            click.echo(
                f"{e.label}\t{e.value:g}\t[{e.ci_lower:.3g}, {e.ci_upper:.3g}]\tweight {e.weight:.1f}%"
            )
    click.echo(f"{summary.note}", err=True)


register_figures(plot, data_option, profile_option, output_option, guard_output)


@cli.command()
@data_option
@profile_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "html", "json", "csv"]),
    default=None,
    help="Output format (default: text on a terminal, md when piped or redirected).",
)
def sof(data_dir: Path | None, profile: Path | None, condition: str, fmt: str | None) -> None:
    """GRADE summary-of-findings table for a condition: one row per outcome (critical first) with
    studies, participants, effect (95% CI), certainty, downgrade footnotes and a plain-language
    statement."""
    import shutil

    from ldngraph.present.sof import get_condition, get_sof_table, read_inputs, render
    from ldngraph.present.sof_text import to_text

    kb, prof = read_inputs(data_dir, profile)
    table = get_sof_table(kb, prof, get_condition(kb, condition))
    chosen = fmt or ("text" if sys.stdout.isatty() else "md")
    if chosen == "text":
        click.echo(to_text(table, width=shutil.get_terminal_size((120, 24)).columns), nl=False)
    else:
        click.echo(render(table, chosen), nl=False)


@cli.command()
@data_option
@profile_option
@output_option("Brief to write: .md (Markdown) or .html.")
def report(data_dir: Path | None, profile: Path | None, output: Path) -> None:
    """Write the evidence brief: per condition and mechanism, every sentence cited, gaps listed;
    each condition opens with its summary-of-findings table and forest plots; PRISMA counts close it."""
    from ldngraph.locations import get_data_dir
    from ldngraph.pipeline import get_profile, load
    from ldngraph.present.prisma import get_prisma_section
    from ldngraph.present.report import write_report

    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    labels = {e.id: e.label for e in built.kb.entities}
    prisma = get_prisma_section(data_dir if data_dir is not None else get_data_dir(), labels)
    write_report(built.kb, built.graph, output, profile=get_profile(data_dir, profile), prisma=prisma)
    click.echo(f"wrote {output}", err=True)


# -- stores and scale --


@cli.command()
@data_option
@click.option(
    "--endpoint",
    "--store",
    "spec",
    required=True,
    help="Where to load the graph: a SPARQL 1.1 endpoint URL (query + update) or oxigraph:PATH.",
)
@click.option(
    "--graph",
    "graph_iri",
    default=None,
    help="Named graph to replace on an endpoint (default: the ldngraph evidence graph IRI).",
)
@click.option(
    "--update-url",
    default=None,
    help="SPARQL 1.1 Update URL when it differs from the query URL (e.g. Oxigraph server's /update, "
    "Virtuoso's /sparql-auth). Credentials: LDNGRAPH_SPARQL_USER and LDNGRAPH_SPARQL_PASSWORD.",
)
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
@profile_option
def push(
    data_dir: Path | None,
    spec: str,
    graph_iri: str | None,
    update_url: str | None,
    append: bool,
    profile: Path | None,
) -> None:
    """Build the scored graph straight into a SPARQL server or a persistent Oxigraph store.

    The fast build path (no rdflib graph: 10^5 studies in well under a minute into oxigraph:PATH).
    All or nothing: the new graph is loaded beside the old one and swapped in only when complete,
    so a failure leaves the store as it was.
    """
    from ldngraph.pipeline import push as push_graph
    from ldngraph.rdf.export import GRAPH_NAME
    from ldngraph.stores.store import is_persistent, open_store

    if not is_persistent(spec):
        raise click.UsageError(f"'{spec}' keeps nothing after the command; give a URL or oxigraph:PATH")
    if update_url is not None and not spec.strip().startswith(("http://", "https://")):
        raise click.UsageError(f"--update-url applies to a SPARQL endpoint URL, not to '{spec}'")
    store = open_store(spec, graph=graph_iri or str(GRAPH_NAME), update_url=update_url)
    try:
        push_graph(store, data_dir, profile, append=append)
        click.echo(f"loaded the graph into {spec}; it now holds {len(store)} triples", err=True)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning library errors into one line and exit status 1."""
    try:
        cli.main(args=argv, prog_name="ldngraph", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DataError as exc:
        for problem in exc.problems:
            click.echo(f"Error: {printable(problem)}", err=True)
        sys.exit(1)
    except LdnGraphError as exc:
        click.echo(f"Error: {printable(str(exc))}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(printable(f"Error: {exc.filename or ''}: {exc.strerror}"), err=True)
        sys.exit(1)
