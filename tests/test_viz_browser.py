"""graph.html in real headless Chromium (Debian's chromium driven by Playwright).

Skipped with a message when chromium or playwright is missing; CI sets LDNGRAPH_REQUIRE_BROWSER=1,
and then a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ldngraph.pipeline import load
from ldngraph.present.viz import to_networkx, write_html

pytestmark = pytest.mark.browser

RESOURCES = Path(__file__).parent / "resources"
PAYLOAD = "<img src=x onerror=window.__xss=1>"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _chromium() -> str | None:
    """The browser binary: $LDNGRAPH_CHROMIUM, else chromium on PATH, else /usr/bin/chromium."""
    for candidate in (os.environ.get("LDNGRAPH_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = None
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright Python package is not installed (pip install playwright)"
    if problem is None and executable is None:
        problem = "no chromium binary (apt-get install chromium, or set LDNGRAPH_CHROMIUM)"
    if problem is not None:
        if os.environ.get("LDNGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LDNGRAPH_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"browser test skipped: {problem}")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=ARGS)
        yield chromium
        chromium.close()


class _Watched:
    """A page with every console error, page error and outgoing request recorded."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 850})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # anything else would leave the machine: refuse it (and the test fails below)
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.ldnReady === true && window.ldnStable === true", timeout=30_000)
        return self.page

    def close(self) -> None:
        self.context.close()

    @property
    def outgoing(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "blob:"))]


@pytest.fixture
def watched(browser: Any) -> Iterator[_Watched]:
    w = _Watched(browser)
    yield w
    w.close()


def _click_edge(page: Any, edge_id: str) -> None:
    """Click the middle of an edge as drawn (a real mouse click on the canvas)."""
    point = page.evaluate(
        """(id) => {
            const p = network.body.edges[id].edgeType.getPoint(0.5);
            const d = network.canvasToDOM(p);
            const r = document.getElementById('mynetwork').getBoundingClientRect();
            return {x: r.left + d.x, y: r.top + d.y};
        }""",
        edge_id,
    )
    page.mouse.click(point["x"], point["y"])


def test_graph_draws_offline_with_matching_counts(watched: _Watched, tmp_path: Path) -> None:
    built = load(RESOURCES / "mini")
    out = write_html(built, tmp_path / "graph.html")
    page = watched.open(out)
    view = to_networkx(built.kb)
    assert page.evaluate("nodes.length") == view.number_of_nodes()
    assert page.evaluate("edges.length") == view.number_of_edges()
    drawn = page.evaluate("Object.keys(network.body.nodes).filter(k => !k.startsWith('edgeId:')).length")
    assert drawn == view.number_of_nodes()
    # filters: 'human only' hides the in-vitro-only edge, reset shows it again
    page.check("#f-human")
    assert page.evaluate("edges.get('ldn-microglia').hidden") is True
    assert page.evaluate("edges.get('ldn-pain').hidden") is False
    page.click("#f-reset")
    assert page.evaluate("edges.get('ldn-microglia').hidden") is False
    # minimum strength above every claim's strength hides every claim edge and every node
    page.fill("#f-strength", "1")
    page.dispatch_event("#f-strength", "input")
    assert page.evaluate("edges.get({filter: e => e.kind === 'claim' && !e.hidden}).length") == 0
    assert page.evaluate("nodes.get({filter: n => !n.hidden}).length") == 0
    page.click("#f-reset")
    # design filter: only the in-vitro study's edge is left, with its two end nodes
    page.select_option("#f-design", "in_vitro")
    shown = page.evaluate("edges.get({filter: e => e.kind === 'claim' && !e.hidden}).map(e => e.id)")
    assert shown == ["ldn-microglia"]
    assert sorted(page.evaluate("nodes.get({filter: n => !n.hidden}).map(n => n.id)")) == [
        "CHEBI:7465",
        "CL:0000129",
    ]
    page.click("#f-reset")
    assert watched.errors == []
    assert watched.outgoing == []


def test_record_text_is_shown_as_text_and_never_runs(watched: _Watched, tmp_path: Path) -> None:
    built = load(RESOURCES / "xss")
    out = write_html(built, tmp_path / "graph.html", title=f"Graph {PAYLOAD}")
    page = watched.open(out)
    assert PAYLOAD in page.title()
    _click_edge(page, "ldn-pain")
    card = page.locator("#card")
    card.get_by_text(f"Trial A {PAYLOAD}").wait_for(state="visible", timeout=5_000)
    assert "</script><script>window.__xss=2</script>" in card.inner_text()
    assert page.locator("#card a", has_text="PMID 111").get_attribute("href") == (
        "https://pubmed.ncbi.nlm.nih.gov/111/"
    )
    assert page.evaluate("document.querySelectorAll('img, b').length") == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watched.errors == []
    assert watched.outgoing == []


