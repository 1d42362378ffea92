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
    args = ["--sizes", "120", "--rdflib-timeout", "120", "--html-studies", "150", "--results", str(tmp_path)]
    args += ["--markdown", str(markdown)]
    assert run.main(args) == 0
    (result,) = tmp_path.glob("bench-*.json")
    doc = json.loads(result.read_text())
    (row,) = doc["rows"]
    assert row["studies"] == 120 and row["triples"] > 5000
    rdflib = doc["runs"][0]["rdflib"]
    # The same query text, bound the same way, gives the same rows on both engines.
    assert "timeout_s" not in rdflib and row["same rows"] == "yes" and row["all same rows"] == "yes"
    assert rdflib["paths_one_intervention_rdflib"]["rows"] > 0
    oxi = doc["runs"][0]["oxigraph"]
    assert oxi["paths_one_intervention"]["rows"] > 0
    assert oxi["networkx_paths"]["paths"] > 0
    assert oxi["score"]["seconds"] > 0 and "html_5k_nodes" not in oxi  # HTML has its own process
    assert doc["html"]["html_5k_nodes"]["nodes"] > 100 and doc["html"]["html_5k_nodes"]["studies"] == 150
    assert doc["startup"]["help_seconds_best"] > 0
    assert isinstance(doc["startup"]["paths_cold_seconds"], float)  # a string says why it failed
    disk = doc["disk"]  # the persistent store, queried through the CLI in new processes
    assert disk["studies"] == 120 and disk["cli_paths"]["rows"] == oxi["paths_one_intervention"]["rows"]
    # the section is rewritten in place, other sections kept (twice: the second replaces the first)
    markdown.write_text("# Benchmarks\n\n## Other section\nkept\n")
    run.write_markdown(markdown, doc)
    run.write_markdown(markdown, doc)
    text = markdown.read_text()
    assert "## Other section\nkept" in text and text.count("<!-- bench/run.py: start -->") == 1
    assert "| 120 |" in text and "to_html` for a view of" in text
    assert f"{doc['machine']['nproc']} cores" in text
