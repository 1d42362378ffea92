"""Command-line interface: a thin click skin over the library.

The library raises :class:`ldngraph.errors.LdnGraphError`; :func:`main` turns it into one line on
stderr and exit status 1. Results go to stdout, progress and logs to stderr.

One module per command group: :mod:`~ldngraph.cli.build` (build, export, validate, push),
:mod:`~ldngraph.cli.query` (query, paths, explain, diff), :mod:`~ldngraph.cli.present` (viz, plot, sof,
report) and :mod:`~ldngraph.cli.pubmed` (fetch, import-pubmed, verify-citations, triage) and
:mod:`~ldngraph.cli.watch` (watch, watch status), :mod:`~ldngraph.cli.living` (impact, feed) and
:mod:`~ldngraph.cli.draft` (draft, draft list, draft accept), over the
shared options of :mod:`~ldngraph.cli.options`.
"""

from __future__ import annotations

import gc
import logging
import sys

import click

from ldngraph import buildcache
from ldngraph.atomic import use_checked_stdout
from ldngraph.cli import build, draft, living, present, pubmed, query, watch
from ldngraph.errors import DataError, LdnGraphError, printable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read, validate and score data/ anew, bypassing the build cache (also: LDNGRAPH_NO_CACHE=1). "
    "The cache is keyed on every input, so it is never stale: this is for checks and timing.",
)
@click.version_option(package_name="ldngraph")
def cli(verbose: bool, no_cache: bool) -> None:
    """ldngraph: a citation-grounded evidence knowledge graph for low-dose naltrexone."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
    buildcache.set_disabled(no_cache)


for _command in (
    build.build,
    build.export,
    build.validate_cmd,
    build.push,
    query.query,
    query.paths,
    query.explain,
    query.diff,
    pubmed.fetch,
    pubmed.import_pubmed,
    pubmed.verify_citations_command,
    pubmed.triage_command,
    present.viz,
    present.plot,
    present.sof,
    present.report,
    watch.watch,
    living.impact,
    living.feed,
    draft.draft,
):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning library errors into one line and exit status 1."""
    use_checked_stdout()  # a full disk under stdout is an error, not a short output (F15)
    # A command allocates tens of thousands of long-lived objects (models, triples) and frees
    # them at exit: the default thresholds (700, 10, 10) run full collections that find nothing
    # to free, about a tenth of a cold command's time (issue 24). Cycles are still collected.
    gc.set_threshold(100_000, 50, 100)
    try:
        cli.main(args=argv, prog_name="ldngraph", standalone_mode=False)
        sys.stdout.flush()
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
