"""Interactive, offline evidence graph: one self-contained HTML file.

The page inlines vis-network (the copy bundled with pyvis, so nothing is fetched from a CDN) and
uses its own template (``resources/graph.html``): pyvis's template always adds bootstrap from a CDN
and writes tooltips with ``innerHTML`` (field notes, "pyvis 0.3.2 offline").

Safety: record text never reaches HTML or JS unescaped. Page text from records goes through
:func:`html.escape`; the graph data is one JSON document inside ``<script type="application/json">``
with ``<``, ``>`` and ``&`` written as ``\\u003c`` ... so no record can close the script element,
and the page's JS puts record text into the DOM with ``textContent`` only.

Layout: positions are precomputed with networkx (seeded, so the file is deterministic). Physics is
off for large graphs and stops after stabilisation on small ones, so a 5,000-node graph stays usable
(field notes: 5,000 nodes never stabilised with default physics; 2.1 s with positions and no physics).
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ldngraph.atomic import write_text_atomic
from ldngraph.errors import ExportError
from ldngraph.model import EntityKind, KnowledgeBase
from ldngraph.names import get_entity
from ldngraph.view import (
    CERTAINTIES,
    UNSCORED,
    certainty_label,
    conclusion_label,
    design_label,
    get_claim_conditions,
    get_claim_scores,
    get_evidence_rows,
    get_status,
    reason_label,
)

if TYPE_CHECKING:
    import networkx as nx

    from ldngraph.pipeline import Built

#: Node style by kind: (colour, vis shape). Colour-blind-safe palette (Okabe-Ito).
KIND_STYLE: dict[EntityKind, tuple[str, str]] = {
    EntityKind.intervention: ("#0072B2", "star"),
    EntityKind.mechanism: ("#009E73", "dot"),
    EntityKind.condition: ("#D55E00", "diamond"),
    EntityKind.outcome: ("#CC79A7", "triangle"),
}
#: Edge colour by the direction of its evidence; conflicting edges are also dashed.
STATUS_COLOUR: dict[str, str] = {"supports": "#1b7837", "refutes": "#b2182b", "conflicting": "#e08214"}
OUTCOME_EDGE_COLOUR = "#9e9e9e"
UNSCORED_WIDTH = 2.0
#: Above this many nodes physics stays off (precomputed positions only).
PHYSICS_MAX_NODES = 300
#: Above this many nodes the spring layout is too slow; nodes go on rings by kind.
SPRING_MAX_NODES = 1000

_MARKER = re.compile(r"@@([A-Z_]+)@@")
_SAFE_URL = re.compile(r"^https://(pubmed\.ncbi\.nlm\.nih\.gov|doi\.org)/")


def edge_width(strength: float | None) -> float:
    """Edge width in pixels: 1-9 by strength, a fixed width when the claim is unscored."""
    if strength is None:
        return UNSCORED_WIDTH
    return round(1.0 + 8.0 * max(0.0, min(1.0, strength)), 2)


def to_networkx(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """The drawn graph: entities as nodes; one edge per claim (key = claim id) and, for clinical
    claims about an outcome, a thin 'measured by' edge from the condition to the outcome."""
    import networkx as nx

    view = nx.MultiDiGraph()
    entities = kb.entity_index

    def add(curie: str) -> None:
        if curie not in view:
            ent = entities[curie]
            view.add_node(curie, label=ent.label, kind=ent.kind.value)

    for claim in kb.claims:
        add(claim.subject)
        add(claim.object)
        view.add_edge(claim.subject, claim.object, key=claim.id, kind="claim")
    for claim in kb.claims:
        outcome = claim.qualifiers.outcome
        if outcome is not None:
            add(outcome)
            key = f"outcome:{claim.object}:{outcome}"
            if not view.has_edge(claim.object, outcome, key=key):
                view.add_edge(claim.object, outcome, key=key, kind="outcome")
    return view


def get_ego(view: nx.MultiDiGraph, kb: KnowledgeBase, focus: str, depth: int) -> nx.MultiDiGraph:
    """The sub-graph within ``depth`` hops of ``focus`` (edges followed in both directions)."""
    import networkx as nx

    if depth < 0:
        raise ExportError(f"--depth {depth}: use 0 or more hops")
    node = get_entity(kb, focus).id
    if node not in view:
        raise ExportError(f"'{focus}' ({node}) has no claims, so it has no neighbourhood to draw")
    keep = nx.single_source_shortest_path_length(view.to_undirected(as_view=True), node, cutoff=depth)
    return view.subgraph(keep).copy()


def _layout(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Node positions: a seeded spring layout up to SPRING_MAX_NODES, rings by kind beyond."""
    import networkx as nx

    if view.number_of_nodes() == 0:
        return {}
    if view.number_of_nodes() > SPRING_MAX_NODES:
        return _ring_layout(view)
    simple = nx.Graph(view.to_undirected(as_view=True))
    scale = 150.0 * math.sqrt(simple.number_of_nodes())
    if simple.number_of_nodes() <= PHYSICS_MAX_NODES:
        # Small graphs: Kamada-Kawai spaces hubs and leaves more evenly than a spring layout.
        start = nx.spring_layout(simple, seed=7, iterations=50)
        pos = nx.kamada_kawai_layout(simple, pos=start, scale=scale)
    else:
        pos = nx.spring_layout(simple, seed=7, scale=scale, iterations=50)
    return {str(n): (round(float(x), 1), round(float(y), 1)) for n, (x, y) in pos.items()}


