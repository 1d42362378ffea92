"""viz: one offline HTML file, escaped record text, counts that match the graph, ego networks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Literal

from ldngraph.cli import main
from ldngraph.errors import ExportError, UnknownEntityError
from ldngraph.pipeline import Built, load
from ldngraph.present.viz import (
    CERTAINTY_DASHES,
    STATUS_COLOUR,
    TIER_ARROW,
    UNSCORED_WIDTH,
    edge_width,
    get_ego,
    to_html,
    to_networkx,
    write_html,
)
from ldngraph.rdf.build import to_graph
from ldngraph.rdf.vocab import LDN, claim_iri
from ldngraph.stores.view import reason_label

RESOURCES = Path(__file__).parent / "resources"
PAYLOAD = "<img src=x onerror=window.__xss=1>"


class _Scanner(HTMLParser):
    """Collects every URL the page would load by itself (scripts, styles, fonts, images, frames)
    and every anchor; anchors are links a reader may click, not resources the page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.anchors: list[str] = []
        self.styles: list[str] = []
        self.data: str | None = None
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.anchors.append(values["href"] or "")
        for name in ("src", "href", "srcset", "poster", "data"):
            if tag != "a" and values.get(name):
                self.loads.append(values[name] or "")
        if tag == "style":
            self._in = "style"
        if tag == "script" and values.get("id") == "ldn-data":
            self._in = "data"

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "data":
            self.data = (self.data or "") + data


def _scan(page: str) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(page)
    return scanner


def _data(page: str) -> dict[str, object]:
    blob = _scan(page).data
    assert blob is not None, "no ldn-data script in the page"
    return json.loads(blob)  # type: ignore[no-any-return]


