"""The build cache (issue 24): same answers from the cache as without it, any input change seen at
once, corrupt or foreign entries ignored with a log line, ``--no-cache``, and no heavy import on a
cold command answered from the cache. (The suite runs with ``LDNGRAPH_NO_CACHE=1``; these tests
turn the cache on, in a temporary ``XDG_CACHE_HOME``.)"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ldngraph import buildcache
from ldngraph.cli import cli

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "statsmodels", "pandas", "matplotlib", "pyshacl", "curies")


@pytest.fixture
def cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Path]:
    """The cache turned on, under a fresh ``XDG_CACHE_HOME``; yields its ``builds`` folder. Its log
    lines are in ``caplog``."""
    caplog.set_level(logging.INFO, logger="ldngraph.buildcache")
    monkeypatch.delenv(buildcache.ENV_NO_CACHE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    buildcache.set_disabled(False)
    yield tmp_path / "xdg" / "ldngraph" / "builds"
    buildcache.set_disabled(False)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


COMMANDS: list[Callable[[str], list[str]]] = [
    lambda d: ["build", "--data", d, "--format", "json"],
    lambda d: ["paths", "--data", d, "--from", "LDN", "--to", "fibromyalgia", "--format", "json"],
    lambda d: ["sof", "--data", d, "--condition", "fibromyalgia", "--format", "json"],
    lambda d: ["explain", "--data", d, "ldn-pain", "--format", "json"],
    lambda d: ["query", "--data", d, "outcome_bodies", "--format", "csv"],
    lambda d: ["query", "--data", d, "claims_by_strength", "--format", "sparql-json"],
    lambda d: ["export", "--data", d, "-o", "-", "--format", "nt"],
]


def test_cached_answers_equal_fresh_ones(cache_dir: Path, mini_copy: Path) -> None:
    data = str(mini_copy)
    fresh = [run("--no-cache", *make(data)).stdout for make in COMMANDS]
    assert entries(cache_dir) == []  # --no-cache writes nothing
    first = [run(*make(data)).stdout for make in COMMANDS]  # the first one writes the entry
    assert len(entries(cache_dir)) == 1
    second = [run(*make(data)).stdout for make in COMMANDS]  # all from the cache
    for make, a, b, c in zip(COMMANDS, fresh, first, second, strict=True):
        if make(data)[0] == "export":  # the same triples; N-Triples lines in any order
            a, b, c = (sorted(x.splitlines()) for x in (a, b, c))  # type: ignore[assignment]
        assert a == b == c, make(data)
    assert len(entries(cache_dir)) == 1


def test_a_cache_hit_is_logged_and_the_entry_is_private_json(
    cache_dir: Path, mini_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run("build", "--data", str(mini_copy))
    assert "build cache: wrote" in caplog.text and "build cache: using" not in caplog.text
    caplog.clear()
    run("build", "--data", str(mini_copy))
    assert "build cache: using" in caplog.text and "build cache: wrote" not in caplog.text
    (entry,) = entries(cache_dir)
    body = json.loads(entry.read_text(encoding="utf-8"))  # JSON, never pickle
    assert body["format"] == buildcache.FORMAT and body["key"] == entry.stem
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    ("name", "old", "new", "command"),
    [  # one byte of the data
        (
            "claims.yaml",
            "pain in fibromyalgia.",
            "pain in fibromyalgiA.",
            ["export", "-o", "-", "--format", "nt"],
        ),
        (
            "entities.yaml",
            "label: microglial cell",
            "label: microglial celL",
            ["query", "claims_by_strength"],
        ),
    ],
)
def test_editing_one_byte_of_data_is_seen_at_once(
    cache_dir: Path,
    edit: Callable[[str, str, str], Path],
    mini_copy: Path,
    name: str,
    old: str,
    new: str,
    command: list[str],
) -> None:
    args = [*command, "--data", str(mini_copy)]

    def answer() -> list[str]:  # N-Triples lines come in any order
        return sorted(run(*args).stdout.splitlines())

    before = answer()
    assert answer() == before  # from the cache
    edit(name, old, new)
    after = "\n".join(answer())
    assert after != "\n".join(before)
    assert new.split()[-1] in after
    assert len(entries(cache_dir)) == 2  # a new key; the old entry stays for a revert


def test_profile_query_and_exclusions_are_part_of_the_key(cache_dir: Path, mini_copy: Path) -> None:
    shipped = REPO / "data" / "evidence-profile.yaml"
    key = buildcache.get_key(mini_copy, shipped)
    assert buildcache.get_key(mini_copy, shipped) == key
    assert buildcache.get_key(mini_copy, shipped, ["design:case_series"]) != key
    profile = mini_copy / "profile.yaml"
    profile.write_bytes(shipped.read_bytes() + b"\n")
    assert buildcache.get_key(mini_copy, profile) != key
    queries = mini_copy.parent / "queries"
    queries.mkdir()
    (queries / "q.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with_queries = buildcache.get_key(mini_copy, shipped, queries=queries)
    assert with_queries != key
    (queries / "q.rq").write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    assert buildcache.get_key(mini_copy, shipped, queries=queries) != with_queries


def test_a_corrupt_entry_is_ignored_with_a_log_line_and_rewritten(
    cache_dir: Path, mini_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = run("--no-cache", "build", "--data", str(mini_copy), "--format", "json").stdout
    run("build", "--data", str(mini_copy))
    (entry,) = entries(cache_dir)
    for garbage in (b"{not json", b'{"format": 1, "key": "other"}', b"[]", entry.read_bytes()[:5000]):
        entry.write_bytes(garbage)
        caplog.clear()
        result = run("build", "--data", str(mini_copy), "--format", "json")
        assert f"build cache: ignoring {entry}" in caplog.text
        assert result.stdout == expected
        assert json.loads(entry.read_text(encoding="utf-8"))["key"] == entry.stem  # rebuilt and rewritten


def test_an_entry_others_may_write_is_never_trusted(
    cache_dir: Path, mini_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run("build", "--data", str(mini_copy))
    (entry,) = entries(cache_dir)
    body = json.loads(entry.read_text(encoding="utf-8"))
    body["scores"]["claims"]["ldn-pain"]["certainty"] = "high"  # what a hostile writer would do
    entry.write_text(json.dumps(body), encoding="utf-8")
    os.chmod(entry, 0o666)
    result = run("explain", "--data", str(mini_copy), "ldn-pain", "--format", "json")
    assert "others may write it" in caplog.text
    assert json.loads(result.stdout)["certainty"] != "high"
    os.chmod(entry, 0o600)
    os.chmod(cache_dir, 0o777)  # a folder others may write: its files could be swapped
    caplog.clear()
    result = run("explain", "--data", str(mini_copy), "ldn-pain", "--format", "json")
    assert "others may write it" in caplog.text
    assert "not writing" in caplog.text
    assert json.loads(result.stdout)["certainty"] != "high"


def test_a_foreign_entry_under_the_wrong_name_is_ignored(cache_dir: Path, mini_copy: Path) -> None:
    other = mini_copy.parent / "other"
    other.mkdir()
    for path in mini_copy.iterdir():
        other.joinpath(path.name).write_bytes(path.read_bytes())
    run("build", "--data", str(mini_copy))
    (entry,) = entries(cache_dir)
    shipped = REPO / "data" / "evidence-profile.yaml"
    key_other = buildcache.get_key(other, shipped)
    (cache_dir / f"{key_other}.json").write_bytes(entry.read_bytes())  # another input's entry
    assert buildcache.load(key_other) is None


def test_no_cache_flag_and_environment_variable(
    cache_dir: Path, mini_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("--no-cache", "build", "--data", str(mini_copy))
    assert entries(cache_dir) == []
    monkeypatch.setenv(buildcache.ENV_NO_CACHE, "1")
    run("build", "--data", str(mini_copy))
    assert entries(cache_dir) == []
    monkeypatch.setenv(buildcache.ENV_NO_CACHE, "0")
    run("build", "--data", str(mini_copy))
    assert len(entries(cache_dir)) == 1


def test_an_unusable_cache_folder_is_not_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mini_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ldngraph.buildcache")
    monkeypatch.delenv(buildcache.ENV_NO_CACHE, raising=False)
    blocker = tmp_path / "xdg"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    result = run("build", "--data", str(mini_copy), "--format", "json")
    assert "build cache: not written" in caplog.text
    assert json.loads(result.stdout)["claims"] == 3


SNIPPET = """
import sys
from ldngraph.cli import main
main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[0].split(",")))
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def heavy_imports(args: list[str], env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", SNIPPET.replace("sys.argv[0]", repr(",".join(HEAVY))), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    line = [x for x in result.stderr.splitlines() if x.startswith("HEAVY=")][-1]
    return [x for x in line.removeprefix("HEAVY=").split(",") if x]


def test_cold_commands_from_the_cache_import_no_heavy_library(tmp_path: Path) -> None:
    """paths, query, explain, sof and build, each in a new process, answered from the cache:
    none of scipy, statsmodels, pandas, matplotlib, pyshacl or curies is imported. The first build (no
    cache yet) pools with statsmodels and checks SHACL, which shows the test can fail. curies
    (87 ms of imports) is not needed to compress the rows' IRIs either."""
    env = {k: v for k, v in os.environ.items() if k != buildcache.ENV_NO_CACHE}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    data = str(REPO / "data")
    first = heavy_imports(["build", "--data", data], env)
    assert {"statsmodels", "pyshacl"} <= set(first)
    for args in (
        ["build", "--data", data],
        ["paths", "--data", data, "--from", "LDN", "--to", "fibromyalgia"],
        ["query", "--data", data, "conditions_by_certainty"],
        ["explain", "--data", data, "ldn-improves-pain-fibromyalgia"],
        ["sof", "--data", data, "--condition", "fibromyalgia", "--format", "md"],
    ):
        assert heavy_imports(args, env) == [], args


def test_a_draft_added_after_a_cached_build_is_still_refused(cache_dir: Path, mini_copy: Path) -> None:
    """Drafts are YAML under data/, so they are part of the key: the cache cannot hide one."""
    run("build", "--data", str(mini_copy))
    run("build", "--data", str(mini_copy))  # from the cache
    drafts = mini_copy / "drafts"
    drafts.mkdir()
    (drafts / "pmid-1.yaml").write_text("draft: {record: 'PMID:1'}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--data", str(mini_copy)])
    assert result.exit_code != 0 and "drafts" in str(result.exception or result.output)
