"""Interactive, offline evidence graph: one self-contained HTML file.

The page inlines vis-network (the copy bundled with pyvis, so nothing is fetched from a CDN) and
uses its own template (``resources/graph.html``): pyvis's template always adds bootstrap from a CDN
and writes tooltips with ``innerHTML`` (field notes, "pyvis 0.3.2 offline").

Safety: record text never reaches HTML or JS unescaped. Page text from records goes through
:func:`html.escape`; the graph data is one JSON document inside ``<script type="application/json">``
with ``<``, ``>`` and ``&`` written as ``\\u003c`` ... so no record can close the script element,
and the page's JS puts record text into the DOM with ``textContent`` only.

Layout: positions are precomputed (ldngraph.present.layout: columns by kind for a curated graph, a
seeded spring layout or rings for large ones) and physics is off, so the file is deterministic,
labels do not move onto each other, and a 5,000-node graph stays usable (field notes: 5,000 nodes
never stabilised with default physics; 2.1 s with positions and no physics).
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
from ldngraph.evidence.effects import describe_effect
from ldngraph.model import Claim, EntityKind, KnowledgeBase, Predicate
from ldngraph.model.names import get_entity
from ldngraph.present import palette
from ldngraph.present.layout import get_layout
from ldngraph.stores.view import (
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

#: Node style by kind: (colour, vis shape); colours from the one palette (ldngraph.present.palette).
KIND_STYLE: dict[EntityKind, tuple[str, str]] = {
    EntityKind.intervention: (palette.KIND["intervention"], "star"),
    EntityKind.mechanism: (palette.KIND["mechanism"], "dot"),
    EntityKind.condition: (palette.KIND["condition"], "diamond"),
    EntityKind.outcome: (palette.KIND["outcome"], "triangle"),
}
#: Edge colour by what the evidence concludes about the claim (its outcome body's conclusion, and
#: whether that is what the claim states); graphs scored without bodies fall back to the
#: direction of the evidence (supports / refutes / conflicting).
STATUS_COLOUR: dict[str, str] = dict(palette.STATUS)
STATUS_TEXT: dict[str, str] = {
    "supports": "supported (the claim holds)",
    "refutes": "refuted: little or no important difference",
    "harm": "refuted: harm",
    "conflicting": "uncertain (does not hold)",
    "mechanistic": "mechanistic support only, no human evidence (does not hold)",
}
#: Certainty as line style (vis 'dashes'): solid for high and moderate, dashed low, dotted very low.
CERTAINTY_DASHES: dict[str, bool | list[int]] = {
    "high": False,
    "moderate": False,
    "low": [12, 6],
    "very_low": [3, 6],
    "unscored": [1, 8],
}
#: Certainty also as opacity, so a very-low edge recedes.
CERTAINTY_OPACITY: dict[str, float] = {
    "high": 1.0,
    "moderate": 0.9,
    "low": 0.75,
    "very_low": 0.55,
    "unscored": 0.5,
}
#: Evidence tier as arrow head: clinical evidence an arrow, preclinical a circle, hypothesis only a bar.
TIER_ARROW: dict[str, str] = {
    "clinical": "arrow",
    "review": "arrow",
    "preclinical": "circle",
    "theoretical": "bar",
}
TIER_TEXT: dict[str, str] = {
    "clinical": "clinical evidence",
    "review": "reviews only",
    "preclinical": "preclinical only (animal, cell)",
    "theoretical": "hypothesis only",
}
TIER_SHORT: dict[str, str] = {"preclinical": "preclinical", "theoretical": "hypothesis"}
GROUP_EDGE_COLOUR = "#9e9e9e"
UNSCORED_WIDTH = 2.0

_MARKER = re.compile(r"@@([A-Z_]+)@@")
_SAFE_URL = re.compile(r"^https://(pubmed\.ncbi\.nlm\.nih\.gov|doi\.org)/")


def edge_width(studies: int | None) -> float:
    """Edge width in pixels from the amount of evidence (distinct studies): 2 for one study, about
    +2 per doubling, at most 10; never from strength, so a claim refuted by strong null trials
    (strength 0) is drawn as wide as the evidence is large."""
    if studies is None or studies < 1:
        return UNSCORED_WIDTH
    return round(min(10.0, 2.0 + 2.0 * math.log2(studies)), 2)


def get_edge_status(conclusion: str | None, holds: bool | None, fallback: str) -> str:
    """supports / refutes / harm / conflicting: what the evidence says about the claim."""
    if conclusion is None or holds is None:
        return fallback
    if holds:
        return "supports"
    return {"little_or_no_effect": "refutes", "harm": "harm", "no_human_evidence": "mechanistic"}.get(
        conclusion, "conflicting"
    )


def _label_of(kb: KnowledgeBase, curie: str | None) -> str | None:
    entity = kb.entity_index.get(curie or "")
    return entity.label if entity is not None else None


def body_node(claim_id: str) -> str:
    """Id of the outcome node drawn between an intervention and a condition for one claim."""
    return f"outcome:{claim_id}"


def to_networkx(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """The drawn graph. Entities are nodes and claims edges (key = claim id), except that a claim
    from an intervention to a condition goes through an outcome node of its own (``outcome:<claim
    id>``, labelled with the outcome: pain, quality of life, tolerability ...): the claim edge ends
    there, and a thin grouping edge joins it to the condition. So the parallel claims into one
    condition are told apart at a glance, grouped beside their condition."""
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
        subject, target = entities[claim.subject], entities[claim.object]
        if subject.kind is EntityKind.intervention and target.kind is EntityKind.condition:
            node = body_node(claim.id)
            view.add_node(
                node, label=outcome_label(kb, claim), kind="outcome", claim=claim.id, condition=claim.object
            )
            view.add_edge(claim.subject, node, key=claim.id, kind="claim")
            view.add_edge(node, claim.object, key=f"group:{claim.id}", kind="group")
        else:
            view.add_edge(claim.subject, claim.object, key=claim.id, kind="claim")
    return view


def outcome_label(kb: KnowledgeBase, claim: Claim) -> str:
    """The outcome a claim is about, as a short label: 'pain', 'tolerability', 'quality of life
    (physical health)' ... (aspect and context qualifiers in brackets; alone without an outcome)."""
    q = claim.qualifiers
    if claim.predicate is Predicate.well_tolerated_in:
        text = "tolerability"
    elif q.outcome and q.outcome in kb.entity_index:
        text = kb.entity_index[q.outcome].label
    else:
        text = ""
    extra = ", ".join(v for v in (q.aspect, q.context) if v)
    if not text:
        return extra or "claimed effect"
    return f"{text} ({extra})" if extra else text


