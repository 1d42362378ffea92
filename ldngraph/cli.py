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
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Check the built graph against the SHACL shapes before writing it.",
)
def build(data_dir: Path | None, output: Path | None, fmt: str, validate: bool) -> None:
    """Validate data/, build the evidence graph and print a summary."""
    from ldngraph.export import guess_format, write_rdf
    from ldngraph.pipeline import get_summary, load

    if output is not None:
        guess_format(output)  # fail before any work on a bad suffix
    built = load(data_dir)
    if validate:
        from ldngraph.validate import check_graph

        check_graph(built.graph)  # the build checks its own output before writing it
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
    type=click.Choice(["ttl", "jsonld", "nt", "trig", "kgx", "graphml"]),
    default=None,
    help="RDF format, or kgx / graphml (default: from the output suffix).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (atomically); for kgx a prefix P giving P_nodes.jsonl and P_edges.jsonl.",
)
def export(data_dir: Path | None, fmt: str | None, output: Path) -> None:
    """Export the evidence graph as RDF, KGX JSON Lines or GraphML."""
    from ldngraph.export import guess_export_format, write_graphml, write_kgx, write_rdf
    from ldngraph.pipeline import load

    fmt = fmt or guess_export_format(output)
    built = load(data_dir)
    if fmt == "kgx":
        written = " and ".join(map(str, write_kgx(built.graph, output)))
    elif fmt == "graphml":
        written = str(write_graphml(built.graph, output))
    else:
        written = str(write_rdf(built.graph, output, fmt))
    click.echo(f"wrote {written} ({fmt}, from {len(built.graph)} triples)", err=True)


# -- hardening --


@cli.command(name="validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@format_option("table", "json")
def validate_cmd(file: Path | None, data_dir: Path | None, fmt: str) -> None:
    """Check an RDF FILE (default: the graph built from data/) against the SHACL shapes.

    Prints the results grouped by shape, with counts and the first few focus nodes; exits with
    status 1 when the graph does not conform.
    """
    from ldngraph.errors import ValidationFailed
    from ldngraph.validate import read_graph, validate_graph

    if file is not None:
        graph = read_graph(file)
    else:
        from ldngraph.pipeline import load

        graph = load(data_dir).graph
    report = validate_graph(graph)
    click.echo(report.model_dump_json(indent=2) if fmt == "json" else "\n".join(report.to_lines()))
    if not report.conforms:
        raise ValidationFailed(f"{file or 'the built graph'} {report.summary()}")


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
