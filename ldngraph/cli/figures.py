"""``ldngraph plot rob | prisma | graph``: figures for a paper (issue 23). Each writes the image
named by ``-o`` (png/svg/pdf by suffix) or, with ``--format`` (repeatable), one file per format
beside it; PNG at 300 dpi. Added to the ``plot`` group by :mod:`ldngraph.cli.present`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from ldngraph.cli.options import data_option, guard_output, output_option, profile_option

F = TypeVar("F", bound=Callable[..., Any])


def image_formats_option(func: F) -> F:
    return click.option(
        "--format",
        "formats",
        type=click.Choice(["png", "svg", "pdf"]),
        multiple=True,
        help="Image format(s) to write beside -o's stem (repeat for several: --format png --format svg "
        "--format pdf); default: by -o's suffix.",
    )(func)


def get_targets(
    output: Path, formats: Sequence[str], guard: Callable[[Path], None]
) -> list[tuple[Path, str]]:
    """The files to write, each checked (suffix, not an input of the run) before any work."""
    from ldngraph.present.figure import get_paths

    targets = get_paths(output, formats)
    for path, _ in targets:
        guard(path)
    return targets


def save_all(fig: Any, targets: Sequence[tuple[Path, str]]) -> None:
    from ldngraph.present.figure import save_figure

    for path, fmt in targets:
        save_figure(fig, path, fmt)
        if str(path) != "-":
            click.echo(f"wrote {path}", err=True)


@click.command("rob")
@data_option
@click.option("--condition", default=None, help="Only the studies of one outcome of this condition.")
@click.option("--outcome", default=None, help="The outcome (with --condition): CURIE, label or synonym.")
@output_option("Image to write: .png, .svg or .pdf (or a stem, with --format).")
@image_formats_option
@profile_option
def rob(
    data_dir: Path | None,
    condition: str | None,
    outcome: str | None,
    output: Path,
    formats: tuple[str, ...],
    profile: Path | None,
) -> None:
    """Risk of bias as robvis draws it: a traffic-light plot (studies x RoB 2 / ROBINS-I domains
    and overall) and a summary bar plot weighted by participants, one panel per tool."""
    from ldngraph.present.robplot import describe, get_study_panels, to_rob_figure
    from ldngraph.present.sof import get_condition, read_inputs
    from ldngraph.present.sof_inputs import get_outcome_studies

    if (condition is None) != (outcome is None):
        raise click.UsageError("give --condition and --outcome together (or neither, for every study)")
    targets = get_targets(output, formats, lambda p: guard_output(p, data_dir, profile))
    kb, prof = read_inputs(data_dir, profile)
    title = "Risk of bias of the included studies"
    ids = None
    if condition is not None and outcome is not None:
        cond = get_condition(kb, condition)
        ids, label = get_outcome_studies(kb, prof, cond, outcome)
        title = f"Risk of bias: {label} in {kb.entity_index[cond].label}"
    panels = get_study_panels(kb, ids)
    save_all(to_rob_figure(panels, title=title), targets)
    if str(output) != "-":
        for line in describe(panels):
            click.echo(line)


@click.command("prisma")
@data_option
@output_option("Image to write: .png, .svg or .pdf (or a stem, with --format).")
@image_formats_option
def prisma(data_dir: Path | None, output: Path, formats: tuple[str, ...]) -> None:
    """PRISMA 2020 flow diagram of the screening log (data/screening.yaml): identification by
    source, duplicates, screening, retrieval, eligibility with reasons, inclusion."""
    from ldngraph.errors import ExportError
    from ldngraph.locations import get_data_dir
    from ldngraph.present.prisma import get_prisma_section
    from ldngraph.present.prisma_plot import describe, to_prisma_figure

    targets = get_targets(output, formats, lambda p: guard_output(p, data_dir, None))
    directory = data_dir if data_dir is not None else get_data_dir()
    section = get_prisma_section(directory)
    if section is None:
        raise ExportError(f"{directory}: no screening.yaml, so there is no PRISMA flow to draw")
    save_all(to_prisma_figure(section.counts), targets)
    if str(output) != "-":
        for line in describe(section.counts):
            click.echo(line)


@click.command("graph")
@data_option
@profile_option
@output_option("Image to write: .png, .svg or .pdf (or a stem, with --format).")
@image_formats_option
@click.option(
    "--focus", default=None, help="Draw only this entity's neighbourhood (CURIE, label or synonym)."
)
@click.option("--depth", type=click.IntRange(min=0), default=None, help="Hops around --focus (default 1).")
@click.option("--title", default="LDN evidence graph", show_default=True, help="Figure title.")
def graph(
    data_dir: Path | None,
    profile: Path | None,
    output: Path,
    formats: tuple[str, ...],
    focus: str | None,
    depth: int | None,
    title: str,
) -> None:
    """Static figure of the evidence graph (matplotlib, no browser): the viz's layout, colours
    and line styles, every label inside the canvas."""
    from ldngraph.pipeline import load
    from ldngraph.present.graph_plot import to_graph_figure

    targets = get_targets(output, formats, lambda p: guard_output(p, data_dir, profile))
    built = load(data_dir, profile)
    save_all(to_graph_figure(built, focus=focus, depth=depth, title=title), targets)


__all__ = ["get_targets", "graph", "image_formats_option", "prisma", "rob", "save_all"]