def get_ego(view: nx.MultiDiGraph, kb: KnowledgeBase, focus: str, depth: int) -> nx.MultiDiGraph:
    """The sub-graph within ``depth`` claim hops of ``focus`` (claims followed both ways), never
    expanding through an intervention: LDN joins every condition, so walking through it would take
    in nearly the whole graph. An outcome node comes with its claim."""
    if depth < 0:
        raise ExportError(f"--depth {depth}: use 0 or more hops")
    node = get_entity(kb, focus).id
    if node not in view:
        raise ExportError(f"'{focus}' ({node}) has no claims, so it has no neighbourhood to draw")
    entities = kb.entity_index
    near: dict[str, set[str]] = {}
    for claim in kb.claims:
        near.setdefault(claim.subject, set()).add(claim.object)
        near.setdefault(claim.object, set()).add(claim.subject)
    keep, frontier = {node}, [node]
    for _ in range(depth):
        step = []
        for current in frontier:
            if current != node and entities[current].kind is EntityKind.intervention:
                continue  # a hub: reached, not walked through
            step += [n for n in sorted(near.get(current, ())) if n not in keep]
        keep.update(step)
        frontier = step
    bodies = {
        n
        for n, attrs in view.nodes(data=True)
        if attrs.get("claim")
        and kb.claim_index[attrs["claim"]].subject in keep
        and attrs["condition"] in keep
    }
    return view.subgraph(keep | bodies).copy()


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


