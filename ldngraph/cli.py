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

from ldngraph.errors import DataError, LdnGraphError

F = TypeVar("F", bound=Callable[..., Any])

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Curated data directory (default: the shipped data/).",
)


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def _echo_table(rows: Mapping[str, Any], indent: int = 0) -> None:
    width = max((len(k) for k in rows), default=0)
    for key, value in rows.items():
        if isinstance(value, Mapping):
            click.echo(" " * indent + f"{key}:")
            _echo_table(value, indent + 2)
        else:
            click.echo(" " * indent + f"{key:<{width}}  {value}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="ldngraph")
def cli(verbose: bool) -> None:
    """ldngraph: a citation-grounded evidence knowledge graph for low-dose naltrexone."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)


@cli.command()
@data_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the graph to this file (format from the suffix: .ttl .jsonld .nt .trig).",
)
@format_option("table", "json")
def build(data_dir: Path | None, output: Path | None, fmt: str) -> None:
    """Validate data/, build the evidence graph and print a summary."""
    from ldngraph.export import guess_format, write_rdf
    from ldngraph.pipeline import get_summary, load

    if output is not None:
        guess_format(output)  # fail before any work on a bad suffix
    built = load(data_dir)
    if output is not None:
        write_rdf(built.graph, output)
        click.echo(f"wrote {len(built.graph)} triples to {output}", err=True)
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
    type=click.Choice(["ttl", "jsonld", "nt", "trig"]),
    default=None,
    help="RDF format (default: from the output suffix).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (written atomically).",
)
def export(data_dir: Path | None, fmt: str | None, output: Path) -> None:
    """Export the evidence graph as RDF."""
    from ldngraph.export import guess_format, write_rdf
    from ldngraph.pipeline import load

    fmt = fmt or guess_format(output)
    built = load(data_dir)
    write_rdf(built.graph, output, fmt)
    click.echo(f"wrote {len(built.graph)} triples to {output} ({fmt})", err=True)


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
@click.option("--append", is_flag=True, help="Add to the graph instead of replacing it.")
def push(data_dir: Path | None, spec: str, graph_iri: str | None, append: bool) -> None:
    """Load the built (scored) graph into a SPARQL server or a persistent Oxigraph store."""
    from ldngraph.export import GRAPH_NAME
    from ldngraph.pipeline import load
    from ldngraph.store import is_persistent, open_store

    if not is_persistent(spec):
        raise click.UsageError(f"'{spec}' keeps nothing after the command; give a URL or oxigraph:PATH")
    built = load(data_dir)
    store = open_store(spec, graph=graph_iri or str(GRAPH_NAME))
    if not append:
        store.clear()
    store.load(built.graph)
    click.echo(f"loaded {len(built.graph)} triples into {spec}; it now holds {len(store)}", err=True)
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
            click.echo(f"Error: {problem}", err=True)
        sys.exit(1)
    except LdnGraphError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: {exc.filename or ''}: {exc.strerror}", err=True)
        sys.exit(1)
