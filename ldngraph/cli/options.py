"""Options and output helpers shared by the command modules (one decorator per option kind)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from ldngraph.errors import printable
from ldngraph.safetext import cell_text, to_json

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


exclude_option = click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="RULE",
    help="Leave studies out everywhere (sensitivity analysis; repeatable, or comma-separated): a study "
    "id, rob=high, rob=some_concerns, design=DESIGN or comparator=placebo|active|usual_care|none. Added "
    "to the profile's own exclude: list (its hash changes).",
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
    from ldngraph.atomic import check_output, protect_input_dirs, protect_inputs
    from ldngraph.ingest.cache import get_cache_dir, get_cache_path
    from ldngraph.locations import get_data_dir, get_queries_dir
    from ldngraph.pipeline import get_profile_path

    if output is None:
        return
    directory = data_dir if data_dir is not None else get_data_dir()
    queries, legacy = get_queries_dir(), get_cache_dir(directory)
    protect_inputs(
        directory, profile or get_profile_path(directory), queries, get_cache_path(directory), legacy
    )
    protect_input_dirs(  # a new file there would be read by the next run (F21)
        (directory, (".yaml", ".yml", ".sqlite"), "the curated data"),
        (queries, (".rq",), "the named queries"),
        (legacy, (".json",), "the PubMed cache directory that the database migrates"),
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


def echo_table(rows: Mapping[str, Any], indent: int = 0) -> None:
    width = max((len(k) for k in rows), default=0)
    for key, value in rows.items():
        if isinstance(value, Mapping):
            click.echo(" " * indent + f"{key}:")
            echo_table(value, indent + 2)
        else:
            click.echo(printable(" " * indent + f"{key:<{width}}  {value}"))


def cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def echo_rows(columns: list[str] | tuple[str, ...], rows: list[list[Any]], fmt: str) -> None:
    """Rows as an aligned table, JSON records or CSV, on stdout."""
    if fmt == "json":
        click.echo(to_json([dict(zip(columns, r, strict=True)) for r in rows], indent=2))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([cell_text(c) for c in columns])
        writer.writerows([cell_text(v) for v in r] for r in rows)
    else:
        shown = [
            ["" if v is None else f"{v:.6g}" if isinstance(v, float) else printable(str(v)) for v in r]
            for r in rows
        ]
        widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for r in shown:
            click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


cache_option = click.option(
    "--cache",
    "cache_file",
    type=click.Path(path_type=Path),
    default=None,
    help="PubMed database file (default: <data>/pubmed.sqlite; for an installed package's own data, "
    "$XDG_CACHE_HOME/ldngraph/pubmed.sqlite or ~/.cache/ldngraph/pubmed.sqlite). An old cache "
    "directory X/ is moved into X.sqlite once.",
)