@pytest.mark.parametrize("data_dir", [None, RESOURCES / "mini"])
def test_page_loads_nothing_from_the_network(data_dir: Path | None) -> None:
    page = to_html(load(data_dir))
    scan = _scan(page)
    assert not [u for u in scan.loads if re.match(r"\s*(https?:)?//", u)], scan.loads
    for css in scan.styles:
        assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", css)
        assert "@import" not in css
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*['\"]?\s*(https?:)?//", page, re.I)
    assert "sourceMappingURL" not in page
    # The evidence cards do carry PubMed/DOI links: as data for <a> elements, never as resources.
    cards = _data(page)["cards"]
    urls = [p["url"] for c in cards.values() for s in c["studies"] for p in s["publications"]]  # type: ignore[attr-defined]
    assert any(u and u.startswith("https://pubmed.ncbi.nlm.nih.gov/") for u in urls)
    assert "vis.Network" in page and "ldn-data" in page


def test_no_lib_dir_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_html(load(RESOURCES / "mini"), tmp_path / "g.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.html"]


def test_counts_match_the_graph(mini_dir: Path) -> None:
    built = load(mini_dir)
    data = _data(to_html(built))
    view = to_networkx(built.kb)
    assert len(data["nodes"]) == view.number_of_nodes() == 4  # type: ignore[arg-type]
    # three claims plus one 'measured by' edge (fibromyalgia -> pain)
    assert len(data["edges"]) == view.number_of_edges() == 4  # type: ignore[arg-type]
    claims = {e["id"]: e for e in data["edges"] if e["kind"] == "claim"}  # type: ignore[attr-defined]
    assert set(claims) == {c.id for c in built.kb.claims}
    # the condition filter follows mechanism chains: LDN -> microglia bears on fibromyalgia
    assert claims["ldn-microglia"]["conditions"] == ["MESH:D005356"]
    assert claims["ldn-microglia"]["human"] is False and claims["ldn-pain"]["human"] is True
    assert claims["ldn-pain"]["designs"] == ["crossover_rct", "rct"]


def test_style_by_kind_conclusion_certainty_and_amount_of_evidence(mini_dir: Path) -> None:
    built = load(mini_dir)
    data = _data(to_html(built))
    edges = {e["id"]: e for e in data["edges"]}  # type: ignore[attr-defined]
    pain = built.scores.claims["ldn-pain"]
    assert (pain.conclusion, pain.holds) == ("uncertain", False)  # trial-a supports, trial-b refutes
    assert edges["ldn-pain"]["status"] == "conflicting"
    assert edges["ldn-pain"]["colour"] == STATUS_COLOUR["conflicting"]
    # a cell study only: no human evidence, the claim does not hold, drawn as mechanistic support
    microglia = built.scores.claims["ldn-microglia"]
    assert (microglia.conclusion, microglia.holds) == ("no_human_evidence", False)
    assert edges["ldn-microglia"]["colour"] == STATUS_COLOUR["mechanistic"]
    card = data["cards"]["ldn-pain"]  # type: ignore[index]
    assert (card["holds"], card["outcome"]) == (False, "pain") and card["effect"] == pain.effect
    shapes = {n["kind"]: n["shape"] for n in data["nodes"]}  # type: ignore[attr-defined]
    assert len(set(shapes.values())) == 4
    for cid, score in built.scores.claims.items():
        studies = len({i.study for i in built.kb.claim_index[cid].evidence})
        assert edges[cid]["strength"] == pytest.approx(score.strength)
        assert edges[cid]["width"] == edge_width(studies) > 0  # the amount of evidence, not strength
        assert edges[cid]["certainty"] == score.certainty.value
        assert edges[cid]["dashes"] == CERTAINTY_DASHES[score.certainty.value]
        card = data["cards"][cid]  # type: ignore[index]
        assert card["reasons"] == [reason_label(r) for r in sorted(score.reasons)]
    # evidence tier as arrow head: the in-vitro-only claim is preclinical
    assert edges["ldn-microglia"]["arrows"]["to"]["type"] == TIER_ARROW["preclinical"] == "circle"
    assert edges["ldn-pain"]["arrows"]["to"]["type"] == "arrow"
    # the LDN -> fibromyalgia claim ends at its outcome node, joined to the condition
    assert edges["ldn-pain"]["to"] == "outcome:ldn-pain"
    assert edges["group:ldn-pain"]["to"] == "MESH:D005356" and edges["group:ldn-pain"]["claim"] == "ldn-pain"
    outcome = next(n for n in data["nodes"] if n["id"] == "outcome:ldn-pain")  # type: ignore[attr-defined]
    assert outcome["label"] == "pain" and outcome["shape"] == "box"
    assert data["scored"] is True


def test_shipped_graph_shows_refuted_hypothesis_and_preclinical_claims() -> None:
    built = load()
    data = _data(to_html(built))
    edges = {e["id"]: e for e in data["edges"]}  # type: ignore[attr-defined]
    labels = {n["id"]: n["label"] for n in data["nodes"]}  # type: ignore[attr-defined]
    scores = built.scores.claims
    refuted = [c for c, s in scores.items() if s.conclusion == "little_or_no_effect" and not s.holds]
    assert refuted
    strongest = max(refuted, key=lambda c: (scores[c].refute, c))
    assert scores[strongest].strength < 0.2  # a strength-based width would hide it
    assert edges[strongest]["status"] == "refutes" and edges[strongest]["colour"] == STATUS_COLOUR["refutes"]
    assert edges[strongest]["width"] >= edge_width(1) > 0
    tiers = {c: s.tier for c, s in scores.items()}
    for cid, tier in tiers.items():
        if tier in ("preclinical", "theoretical"):
            assert edges[cid]["arrows"]["to"]["type"] == TIER_ARROW[tier]
            if f"outcome:{cid}" in labels:
                assert labels[f"outcome:{cid}"].endswith(
                    "(preclinical)" if tier == "preclinical" else "(hypothesis)"
                )
    assert "theoretical" in tiers.values() and "preclinical" in tiers.values()
    # every intervention -> condition claim has its outcome node with a label
    entities = built.kb.entity_index
    direct = [
        c
        for c in built.kb.claims
        if entities[c.subject].kind.value == "intervention" and entities[c.object].kind.value == "condition"
    ]
    assert len(direct) > 10
    for claim in direct:
        assert edges[claim.id]["to"] == f"outcome:{claim.id}" and labels[f"outcome:{claim.id}"]
    page = to_html(built)
    for certainty in ("high", "moderate", "low", "very_low"):
        assert f'class="certainty-{certainty}"' in page


def test_unscored_graph_still_draws(mini_dir: Path) -> None:
    built = load(mini_dir)
    bare = Built(kb=built.kb, graph=to_graph(built.kb), scores=built.scores)  # no materialised scores
    data = _data(to_html(bare))
    edges = [e for e in data["edges"] if e["kind"] == "claim"]  # type: ignore[attr-defined]
    assert {e["certainty"] for e in edges} == {"unscored"}
    assert {e["width"] for e in edges} == {UNSCORED_WIDTH}
    assert data["scored"] is False


def test_materialised_scores_drive_width_and_card(mini_dir: Path) -> None:
    built = load(mini_dir)
    node = claim_iri(built.kb.claim_index["ldn-microglia"])
    built.graph.set((node, LDN.strength, Literal(0.0)))
    built.graph.set((node, LDN.certainty, Literal("very_low")))
    built.graph.remove((node, LDN.reason, None))
    built.graph.add((node, LDN.reason, Literal("preclinical_only")))
    data = _data(to_html(built))
    edge = next(e for e in data["edges"] if e["id"] == "ldn-microglia")  # type: ignore[attr-defined]
    assert edge["width"] == edge_width(1) == UNSCORED_WIDTH  # strength 0 is still drawn
    assert edge["certainty"] == "very_low" and edge["dashes"] == CERTAINTY_DASHES["very_low"]
    card = data["cards"]["ldn-microglia"]  # type: ignore[index]
    assert card["certainty"] == "very low" and card["reasons"] == ["preclinical evidence only"]


def test_record_text_is_escaped() -> None:
    built = load(RESOURCES / "xss")
    page = to_html(built, title=f"Graph {PAYLOAD}")
    assert "<img" not in page
    assert "</script><script>window.__xss" not in page
    assert "<b onmouseover" not in page
    assert "&lt;img src=x onerror=window.__xss=1&gt;" in page  # the escaped title
    # JS gets the exact text back (as text; the page sets it with textContent).
    data = _data(page)
    card = data["cards"]["ldn-pain"]  # type: ignore[index]
    assert "</script><script>window.__xss=2</script>" in card["statement"]
    labels = [s["label"] for s in card["studies"]]
    assert f"Trial A {PAYLOAD}" in labels
    assert "innerHTML" not in page.split('id="ldn-data"')[1].split("</script>", 2)[2]


def test_ego_network(mini_dir: Path) -> None:
    built = load(mini_dir)
    ids = lambda page: {n["id"] for n in _data(page)["nodes"]}  # type: ignore[attr-defined]  # noqa: E731
    assert ids(to_html(built, focus="microglia", depth=0)) == {"CL:0000129"}
    near = {"CL:0000129", "CHEBI:7465", "MESH:D005356", "outcome:ldn-pain"}
    assert ids(to_html(built, focus="CL:0000129", depth=1)) == near
    assert ids(to_html(built, focus="microglia", depth=2)) == near
    with pytest.raises(UnknownEntityError):
        to_html(built, focus="no such thing")
    with pytest.raises(ExportError):
        to_html(built, depth=2)


def test_focus_does_not_walk_through_the_intervention_hub() -> None:
    built = load()
    full = to_networkx(built.kb)
    ego = get_ego(full, built.kb, "fibromyalgia", 2)
    assert "CHEBI:7465" in ego  # the hub is shown ...
    assert ego.number_of_nodes() < full.number_of_nodes() * 0.6  # ... but not walked through
    # every condition in the view is reached through a mechanism, not through LDN
    for node, kind in ego.nodes(data="kind"):
        if kind == "condition" and node != "MESH:D005356":
            assert any(ego.nodes[m]["kind"] == "mechanism" for m in ego.predecessors(node))


def test_cli_viz(tmp_path: Path, mini_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.html"
    main(["viz", "--data", str(mini_dir), "-o", str(out), "--focus", "fibromyalgia", "--depth", "1"])
    assert len(_data(out.read_text(encoding="utf-8"))["nodes"]) == 4  # type: ignore[arg-type]
    bad = tmp_path / "bad.html"
    with pytest.raises(SystemExit) as exc:
        main(["viz", "--data", str(mini_dir), "-o", str(bad), "--focus", "nope"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("Error: unknown entity 'nope'")
    assert not bad.exists()


def test_large_graphs_get_rings_and_no_physics(mini_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ldngraph.present.layout as layout

    monkeypatch.setattr(layout, "SPRING_MAX_NODES", 2)
    monkeypatch.setattr(layout, "LAYERED_MAX_NODES", 2)
    data = _data(to_html(load(mini_dir)))
    assert data["physics"] is False
    pos = {n["id"]: (n["x"], n["y"]) for n in data["nodes"]}  # type: ignore[attr-defined]
    assert pos["CHEBI:7465"] == (0.0, 0.0)  # the intervention sits in the centre
    assert len(set(pos.values())) == len(pos)  # nobody on top of anybody
