"""Commands that write what a reader sees: ``viz``, ``plot``, ``sof``, ``report``."""

from __future__ import annotations

from pathlib import Path

import click

from ldngraph.cli.options import (
    data_option,
    format_option,
    guard_output,
    output_option,
    profile_option,
)
from ldngraph.safetext import cell_text, to_json


@click.command()
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


@click.group()
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
        click.echo(to_json(to_records(emap), indent=2))
    else:
        for line in describe(emap):
            click.echo(line)
    click.echo(f"wrote {output}", err=True)


@plot.command("forest")
@data_option
@profile_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@click.option("--outcome", required=True, help="Outcome: CURIE, label or synonym.")
@output_option("Image to write: .png, .svg or .pdf.")
def forest(data_dir: Path | None, profile: Path | None, condition: str, outcome: str, output: Path) -> None:
    """Forest plot of one outcome: each study's effect, 95% CI and weight, the pooled diamond,
    heterogeneity (tau², I²) and the minimal important difference band."""
    from ldngraph.present.forest import write_forest
    from ldngraph.present.plot import get_format
    from ldngraph.present.sof import get_condition, get_forest_inputs, read_inputs

    get_format(output)  # fail before any work on a bad suffix
    kb, prof = read_inputs(data_dir, profile)
    summary, title, mid = get_forest_inputs(kb, prof, get_condition(kb, condition), outcome)
    write_forest(summary, output, title=title, mid=mid)
    for e in summary.studies:
        click.echo(
            f"{cell_text(e.label)}\t{e.value:g}\t[{e.ci_lower:.3g}, {e.ci_upper:.3g}]\tweight {e.weight:.1f}%"
        )
    click.echo(f"wrote {output}: {summary.note}", err=True)


@click.command()
@data_option
@profile_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@format_option("md", "html", "json", "csv")
def sof(data_dir: Path | None, profile: Path | None, condition: str, fmt: str) -> None:
    """GRADE summary-of-findings table for a condition: one row per outcome (critical first) with
    studies, participants, effect (95% CI), certainty, downgrade footnotes and a plain-language
    statement."""
    from ldngraph.present.sof import get_condition, get_sof_table, read_inputs, render

    kb, prof = read_inputs(data_dir, profile)
    click.echo(render(get_sof_table(kb, prof, get_condition(kb, condition)), fmt), nl=False)


@click.command()
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
