"""Smoke run of bench/query_shapes.py: the benchmark's alternative paths queries give the shipped rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_query_shapes_smoke(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    import query_shapes  # bench/query_shapes.py

    markdown = tmp_path / "benchmarks.md"
    markdown.write_text("# Benchmarks\n\n## Other section\nkept\n")
    args = ["--sizes", "40", "--rdflib-timeout", "3", "--results", str(tmp_path), "--markdown", str(markdown)]
    assert query_shapes.main(args) == 0
    (result,) = tmp_path.glob("shapes-*.json")
    doc = json.loads(result.read_text())
    (run,) = doc["runs"]
    oxi = run["oxigraph"]
    # Every shape answers the question with exactly the shipped query's rows on Oxigraph.
    digests = {oxi[shape]["rows_sha256"] for shape in query_shapes.SHAPES}
    assert len(digests) == 1 and oxi["shipped"]["rows"] > 0
    # rdflib: the shipped query finishes and agrees; a shape it plans badly is reported as killed.
    rdf = run["rdflib"]
    assert rdf["shipped"]["shipped"]["rows_sha256"] == oxi["shipped"]["rows_sha256"]
    for shape in query_shapes.SHAPES:
        # A child killed after writing its partial timing, but before reading its rows, has not finished.
        done = "rows_sha256" in rdf[shape].get(shape, {}) and "timeout_s" not in rdf[shape]
        assert done or rdf[shape].get("timeout_s") == 3
        if done:
            assert rdf[shape][shape]["rows_sha256"] == oxi["shipped"]["rows_sha256"]
    rows = {row["shape"]: row for row in doc["rows"]}
    assert all(rows[s]["same rows as shipped"] == "yes" for s in query_shapes.SHAPES)
    (best,) = [row for name, row in rows.items() if name.startswith("best vs best")]
    assert "(engine)" in best["rdflib/oxigraph (same text)"]
    text = markdown.read_text()
    assert "## Other section\nkept" in text and "<!-- bench/query_shapes.py: start -->" in text
    assert "| 40 | semijoin |" in text


def test_a_run_killed_after_its_timing_counts_as_timed_out() -> None:
    """The child writes its timing before reading its rows; killed in between, it has not finished."""
    sys.path.insert(0, str(BENCH))
    import query_shapes

    digest = "d" * 64
    oxi = {shape: {"seconds": 0.01, "rows": 18, "rows_sha256": digest} for shape in query_shapes.SHAPES}
    done = {"seconds": 0.2, "rows": 18, "rows_sha256": digest}
    rdf = {shape: {shape: dict(done)} for shape in query_shapes.SHAPES}
    rdf["flat"] = {"flat": {"seconds": 0.05, "peak_mb": 90}, "timeout_s": 3.0}
    rows = {row["shape"]: row for row in query_shapes.summarise(40, oxi, rdf, 3.0)}
    assert rows["flat"]["rdflib/oxigraph (same text)"] == "> 300x"
    assert rows["flat"]["rdflib s"].startswith(">")
    (best,) = [row for name, row in rows.items() if name.startswith("best vs best")]
    assert "rdflib `flat`" not in best["shape"]
