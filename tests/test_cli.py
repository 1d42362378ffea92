"""CLI: assert on what was written (parsed RDF, JSON) and on exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from ldngraph.cli import cli
from ldngraph.pipeline import load
from ldngraph.rdf.export import with_interop


def test_build_writes_turtle_and_json_summary(mini_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.ttl"
    result = CliRunner().invoke(cli, ["build", "--data", str(mini_dir), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["claims"] == 3
    assert summary["studies_by_design"] == {"crossover_rct": 1, "in_vitro": 1, "rct": 1}
    assert summary["publications_by_status"] == {"content_match": 1, "unresolved": 1, "verified": 1}
    assert summary["evidence_by_direction"] == {"refutes": 1, "supports": 3}
    assert isomorphic(Graph().parse(out), with_interop(load(mini_dir).graph))  # RDF exports add metadata


def test_build_table(mini_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["build", "--data", str(mini_dir)])
    assert result.exit_code == 0
    assert "studies_by_design:" in result.stdout
    assert "rct" in result.stdout


def test_export_jsonld(mini_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.jsonld"
    result = CliRunner().invoke(cli, ["export", "--data", str(mini_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert isomorphic(Graph().parse(out, format="json-ld"), with_interop(load(mini_dir).graph))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ldngraph.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_bad_data_one_line_exit_1_nothing_written(
    edit: Callable[[str, str, str], Path], tmp_path: Path
) -> None:
    data = edit("studies.yaml", "design: rct", "design: rtc")
    out = tmp_path / "out.ttl"
    proc = _run("build", "--data", str(data), "-o", str(out))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "studies.yaml:4: study 'trial-a': design 'rtc' is not one of" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_bad_data_does_not_overwrite(edit: Callable[[str, str, str], Path], tmp_path: Path) -> None:
    data = edit("claims.yaml", "- study: trial-b", "- study: trial-x")
    out = tmp_path / "out.ttl"
    out.write_text("previous", encoding="utf-8")
    proc = _run("export", "--data", str(data), "-o", str(out))
    assert proc.returncode == 1
    assert "claim 'ldn-pain': evidence[1].study: unknown study 'trial-x'" in proc.stderr
    assert out.read_text(encoding="utf-8") == "previous"


def test_unwritable_output(mini_dir: Path, tmp_path: Path) -> None:
    proc = _run("export", "--data", str(mini_dir), "-o", str(tmp_path / "no" / "such" / "dir.ttl"))
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_exit_2() -> None:
    proc = _run("build", "--format", "xml")
    assert proc.returncode == 2


def test_import_pubmed_json(tmp_path: Path) -> None:
    pubmed = Path(__file__).parent / "resources" / "pubmed"
    files = [str(pubmed / "retracted.xml"), str(pubmed / "records.medline")]
    cache = tmp_path / "cache.sqlite"
    result = CliRunner().invoke(cli, ["import-pubmed", *files, "--cache", str(cache), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # stdout is only the JSON; the summary line goes to stderr
    assert out["files"][0] == {"file": files[0], "records": 2}
    assert [f["file"] for f in out["files"]] == files and out["files"][1]["records"] >= 1
    from ldngraph.ingest.cache import PubMedCache

    with PubMedCache(cache) as db:
        assert (
            out["cache"] == str(cache) and out["cached"] == len(db.pmids()) == 2 + out["files"][1]["records"]
        )
    assert "now holds" in result.stderr
    table = CliRunner().invoke(cli, ["import-pubmed", files[0], "--cache", str(cache)])
    assert table.stdout == f"{files[0]}\t2 records\n"


def test_export_scores_with_the_profile_given(mini_dir: Path, tmp_path: Path) -> None:
    """export --profile: KGX, GraphML and RDF under a custom profile (issue 17)."""
    from ldngraph.pipeline import get_profile_path

    text = get_profile_path(mini_dir).read_text(encoding="utf-8")
    assert 'version: "2026.1"' in text and "  rct: 0.75\n" in text
    custom = tmp_path / "custom.yaml"
    custom.write_text(
        text.replace('version: "2026.1"', 'version: "2026.1-custom"').replace(
            "  rct: 0.75\n", "  rct: 0.4\n"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "ldn.ttl"
    result = CliRunner().invoke(
        cli, ["export", "--data", str(mini_dir), "--profile", str(custom), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    exported = out.read_text(encoding="utf-8")
    assert '"2026.1-custom"' in exported and '"2026.1"' not in exported
    graphml = tmp_path / "ldn.graphml"
    result = CliRunner().invoke(
        cli, ["export", "--data", str(mini_dir), "--profile", str(custom), "-o", str(graphml)]
    )
    assert result.exit_code == 0, result.output
    default = tmp_path / "default.graphml"
    assert CliRunner().invoke(cli, ["export", "--data", str(mini_dir), "-o", str(default)]).exit_code == 0
    assert graphml.read_text(encoding="utf-8") != default.read_text(encoding="utf-8")  # other strengths
