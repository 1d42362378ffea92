"""A smoke run of the benchmark at S=200: every stage runs and both engines return the same rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_bench_smoke_run(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    import run  # bench/run.py

    markdown = tmp_path / "benchmarks.md"
    assert run.main(["--sizes", "200", "--results", str(tmp_path), "--markdown", str(markdown)]) == 0
    (result,) = tmp_path.glob("bench-*.json")
    doc = json.loads(result.read_text())
    (row,) = doc["rows"]
    assert row["studies"] == 200 and row["triples"] > 5000
    assert row["same rows"] == "yes"
    oxi = doc["runs"][0]["oxigraph"]
    assert oxi["paths_one_intervention"]["rows"] > 0
    assert oxi["networkx_paths"]["paths"] > 0
    assert doc["startup"]["help_seconds_best"] > 0
    text = markdown.read_text()
    assert "| 200 |" in text and f"{doc['machine']['nproc']} cores" in text
