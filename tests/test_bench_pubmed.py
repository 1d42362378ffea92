"""Smoke run of bench/bench_pubmed.py on 200 records (the 30k run lives in docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable,
        str(REPO / "bench" / "bench_pubmed.py"),
        "--records",
        "200",
        "--json-out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    assert "PubMed XML parsing: 200 records" in done.stdout
    report = json.loads(out.read_text())
    results = {r["parser"]: r for r in report["results"]}
    ours, bio = results["ldngraph"], results["Bio.Entrez.read"]
    assert ours["error"] is None and ours["records"] == 200 and ours["retracted"] == 1
    assert bio["error"] is None and bio["records"] == 200  # both parsers see the same records
    assert ours["records_per_s"] > 0 and ours["peak_rss_mb"] > 0
    assert "Entrez.read instead" in results["Bio.Entrez.parse"]["error"]
