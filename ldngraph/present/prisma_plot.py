"""The PRISMA 2020 flow diagram (Page et al., BMJ 2021;372:n71) of the screening log, as a figure.

Every number comes from :class:`ldngraph.ingest.screening.PrismaCounts` (through
:func:`ldngraph.present.prisma.get_prisma_section`, the counts the report's PRISMA table shows);
nothing is counted here. Identification is split as PRISMA 2020 splits it: databases and
registers on the left, other methods (a search whose source says "other methods", e.g. the
issue 14 audit list) on the right, each source with its own count. The log deduplicates all
records together, so one flow follows: duplicates removed, records screened (records of studies
the graph already held go aside, as an updated review's "studies included in previous version"),
reports sought, not retrieved, assessed for eligibility, excluded with reasons, and the new
studies included.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ldngraph.ingest.screening import PrismaCounts
from ldngraph.present import palette
from ldngraph.present.figure import safe_text, use_agg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: A search whose source names this is "identification via other methods" in PRISMA 2020 terms.
OTHER_METHODS = "other methods"
#: x centre and width of the main and side columns (axes units: the canvas is 10 wide).
MAIN = (3.25, 4.5)
SIDE = (7.85, 3.7)
LINE = 0.3  # height of one text line (axes units)
#: Source names longer than this are cut.
SOURCE_MAX = 90


@dataclass(frozen=True)
class Box:
    """One box of the diagram: where it sits and its text (first line bold)."""

    key: str
    column: str  # main / side / databases / other
    lines: tuple[str, ...]


def split_sources(counts: PrismaCounts) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(databases and registers, other methods): each source with its count, as counted."""
    databases: list[tuple[str, int]] = []
    other: list[tuple[str, int]] = []
    for source, n in sorted(counts.identified_by_source.items()):
        (other if OTHER_METHODS in source.casefold() else databases).append((source, n))
    return databases, other


def _reason(code: str) -> str:
    return code.replace("_", " ").capitalize()


def get_boxes(counts: PrismaCounts) -> list[Box]:
    """The boxes of the diagram, top to bottom, with their counts."""
    databases, other = split_sources(counts)
    reasons = sorted(counts.excluded_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    boxes = [
        Box(
            "databases",
            "databases",
            (
                "Identification via databases and registers",
                *(f"{safe_text(s, SOURCE_MAX)} (n = {n})" for s, n in databases),
            )
            if databases
            else ("Identification via databases and registers", "none recorded (n = 0)"),
        ),
    ]
    if other:
        boxes.append(
            Box(
                "other",
                "other",
                (
                    "Identification via other methods",
                    *(f"{safe_text(s, SOURCE_MAX)} (n = {n})" for s, n in other),
                ),
            )
        )
    boxes += [
        Box(
            "identified",
            "main",
            (f"Records identified (n = {counts.identified})", "summed over searches, repeats included"),
        ),
        Box(
            "duplicates",
            "side",
            ("Records removed before screening:", f"Duplicates (n = {counts.duplicates_removed})"),
        ),
        Box("screened", "main", (f"Records screened (n = {counts.screened})",)),
        Box(
            "in_graph",
            "side",
            (f"Records of studies already in the graph (n = {counts.already_in_graph})",),
        ),
        Box("sought", "main", (f"Reports sought for retrieval (n = {counts.sought})",)),
        Box("not_retrieved", "side", (f"Reports not retrieved (n = {counts.not_retrieved})",)),
        Box("assessed", "main", (f"Reports assessed for eligibility (n = {counts.assessed})",)),
        Box(
            "excluded",
            "side",
            (
                f"Reports excluded (n = {counts.excluded}):",
                *(f"{_reason(code)} (n = {n})" for code, n in reasons),
            ),
        ),
        Box(
            "included",
            "main",
            (
                f"New studies included (n = {counts.included_studies})",
                f"Reports of new included studies (n = {counts.included})",
            ),
        ),
    ]
    return boxes


def _wrapped(box: Box, width: float) -> list[str]:
    chars = max(20, int(width * 10.5))
    out: list[str] = []
    for line in box.lines:
        # a count "(n = 16)" is never split over two lines (non-breaking spaces)
        out += textwrap.wrap(line.replace("(n = ", "(n\u00a0=\u00a0"), chars) or [""]
    return out


def _draw_box(ax: Axes, x: float, top: float, width: float, lines: list[str], *, bold_first: bool) -> float:
    """Draw a box whose top edge is at ``top``; return its bottom edge."""
    from matplotlib.patches import FancyBboxPatch

    height = LINE * len(lines) + 0.3
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, top - height),
            width,
            height,
            boxstyle="square,pad=0",
            facecolor="white",
            edgecolor=palette.INK,
            linewidth=0.9,
        )
    )
    y = top - 0.15 - LINE / 2
    for i, line in enumerate(lines):
        weight = "bold" if bold_first and i == 0 else "normal"
        ax.text(x, y, line, ha="center", va="center", fontsize=8.5, fontweight=weight, color=palette.INK)
        y -= LINE
    return top - height


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": palette.INK, "linewidth": 0.9, "shrinkA": 0, "shrinkB": 0},
    )


