"""Risk-of-bias figures as robvis draws them (McGuinness & Higgins, Res Synth Methods 2021):

- a **traffic-light plot**: one row per study, one column per domain of the tool plus "Overall",
  each cell a circle in the judgement's colour with robvis's symbol (+ low, - some concerns /
  moderate, × high / serious, ? no information);
- a **weighted summary bar plot**: per domain, the share of participants whose study got each
  judgement (weights = the studies' n, as robvis's ``weighted = TRUE``).

RoB 2 (randomised trials; crossover trials add domain S, period and carryover effects) and
ROBINS-I (non-randomised studies) get separate panels, each with its own domains. The judgements
are the curated ones in data/studies.yaml (``risk_of_bias``); the overall judgement is the model's
(:attr:`ldngraph.model.RiskOfBias.overall`, RoB 2's worst-domain rule), never re-derived here.
The data record ROBINS-I "serious" and "critical" both as high, so that level reads "Serious or
critical".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ldngraph.errors import ExportError
from ldngraph.model import KnowledgeBase, Study
from ldngraph.model.terms import CROSSOVER_DOMAIN, ROB_DOMAINS, RobTool
from ldngraph.present import palette
from ldngraph.present.figure import safe_text, use_agg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Judgement levels in the order of the legend and of the stacked bars.
LEVELS = ("low", "some_concerns", "high", "not_assessed")
LEVEL_LABELS: dict[RobTool, dict[str, str]] = {
    RobTool.rob2: {
        "low": "Low",
        "some_concerns": "Some concerns",
        "high": "High",
        "not_assessed": "No information",
    },
    RobTool.robins_i: {
        "low": "Low",
        "some_concerns": "Moderate",
        "high": "Serious or critical",
        "not_assessed": "No information",
    },
}
TOOL_LABELS = {
    RobTool.rob2: "RoB 2 (randomised trials)",
    RobTool.robins_i: "ROBINS-I (non-randomised studies)",
}
#: Domain names as the tools word them (robvis's captions).
DOMAIN_NAMES: dict[str, str] = {
    "randomisation": "Bias arising from the randomisation process",
    "period_carryover": "Bias arising from period and carryover effects",
    "deviations": "Bias due to deviations from intended interventions",
    "missing_data": "Bias due to missing outcome data",
    "measurement": "Bias in measurement of the outcome",
    "reporting": "Bias in selection of the reported result",
    "confounding": "Bias due to confounding",
    "selection": "Bias in selection of participants into the study",
    "classification": "Bias in classification of interventions",
}
ROBINS_NAMES = {
    "deviations": "Bias due to deviations from intended interventions",
    "missing_data": "Bias due to missing data",
    "measurement": "Bias in measurement of outcomes",
}


@dataclass(frozen=True)
class RobRow:
    """One study's judgements, in the column order of its tool."""

    study: str
    label: str
    n: int | None
    tool: RobTool
    judgements: tuple[tuple[str, str], ...]  # (domain, judgement); absent domains are not listed
    overall: str


@dataclass(frozen=True)
class RobPanel:
    """The studies judged with one tool: columns (domain, short header) and rows."""

    tool: RobTool
    columns: tuple[tuple[str, str], ...]
    rows: tuple[RobRow, ...]
    unjudged: tuple[str, ...] = ()  # labels of studies with no domain assessed (protocols)

    def summary(self) -> list[tuple[str, dict[str, float]]]:
        """Per column (and "Overall"): the percentage of participants at each judgement. Studies
        without n carry no weight (see :attr:`unweighted`)."""
        out = []
        for domain, header in (*self.columns, ("overall", "Overall")):
            shares = dict.fromkeys(LEVELS, 0.0)
            for row in self.rows:
                level = row.overall if domain == "overall" else dict(row.judgements).get(domain)
                if level is not None and row.n:
                    shares[level] += row.n
            total = sum(shares.values())
            pct = {k: 100.0 * v / total for k, v in shares.items()} if total else shares
            out.append((header, pct))
        return out

    @property
    def unweighted(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.rows if not r.n)