def test_shipped_graph_draws_offline_with_matching_counts(watched: _Watched, tmp_path: Path) -> None:
    """The same count, console and network checks on the graph built from the shipped data/."""
    built = load()
    out = write_html(built, tmp_path / "graph.html")
    page = watched.open(out)
    view = to_networkx(built.kb)
    assert view.number_of_nodes() > 20 and view.number_of_edges() >= len(built.kb.claims) >= 30  # shipped
    assert page.evaluate("nodes.length") == view.number_of_nodes()
    assert page.evaluate("edges.length") == view.number_of_edges()
    drawn = page.evaluate("Object.keys(network.body.nodes).filter(k => !k.startsWith('edgeId:')).length")
    assert drawn == view.number_of_nodes()
    claims = sorted(c.id for c in built.kb.claims)
    shown = page.evaluate("edges.get({filter: e => e.kind === 'claim'}).map(e => e.id)")
    assert sorted(shown) == claims
    assert watched.errors == []
    assert watched.outgoing == []


# -- a graph you can read (issue 17): at 1400 x 900, as a researcher's laptop shows it ------------

_LABEL_BOXES = """() => {
    const r = document.getElementById('mynetwork').getBoundingClientRect();
    return nodes.getIds({filter: n => !n.hidden}).map(id => {
        const b = network.getBoundingBox(id);
        const a = network.canvasToDOM({x: b.left, y: b.top});
        const z = network.canvasToDOM({x: b.right, y: b.bottom});
        return {id: id, left: a.x, top: a.y, right: z.x, bottom: z.y, width: r.width, height: r.height};
    });
}"""


def _overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["left"] < b["right"]
                and b["left"] < a["right"]
                and a["top"] < b["bottom"]
                and b["top"] < a["bottom"]
            ):
                out.append((a["id"], b["id"]))
    return out


@pytest.fixture
def laptop(browser: Any) -> Iterator[_Watched]:
    w = _Watched(browser)
    w.page.set_viewport_size({"width": 1400, "height": 900})
    yield w
    w.close()


def test_readable_graph_labels_certainty_and_refuted_edges(laptop: _Watched, tmp_path: Path) -> None:
    from ldngraph.present.viz import CERTAINTY_DASHES
    from ldngraph.stores.view import CERTAINTIES

    built = load()
    page = laptop.open(write_html(built, tmp_path / "graph.html"))
    entities = built.kb.entity_index
    direct = [
        c.id
        for c in built.kb.claims
        if entities[c.subject].kind.value == "intervention" and entities[c.object].kind.value == "condition"
    ]
    # each LDN -> condition claim ends at its own labelled outcome node, grouped with its condition
    drawn = page.evaluate(
        """(ids) => ids.map(id => {
            const e = network.body.edges[id];
            const g = network.body.edges['group:' + id];
            return [e.toId, network.body.nodes[e.toId].options.label, g ? g.toId : null, e.fromId];
        })""",
        direct,
    )
    for cid, (to, label, condition, source) in zip(direct, drawn, strict=True):
        claim = built.kb.claim_index[cid]
        assert to == f"outcome:{cid}" and label and condition == claim.object and source == claim.subject
    # certainty: every class in the legend, and on every claim edge as its line style
    legend = page.inner_text("#legend")
    for certainty in CERTAINTIES:
        assert page.locator(f"#legend li.certainty-{certainty}").count() == 1
        assert certainty.replace("_", " ") in legend
    styles = page.evaluate(
        "edges.get({filter: e => e.kind === 'claim'})"
        ".map(e => [e.id, e.certainty, network.body.edges[e.id].options.dashes])"
    )
    assert len(styles) == len(built.kb.claims)
    for cid, certainty, dashes in styles:
        assert certainty == built.scores.claims[cid].certainty.value
        assert dashes == CERTAINTY_DASHES[certainty]
    drawn_levels = {c for _, c, _ in styles}
    assert (
        drawn_levels == {s.certainty.value for s in built.scores.claims.values()} and len(drawn_levels) >= 2
    )
    # the most strongly refuted claim is drawn, as wide as its evidence (not as thin as its strength)
    scores = built.scores.claims
    refuted = max(
        (c for c, s in scores.items() if s.conclusion == "little_or_no_effect"),
        key=lambda c: scores[c].refute,
    )
    width = page.evaluate("(id) => network.body.edges[id].options.width", refuted)
    assert width >= 2 and scores[refuted].strength < 0.2
    # no label overlaps another, none is cut at the canvas edge
    boxes = page.evaluate(_LABEL_BOXES)
    assert len(boxes) == page.evaluate("nodes.length")
    assert _overlaps(boxes) == []
    for b in boxes:
        assert b["left"] >= 0 and b["top"] >= 0 and b["right"] <= b["width"] and b["bottom"] <= b["height"], b
    # clicking an outcome node opens its claim's evidence card
    page.evaluate("showNode('outcome:ldn-improves-pain-fibromyalgia')")
    assert "LDN reduces pain in fibromyalgia" in page.inner_text("#card")
    assert laptop.errors == [] and laptop.outgoing == []


def test_focus_depth_2_on_a_condition_is_not_the_whole_graph(laptop: _Watched, tmp_path: Path) -> None:
    built = load()
    full = to_networkx(built.kb).number_of_nodes()
    page = laptop.open(write_html(built, tmp_path / "focus.html", focus="fibromyalgia", depth=2))
    shown = page.evaluate("nodes.getIds()")
    assert "MESH:D005356" in shown and "CHEBI:7465" in shown
    assert len(shown) < full * 0.6, (len(shown), full)
    assert _overlaps(page.evaluate(_LABEL_BOXES)) == []
    assert laptop.errors == [] and laptop.outgoing == []
