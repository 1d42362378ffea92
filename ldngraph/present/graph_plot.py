"""A static figure of the evidence graph (matplotlib; no browser), for a figure panel.

It draws exactly what the interactive page draws (:func:`ldngraph.present.viz.get_drawing`): the
same nodes at the same deterministic positions (:mod:`ldngraph.present.layout`), the same edge
colour (what the evidence concludes), line style and opacity (certainty), width (number of
studies) and arrow head (kind of evidence). The axes grow until every label fits, so no label is
cut at the edge (tests/test_graph_plot.py checks matplotlib's tight bounding box).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ldngraph.errors import ExportError
from ldngraph.present import palette
from ldngraph.present.figure import safe_text, use_agg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ldngraph.pipeline import Built

#: vis shape -> matplotlib marker.
MARKERS = {"star": "*", "dot": "o", "diamond": "D", "triangle": "^"}
#: vis dashes -> matplotlib line style.
LINESTYLES = {"solid": "-", "dashed": (0, (6, 3)), "dotted": (0, (1.2, 2.4))}
#: vis arrow type -> matplotlib arrow style.
ARROWS = {"arrow": "-|>", "circle": "-", "bar": "-["}
PX = 0.55  # points per vis pixel (edge widths)
LABEL_LIMIT = 40


def _linestyle(dashes: Any) -> Any:
    if dashes is False:
        return LINESTYLES["solid"]
    return LINESTYLES["dashed"] if dashes and dashes[0] >= 6 else LINESTYLES["dotted"]


def _colour(edge: Mapping[str, Any]) -> str:
    return str(edge["colour"]) if edge.get("kind") == "claim" else "#9E9E9E"


def _draw_edges(ax: Axes, nodes: Mapping[str, Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]) -> None:
    from matplotlib.patches import FancyArrowPatch

    from ldngraph.present.viz import CERTAINTY_OPACITY

    for edge in edges:
        a, b = nodes[edge["from"]], nodes[edge["to"]]
        start, end = (a["x"], a["y"]), (b["x"], b["y"])
        if edge.get("kind") != "claim":
            ax.plot(*zip(start, end, strict=True), color=_colour(edge), linewidth=0.6, zorder=1)
            continue
        head = edge.get("arrows", {}).get("to", {}).get("type", "arrow")
        patch = FancyArrowPatch(
            start,
            end,
            arrowstyle=ARROWS.get(head, "-|>") + (",head_length=5,head_width=3" if head == "arrow" else ""),
            mutation_scale=1.0,
            color=_colour(edge),
            alpha=CERTAINTY_OPACITY.get(str(edge.get("certainty")), 0.5),
            linewidth=PX * float(edge.get("width", 2.0)),
            linestyle=_linestyle(edge.get("dashes", False)),
            shrinkA=9,
            shrinkB=9,
            zorder=2,
        )
        ax.add_patch(patch)
        if head == "circle":  # preclinical only: a round head, as the page draws it
            ax.plot([end[0]], [end[1]], marker="o", markersize=4, color=_colour(edge), zorder=2)


def _draw_nodes(ax: Axes, nodes: Sequence[Mapping[str, Any]]) -> list[Any]:
    # a white backing keeps labels readable over edges (a path-effect halo would turn SVG text into paths)
    halo = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    texts = []
    for node in nodes:
        x, y, label = node["x"], node["y"], safe_text(str(node["label"]), LABEL_LIMIT)
        if node.get("shape") == "box":  # an outcome of a claim, beside its condition
            clinical = node.get("tier") in {"clinical", "review"}
            texts.append(
                ax.text(
                    x,
                    y,
                    label,
                    ha="center",
                    va="center",
                    fontsize=7,
                    zorder=4,
                    bbox={
                        "boxstyle": "round,pad=0.25",
                        "facecolor": "white" if clinical else palette.BAND,
                        "edgecolor": palette.KIND["outcome"],
                        "linestyle": "-" if clinical else "--",
                        "linewidth": 1.0,
                    },
                )
            )
            continue
        colour = node["color"]["background"] if isinstance(node["color"], dict) else node["color"]
        big = node.get("kind") == "intervention"
        ax.plot(
            [x],
            [y],
            marker=MARKERS.get(str(node.get("shape")), "o"),
            markersize=16 if big else 9,
            markerfacecolor=colour,
            markeredgecolor=palette.INK,
            markeredgewidth=0.6,
            linestyle="",
            zorder=3,
        )
        texts.append(
            ax.text(
                x,
                y + (24 if big else 17),
                label,
                ha="center",
                va="top",
                fontsize=7.5,
                zorder=4,
                bbox=halo,
            )
        )
    return texts


def _fit(fig: Figure, ax: Axes, texts: Sequence[Any]) -> None:
    """Grow the data limits until every label lies inside the axes (a few passes: growing the limits
    shrinks the data scale, which makes each label a little larger in data units)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for _ in range(4):
        renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
        fig.draw(renderer)
        inverse = ax.transData.inverted()
        x0, x1 = ax.get_xlim()
        y1, y0 = ax.get_ylim()  # inverted y axis: vis y grows downwards
        grown = False
        for text in texts:
            box = text.get_window_extent(renderer).transformed(inverse)
            lo_x, hi_x = min(box.x0, box.x1), max(box.x0, box.x1)
            lo_y, hi_y = min(box.y0, box.y1), max(box.y0, box.y1)
            if lo_x < x0 or hi_x > x1 or lo_y < y0 or hi_y > y1:
                grown = True
                x0, x1, y0, y1 = min(x0, lo_x), max(x1, hi_x), min(y0, lo_y), max(y1, hi_y)
        ax.set_xlim(x0 - 4, x1 + 4)
        ax.set_ylim(y1 + 4, y0 - 4)
        if not grown:
            return


