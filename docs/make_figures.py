"""Regenerate the figures the README shows (docs/graph.png, docs/evidence-map.png) from data/.

    python docs/make_figures.py

Needs Debian's chromium and the playwright package (the graph is screenshotted in headless
Chromium, offline, from file://).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from ldngraph.pipeline import load
from ldngraph.plot import write_evidence_map
from ldngraph.viz import write_html

DOCS = Path(__file__).resolve().parent
FOCUS_EDGE = "ldn-improves-pain-fibromyalgia"


def main() -> None:
    built = load()
    write_evidence_map(built, DOCS / "evidence-map.png")
    with tempfile.TemporaryDirectory() as tmp:
        page_path = write_html(built, Path(tmp) / "graph.html")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(page_path.resolve().as_uri())
            page.wait_for_function("window.ldnReady === true && window.ldnStable === true", timeout=60_000)
            if built.kb.claim_index.get(FOCUS_EDGE):
                page.evaluate("(id) => { network.selectEdges([id]); showEdge(id); }", FOCUS_EDGE)
            page.wait_for_timeout(300)
            page.screenshot(path=str(DOCS / "graph.png"))
            browser.close()
    print("wrote docs/graph.png and docs/evidence-map.png")


if __name__ == "__main__":
    main()