def _node(
    curie: str, attrs: dict[str, Any], pos: tuple[float, float], tiers: dict[str, str]
) -> dict[str, Any]:
    x, y = pos
    if attrs["kind"] == "outcome" and attrs.get("claim"):
        tier = tiers.get(attrs["claim"], "clinical")
        label = attrs["label"] + ("" if tier in {"clinical", "review"} else f" ({TIER_SHORT[tier]})")
        return {
            "id": curie,
            "label": label,
            "title": f"outcome of claim {attrs['claim']}",
            "kind": "outcome",
            "claim": attrs["claim"],
            "tier": tier,
            "shape": "box",
            "color": {
                "background": "#ffffff" if tier in {"clinical", "review"} else "#eeeeee",
                "border": KIND_STYLE[EntityKind.outcome][0],
            },
            "shapeProperties": {"borderDashes": False if tier in {"clinical", "review"} else [4, 3]},
            "font": {"size": 13},
            "margin": 4,
            "x": x,
            "y": y,
        }
    colour, shape = KIND_STYLE[EntityKind(attrs["kind"])]
    return {
        "id": curie,
        "label": attrs["label"],
        "title": f"{attrs['label']} ({curie}, {attrs['kind']})",
        "kind": attrs["kind"],
        "color": {"background": colour, "border": palette.INK},
        "shape": shape,
        "size": 22 if attrs["kind"] == "intervention" else 14,
        "x": x,
        "y": y,
    }


def _rgba(hex_colour: str, opacity: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{opacity})"