def _ring_layout(view: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Concentric rings (intervention, mechanisms, conditions, outcomes), each ring ordered by the
    mean angle of its nodes' neighbours (two barycentric passes). O(edges), unlike a spring layout,
    which took 35-50 s at 5,000 nodes here (see bench/viz_large.py)."""
    rings: dict[str, list[str]] = {k.value: [] for k in KIND_STYLE}
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


def _pub_link(url: str) -> str | None:
    return url if _SAFE_URL.match(url) else None


@dataclass(frozen=True)
class _Page:
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    cards: dict[str, dict[str, Any]]
    conditions: list[tuple[str, str]]
    designs: list[tuple[str, str]]
    scored: bool


def _page_data(built: Built, view: nx.MultiDiGraph) -> _Page:
    kb = built.kb
    scores = get_claim_scores(kb, built.graph)
    conds = get_claim_conditions(kb)
    claims = kb.claim_index
    pos = _layout(view)
    nodes = []
    for curie, attrs in view.nodes(data=True):
        colour, shape = KIND_STYLE[EntityKind(attrs["kind"])]
        x, y = pos.get(curie, (0.0, 0.0))
        nodes.append(
            {
                "id": curie,
                "label": attrs["label"],
                "title": f"{attrs['label']} ({curie}, {attrs['kind']})",
                "kind": attrs["kind"],
                "color": colour,
                "shape": shape,
                "size": 22 if attrs["kind"] == "intervention" else 16,
                "x": x,
                "y": y,
            }
        )
    edges: list[dict[str, Any]] = []
    cards: dict[str, dict[str, Any]] = {}
    designs: dict[str, str] = {}
    for source, target, key, attrs in view.edges(keys=True, data=True):
        if attrs["kind"] == "outcome":
            edges.append(
                {
                    "id": key,
                    "from": source,
                    "to": target,
                    "kind": "outcome",
                    "color": OUTCOME_EDGE_COLOUR,
                    "width": 1,
                    "dashes": [2, 4],
                    "title": "measured by",
                    "conditions": [source],
                }
            )
            continue
        claim = claims[key]
        score = scores[key]
        status = get_status(claim)
        rows = get_evidence_rows(kb, claim)
        for row in rows:
            designs[row.study.design.value] = design_label(row.study.design)
        certainty = score.certainty if score.certainty in CERTAINTIES else None
        edges.append(
            {
                "id": claim.id,
                "from": source,
                "to": target,
                "kind": "claim",
                "arrows": "to",
                "color": STATUS_COLOUR[status],
                "width": edge_width(score.strength),
                "dashes": status == "conflicting",
                "title": f"{claim.predicate.value}: {claim.statement}",
                "status": status,
                "strength": score.strength,
                "certainty": certainty or UNSCORED,
                "designs": sorted({r.study.design.value for r in rows}),
                "human": any(r.study.is_human for r in rows),
                "conditions": list(conds[claim.id]),
            }
        )
        cards[claim.id] = {
            "statement": claim.statement,
            "predicate": claim.predicate.value.replace("_", " "),
            "subject": view.nodes[source]["label"],
            "object": view.nodes[target]["label"],
            "status": status,
            "certainty": certainty_label(certainty),
            "reasons": [reason_label(r) for r in score.reasons],
            "strength": score.strength,
            "support": score.support,
            "refute": score.refute,
            "disagreement": score.disagreement,
            "profile": f"{score.profile_version}+{score.profile_hash}"
            if score.profile_hash
            else score.profile_version,
            "conclusion": conclusion_label(score.conclusion) if score.conclusion else None,
            "data_quality": list(score.data_quality),
            "studies": [
                {
                    "label": row.study.label,
                    "design": design_label(row.study.design),
                    "n": row.study.n,
                    "population": row.study.population_description or row.study.population.value,
                    "outcome": row.outcome.label if row.outcome else None,
                    "outcome_kind": row.outcome_kind,
                    "direction": row.item.direction.value,
                    "note": row.item.note,
                    "publications": [
                        {
                            "citation": p.citation,
                            "title": p.title,
                            "status": p.status.value,
                            "retracted": p.retracted,
                            "url": _pub_link(
                                f"https://doi.org/{quote(p.doi, safe='/:;()._-')}"
                                if p.doi and not p.pmid
                                else p.url
                            ),
                        }
                        for p in row.publications
                    ],
                }
                for row in rows
            ],
        }
    entities = kb.entity_index
    present = {c for e in edges for c in e["conditions"]}
    conditions = sorted(((c, entities[c].label) for c in present), key=lambda t: t[1].casefold())
    return _Page(
        nodes=nodes,
        edges=edges,
        cards=cards,
        conditions=conditions,
        designs=sorted(designs.items(), key=lambda t: t[1]),
        scored=any(s.scored for s in scores.values()),
    )


def to_script_json(data: Any) -> str:
    """JSON safe to place inside a ``<script>`` element: no '<', '>' or '&' appears literally,
    so record text cannot close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _options_html(options: list[tuple[str, str]], all_label: str) -> str:
    esc = html.escape
    rows = [f'<option value="">{esc(all_label)}</option>']
    rows += [f'<option value="{esc(value)}">{esc(label)}</option>' for value, label in options]
    return "\n".join(rows)


def _legend_html() -> str:
    shapes = {"star": "&#9733;", "dot": "&#9679;", "diamond": "&#9670;", "triangle": "&#9650;"}
    rows = [
        f'<li><span class="sym" style="color:{colour}">{shapes[shape]}</span> {html.escape(kind.value)}</li>'
        for kind, (colour, shape) in KIND_STYLE.items()
    ]
    rows += [
        f'<li><span class="line{" dashed" if status == "conflicting" else ""}" '
        f'style="border-color:{colour}"></span> {html.escape(status)}</li>'
        for status, colour in STATUS_COLOUR.items()
    ]
    rows.append(
        f'<li><span class="line dotted" style="border-color:{OUTCOME_EDGE_COLOUR}"></span> measured by</li>'
    )
    rows.append("<li>edge width: strength (thin = weak or unscored)</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def _vis_assets() -> tuple[str, str]:
    """vis-network JS and CSS as bundled with pyvis (so the page needs no network)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    try:
        js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
        css = (lib / "vis-network.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"pyvis's bundled vis-network is missing ({exc}); reinstall pyvis>=0.3.2") from None
    # A source-map comment would make devtools fetch a file; drop it.
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = re.sub(r"/\*# sourceMappingURL=\S+ \*/", "", css)
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def to_html(
    built: Built,
    *,
    focus: str | None = None,
    depth: int | None = None,
    title: str = "LDN evidence graph",
    physics: bool | None = None,
) -> str:
    """One self-contained, offline HTML page of the evidence graph (or of ``focus``'s
    neighbourhood within ``depth`` hops, default 1)."""
    view = to_networkx(built.kb)
    if focus is not None:
        view = get_ego(view, built.kb, focus, 1 if depth is None else depth)
    elif depth is not None:
        raise ExportError("--depth needs --focus NODE (the node to centre the neighbourhood on)")
    page = _page_data(built, view)
    use_physics = physics if physics is not None else len(page.nodes) <= PHYSICS_MAX_NODES
    js, css = _vis_assets()
    heading = title if focus is None else f"{title}: {focus} (depth {1 if depth is None else depth})"
    data = {
        "nodes": page.nodes,
        "edges": page.edges,
        "cards": page.cards,
        "physics": use_physics,
        "scored": page.scored,
    }
    parts = {
        "TITLE": html.escape(heading),
        "VIS_CSS": css,
        "VIS_JS": js,
        "LEGEND": _legend_html(),
        "CONDITIONS": _options_html(page.conditions, "all conditions"),
        "DESIGNS": _options_html(page.designs, "all designs"),
        "CERTAINTIES": _options_html(
            [(c, certainty_label(c)) for c in (*CERTAINTIES, UNSCORED)], "any certainty"
        ),
        "SCORED_NOTE": "" if page.scored else "(graph not scored: all edges unscored)",
        "COUNTS": html.escape(f"{len(page.nodes)} nodes, {len(page.edges)} edges"),
        "DATA": to_script_json(data),
    }
    template = resources.files("ldngraph.resources").joinpath("graph.html").read_text(encoding="utf-8")
    # One pass: text substituted for one marker is never scanned for another.
    return _MARKER.sub(lambda m: parts[m.group(1)], template)


def write_html(built: Built, path: Path | str, **kwargs: Any) -> Path:
    """Write :func:`to_html` to ``path`` atomically."""
    return write_text_atomic(path, to_html(built, **kwargs))
