"""Regenerate every figure the README shows, from data/ and the current code, in one run:

    python docs/make_figures.py

- docs/graph.png        the whole evidence graph (ldngraph viz), 1400 x 900
- docs/graph-focus.png  the focus view: fibromyalgia, depth 2
- docs/graph-card.png   the evidence card of the fibromyalgia pain claim
- docs/evidence-map.png conditions x study design (ldngraph plot evidence-map)
- docs/forest.png       forest plot of pain in fibromyalgia (ldngraph plot forest)
- docs/rob.png          risk-of-bias traffic lights and weighted summary (ldngraph plot rob)
- docs/prisma.png       PRISMA 2020 flow diagram of data/screening.yaml (ldngraph plot prisma)
- docs/graph-figure.png static figure of the fibromyalgia focus view (ldngraph plot graph)
- docs/figures.stamp    what they were drawn from: a hash of the scored graph and of the drawing
  code, and a hash of each image. tests/test_figures.py recomputes it and fails when a figure is
  stale ("run python docs/make_figures.py").

Needs Debian's chromium and the playwright package: the graph is screenshotted in headless
Chromium, offline, from file://.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
STAMP = DOCS / "figures.stamp"
FIGURES = (
    "graph.png",
    "graph-focus.png",
    "graph-card.png",
    "evidence-map.png",
    "forest.png",
    "rob.png",
    "prisma.png",
    "graph-figure.png",
)
#: The code that draws (scores come in through the graph itself).
CODE = (
    "ldngraph/present/viz.py",
    "ldngraph/present/layout.py",
    "ldngraph/stores/view.py",
    "ldngraph/present/plot.py",
    "ldngraph/resources/graph.html",
    "ldngraph/present/palette.py",
    "ldngraph/present/figure.py",
    "ldngraph/present/forest.py",
    "ldngraph/present/robplot.py",
    "ldngraph/present/prisma_plot.py",
    "ldngraph/present/graph_plot.py",
    "data/screening.yaml",
    "docs/make_figures.py",
)
CARD_CLAIM = "ldn-improves-pain-fibromyalgia"
FOCUS = ("fibromyalgia", 2)
VIEWPORT = {"width": 1400, "height": 900}


def get_inputs_hash() -> dict[str, str]:
    """Hashes of what the figures are drawn from: the scored graph of data/ (sorted N-Triples) and
    each drawing module."""
    from ldngraph.pipeline import load

    graph = load(REPO / "data").graph
    lines = sorted(graph.serialize(format="nt").splitlines())
    out = {"graph": hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()}
    for name in CODE:
        out[name] = hashlib.sha256((REPO / name).read_bytes()).hexdigest()
    return out


def get_images_hash() -> dict[str, str]:
    return {name: hashlib.sha256((DOCS / name).read_bytes()).hexdigest() for name in FIGURES}


def _open(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport=VIEWPORT)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.ldnReady === true && window.ldnStable === true", timeout=60_000)
    page.wait_for_timeout(200)
    return page


def write_paper_figures(built: Any) -> None:
    """The figures for a paper, drawn as the ldngraph plot commands draw them (PNG, 300 dpi)."""
    from ldngraph.present.figure import save_figure
    from ldngraph.present.forest import get_forest_extras, to_forest_figure
    from ldngraph.present.graph_plot import to_graph_figure
    from ldngraph.present.prisma import get_prisma_section
    from ldngraph.present.prisma_plot import to_prisma_figure
    from ldngraph.present.robplot import get_study_panels, to_rob_figure
    from ldngraph.present.sof import get_condition, read_inputs
    from ldngraph.present.sof_inputs import get_forest_inputs

    kb, prof = read_inputs(REPO / "data", None)
    summary, title, mid = get_forest_inputs(kb, prof, get_condition(kb, FOCUS[0]), "pain")
    forest = to_forest_figure(summary, title=title, mid=mid, extras=get_forest_extras(kb, summary))
    save_figure(forest, DOCS / "forest.png")
    rob = to_rob_figure(get_study_panels(kb), title="Risk of bias of the included studies")
    save_figure(rob, DOCS / "rob.png")
    section = get_prisma_section(REPO / "data")
    assert section is not None
    save_figure(to_prisma_figure(section.counts), DOCS / "prisma.png")
    save_figure(to_graph_figure(built, focus=FOCUS[0], depth=FOCUS[1]), DOCS / "graph-figure.png")


def main() -> None:
    from playwright.sync_api import sync_playwright

    from ldngraph.pipeline import load
    from ldngraph.present.plot import write_evidence_map
    from ldngraph.present.viz import write_html

    built = load(REPO / "data")
    write_evidence_map(built, DOCS / "evidence-map.png")
    write_paper_figures(built)
    with tempfile.TemporaryDirectory() as tmp:
        full = write_html(built, Path(tmp) / "graph.html")
        focus = write_html(built, Path(tmp) / "focus.html", focus=FOCUS[0], depth=FOCUS[1])
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = _open(browser, full)
            page.screenshot(path=str(DOCS / "graph.png"))
            page.evaluate("(id) => { network.selectEdges([id]); showEdge(id); }", CARD_CLAIM)
            page.wait_for_timeout(200)
            page.screenshot(path=str(DOCS / "graph-card.png"))
            page.close()
            page = _open(browser, focus)
            page.screenshot(path=str(DOCS / "graph-focus.png"))
            browser.close()
    stamp = {"inputs": get_inputs_hash(), "images": get_images_hash()}
    STAMP.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print("wrote " + ", ".join(f"docs/{n}" for n in FIGURES) + " and docs/figures.stamp")


if __name__ == "__main__":
    main()