def to_prisma_figure(counts: PrismaCounts, *, title: str = "PRISMA 2020 flow diagram") -> Figure:
    """The flow diagram of ``counts`` (matplotlib Figure, Agg backend)."""
    use_agg()
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    boxes = {b.key: b for b in get_boxes(counts)}
    widths = {"main": MAIN[1], "side": SIDE[1], "databases": MAIN[1], "other": SIDE[1]}
    text = {k: _wrapped(b, widths[b.column]) for k, b in boxes.items()}
    height_of = {k: LINE * len(v) + 0.3 for k, v in text.items()}
    gap = 0.55
    steps: list[tuple[str, str | None]] = [
        ("identified", "duplicates"),
        ("screened", "in_graph"),
        ("sought", "not_retrieved"),
    ]
    steps += [("assessed", "excluded"), ("included", None)]
    top_row = max(height_of["databases"], height_of.get("other", 0.0))
    rows = [max(height_of[m], height_of[s] if s else 0.0) for m, s in steps]
    total = 0.3 + top_row + gap + sum(r + gap for r in rows)
    fig = Figure(figsize=(9.0, 0.62 * total + 0.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, total)
    ax.axis("off")

    y = total - 0.3
    ident_bottom = _draw_box(ax, MAIN[0], y, MAIN[1], text["databases"], bold_first=True)
    if "other" in boxes:
        other_bottom = _draw_box(ax, SIDE[0], y, SIDE[1], text["other"], bold_first=True)
    y -= top_row + gap
    phases: list[tuple[str, float, float]] = [("Identification", total - 0.3, 0.0)]
    centres: list[tuple[float, float]] = []
    for i, (main, side) in enumerate(steps):
        row_top = y
        bottom = _draw_box(ax, MAIN[0], row_top, MAIN[1], text[main], bold_first=False)
        centres.append((row_top, bottom))
        if side is not None:
            side_bottom = _draw_box(ax, SIDE[0], row_top, SIDE[1], text[side], bold_first=False)
            mid = row_top - min(height_of[main], height_of[side]) / 2
            _arrow(ax, (MAIN[0] + MAIN[1] / 2, mid), (SIDE[0] - SIDE[1] / 2, mid))
            del side_bottom
        if i == 0:
            _arrow(ax, (MAIN[0], ident_bottom), (MAIN[0], row_top))
            if "other" in boxes:
                ax.plot(
                    [SIDE[0], SIDE[0]], [other_bottom, row_top + gap / 2], color=palette.INK, linewidth=0.9
                )
                _arrow(ax, (SIDE[0], row_top + gap / 2), (MAIN[0] + 0.04, row_top + gap / 2))
        else:
            _arrow(ax, (MAIN[0], centres[i - 1][1]), (MAIN[0], row_top))
        y -= rows[i] + gap
    # phase bands at the left edge, as the PRISMA template draws them
    ident_end = centres[0][1] - gap / 2
    screen_end = centres[3][1] - gap / 2
    phases = [
        ("Identification", total - 0.3, ident_end),
        ("Screening", ident_end - 0.05, screen_end),
        ("Included", screen_end - 0.05, centres[4][1]),
    ]
    for name, top, bottom in phases:
        ax.add_patch(Rectangle((0.05, bottom), 0.45, top - bottom, facecolor=palette.BAND, edgecolor="none"))
        ax.text(
            0.275,
            (top + bottom) / 2,
            name,
            rotation=90,
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
        )
    fig.suptitle(safe_text(title, 90), fontsize=12)
    return fig


def describe(counts: PrismaCounts) -> list[str]:
    """The boxes as plain lines (for stdout)."""
    return [" ".join(b.lines) for b in get_boxes(counts)]


__all__ = ["OTHER_METHODS", "Box", "describe", "get_boxes", "split_sources", "to_prisma_figure"]
