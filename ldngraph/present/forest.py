"""Forest plots: one row per study (estimate, 95% CI, weight), the pooled diamond, heterogeneity and
the minimal important difference band.

Drawn from an :class:`ldngraph.evidence.effects.EffectSummary` (the same numbers the summary-of-
findings table shows). Ratio measures use a log x axis. matplotlib runs on the Agg backend
(headless); files are written atomically (png, svg or pdf by suffix).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ldngraph.atomic import write_with_atomic
from ldngraph.errors import ExportError
from ldngraph.evidence.effects import MEASURE_LABELS, EffectSummary, StudyEffect
from ldngraph.limits import LABEL_CHARS
from ldngraph.model.terms import RATIO_MEASURES
from ldngraph.present.plot import check_canvas, figure_text, get_format, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STUDY_COLOUR = "#2b5c8a"
POOLED_COLOUR = "#b2182b"
MID_COLOUR = "#fee08b"


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def heterogeneity_text(summary: EffectSummary) -> str:
    """'Heterogeneity: tau² = 0.71; I² = 68%; Q = 24.80 (df = 8)' (or why there is none)."""
    pooled = summary.pooled
    if pooled is None or pooled.k == 1 or pooled.tau2 is None:
        return "Heterogeneity: not applicable (one estimate)"
    return (
        f"Heterogeneity: tau² = {pooled.tau2:.3g}; I² = {pooled.i2 or 0:.0f}%; "
        f"Q = {pooled.q or 0:.2f} (df = {pooled.k - 1})"
    )


def _row_text(e: StudyEffect) -> str:
    known = e.ci_lower is not None and e.ci_upper is not None
    ci = f"[{_fmt(e.ci_lower or 0)}, {_fmt(e.ci_upper or 0)}]" if known else ""
    weight = f"{e.weight:.1f}%" if e.weight is not None else ""
    return f"{_fmt(e.value)} {ci}  {weight}".strip()


def to_forest_figure(summary: EffectSummary, *, title: str, mid: float | None = None) -> Figure:
    """The forest plot of ``summary``; ``mid`` draws the band null +- MID (MD/SMD scale)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    pooled = summary.pooled
    if pooled is None:
        raise ExportError(f"no forest plot for {summary.outcome}: {summary.note}")
    rows = list(summary.studies)
    ratio = pooled.measure in RATIO_MEASURES
    null = 1.0 if ratio else 0.0
    height = 1.6 + 0.42 * (len(rows) + 2)
    fig = Figure(figsize=(9.0, height), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(rows), 0, -1))
    for y, e in zip(ys, rows, strict=True):
        if e.ci_lower is not None and e.ci_upper is not None:
            ax.plot([e.ci_lower, e.ci_upper], [y, y], color=STUDY_COLOUR, linewidth=1.4, zorder=3)
        size = 4.0 + 0.12 * (e.weight or 100.0)
        ax.plot([e.value], [y], marker="s", markersize=size, color=STUDY_COLOUR, zorder=4, linestyle="")
    yd = 0.0
    top, bottom = (pooled.value, yd + 0.3), (pooled.value, yd - 0.3)
    diamond = [(pooled.ci_lower, yd), top, (pooled.ci_upper, yd), bottom]
    ax.add_patch(Polygon(diamond, closed=True, color=POOLED_COLOUR, zorder=4))
    if pooled.pi_lower is not None and pooled.pi_upper is not None:
        ax.plot(
            [pooled.pi_lower, pooled.pi_upper],
            [yd - 0.45, yd - 0.45],
            color=POOLED_COLOUR,
            linewidth=1,
            linestyle="--",
            label="95% prediction interval",
        )
    ax.axvline(null, color="black", linewidth=0.8, zorder=2)
    if mid is not None and not ratio:
        ax.axvspan(
            null - mid,
            null + mid,
            color=MID_COLOUR,
            alpha=0.5,
            zorder=1,
            label=f"minimal important difference (±{mid:g})",
        )
    if ratio:
        ax.set_xscale("log")
    labels = [figure_text(e.label) for e in rows]
    head = "Pooled (random effects)" if pooled.k > 1 else "Effect (one study)"
    if summary.status == "review":
        head = "Pooled, as the review reports it"
    ax.set_yticks([*ys, yd], [*labels, head])
    right = ax.secondary_yaxis("right")
    pooled_text = f"{_fmt(pooled.value)} [{_fmt(pooled.ci_lower)}, {_fmt(pooled.ci_upper)}]"
    right.set_yticks([*ys, yd], [*(_row_text(e) for e in rows), pooled_text])
    right.tick_params(length=0)
    ax.set_ylim(-1.0, len(rows) + 0.8)
    lower = pooled.lower_is_better
    words = ("favours LDN", "favours comparator")
    left_word, right_word = words if lower else words[::-1]
    scale = figure_text(pooled.scale)
    ax.set_xlabel(f"{MEASURE_LABELS[pooled.measure]} ({scale}), 95% CI   ← {left_word} | {right_word} →")
    ax.set_title(
        f"{figure_text(title, limit=3 * LABEL_CHARS.as_int())}\n{heterogeneity_text(summary)}", fontsize=10
    )
    ax.grid(True, axis="x", color="#eeeeee", zorder=0)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), fontsize=8, frameon=False, ncol=2)
    return fig


def write_forest(summary: EffectSummary, path: Path | str, *, title: str, mid: float | None = None) -> Path:
    """Draw and write the forest plot (format from the suffix) atomically."""
    fmt = get_format(path)
    fig = to_forest_figure(summary, title=title, mid=mid)
    check_canvas(fig, str(path))
    return write_with_atomic(path, lambda handle: save_figure(fig, handle, fmt))


def to_png_bytes(summary: EffectSummary, *, title: str, mid: float | None = None) -> bytes:
    """The forest plot as PNG bytes (for embedding in the HTML report as a data: URI)."""
    fig = to_forest_figure(summary, title=title, mid=mid)
    check_canvas(fig, f"the forest plot of {summary.outcome}")
    buffer = io.BytesIO()
    save_figure(fig, buffer, "png")
    return buffer.getvalue()
