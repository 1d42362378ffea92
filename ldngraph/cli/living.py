"""Living-evidence commands (issue 25): ``impact`` (what trial would change a conclusion) and
``feed`` (an Atom feed of what changed since a ref)."""

from __future__ import annotations

from pathlib import Path

import click

from ldngraph.cli.options import cache_option, data_option, format_option, profile_option
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