def _columns(tool: RobTool, rows: Sequence[RobRow]) -> tuple[tuple[str, str], ...]:
    domains = list(ROB_DOMAINS[tool])
    if tool is RobTool.rob2 and any(d == CROSSOVER_DOMAIN for r in rows for d, _ in r.judgements):
        domains.insert(1, CROSSOVER_DOMAIN)  # RoB 2 for crossover trials: domain S after D1
    out, i = [], 0
    for domain in domains:
        if domain == CROSSOVER_DOMAIN:
            out.append((domain, "DS"))
        else:
            i += 1
            out.append((domain, f"D{i}"))
    return tuple(out)


def get_rob_panels(studies: Iterable[Study]) -> list[RobPanel]:
    """The studies with curated risk-of-bias judgements, one panel per tool (RoB 2 first), rows by
    year then label."""
    by_tool: dict[RobTool, list[RobRow]] = {}
    unjudged: dict[RobTool, list[str]] = {}
    for study in sorted(studies, key=lambda s: (s.year or 0, s.label.casefold())):
        rob = study.risk_of_bias
        if rob is None:
            continue
        if rob.overall.value == "not_assessed":  # e.g. a registered protocol: nothing to show yet
            unjudged.setdefault(rob.tool, []).append(study.label)
            continue
        row = RobRow(
            study=study.id,
            label=study.label,
            n=study.n,
            tool=rob.tool,
            judgements=tuple((d, j.judgement.value) for d, j in rob.domains.items()),
            overall=rob.overall.value,
        )
        by_tool.setdefault(rob.tool, []).append(row)
    return [
        RobPanel(
            tool=tool,
            columns=_columns(tool, by_tool[tool]),
            rows=tuple(by_tool[tool]),
            unjudged=tuple(unjudged.get(tool, ())),
        )
        for tool in RobTool
        if tool in by_tool
    ]


def get_study_panels(kb: KnowledgeBase, study_ids: Iterable[str] | None = None) -> list[RobPanel]:
    """Panels of ``study_ids`` (default: every study of ``kb``); no judged study is an error."""
    studies = kb.studies if study_ids is None else [kb.study_index[s] for s in dict.fromkeys(study_ids)]
    panels = get_rob_panels(studies)
    if not panels:
        raise ExportError(
            "no risk-of-bias judgements to plot: none of these studies has a risk_of_bias block in "
            "data/studies.yaml"
        )
    return panels


def _domain_name(tool: RobTool, domain: str) -> str:
    if tool is RobTool.robins_i and domain in ROBINS_NAMES:
        return ROBINS_NAMES[domain]
    return DOMAIN_NAMES.get(domain, domain.replace("_", " "))


def _caption(panel: RobPanel) -> str:
    parts = [f"{header}: {_domain_name(panel.tool, d)}" for d, header in panel.columns]
    return "\n".join(parts)


