"""CLI: query, paths and explain (CliRunner, asserting on JSON/CSV output)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.cli import cli, main
from ldngraph.locations import get_data_dir
from ldngraph.pipeline import load


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_query_json_and_csv(mini_dir: Path) -> None:
    code, out, _ = _run("query", "claims_by_strength", "--data", str(mini_dir), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["claim_id"] == "microglia-fibro"
    scores = load(mini_dir).scores.claims
    assert {r["claim_id"]: r["strength"] for r in rows} == {k: v.strength for k, v in scores.items()}
    code, out, _ = _run(
        "query", "studies_by_design", "--data", str(mini_dir), "--param", "design=rct", "--format", "csv"
    )
    records = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["label"] for r in records] == ["Trial A"]


def test_query_errors_exit_1(mini_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ["query", "nope"],
        ["query", "gaps", "--param", "x=1"],
        ["paths", "--from", "LDN", "--to", "fibro"],
    ):
        try:
            main([*args, "--data", str(mini_dir)])
        except SystemExit as exc:
            assert exc.code == 1
        err = capsys.readouterr().err
        assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_paths_json_lists_every_path_with_evidence(mini_dir: Path) -> None:
    code, out, _ = _run(
        "paths", "--from", "LDN", "--to", "fibromyalgia", "--data", str(mini_dir), "--format", "json"
    )
    assert code == 0
    found = json.loads(out)
    assert found["profile_version"] and len(found["profile_hash"]) == 12
    assert found["outcome_bodies"] and found["outcome_bodies"][0]["conclusion"]
    paths = found["paths"]
    assert [p["hops"] for p in paths] == [1, 2]
    for p in paths:
        assert {"strength", "weakest_link", "certainty", "reasons", "citations"} <= set(p)
        assert p["citations"] and 0 <= p["strength"] <= 1
    code, out, _ = _run(
        "paths", "--from", "LDN", "--to", "fibromyalgia", "--data", str(mini_dir), "--max-hops", "1"
    )
    assert code == 0 and "microglial" not in out


def _profile_with_max_hops(tmp_path: Path, hops: int) -> Path:
    text = (get_data_dir() / "evidence-profile.yaml").read_text(encoding="utf-8")
    assert "  max_hops: 3\n" in text
    path = tmp_path / f"max-hops-{hops}.yaml"
    path.write_text(text.replace("  max_hops: 3\n", f"  max_hops: {hops}\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("profile_hops", "option", "hops"), [(1, [], [1]), (1, ["--max-hops", "2"], [1, 2])])
def test_paths_max_hops_defaults_to_the_profile(
    mini_dir: Path, tmp_path: Path, profile_hops: int, option: list[str], hops: list[int]
) -> None:
    """The profile's paths.max_hops is the default; an explicit --max-hops still wins."""
    profile = _profile_with_max_hops(tmp_path, profile_hops)
    args = ["--from", "LDN", "--to", "fibromyalgia", "--data", str(mini_dir), "--profile", str(profile)]
    code, out, err = _run("paths", *args, *option, "--format", "json")
    assert code == 0, err
    assert [p["hops"] for p in json.loads(out)["paths"]] == hops


def test_paths_on_shipped_fibromyalgia() -> None:
    code, out, _ = _run("paths", "--from", "LDN", "--to", "fibromyalgia", "--format", "json")
    found = json.loads(out)
    paths = found["paths"]
    assert code == 0 and paths[0]["nodes"] == ["CHEBI:7465", "MESH:D005356"]
    # the headline is the critical outcome (pain), listed first among every outcome body
    assert found["outcome_bodies"][0]["critical"] is True
    head = found["outcome_bodies"][0]
    assert (head["outcome"], head["outcome_id"]) == ("pain", "HP:0012531")  # labels, not CURIEs
    assert len(found["outcome_bodies"]) >= 4
    # the direct edge says what the body concludes and that the claim does not hold
    assert paths[0]["conclusion"] == "pain: little or no important difference (does not hold)"
    assert head["conclusion"] == "little_or_no_effect"
    assert paths[0]["edge_holds"] == [False] and paths[0]["edge_outcomes"] == ["pain"]
    assert head["effect"].startswith("MD ") and paths[0]["edge_effects"][0] == head["effect"]


def test_explain_reproduces_the_number(mini_dir: Path) -> None:
    claim = load(mini_dir).kb.claim_index["ldn-pain"]
    code, out, _ = _run("explain", claim.content_hash, "--data", str(mini_dir), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["claim_id"] == "ldn-pain" and data["profile_version"]
    for item in data["items"]:
        value = item["base"]
        for adj in item["adjustments"]:
            value *= adj["factor"]
        assert round(value, 6) == item["weight"]
    support = 1 - (1 - data["items"][0]["weight"])
    refute = 1 - (1 - data["items"][1]["weight"])
    assert round(support * (1 - refute), 6) == data["strength"]
    code, out, _ = _run("explain", "ldn-pain", "--data", str(mini_dir))
    assert code == 0 and "strength = support x (1 - refute)" in out


def test_bad_profile_is_one_line(mini_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "p.yaml"
    bad.write_text("version: x\n", encoding="utf-8")
    try:
        main(["explain", "ldn-pain", "--data", str(mini_dir), "--profile", str(bad)])
    except SystemExit as exc:
        assert exc.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {bad}: ") and err.count("\n") == 1


def test_explain_shows_the_body_reasoning_and_profile_identity(mini_dir: Path) -> None:
    built = load(mini_dir)
    score = built.scores.claims["ldn-pain"]
    body = built.scores.bodies[score.body]
    code, out, _ = _run("explain", "ldn-pain", "--data", str(mini_dir))
    assert code == 0
    assert f"conclusion: {body.conclusion.replace('_', ' ')}" in out
    for domain in ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias"):
        assert f"  {domain}: -" in out
    for unit in body.units:
        assert f"{unit.weight:.6f} {', '.join(unit.studies)}" in out
    assert f"profile {score.profile_version}+{score.profile_hash}" in out
    code, out, _ = _run("explain", "ldn-pain", "--data", str(mini_dir), "--format", "json")
    data = json.loads(out)
    assert data["profile_hash"] == score.profile_hash and data["conclusion"] == body.conclusion
    assert data["downgrades"] == [d.model_dump(mode="json") for d in body.downgrades]
    code, out, _ = _run("build", "--data", str(mini_dir), "--format", "json")
    assert json.loads(out)["profile_hash"] == score.profile_hash