def _legend(ax: Axes) -> None:
    from matplotlib.lines import Line2D

    from ldngraph.present.viz import CERTAINTY_DASHES, KIND_STYLE, STATUS_TEXT
    from ldngraph.stores.view import certainty_label

    handles = [
        Line2D(
            [],
            [],
            marker=MARKERS[shape],
            linestyle="",
            markerfacecolor=colour,
            markeredgecolor=palette.INK,
            markersize=8,
            label=kind.value,
        )
        for kind, (colour, shape) in KIND_STYLE.items()
        if kind.value != "outcome"
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="s",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor=palette.KIND["outcome"],
            label="outcome of a claim (dashed: preclinical or hypothesis only)",
        )
    )
    handles += [
        Line2D([], [], color=colour, linewidth=2.5, label=STATUS_TEXT[status])
        for status, colour in palette.STATUS.items()
    ]
    handles += [
        Line2D(
            [],
            [],
            color=palette.INK,
            linewidth=1.5,
            linestyle=_linestyle(CERTAINTY_DASHES[c]),
            label=f"certainty {certainty_label(c)}",
        )
        for c in ("moderate", "low", "very_low")
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=7.5,
        frameon=False,
        title="Colour: what the evidence concludes; line: certainty; width: number of studies",
        title_fontsize=8,
    )


def to_graph_figure(
    built: Built, *, focus: str | None = None, depth: int | None = None, title: str = "LDN evidence graph"
) -> Figure:
    """The evidence graph (or ``focus``'s neighbourhood) as a matplotlib Figure (Agg backend)."""
    use_agg()
    from matplotlib.figure import Figure

    from ldngraph.present.viz import get_drawing

    drawing = get_drawing(built, focus=focus, depth=depth)
    if not drawing.nodes:
        raise ExportError("nothing to draw: the graph has no claims")
    nodes = {n["id"]: n for n in drawing.nodes}
    xs = [float(n["x"]) for n in drawing.nodes]
    ys = [float(n["y"]) for n in drawing.nodes]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    width = min(16.0, max(7.0, span_x / 85.0 + 3.0))
    height = min(22.0, max(4.0, span_y / 60.0 + 2.5))
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.axis("off")
    ax.set_xlim(min(xs) - 20, max(xs) + 20)
    ax.set_ylim(max(ys) + 20, min(ys) - 20)
    _draw_edges(ax, nodes, drawing.edges)
    texts = _draw_nodes(ax, drawing.nodes)
    _legend(ax)
    heading = title if focus is None else f"{title}: {focus} (depth {1 if depth is None else depth})"
    ax.set_title(safe_text(heading, 90), fontsize=11)
    _fit(fig, ax, texts)
    return fig


__all__ = ["to_graph_figure"]
