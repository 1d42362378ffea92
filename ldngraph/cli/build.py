"""Commands that make the graph and move it: ``build``, ``export``, ``validate``, ``push``."""

from __future__ import annotations

from pathlib import Path

import click

from ldngraph.cli.options import (
    data_option,
    echo_table,
    exclude_option,
    format_option,
    guard_output,
    output_option,
    profile_option,
)
from ldngraph.errors import printable
from ldngraph.safetext import to_json


@click.command()
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
    from ldngraph import buildcache
    from ldngraph.pipeline import get_summary, load

    if output is not None:  # rdflib only when a file is written (a cached build needs none)
        from ldngraph.rdf.export import guess_format, write_rdf

        guess_format(output)  # fail before any work on a bad suffix
    guard_output(output, data_dir, profile)
    built = load(data_dir, profile)
    if validate and not (built.cache_key and buildcache.is_validated(built.cache_key)):
        from ldngraph.rdf.validate import check_graph

        check_graph(built.graph)  # the build checks its own output before writing it
        if built.cache_key:  # the same graph (same data, shapes and code) needs no second check
            buildcache.set_validated(built.cache_key)
    if output is not None:
        write_rdf(built.graph, output)
        # the file also carries dataset metadata and Biolink/SEPIO typing (export.with_interop)
        click.echo(f"wrote {output} (the graph's {len(built.graph)} triples plus dataset metadata)", err=True)
    summary = get_summary(built)
    if fmt == "json":
        click.echo(to_json(summary, indent=2))
    else:
        echo_table(summary)


@click.command()
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
@exclude_option
def export(
    data_dir: Path | None, fmt: str | None, output: Path, profile: Path | None, exclude: tuple[str, ...]
) -> None:
    """Export the evidence graph as RDF, KGX JSON Lines or GraphML (scored with --profile; every claim
    edge carries its conclusion, holds, certainty, effect and outcome)."""
    from ldngraph.pipeline import load
    from ldngraph.rdf.export import (
        guess_export_format,
        kgx_meta_path,
        kgx_paths,
        write_graphml,
        write_kgx,
        write_rdf,
    )

    fmt = fmt or guess_export_format(output)
    if fmt == "kgx":
        kgx_paths(output)  # '-' is refused before any work
    guard_output(output, data_dir, profile)
    built = load(data_dir, profile, exclude=exclude)
    if fmt == "kgx":
        written = ", ".join(map(str, write_kgx(built.graph, output))) + f" and {kgx_meta_path(output)}"
    elif fmt == "graphml":
        written = str(write_graphml(built.graph, output))
    else:
        written = str(write_rdf(built.graph, output, fmt))
    click.echo(f"wrote {written} ({fmt}, from {len(built.graph)} triples)", err=True)


@click.command(name="validate")
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
            click.echo(to_json(problems, indent=2) if fmt == "json" else "\n".join(problems))
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


@click.command()
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
@click.option(
    "--swap-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Time the endpoint may take for the swap (the one request that replaces the graph); "
    "default: LDNGRAPH_SWAP_TIMEOUT or 600.",
)
@profile_option
def push(
    data_dir: Path | None,
    spec: str,
    graph_iri: str | None,
    update_url: str | None,
    append: bool,
    swap_timeout: float | None,
    profile: Path | None,
) -> None:
    """Build the scored graph straight into a SPARQL server or a persistent Oxigraph store.

    The fast build path (no rdflib graph: 10^5 studies in well under a minute into oxigraph:PATH).
    All or nothing: the new graph is loaded beside the old one and swapped in only when complete,
    so a failure leaves the store as it was. After a fault (a lost reply, a timeout, a 502/504)
    push asks the server which graph it holds and says so: exit 0 and "loaded the graph" when it
    holds the new graph, exit 1 and "... keeps its previous content" when it does not.
    Credentials: LDNGRAPH_SPARQL_USER and LDNGRAPH_SPARQL_PASSWORD; LDNGRAPH_SPARQL_AUTH=digest or
    digest-or-https never sends a password readable over plain http.
    """
    from ldngraph.pipeline import push as push_graph
    from ldngraph.rdf.export import GRAPH_NAME
    from ldngraph.stores.store import is_persistent, open_store

    if not is_persistent(spec):
        raise click.UsageError(f"'{spec}' keeps nothing after the command; give a URL or oxigraph:PATH")
    endpoint = spec.strip().startswith(("http://", "https://"))
    if update_url is not None and not endpoint:
        raise click.UsageError(f"--update-url applies to a SPARQL endpoint URL, not to '{spec}'")
    if swap_timeout is not None and not endpoint:
        raise click.UsageError(f"--swap-timeout applies to a SPARQL endpoint URL, not to '{spec}'")
    store = open_store(
        spec, graph=graph_iri or str(GRAPH_NAME), update_url=update_url, swap_timeout=swap_timeout
    )
    try:
        report = push_graph(store, data_dir, profile, append=append)
    finally:
        store.close()
    for note in report.notes:
        click.echo(printable(f"note: {note}"), err=True)
    held = f"; it now holds {report.triples} triples" if report.triples is not None else ""
    click.echo(f"loaded the graph into {spec}{held}", err=True)
