"""Forest plots as RevMan and robvis's ``rob_forest`` lay them out: a table beside the plot.

Columns: Study | n LDN/comparator (the arms where the source gives them, else the total) | the
plot (each study's estimate and 95% CI, square area by weight; the pooled diamond; the 95%
prediction interval; the minimal important difference as a band over the rows) | estimate
[95% CI] | weight | the study's risk-of-bias judgements as traffic lights (RoB 2 or ROBINS-I
domains and overall, robvis's symbols and colours). Below the pooled row, reviews' own pooled
results on the same measure are shown as separate rows, never pooled again. A random-effects pool
of two studies carries a warning (tau² cannot be estimated from two studies).

Every number comes from an :class:`ldngraph.evidence.effects.EffectSummary` (the same numbers the
summary-of-findings table shows) and from the curated studies (arms, risk of bias); none is
computed here. Ratio measures use a log x axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ldngraph.errors import ExportError
from ldngraph.evidence.effects import MEASURE_LABELS, EffectSummary, StudyEffect, get_row_estimate
from ldngraph.model import KnowledgeBase
from ldngraph.model.terms import RATIO_MEASURES
from ldngraph.present import palette
from ldngraph.present.figure import get_format, safe_text, save_figure, to_bytes, use_agg
from ldngraph.present.robplot import TOOL_LABELS, RobPanel, get_rob_panels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

K2_WARNING = (
    "Caution: random effects with k = 2: the between-study variance (tau²) cannot be estimated "
    "reliably from two studies"
)
#: Resolution of the forest plots embedded in the HTML brief (screen, not print).
EMBED_DPI = 150


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


@dataclass(frozen=True)
class ForestExtras:
    """What the curated studies add beside the estimates: arm sizes and risk of bias."""

    arms: Mapping[tuple[str, float], tuple[int | None, int | None]]  # (study, value) -> (LDN, comparator)
    rob: RobPanel | None  # one tool's judgements of the studies drawn (None: none, or two tools)
    tools: Mapping[str, str]  # study -> tool label, when the studies were judged with two tools
    rob_overall: Mapping[str, str]  # study -> overall judgement (either tool)


def get_forest_extras(kb: KnowledgeBase, summary: EffectSummary) -> ForestExtras:
    """Arm sizes of each drawn estimate (from its curated EffectEstimate) and the studies' RoB."""
    drawn = [*summary.studies, *summary.others]
    ids = {e.study for e in drawn}
    arms: dict[tuple[str, float], tuple[int | None, int | None]] = {}
    for sid in ids:
        for out in kb.study_index[sid].outcomes:
            est = get_row_estimate(out) if out.outcome == summary.outcome else None
            if est is not None:
                arms[(sid, est.value)] = (est.n_intervention, est.n_control)
    panels = get_rob_panels(kb.study_index[s] for s in ids)
    overall = {r.study: r.overall for p in panels for r in p.rows}
    if len(panels) == 1:
        return ForestExtras(arms, panels[0], {}, overall)
    tools = {r.study: TOOL_LABELS[p.tool].split(" ")[0] for p in panels for r in p.rows}
    return ForestExtras(arms, None, tools, overall)


@dataclass(frozen=True)
class _Row:
    y: float
    label: str
    n: str
    estimate: str
    weight: str
    study: str | None  # for the RoB cells


def _n_text(e: StudyEffect, extras: ForestExtras | None) -> str:
    arms = extras.arms.get((e.study, e.value)) if extras is not None and not e.from_review else None
    if arms is not None and arms[0] and arms[1]:
        return f"{arms[0]}/{arms[1]}"
    return f"{e.n} total" if e.n else "NR"