def _draw_traffic(ax: Axes, panel: RobPanel) -> None:
    cols = [*panel.columns, ("overall", "Overall")]
    nrows = len(panel.rows)
    xs = [j + (0.3 if d == "overall" else 0.0) for j, (d, _) in enumerate(cols)]
    for i, row in enumerate(panel.rows):
        judged = dict(row.judgements)
        for x, (domain, _) in zip(xs, cols, strict=True):
            level = row.overall if domain == "overall" else judged.get(domain)
            if level is None:
                continue  # domain not applicable (e.g. DS for a parallel trial)
            # scatter markers stay round whatever the axes' aspect
            ax.scatter(
                [x], [i], s=290, color=palette.ROB[level], edgecolors=palette.INK, linewidths=0.6, zorder=3
            )
            ax.text(
                x,
                i,
                palette.ROB_SYMBOL[level],
                ha="center",
                va="center_baseline",
                fontsize=10,
                fontweight="bold",
                color=palette.ROB_SYMBOL_COLOUR[level],
                zorder=4,
            )
    ax.set_xlim(-0.6, xs[-1] + 0.6)
    ax.set_ylim(nrows - 0.5, -0.5)
    ax.xaxis.tick_top()
    ax.set_xticks(xs, [h for _, h in cols], fontsize=9, fontweight="bold")
    ax.set_yticks(range(nrows), [safe_text(r.label) for r in panel.rows], fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for y in range(nrows + 1):
        ax.axhline(y - 0.5, color=palette.GRID, linewidth=0.6, zorder=0)
    ax.set_title(TOOL_LABELS[panel.tool], fontsize=10, loc="left", pad=4)


def _draw_summary(ax: Axes, panel: RobPanel) -> None:
    summary = panel.summary()
    labels = LEVEL_LABELS[panel.tool]
    ys = range(len(summary))
    left = [0.0] * len(summary)
    for level in LEVELS:
        widths = [pct[level] for _, pct in summary]
        ax.barh(
            list(ys),
            widths,
            left=left,
            color=palette.ROB[level],
            edgecolor=palette.INK,
            linewidth=0.5,
            height=0.7,
            label=labels[level],
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(list(ys), [h for h, _ in summary], fontsize=9)
    ax.set_ylim(len(summary) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.set_xlabel("Share of participants (studies weighted by n)", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _legend(fig: Figure, panel: RobPanel, ax: Axes) -> None:
    from matplotlib.lines import Line2D

    labels = LEVEL_LABELS[panel.tool]
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=10,
            markerfacecolor=palette.ROB[level],
            markeredgecolor=palette.INK,
            label=f"{palette.ROB_SYMBOL[level]}  {labels[level]}",
        )
        for level in LEVELS
    ]
    ax.legend(
        handles=handles,
        title="Judgement",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )


def _wrap(lead: str, labels: Sequence[str]) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(lead + "; ".join(safe_text(s) for s in labels), width=95))


def to_rob_figure(panels: Sequence[RobPanel], *, title: str = "Risk of bias") -> Figure:
    """Traffic-light plot and weighted summary bars for each panel, one tool under the other."""
    use_agg()
    from matplotlib.figure import Figure

    if not panels:
        raise ExportError("no risk-of-bias judgements to plot")
    heights: list[float] = []
    for p in panels:
        notes = len(p.columns) + 2 * (bool(p.unweighted) + bool(p.unjudged))
        heights += [0.36 * len(p.rows) + 0.7, 0.26 * (len(p.columns) + 1) + 0.7, 0.15 * notes + 0.2]
    fig = Figure(figsize=(9.0, sum(heights) + 0.8), layout="constrained")
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    for k, panel in enumerate(panels):
        traffic = fig.add_subplot(grid[3 * k])
        _draw_traffic(traffic, panel)
        _legend(fig, panel, traffic)
        bars = fig.add_subplot(grid[3 * k + 1])
        _draw_summary(bars, panel)
        note = fig.add_subplot(grid[3 * k + 2])
        note.axis("off")
        text = _caption(panel)
        if panel.unweighted:
            text += "\n" + _wrap("Not weighted (no n recorded): ", panel.unweighted)
        if panel.unjudged:
            text += "\n" + _wrap("No domain assessed yet, not shown: ", panel.unjudged)
        note.text(0.0, 1.0, text, ha="left", va="top", fontsize=7.5, transform=note.transAxes)
    fig.suptitle(safe_text(title, 90), fontsize=12)
    return fig


def describe(panels: Sequence[RobPanel]) -> list[str]:
    """One tab-separated line per study: tool, label, n, each domain's judgement, overall."""
    lines = []
    for panel in panels:
        for row in panel.rows:
            judged = dict(row.judgements)
            cells = [f"{h}={judged.get(d, 'n/a')}" for d, h in panel.columns]
            lines.append("\t".join([panel.tool.value, row.label, f"n={row.n or '?'}", *cells, row.overall]))
    return lines


def to_records(panels: Sequence[RobPanel]) -> list[dict[str, Any]]:
    """The panels as JSON-ready records (one per study), with each panel's weighted summary."""
    out: list[dict[str, Any]] = []
    for panel in panels:
        summary = dict(panel.summary())
        for row in panel.rows:
            out.append(
                {
                    "tool": panel.tool.value,
                    "study": row.study,
                    "label": row.label,
                    "n": row.n,
                    "domains": {h: dict(row.judgements).get(d) for d, h in panel.columns},
                    "overall": row.overall,
                    "panel_summary_pct": summary,
                }
            )
    return out


__all__ = [
    "LEVELS",
    "RobPanel",
    "RobRow",
    "describe",
    "get_rob_panels",
    "get_study_panels",
    "to_records",
    "to_rob_figure",
]