def _page_data(built: Built, view: nx.MultiDiGraph) -> _Page:
    kb = built.kb
    scores = get_claim_scores(kb, built.graph)
    conds = get_claim_conditions(kb)
    claims = kb.claim_index
    pos = get_layout(view)
    tiers = {cid: s.tier or get_tier(kb, claims[cid]) for cid, s in scores.items()}
    nodes = [_node(n, attrs, pos.get(n, (0.0, 0.0)), tiers) for n, attrs in view.nodes(data=True)]
    edges: list[dict[str, Any]] = []
    cards: dict[str, dict[str, Any]] = {}
    designs: dict[str, str] = {}
    for source, target, key, attrs in view.edges(keys=True, data=True):
        if attrs["kind"] == "group":
            claim_id = key.removeprefix("group:")
            edges.append(
                {
                    "id": key,
                    "from": source,
                    "to": target,
                    "kind": "group",
                    "claim": claim_id,
                    "color": GROUP_EDGE_COLOUR,
                    "width": 1,
                    "title": "outcome of",
                    "conditions": [target],
                }
            )
            continue
        claim = claims[key]
        score = scores[key]
        status = get_edge_status(score.conclusion, score.holds, get_status(claim))
        rows = get_evidence_rows(kb, claim)
        for row in rows:
            designs[row.study.design.value] = design_label(row.study.design)
        certainty = score.certainty if score.certainty in CERTAINTIES else None
        cert = certainty or UNSCORED
        studies = len({r.study.id for r in rows})
        tier = tiers[key]
        edges.append(
            {
                "id": claim.id,
                "from": source,
                "to": target,
                "kind": "claim",
                "arrows": {"to": {"enabled": True, "type": TIER_ARROW.get(tier, "arrow")}},
                "color": {"color": _rgba(STATUS_COLOUR[status], CERTAINTY_OPACITY[cert]), "inherit": False},
                "colour": STATUS_COLOUR[status],
                "width": edge_width(studies) if score.scored else UNSCORED_WIDTH,
                "dashes": CERTAINTY_DASHES[cert],
                "title": f"{claim.predicate.value}: {claim.statement} ({STATUS_TEXT[status]}; certainty "
                f"{certainty_label(certainty)}; {studies} stud{'y' if studies == 1 else 'ies'})",
                "status": status,
                "conclusion": score.conclusion,
                "strength": score.strength,
                "certainty": cert,
                "tier": tier,
                "studies": studies,
                "designs": sorted({r.study.design.value for r in rows}),
                "human": any(r.study.is_human for r in rows),
                "conditions": list(conds[claim.id]),
            }
        )
        cards[claim.id] = {
            "statement": claim.statement,
            "predicate": claim.predicate.value.replace("_", " "),
            "subject": kb.entity_index[claim.subject].label,
            "object": kb.entity_index[claim.object].label,
            "status": status,
            "status_text": STATUS_TEXT[status],
            "tier": TIER_TEXT.get(tier, tier),
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
            "holds": score.holds,
            "effect": score.effect,
            "outcome": _label_of(kb, claim.qualifiers.outcome),
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
                    "excluded": dict(score.excluded).get(i),
                    "effect": describe_effect(row.study, row.item.outcome),
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
                for i, row in enumerate(rows)
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


def get_tier(kb: KnowledgeBase, claim: Claim) -> str:
    """Best evidence tier of a claim from its studies, for graphs that do not carry one."""
    order = ("theoretical", "preclinical", "review", "clinical")
    best = 0
    for item in claim.evidence:
        study = kb.study_index[item.study]
        if study.design.value in {"commentary", "narrative_review"}:
            tier = "theoretical"
        elif not study.is_human:
            tier = "preclinical"
        elif study.design.value in {"meta_analysis", "systematic_review"}:
            tier = "review"
        else:
            tier = "clinical"
        best = max(best, order.index(tier))
    return order[best]


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
    esc = html.escape
    shapes = {"star": "&#9733;", "dot": "&#9679;", "diamond": "&#9670;", "triangle": "&#9650;"}
    rows = [
        f'<li><span class="sym" style="color:{colour}">{shapes[shape]}</span> {esc(kind.value)}</li>'
        for kind, (colour, shape) in KIND_STYLE.items()
        if kind is not EntityKind.outcome
    ]
    rows.append('<li><span class="sym box">pain</span> outcome of a claim, beside its condition</li>')
    rows.append('<li class="head">Colour: what the evidence concludes</li>')
    rows += [
        f'<li class="status-{esc(status)}"><span class="line" style="border-color:{colour}"></span> '
        f"{esc(STATUS_TEXT[status])}</li>"
        for status, colour in STATUS_COLOUR.items()
    ]
    rows.append('<li class="head">Line: certainty</li>')
    styles = {
        "high": "solid",
        "moderate": "solid",
        "low": "dashed",
        "very_low": "dotted",
        "unscored": "dotted",
    }
    rows += [
        f'<li class="certainty-{esc(c)}"><span class="line {styles[c]}" style="border-color:#333;'
        f'opacity:{CERTAINTY_OPACITY[c]}"></span> {esc(certainty_label(c))}</li>'
        for c in (*CERTAINTIES, UNSCORED)
    ]
    rows.append('<li class="head">Arrow head: kind of evidence</li>')
    heads = {"arrow": "&#9654;", "circle": "&#9679;", "bar": "&#9475;"}
    rows += [
        f'<li class="tier-{esc(t)}"><span class="sym">{heads[TIER_ARROW[t]]}</span> {esc(TIER_TEXT[t])}</li>'
        for t in ("clinical", "preclinical", "theoretical")
    ]
    rows.append("<li>Width: number of studies (not strength: strong null results stay wide)</li>")
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


def get_drawing(built: Built, *, focus: str | None = None, depth: int | None = None) -> _Page:
    """What is drawn: nodes with their positions (ldngraph.present.layout) and styles, claim edges
    with their status, certainty, tier and width, evidence cards. The page and the static graph
    figure (ldngraph.present.graph_plot) both draw this."""
    view = to_networkx(built.kb)
    if focus is not None:
        view = get_ego(view, built.kb, focus, 1 if depth is None else depth)
    elif depth is not None:
        raise ExportError("--depth needs --focus NODE (the node to centre the neighbourhood on)")
    return _page_data(built, view)


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
    page = get_drawing(built, focus=focus, depth=depth)
    use_physics = bool(physics)  # positions are precomputed (layered, spring or rings)
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
