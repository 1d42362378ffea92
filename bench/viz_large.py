"""Benchmark (not a test): can a 5,000-node evidence graph be written and drawn in a browser?

    python bench/viz_large.py [N_NODES]

Builds a synthetic knowledge base (fake ids, obviously not literature), writes graph.html, opens it
in headless Chromium and reports the time to the first drawing with physics off (precomputed
networkx positions), against the same page for a 200-node graph in the same run.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from ldngraph.rdf.build import to_graph
from ldngraph.model import KnowledgeBase
from ldngraph.pipeline import Built
from ldngraph.present.viz import write_html


def synthetic(n_nodes: int, seed: int = 1) -> Built:
    rnd = random.Random(seed)
    kinds = ["mechanism"] * 6 + ["condition"] * 3
    entities = [{"id": "CHEBI:7465", "label": "LDN", "kind": "intervention"}]
    entities += [
        {"id": f"LDNO:e{i}", "label": f"entity {i}", "kind": rnd.choice(kinds)} for i in range(n_nodes - 1)
    ]
    pubs = [{"id": f"PMID:{i + 1}", "pmid": str(i + 1), "status": "unresolved"} for i in range(200)]
    designs = ["rct", "crossover_rct", "pre_post", "animal", "in_vitro", "case_series"]
    studies = [
        {
            "id": f"s{i}",
            "label": f"study {i}",
            "design": rnd.choice(designs),
            "population": "human",
            "n": rnd.randint(5, 300),
            "publications": [f"PMID:{rnd.randint(1, 200)}"],
        }
        for i in range(500)
    ]
    ids = [e["id"] for e in entities]
    claims = []
    for i, target in enumerate(ids[1:]):
        source = ids[0] if i % 4 == 0 else rnd.choice(ids[1:])
        if source == target:
            source = ids[0]
        claims.append(
            {
                "id": f"c{i}",
                "subject": source,
                "predicate": "contributes_to",
                "object": target,
                "statement": f"claim {i}",
                "evidence": [
                    {"study": f"s{rnd.randrange(500)}", "direction": rnd.choice(["supports", "refutes"])}
                    for _ in range(rnd.randint(1, 3))
                ],
            }
        )
    kb = KnowledgeBase.model_validate(
        {"entities": entities, "publications": pubs, "studies": studies, "claims": claims}
    )
    return Built(kb=kb, graph=to_graph(kb))


def measure(n_nodes: int, browser: object, tmp: Path) -> tuple[float, float, int]:
    built = synthetic(n_nodes)
    t0 = time.perf_counter()
    path = write_html(built, tmp / f"g{n_nodes}.html")
    t_write = time.perf_counter() - t0
    page = browser.new_page()  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("window.ldnReady === true && window.ldnStable === true", timeout=300_000)
    t_draw = time.perf_counter() - t0
    count = page.evaluate("nodes.length")
    page.close()
    return t_write, t_draw, count


def main() -> None:
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        base = measure(200, browser, Path(tmp))
        large = measure(big, browser, Path(tmp))
        browser.close()
    print(f"200 nodes: write {base[0]:.1f} s, drawn in {base[1]:.1f} s ({base[2]} nodes)")
    print(f"{big} nodes: write {large[0]:.1f} s, drawn in {large[1]:.1f} s ({large[2]} nodes)")
    print(f"ratio (draw time, {big} vs 200 nodes): {large[1] / base[1]:.1f}x")


if __name__ == "__main__":
    main()
