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


# -- see the evidence: viz, plot, report --


@cli.command()
@data_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="HTML file to write.",
)
@click.option(
    "--focus", default=None, help="Draw only this entity's neighbourhood (CURIE, label or synonym)."
)
@click.option("--depth", type=click.IntRange(min=0), default=None, help="Hops around --focus (default 1).")
@click.option("--title", default="LDN evidence graph", show_default=True, help="Page title.")
def viz(data_dir: Path | None, output: Path, focus: str | None, depth: int | None, title: str) -> None:
    """Write an interactive, offline HTML view of the evidence graph (one self-contained file)."""
    from ldngraph.pipeline import load
    from ldngraph.viz import write_html

    built = load(data_dir)
    write_html(built, output, focus=focus, depth=depth, title=title)
    click.echo(f"wrote {output}", err=True)


@cli.group()
def plot() -> None:
    """Static figures of the evidence (matplotlib)."""


@plot.command("evidence-map")
@data_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Image to write: .png, .svg or .pdf.",
)
def evidence_map(data_dir: Path | None, output: Path) -> None:
    """Conditions x study design bubble chart (size = participants, colour = direction)."""
    from ldngraph.pipeline import load
    from ldngraph.plot import describe, get_evidence_map, get_format, write_evidence_map

    get_format(output)  # fail before any work on a bad suffix
    built = load(data_dir)
    write_evidence_map(built, output)
    for line in describe(get_evidence_map(built.kb, built.graph)):
        click.echo(line)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@data_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Brief to write: .md (Markdown) or .html.",
)
def report(data_dir: Path | None, output: Path) -> None:
    """Write the evidence brief: per condition and mechanism, every sentence cited, gaps listed."""
    from ldngraph.pipeline import load
    from ldngraph.report import write_report

    built = load(data_dir)
    write_report(built.kb, built.graph, output)
    click.echo(f"wrote {output}", err=True)


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