def _ci_text(value: float, lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return f"{_fmt(value)} (no CI)"
    return f"{_fmt(value)} [{_fmt(lo)}, {_fmt(hi)}]"


def _reviews(summary: EffectSummary) -> list[StudyEffect]:
    """Reviews' own pooled results on the headline's measure and scale (drawn, not pooled)."""
    if summary.pooled is None or summary.status == "review":
        return []
    key = summary.studies[0].pool_key if summary.studies else None
    return [e for e in summary.others if e.from_review and e.pool_key == key and e.ci_lower is not None]


def _layout_rows(summary: EffectSummary, extras: ForestExtras | None) -> tuple[list[_Row], dict[str, float]]:
    pooled = summary.pooled
    assert pooled is not None
    rows: list[_Row] = []
    y = 0.0
    repeated = {e.study for e in summary.studies if sum(o.study == e.study for o in summary.studies) > 1}
    for e in summary.studies:
        y -= 1
        weight = f"{e.weight:.1f}%" if e.weight is not None else ""
        label = e.label + (f" (review, k = {e.k})" if e.from_review else "")
        if e.study in repeated:  # one study, several estimates: say which is which
            label = f"{safe_text(e.label, 24)} ({', '.join(p for p in (e.time_point, e.scale) if p)})"
        rows.append(
            _Row(
                y,
                safe_text(label),
                _n_text(e, extras),
                _ci_text(e.value, e.ci_lower, e.ci_upper),
                weight,
                None if e.from_review else e.study,
            )
        )
    marks = {"last_study": y}
    y -= 1.2
    if summary.status == "review":
        head = "Pooled, as the review reports it"
    elif pooled.k > 1:
        head = f"Random effects (k = {pooled.k})"
    else:
        head = "Effect (one study)"
    total = f"{pooled.n} total" if pooled.n else ""
    rows.append(
        _Row(
            y,
            head,
            total,
            _ci_text(pooled.value, pooled.ci_lower, pooled.ci_upper),
            "100%" if summary.status != "review" else "",
            None,
        )
    )
    marks["pooled"] = y
    if pooled.pi_lower is not None and pooled.pi_upper is not None:
        y -= 0.8
        marks["pi"] = y
        rows.append(
            _Row(
                y,
                "95% prediction interval",
                "",
                f"[{_fmt(pooled.pi_lower)}, {_fmt(pooled.pi_upper)}]",
                "",
                None,
            )
        )
    reviews = _reviews(summary)
    if reviews:
        y -= 1.2
        marks["reviews_head"] = y
        for e in reviews:
            y -= 1
            rows.append(
                _Row(
                    y,
                    safe_text(f"{e.label} (k = {e.k})"),
                    _n_text(e, extras),
                    _ci_text(e.value, e.ci_lower, e.ci_upper),
                    "not pooled",
                    None,
                )
            )
    marks["bottom"] = y
    return rows, marks


def _ticks(ax: Axes, *, ratio: bool, lo: float, hi: float) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

    if ratio:
        nice = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
        chosen = [t for t in nice if lo <= t <= hi] or [1.0]
        ax.xaxis.set_major_locator(FixedLocator(chosen))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.tick_params(axis="x", labelsize=8)


def _draw_plot(ax: Axes, summary: EffectSummary, marks: Mapping[str, float], mid: float | None) -> None:
    from matplotlib.patches import Polygon

    pooled = summary.pooled
    assert pooled is not None
    ratio = pooled.measure in RATIO_MEASURES
    null = 1.0 if ratio else 0.0
    xs = [null, pooled.ci_lower, pooled.ci_upper]
    for i, e in enumerate(summary.studies):
        y = -1.0 - i
        if e.ci_lower is not None and e.ci_upper is not None:
            ax.plot([e.ci_lower, e.ci_upper], [y, y], color=palette.INK, linewidth=1.1, zorder=3)
            xs += [e.ci_lower, e.ci_upper]
        size = 4.0 + 0.12 * (e.weight if e.weight is not None else 100.0)
        ax.plot([e.value], [y], marker="s", markersize=size, color=palette.INK, linestyle="", zorder=4)
    yd = marks["pooled"]
    diamond = [
        (pooled.ci_lower, yd),
        (pooled.value, yd + 0.35),
        (pooled.ci_upper, yd),
        (pooled.value, yd - 0.35),
    ]
    ax.add_patch(Polygon(diamond, closed=True, facecolor=palette.INK, edgecolor=palette.INK, zorder=4))
    if "pi" in marks and pooled.pi_lower is not None and pooled.pi_upper is not None:
        ax.plot(
            [pooled.pi_lower, pooled.pi_upper],
            [marks["pi"]] * 2,
            color=palette.INK,
            linewidth=1.0,
            linestyle=(0, (4, 2)),
            zorder=3,
        )
        xs += [pooled.pi_lower, pooled.pi_upper]
    for i, e in enumerate(_reviews(summary)):
        y = marks["reviews_head"] - 1 - i
        assert e.ci_lower is not None and e.ci_upper is not None
        hollow = [(e.ci_lower, y), (e.value, y + 0.3), (e.ci_upper, y), (e.value, y - 0.3)]
        ax.add_patch(Polygon(hollow, closed=True, facecolor="white", edgecolor=palette.INK, zorder=4))
        xs += [e.ci_lower, e.ci_upper]
    if mid is not None and not ratio:
        xs += [null - 1.3 * mid, null + 1.3 * mid]
        ax.fill_betweenx(
            [marks["last_study"] - 0.5, -0.5],
            null - mid,
            null + mid,
            color=palette.BAND,
            zorder=1,
            linewidth=0,
        )
    lo, hi = min(xs), max(xs)
    if ratio:
        pad = (hi / lo) ** 0.06
        ax.set_xscale("log")
        ax.set_xlim(lo / pad, hi * pad)
    else:
        pad = (hi - lo) * 0.06 or 1.0
        ax.set_xlim(lo - pad, hi + pad)
    ax.axvline(null, color=palette.INK, linewidth=0.8, zorder=2)
    _ticks(ax, ratio=ratio, lo=ax.get_xlim()[0], hi=ax.get_xlim()[1])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    lower = pooled.lower_is_better
    words = ("Favours LDN", "Favours comparator")
    left_word, right_word = words if lower else words[::-1]
    ax.set_xlabel(f"{left_word}  ←   {MEASURE_LABELS[pooled.measure]}   →  {right_word}", fontsize=8)


def _text_column(
    ax: Axes, rows: Sequence[_Row], columns: Sequence[tuple[str, str, float, str]], marks: Mapping[str, float]
) -> None:
    """Draw table text: columns are (header, attribute, x in axes fraction, alignment)."""
    ax.axis("off")
    for header, attr, x, align in columns:
        ax.text(x, 0.3, header, ha=align, va="center", fontsize=8.5, fontweight="bold")
        for row in rows:
            bold = row.study is None and row.y == marks["pooled"]
            ax.text(
                x,
                row.y,
                getattr(row, attr),
                ha=align,
                va="center",
                fontsize=8,
                fontweight="bold" if bold else "normal",
            )


def _rob_cells(ax: Axes, rows: Sequence[_Row], extras: ForestExtras) -> None:
    ax.axis("off")
    if extras.rob is not None:
        columns = [*extras.rob.columns, ("overall", "Overall")]
        judged = {r.study: dict(r.judgements) for r in extras.rob.rows}
    else:
        columns = [("tool", "Tool"), ("overall", "Overall")]
        judged = {}
    for j, (domain, header) in enumerate(columns):
        x = j + 0.5 + (0.4 if domain == "overall" else 0.0)  # Overall set apart, as robvis does
        ax.text(x, 0.3, header, ha="center", va="center", fontsize=8, fontweight="bold")
        for row in rows:
            if row.study is None or row.study not in extras.rob_overall:
                continue
            if domain == "tool":
                ax.text(x, row.y, extras.tools.get(row.study, ""), ha="center", va="center", fontsize=7)
                continue
            level = extras.rob_overall[row.study] if domain == "overall" else judged[row.study].get(domain)
            if level is None:
                continue
            ax.scatter(
                [x],
                [row.y],
                s=120,
                color=palette.ROB[level],
                edgecolors=palette.INK,
                linewidths=0.5,
                zorder=3,
            )
            ax.text(
                x,
                row.y,
                palette.ROB_SYMBOL[level],
                ha="center",
                va="center_baseline",
                fontsize=7,
                fontweight="bold",
                color=palette.ROB_SYMBOL_COLOUR[level],
                zorder=4,
            )
    ax.set_xlim(0, len(columns) + 0.5)


def _notes(summary: EffectSummary, extras: ForestExtras | None, mid: float | None) -> list[str]:
    pooled = summary.pooled
    assert pooled is not None
    notes = [heterogeneity_text(summary)]
    if summary.status == "pooled" and pooled.k == 2:
        notes.append(K2_WARNING)
    if mid is not None and pooled.measure not in RATIO_MEASURES:
        notes.append(f"Grey band: minimal important difference (±{mid:g} on {safe_text(pooled.scale, 40)})")
    if _reviews(summary):
        notes.append(
            "Hollow diamonds: reviews' own pooled results, shown beside the studies, never pooled again"
        )
    if extras is not None and extras.rob is not None:
        from ldngraph.present.robplot import DOMAIN_NAMES, ROBINS_NAMES

        names = ROBINS_NAMES if extras.rob.tool.value == "robins_i" else {}
        notes.append(
            f"Risk of bias ({TOOL_LABELS[extras.rob.tool]}): "
            + "; ".join(
                f"{h} {names.get(d, DOMAIN_NAMES.get(d, d)).removeprefix('Bias ')}"
                for d, h in extras.rob.columns
            )
        )
    if extras is not None and extras.rob_overall:
        notes.append(
            "Judgements: + low, - some concerns (moderate), × high (serious or critical), ? no information"
        )
    return notes


def to_forest_figure(
    summary: EffectSummary, *, title: str, mid: float | None = None, extras: ForestExtras | None = None
) -> Figure:
    """The forest plot of ``summary``; ``mid`` draws the band null ± MID (MD/SMD scale); ``extras``
    adds arm sizes and risk-of-bias columns (:func:`get_forest_extras`)."""
    use_agg()
    import textwrap

    from matplotlib.figure import Figure

    if summary.pooled is None:
        raise ExportError(f"no forest plot for {summary.outcome}: {summary.note}")
    rows, marks = _layout_rows(summary, extras)
    label_w = max(len(r.label) for r in rows) * 0.068 + 0.2
    rob = extras is not None and bool(extras.rob_overall)
    ncols_rob = (
        (len(extras.rob.columns) + 1 if extras is not None and extras.rob is not None else 2) if rob else 0
    )
    widths = [label_w + 1.0, 3.2, 2.3]
    if rob:
        widths.append(0.3 * ncols_rob + 0.45)
    notes = _notes(summary, extras, mid)
    width = sum(widths) + 0.4
    wrapped = [line for note in notes for line in textwrap.wrap(note, int(width * 13))]
    height = 0.26 * (-marks["bottom"] + 2) + 1.3 + 0.16 * len(wrapped)
    fig = Figure(figsize=(width, height), layout="constrained")
    grid = fig.add_gridspec(
        2,
        len(widths),
        width_ratios=widths,
        height_ratios=[0.26 * (-marks["bottom"] + 2) + 0.5, 0.16 * len(wrapped) + 0.1],
    )
    plot = fig.add_subplot(grid[0, 1])
    left = fig.add_subplot(grid[0, 0], sharey=plot)
    right = fig.add_subplot(grid[0, 2], sharey=plot)
    _draw_plot(plot, summary, marks, mid)
    ylim = (marks["bottom"] - 0.7, 0.8)
    plot.set_ylim(*ylim)
    _text_column(left, rows, [("Study", "label", 0.0, "left"), ("n LDN/comp.", "n", 1.0, "right")], marks)
    _text_column(
        right,
        rows,
        [("Estimate [95% CI]", "estimate", 0.05, "left"), ("Weight", "weight", 1.0, "right")],
        marks,
    )
    if "reviews_head" in marks:
        left.text(
            0.0,
            marks["reviews_head"],
            "Reviews' own pooled results (not pooled again)",
            ha="left",
            va="center",
            fontsize=8,
            fontstyle="italic",
        )
    if rob and extras is not None:
        _rob_cells(fig.add_subplot(grid[0, 3], sharey=plot), rows, extras)
    plot.set_ylim(*ylim)
    foot = fig.add_subplot(grid[1, :])
    foot.axis("off")
    foot.text(0.0, 1.0, "\n".join(wrapped), ha="left", va="top", fontsize=7.5, transform=foot.transAxes)
    fig.suptitle(safe_text(title, 100), fontsize=10.5)
    return fig


def write_forest(
    summary: EffectSummary,
    path: Path | str,
    *,
    title: str,
    mid: float | None = None,
    extras: ForestExtras | None = None,
    fmt: str | None = None,
) -> Path:
    """Draw and write the forest plot (format from ``fmt`` or the suffix) atomically."""
    fmt = get_format(path, fmt)
    return save_figure(to_forest_figure(summary, title=title, mid=mid, extras=extras), path, fmt)


def to_png_bytes(
    summary: EffectSummary, *, title: str, mid: float | None = None, extras: ForestExtras | None = None
) -> bytes:
    """The forest plot as PNG bytes (for embedding in the HTML report as a data: URI)."""
    return to_bytes(to_forest_figure(summary, title=title, mid=mid, extras=extras), "png", dpi=EMBED_DPI)


def to_records(summary: EffectSummary, extras: ForestExtras | None = None) -> list[dict[str, Any]]:
    """The drawn rows as JSON-ready records."""
    rows, _ = _layout_rows(summary, extras)
    return [
        {"label": r.label, "n": r.n, "estimate": r.estimate, "weight": r.weight, "study": r.study}
        for r in rows
    ]


__all__ = [
    "K2_WARNING",
    "ForestExtras",
    "get_forest_extras",
    "heterogeneity_text",
    "to_forest_figure",
    "to_png_bytes",
    "to_records",
    "write_forest",
]
