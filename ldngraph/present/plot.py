"""Evidence map: where the evidence on LDN is thick or thin.

Left panel: conditions x study design; bubble area = participants (sum of n over the distinct
studies in the cell), colour = direction of the evidence (supports / refutes / mixed). A study that
bears on a condition only through another population (indirectness ``different_condition``, e.g. a
review of chronic pain in general cited for fibromyalgia) is counted apart: its participants never
enter that condition's bubble; the cell notes "+k other-condition" (and a cell with nothing else is
drawn as a hollow ring). Right panel:
per condition, how many claims sit at each certainty level. matplotlib is imported lazily and run on
the Agg backend, so this works headless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from ldngraph.atomic import write_with_atomic
from ldngraph.errors import ExportError
from ldngraph.model import Design, Direction, EntityKind, Indirectness, KnowledgeBase
from ldngraph.present import palette
from ldngraph.present.figure import DPI, check_canvas, safe_text
from ldngraph.safetext import cell_text
from ldngraph.stores.view import (
    CERTAINTIES,
    UNSCORED,
    certainty_label,
    conclusion_label,
    design_label,
    get_bodies,
    get_claim_scores,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ldngraph.pipeline import Built

#: Longest condition label or headline drawn on the evidence map (LDNGRAPH_MAX_LABEL_CHARS caps it).
LABEL_LIMIT = 100
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: Colours from the one palette (ldngraph.present.palette): direction and certainty never share one.
DIRECTION_COLOUR = {k: palette.VERDICT[k] for k in ("supports", "refutes", "mixed")}
CERTAINTY_COLOUR = {
    "high": palette.CERTAINTY["high"],
    "moderate": palette.CERTAINTY["moderate"],
    "low": palette.CERTAINTY["low"],
    "very_low": palette.CERTAINTY["very_low"],
    UNSCORED: palette.CERTAINTY["unscored"],
}


@dataclass(frozen=True)
class Cell:
    """One condition x design cell of the map."""

    condition: str
    design: Design
    studies: tuple[str, ...]  # studies of this condition's own population
    participants: int  # sum of their n (other-condition studies never add theirs)
    direction: str  # supports / refutes / mixed (of the direct studies, if there are any)
    other_condition: tuple[str, ...] = ()  # studies marked different_condition for this claim

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "design": self.design.value,
            "studies": list(self.studies),
            "participants": self.participants,
            "direction": self.direction,
            "other_condition_studies": list(self.other_condition),
        }


@dataclass(frozen=True)
class EvidenceMap:
    conditions: tuple[tuple[str, str], ...]  # (CURIE, label), in display order
    designs: tuple[Design, ...]
    cells: tuple[Cell, ...]
    certainty: dict[str, dict[str, int]]  # condition CURIE -> certainty -> number of claims
    # condition CURIE -> its headline: the critical outcome body's conclusion and certainty
    headlines: dict[str, str] = field(default_factory=dict)


def get_evidence_map(kb: KnowledgeBase, graph: Graph) -> EvidenceMap:
    """Aggregate the claims whose object is a condition into map cells (pure; no plotting)."""
    entities, studies = kb.entity_index, kb.study_index
    scores = get_claim_scores(kb, graph)
    by_cell: dict[tuple[str, Design], dict[str, set[Direction]]] = {}
    other: dict[tuple[str, Design], dict[str, set[Direction]]] = {}
    certainty: dict[str, dict[str, int]] = {}
    for claim in kb.claims:
        ent = entities.get(claim.object)
        if ent is None or ent.kind is not EntityKind.condition:
            continue
        level = scores[claim.id].certainty or UNSCORED
        counts = certainty.setdefault(ent.id, {})
        counts[level] = counts.get(level, 0) + 1
        for item in claim.evidence:
            study = studies[item.study]
            indirect = Indirectness.different_condition in (*study.indirectness, *item.indirectness)
            cell = (other if indirect else by_cell).setdefault((ent.id, study.design), {})
            cell.setdefault(study.id, set()).add(item.direction)
    for key, members in other.items():  # a study counted directly in a cell is not also "other"
        direct = by_cell.get(key, {})
        other[key] = {sid: dirs for sid, dirs in members.items() if sid not in direct}
    cells = []
    order = {d: i for i, d in enumerate(Design)}
    keys = {k for k, v in [*by_cell.items(), *other.items()] if v}
    for cond, design in sorted(keys, key=lambda k: (entities[k[0]].label.casefold(), order[k[1]])):
        members, apart = by_cell.get((cond, design), {}), other.get((cond, design), {})
        directions = set().union(*(members or apart).values())
        direction = "mixed" if len(directions) > 1 else next(iter(directions)).value
        n = sum(studies[s].n or 0 for s in members)
        cells.append(Cell(cond, design, tuple(sorted(members)), n, direction, tuple(sorted(apart))))
    used = {c.condition for c in cells}
    conditions = tuple(sorted(((c, entities[c].label) for c in used), key=lambda t: t[1].casefold()))
    designs = tuple(d for d in Design if any(c.design is d for c in cells))
    headlines: dict[str, str] = {}
    for body in get_bodies(graph):
        if body.critical and body.condition in used and body.condition not in headlines:
            what = entities[body.outcome].label if body.outcome in entities else str(body.outcome)  # type: ignore[index]
            headlines[body.condition] = (
                f"{what}: {conclusion_label(body.conclusion)}, {certainty_label(body.certainty)}"
            )
    return EvidenceMap(conditions, designs, tuple(cells), certainty, headlines)


def _bubble_area(participants: int) -> float:
    """Marker area in points^2: grows with sqrt(n); studies without n still get a visible dot."""
    return 60.0 + 40.0 * math.sqrt(participants)


def to_figure(emap: EvidenceMap, *, title: str = "Evidence map: low-dose naltrexone") -> Figure:
    """Draw the evidence map (matplotlib Figure, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    if not emap.cells:
        raise ExportError("nothing to plot: no claim has a condition as its object")
    rows = {c: i for i, (c, _) in enumerate(emap.conditions)}
    cols = {d: j for j, d in enumerate(emap.designs)}
    height = max(4.0, 0.6 * len(rows) + 2.5)
    fig = Figure(figsize=(max(10.0, 1.1 * len(cols) + 6.5), height), layout="constrained")
    grid = fig.add_gridspec(1, 2, width_ratios=[max(3, len(cols)), 2.2])
    ax, bar = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])

    for cell in emap.cells:
        x, y = cols[cell.design], rows[cell.condition]
        colour = DIRECTION_COLOUR[cell.direction]
        ax.scatter(
            x,
            y,
            s=_bubble_area(cell.participants),
            color=colour if cell.studies else "none",
            alpha=0.75,
            edgecolors="black" if cell.studies else colour,
            linewidths=0.5 if cell.studies else 1.5,
            zorder=3,
        )
        k = len(cell.studies)
        text = (f"n={cell.participants}" if cell.participants else "no n") if k else ""
        text += f"\n{k} studies" if k > 1 else ""
        text += f"\n+{len(cell.other_condition)} other-condition" if cell.other_condition else ""
        text = text.lstrip("\n")
        ax.annotate(
            text, (x, y), xytext=(0, -14), textcoords="offset points", ha="center", va="top", fontsize=7
        )
    ax.set_xticks(range(len(cols)), [design_label(d) for d in emap.designs], rotation=35, ha="right")
    ax.set_yticks(  # record text through safe_text: never mathtext, cut to a length (F4, F13)
        range(len(rows)),
        [
            safe_text(label, LABEL_LIMIT)
            + (f"\n{safe_text(emap.headlines[c], LABEL_LIMIT)}" if c in emap.headlines else "")
            for c, label in emap.conditions
        ],
    )
    ax.set_xlim(-0.6, len(cols) - 0.4)
    ax.set_ylim(len(rows) - 0.2, -0.7)
    ax.grid(True, color="#eeeeee", zorder=0)
    ax.set_xlabel(
        "study design (reviews count the participants they pool, which overlap the trials'; "
        "other-condition studies, e.g. chronic-pain reviews cited for fibromyalgia, add no participants)"
    )
    ax.set_title("Studies by condition and design (bubble area = participants)", fontsize=10)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, markersize=9, label=name)
        for name, colour in DIRECTION_COLOUR.items()
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="white",  # size only: no colour, so it is not read as "mixed"
            markeredgecolor=palette.INK,
            markersize=math.sqrt(_bubble_area(n)) / 1.2,
            label=f"n = {n}",
        )
        for n in (10, 100)
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none",
            markeredgecolor=palette.VERDICT["mixed"],
            markersize=9,
            label="other-condition only\n(n not counted)",
        )
    )
    ax.legend(
        handles=handles,
        title="direction / size",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
        labelspacing=1.2,
    )

    levels = (*CERTAINTIES, UNSCORED)
    left = [0.0] * len(rows)
    for level in levels:
        widths = [float(emap.certainty.get(c, {}).get(level, 0)) for c, _ in emap.conditions]
        if any(widths):
            bar.barh(
                range(len(rows)),
                widths,
                left=left,
                color=CERTAINTY_COLOUR[level],
                edgecolor=palette.INK,
                linewidth=0.4,
                label=certainty_label(level),
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
    bar.set_yticks(range(len(rows)), [""] * len(rows))
    bar.set_ylim(len(rows) - 0.2, -0.7)
    bar.set_xlabel("claims")
    bar.xaxis.set_major_locator(MaxNLocator(integer=True))
    bar.set_title("Claims per condition,\nby certainty", fontsize=10)
    bar.legend(
        title="certainty",
        fontsize=8,
        title_fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncol=3,
        frameon=False,
    )
    fig.suptitle(safe_text(title, LABEL_LIMIT), fontsize=13)
    return fig


def get_format(path: Path | str) -> str:
    suffix = ".png" if str(path) == "-" else Path(path).suffix.lower()  # stdout: PNG
    if suffix not in FORMATS:
        raise ExportError(f"{path}: unknown image suffix '{suffix}'; use one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


def write_evidence_map(built: Built, path: Path | str, **kwargs: Any) -> Path:
    """Draw the evidence map of ``built`` and write it (png/svg/pdf by suffix) atomically."""
    fmt = get_format(path)
    fig = to_figure(get_evidence_map(built.kb, built.graph), **kwargs)
    import matplotlib

    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}

    def save(handle: Any) -> None:
        # SVG text stays text (searchable, accessible) rather than glyph paths.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ldngraph"}):
            fig.savefig(handle, format=fmt, dpi=DPI, metadata=metadata, bbox_inches="tight")

    check_canvas(fig, str(path), tight=True)  # before the output is opened (F13)
    return write_with_atomic(path, save)


def describe(emap: EvidenceMap) -> Sequence[str]:
    """One line per cell, for the CLI's stdout (and for readers without an image viewer)."""
    labels = dict(emap.conditions)
    return [  # record text through cell_text: no formula, no forged column or row (F5, F16)
        f"{cell_text(labels[c.condition])}\t{design_label(c.design)}\tstudies={len(c.studies)}\t"
        f"participants={c.participants}\t{c.direction}"
        + (f"\tother_condition={cell_text(','.join(c.other_condition))}" if c.other_condition else "")
        for c in emap.cells
    ]


def to_records(emap: EvidenceMap) -> list[dict[str, Any]]:
    """The cells as JSON-ready records (condition label included), for ``--format json``."""
    labels = dict(emap.conditions)
    return [
        {"label": labels[c.condition], "headline": emap.headlines.get(c.condition), **c.to_dict()}
        for c in emap.cells
    ]
