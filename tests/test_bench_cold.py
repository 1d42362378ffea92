"""A smoke run of bench/cold.py: a cold command and a 200-study YAML -> store push, each in new
processes, with their floors measured in the same run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_cold_bench_smoke_run(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    import cold  # bench/cold.py

    markdown = tmp_path / "benchmarks.md"
    markdown.write_text("# Benchmarks\n\n## Other section\nkept\n", encoding="utf-8")
    args = ["--runs", "1", "--commands", "paths", "--sizes", "200", "--results", str(tmp_path)]
    args += ["--pubmed-records", "300"]
    assert cold.main([*args, "--markdown", str(markdown)]) == 0
    (result,) = tmp_path.glob("cold-*.json")
    doc = json.loads(result.read_text(encoding="utf-8"))
    rows = {r["command"].split()[1]: r for r in doc["commands"]["rows"]}
    assert set(rows) == {"paths"}
    for row in rows.values():
        assert row["failed"] == []
        # The warm-up wrote a cache entry for the cached runs to read. Whether that saves time is the
        # benchmark's finding at full size, not a smoke test's (timings here share the CPU).
        assert row["cache_entries"] >= 1
        assert row["cached_cpu_s"] > 0 and row["no_cache_cpu_s"] > 0 and row["x_floor"] > 0
    assert doc["commands"]["floor"]["cpu_s"] > 0
    (push,) = doc["push"]
    assert push["push"]["exit"] == 0 and push["oxigraph_bulk_load"]["exit"] == 0
    assert push["quads"] > 5000 and push["x_floor_wall"] > 0
    imp = doc["import"]  # import-pubmed into SQLite, beside a parse-only process
    assert imp["import"]["exit"] == 0 and imp["parse_only"]["exit"] == 0 and imp["records_per_s"] > 0
    text = markdown.read_text(encoding="utf-8")
    assert "## Other section\nkept" in text and text.count(cold.START) == 1 and "| 200 |" in text
