"""Commands that write what a reader sees: ``viz``, ``plot``, ``sof``, ``report``."""

from __future__ import annotations

from pathlib import Path

import click

from ldngraph.cli import figures
from ldngraph.cli.figures import get_targets, image_formats_option, save_all
from ldngraph.cli.options import (
    data_option,
    exclude_option,
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
@output_option("Image to write: .png, .svg or .pdf (or a stem, with --format).")
@image_formats_option
@exclude_option
def forest(
    data_dir: Path | None,
    profile: Path | None,
    condition: str,
    outcome: str,
    output: Path,
    formats: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Forest plot of one outcome: Study, n LDN/comparator, each study's effect with 95% CI and
    weight, risk-of-bias traffic lights, the pooled diamond, reviews' own pooled results apart,
    heterogeneity (tau², I²) and the minimal important difference band."""
    from ldngraph.present.forest import get_forest_extras, to_forest_figure
    from ldngraph.present.sof import get_condition, read_inputs
    from ldngraph.present.sof_inputs import get_forest_inputs

    targets = get_targets(output, formats, lambda p: guard_output(p, data_dir, profile))
    kb, prof = read_inputs(data_dir, profile, exclude=exclude)
    summary, title, mid = get_forest_inputs(kb, prof, get_condition(kb, condition), outcome)
    extras = get_forest_extras(kb, summary)
    save_all(to_forest_figure(summary, title=title, mid=mid, extras=extras), targets)
    if str(output) != "-":
        for e in summary.studies:
            ci = f"[{e.ci_lower:.3g}, {e.ci_upper:.3g}]"
            click.echo(f"{cell_text(e.label)}\t{e.value:g}\t{ci}\tweight {e.weight:.1f}%")
    click.echo(f"{summary.note}", err=True)


for _figure in (figures.rob, figures.prisma, figures.graph):
    plot.add_command(_figure)


@click.command()
@data_option
@profile_option
@click.option("--condition", required=True, help="Condition: CURIE, label or synonym.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "html", "json", "csv"]),
    default=None,
    help="Output format (default: text on a terminal, md when piped or redirected).",
)
@exclude_option
def sof(
    data_dir: Path | None, profile: Path | None, condition: str, fmt: str | None, exclude: tuple[str, ...]
) -> None:
    """GRADE summary-of-findings table for a condition: the question (PICO), one row per outcome
    (critical first, a critical outcome with no studies included) with studies, participants, effect
    (95% CI), certainty, footnotes in GRADE's words and a plain-language statement; GRADE's
    definitions, abbreviations, search date and references below; one more table per comparison
    when the studies have several comparators. --exclude RULE: a sensitivity analysis."""
    import shutil
    import sys

    from ldngraph.locations import get_data_dir
    from ldngraph.pipeline import get_profile, load, read_registry
    from ldngraph.present.sof import get_condition
    from ldngraph.present.sof_tables import get_sof_tables
    from ldngraph.present.sof_text import render_tables

    # the bodies the scores were computed from (registry included), from the build cache if current
    built = load(data_dir, profile, exclude=exclude)
    prof = get_profile(data_dir, profile, exclude=exclude)
    directory = built.data_dir or get_data_dir()
    registry = read_registry(directory, built.kb)  # registered trials: per-comparison tables' bodies
    tables = get_sof_tables(
        built.kb,
        prof,
        get_condition(built.kb, condition),
        data_dir=directory,
        bodies=dict(built.scores.bodies),
        registry=registry,
    )
    chosen = fmt or ("text" if sys.stdout.isatty() else "md")
    width = shutil.get_terminal_size((120, 24)).columns
    click.echo(render_tables(tables, chosen, width=width), nl=False)


@click.command()
@data_option
@profile_option
@output_option("Brief to write: .md (Markdown) or .html.")
@exclude_option
@click.option(
    "--since",
    default=None,
    metavar="REF",
    help="Add 'What changed since REF': a git ref (data/ at that commit), or a data directory, "
    "profile, graph file or store as diff takes it.",
)
def report(
    data_dir: Path | None, profile: Path | None, output: Path, exclude: tuple[str, ...], since: str | None
) -> None:
    """Write the evidence brief: per condition and mechanism, every sentence cited, gaps listed;
    each condition opens with its summary-of-findings table, forest plots and a "What would change
    this" line (ldngraph impact); PRISMA counts close it; --since REF adds what changed since REF."""
    from ldngraph.locations import get_data_dir
    from ldngraph.pipeline import get_impacts, get_profile, load, read_changes, read_registry
    from ldngraph.present.prisma import get_prisma_section
    from ldngraph.present.report import write_report
    from ldngraph.present.report_living import Living

    guard_output(output, data_dir, profile)
    built = load(data_dir, profile, exclude=exclude)
    directory = data_dir if data_dir is not None else get_data_dir()
    labels = {e.id: e.label for e in built.kb.entities}
    prisma = get_prisma_section(directory, labels)
    prof = get_profile(data_dir, profile, exclude=exclude)
    living = Living(
        impacts=get_impacts(built.kb, built.scores.bodies, Path(directory), prof),
        changes=read_changes(since, data_dir, profile, built=built) if since else None,
    )
    registry = read_registry(built.data_dir or get_data_dir(), built.kb)  # publication bias in the SoF
    write_report(
        built.kb,
        built.graph,
        output,
        profile=prof,
        prisma=prisma,
        living=living,
        registry=registry,
        data_dir=directory,
    )
    click.echo(f"wrote {output}", err=True)
