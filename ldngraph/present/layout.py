"""Node positions for the drawn evidence graph (ldngraph.present.viz), computed once so the page needs no
physics and the file is deterministic.

- up to LAYERED_MAX_NODES nodes: columns by kind (intervention | mechanisms | outcomes | conditions),
  so labels never meet (tested in a browser at 1400 x 900);
- up to SPRING_MAX_NODES: a seeded spring layout;
- beyond: concentric rings by kind (O(edges); a spring layout took 35-50 s at 5,000 nodes).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

#: Up to this many nodes the layered (column) layout is used.
LAYERED_MAX_NODES = 300
#: Above this many nodes the spring layout is too slow; nodes go on rings by kind.
SPRING_MAX_NODES = 1000
#: Columns of the layered layout (x in canvas units) and the vertical step between nodes.
COLUMN_X: dict[str, float] = {"intervention": 0.0, "mechanism": 270.0, "outcome": 640.0, "condition": 900.0}
ROW_STEP = 44.0
#: Ring order, inside out, for large graphs.
RING_ORDER = ("intervention", "mechanism", "condition", "outcome")


def get_layout(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Node positions: a seeded spring layout up to SPRING_MAX_NODES, rings by kind beyond."""
    import networkx as nx

    if view.number_of_nodes() == 0:
        return {}
    if view.number_of_nodes() > SPRING_MAX_NODES:
        return _ring_layout(view)
    if view.number_of_nodes() <= LAYERED_MAX_NODES:
        return _layered_layout(view)
    simple = nx.Graph(view.to_undirected(as_view=True))
    scale = 150.0 * math.sqrt(simple.number_of_nodes())
    pos = nx.spring_layout(simple, seed=7, scale=scale, iterations=50)
    return {str(n): (round(float(x), 1), round(float(y), 1)) for n, (x, y) in pos.items()}


def _layered_layout(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Columns by kind (intervention | mechanisms | outcomes | conditions), so no two labels meet:
    each condition gets a band as tall as its outcome nodes, which sit beside it; mechanisms are
    spread over the same height, ordered by the mean height of the conditions they feed; the
    intervention sits in the middle. Deterministic, and the page needs no physics."""
    kinds = dict(view.nodes(data="kind"))
    conditions = sorted(
        (n for n, k in kinds.items() if k == "condition"), key=lambda n: view.nodes[n]["label"].casefold()
    )
    pos: dict[str, tuple[float, float]] = {}
    y = 0.0
    for cond in conditions:
        outs = sorted(
            (n for n in view.predecessors(cond) if kinds[n] == "outcome"),
            key=lambda n: view.nodes[n]["label"],
        )
        band = max(2, len(outs)) * ROW_STEP
        for i, out in enumerate(outs):
            pos[out] = (COLUMN_X["outcome"], y + (i + 0.5) * ROW_STEP + (band - len(outs) * ROW_STEP) / 2)
        pos[cond] = (COLUMN_X["condition"], y + band / 2)
        y += band + ROW_STEP / 2
    loose = [n for n, k in kinds.items() if k == "outcome" and n not in pos]
    for out in sorted(loose):
        pos[out] = (COLUMN_X["outcome"], y)
        y += ROW_STEP

    def feeds(node: str) -> float:
        ys = [pos[n][1] for n in view.successors(node) if n in pos]
        return sum(ys) / len(ys) if ys else float("inf")

    mechanisms = sorted((n for n, k in kinds.items() if k == "mechanism"), key=lambda n: (feeds(n), n))
    height = max(y - ROW_STEP / 2, len(mechanisms) * ROW_STEP * 1.4, ROW_STEP)
    step = height / max(1, len(mechanisms))
    for i, mech in enumerate(mechanisms):
        pos[mech] = (COLUMN_X["mechanism"], (i + 0.5) * step)
    heads = sorted(n for n, k in kinds.items() if k == "intervention")
    for i, head in enumerate(heads):
        pos[head] = (COLUMN_X["intervention"], height * (i + 1) / (len(heads) + 1))
    return {n: (round(x, 1), round(yy, 1)) for n, (x, yy) in pos.items()}


def _ring_layout(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Concentric rings (intervention, mechanisms, conditions, outcomes), each ring ordered by the
    mean angle of its nodes' neighbours (two barycentric passes). O(edges), unlike a spring layout,
    which took 35-50 s at 5,000 nodes here (see bench/viz_large.py)."""
    rings: dict[str, list[str]] = {k: [] for k in RING_ORDER}
    for node, kind in sorted(view.nodes(data="kind")):
        rings[str(kind)].append(str(node))
    angle: dict[str, float] = {}
    radius: dict[str, float] = {}
    r = -250.0  # a single node on the first ring sits in the centre
    for members in rings.values():
        if not members:
            continue
        r = max(r + 250.0, 45.0 * len(members) / (2 * math.pi) if len(members) > 1 else 0.0)
        for i, node in enumerate(members):
            angle[node], radius[node] = 2 * math.pi * i / len(members), r
    for _ in range(2):
        for members in rings.values():
            if len(members) < 2:
                continue

            def mean_angle(node: str) -> float:
                near = [angle[m] for m in (*view.predecessors(node), *view.successors(node))]
                if not near:
                    return angle[node]
                return math.atan2(sum(map(math.sin, near)), sum(map(math.cos, near))) % (2 * math.pi)

            members.sort(key=lambda n: (mean_angle(n), n))
            for i, node in enumerate(members):
                angle[node] = 2 * math.pi * i / len(members)
    return {
        n: (round(radius[n] * math.cos(a), 1), round(radius[n] * math.sin(a), 1)) for n, a in angle.items()
    }
