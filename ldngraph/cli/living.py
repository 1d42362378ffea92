"""Living-evidence commands (issue 25): ``impact`` (what trial would change a conclusion) and
``feed`` (an Atom feed of what changed since a ref)."""

from __future__ import annotations

from pathlib import Path

import click

from ldngraph.cli.options import (
    cache_option,
    data_option,
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
@cache_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@click.option("--outcome", default=None, help="Outcome (default: the condition's critical outcome).")
@click.option(
    "--cap",
    type=click.IntRange(min=2, max=1_000_000),
    default=10_000,
    show_default=True,
    help="Largest trial tried, participants per arm.",
)
@format_option("text", "json")
def impact(
    data_dir: Path | None,
    profile: Path | None,
    cache_file: Path | None,
    condition: str,
    outcome: str | None,
    cap: int,
    fmt: str,
) -> None:
    """What would change the conclusion: for the condition's critical outcome, the smallest
    placebo-controlled, blinded, low-risk RCT (n per arm) whose null result, or result at the MID,
    moves the conclusion or the certainty, found by bisection over n with the real engine; and what
    each registered trial of the screening log would do at its enrolment (docs/living.md)."""
    from ldngraph.evidence.impact import to_records
    from ldngraph.pipeline import read_impact

    found = read_impact(condition, data_dir, profile, outcome=outcome, cap=cap, cache=cache_file)
    if fmt == "json":
        click.echo(to_json(to_records(found), indent=2))
        return
    for item in found:
        for line in item.to_lines():
            click.echo(printable(line))
    if not found:
        click.echo(f"no critical outcome with an effect body for {condition}", err=True)


@click.command()
@data_option
@profile_option
@click.option(
    "--since",
    required=True,
    metavar="REF",
    help="What the feed compares with: a git ref (data/ at that commit), or a data directory, "
    "profile, graph file or store as diff takes it.",
)
@output_option("Atom file to write (-: stdout).")
@click.option("--title", default=None, help="Feed title (default: 'ldngraph: what changed ... since REF').")
def feed(data_dir: Path | None, profile: Path | None, since: str, output: Path, title: str | None) -> None:
    """Write an Atom 1.0 feed of what changed since REF: new studies, and outcome bodies whose
    conclusion or certainty moved, with the reasons diff gives; deterministic entry ids, so a feed
    reader shows each change once (docs/living.md)."""
    from ldngraph.atomic import write_text_atomic
    from ldngraph.pipeline import read_changes
    from ldngraph.present.feed import to_atom
    from ldngraph.present.report_sof import get_build_time

    guard_output(output, data_dir, profile)
    changes = read_changes(since, data_dir, profile)
    write_text_atomic(output, to_atom(changes, updated=get_build_time(), title=title))
    shown = len(changes.new_studies) + len(changes.removed_studies) + len(changes.moves)
    click.echo(f"wrote {output}: {shown} entries", err=True)
