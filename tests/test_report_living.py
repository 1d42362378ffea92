"""The living brief (issue 25 point 5-6): "What would change this" per condition, and
``report --since REF`` (a git ref or a data directory) with "What changed since REF".

The fixture is tests/resources/v3/estimate-small (two low-risk RCTs on pain: little or no
important difference, high certainty). The change between REF and now is the hypothetical trial
``ldngraph impact`` names for a null result, added as YAML records: the brief must show the study
as new and the certainty moving from high to moderate, with the diff's reasons.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from click.testing import CliRunner

from ldngraph.cli import cli, main
from ldngraph.evidence.hypothetical import HYPOTHETICAL_ID, get_trial
from ldngraph.evidence.impact import get_records, smallest_change
from ldngraph.pipeline import get_profile, read_changes, read_scored

V3 = Path(__file__).parent / "resources" / "v3"
PAIN = "HP:0012531"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _fixture(where: Path) -> Path:
    where.mkdir(parents=True)
    for f in (*V3.glob("*.yaml"), *(V3 / "estimate-small").glob("*.yaml")):
        shutil.copy(f, where / f.name)
    return where


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
    )


def _add_null_trial(data: Path) -> int:
    """Add the trial impact names for a null result; returns its n per arm."""
    kb, scores = read_scored(data)
    body = next(b for b in scores.bodies.values() if b.outcome == PAIN)
    profile = get_profile(data)
    trial = get_trial(kb, body, profile, "null")
    assert not isinstance(trial, str)
    n = smallest_change(kb, body, profile, trial, cap=2000).n_per_arm
    assert n is not None
    rec = get_records(kb, body, trial, n)
    for key, record in (("studies", rec.study), ("publications", rec.publication)):
        doc = yaml.safe_load((data / f"{key}.yaml").read_text(encoding="utf-8"))
        doc[key].append(record)
        (data / f"{key}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    claims = yaml.safe_load((data / "claims.yaml").read_text(encoding="utf-8"))
    next(c for c in claims["claims"] if c["id"] == rec.claim)["evidence"].append(rec.item)
    (data / "claims.yaml").write_text(yaml.safe_dump(claims, sort_keys=False), encoding="utf-8")
    return n


def test_the_brief_says_what_would_change_each_condition(tmp_path: Path) -> None:
    data = _fixture(tmp_path / "data")
    code, out, err = _run("impact", "--condition", "fibromyalgia", "--format", "json", "--data", str(data))
    assert code == 0, err
    (pain,) = json.loads(out)
    null, null_conclusion, mid, _ = pain["searches"]
    assert null_conclusion["target"] == "conclusion" and null_conclusion["n_per_arm"] is None
    for suffix in (".md", ".html"):
        brief = tmp_path / f"brief{suffix}"
        code, _, err = _run("report", "--data", str(data), "-o", str(brief))
        assert code == 0, err
        text = brief.read_text(encoding="utf-8")
        plain = text.replace("\\", "").replace("&gt;", ">")
        assert "What would change this (pain, now little or no effect, high)" in plain
        assert f"a trial of {null['n_per_arm']} per arm with a null result: {null['changes']}" in plain
        assert f"a trial of {mid['n_per_arm']} per arm with a result at the MID (MD -1)" in plain
        assert "no trial up to 10,000 per arm with a null result changes the conclusion" in plain
        assert "What changed since" not in text  # only with --since


@pytest.mark.parametrize("since", ["git", "directory"])
def test_report_since_a_ref_lists_new_studies_and_moves_with_reasons(tmp_path: Path, since: str) -> None:
    repo = tmp_path / "repo"
    data = _fixture(repo / "data")
    old = _fixture(tmp_path / "old")
    _git(repo, "init", "-q")
    _git(repo, "add", "data")
    _git(repo, "commit", "-q", "-m", "the fixture")
    n = _add_null_trial(data)
    ref = "HEAD" if since == "git" else str(old)
    brief = tmp_path / "brief.md"
    code, _, err = _run("report", "--data", str(data), "-o", str(brief), "--since", ref)
    assert code == 0, err
    text = brief.read_text(encoding="utf-8").replace("\\", "")
    section = text[text.index(f"## What changed since {ref}") :]
    assert "### New studies" in section and f"- {HYPOTHETICAL_ID}" in section
    moved = "low-dose naltrexone -> fibromyalgia: pain: certainty high -> moderate (reasons +inconsistency"
    assert moved in section
    assert "studies 2 -> 3" in section and f"participants 600 -> {600 + 2 * n}" in section
    assert "inconsistency levels 0 -> 1" in section
    # the library's answer is the section's
    changes = read_changes(ref, data)
    assert changes.new_studies == (HYPOTHETICAL_ID,) and not changes.removed_studies
    (move,) = changes.moves
    assert (move.kind, move.before, move.after) == ("certainty", "high", "moderate")


def test_report_since_with_no_change(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    data = _fixture(repo / "data")
    _git(repo, "init", "-q")
    _git(repo, "add", "data")
    _git(repo, "commit", "-q", "-m", "the fixture")
    brief = tmp_path / "brief.html"
    code, _, err = _run("report", "--data", str(data), "-o", str(brief), "--since", "HEAD")
    assert code == 0, err
    text = brief.read_text(encoding="utf-8")
    assert "<h2>What changed since HEAD</h2>" in text
    assert "No study, conclusion or certainty changed." in text


@pytest.mark.parametrize(
    ("where", "ref", "message"),
    [
        ("outside", "HEAD", "is not in a git repository"),
        ("repo", "no-such-ref", "--since no-such-ref: unknown git ref"),
        ("repo", "--output=x", "not a git ref"),
    ],
)
def test_report_since_bad_ref_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, ref: str, message: str
) -> None:
    if where == "repo":
        data = _fixture(tmp_path / "repo" / "data")
        _git(tmp_path / "repo", "init", "-q")
        _git(tmp_path / "repo", "add", "data")
        _git(tmp_path / "repo", "commit", "-q", "-m", "the fixture")
    else:
        data = _fixture(tmp_path / "data")
        if subprocess.run(["git", "rev-parse"], cwd=data, capture_output=True, check=False).returncode == 0:
            pytest.skip("the temporary directory is inside a git work tree")
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--data", str(data), "-o", str(tmp_path / "b.md"), f"--since={ref}"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.startswith("Error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "b.md").exists()


ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _check_atom(text: str) -> list[dict[str, str]]:
    """Parse an Atom feed and check what RFC 4287 requires; returns each entry's fields."""
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{tag}")) == 1, tag
    assert RFC3339.match(root.findtext(f"{ATOM}updated") or "")
    assert (root.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        fields = {tag: entry.findtext(f"{ATOM}{tag}") or "" for tag in ("id", "title", "updated", "content")}
        assert all(fields.values()), fields
        assert fields["id"].startswith("urn:uuid:") and RFC3339.match(fields["updated"])
        assert entry.find(f"{ATOM}content").get("type") == "text"  # type: ignore[union-attr]
        entries.append(fields)
    assert len({e["id"] for e in entries}) == len(entries)
    return entries


def test_feed_of_changes_is_valid_atom_with_deterministic_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    data = _fixture(repo / "data")
    _git(repo, "init", "-q")
    _git(repo, "add", "data")
    _git(repo, "commit", "-q", "-m", "the fixture")
    _add_null_trial(data)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765065600")
    texts = []
    for name in ("a.atom", "b.atom"):
        code, _, err = _run("feed", "--data", str(data), "--since", "HEAD", "-o", str(tmp_path / name))
        assert code == 0, err
        assert "2 entries" in err
        texts.append((tmp_path / name).read_text(encoding="utf-8"))
    assert texts[0] == texts[1]  # the same changes, the same feed: ids and all
    entries = _check_atom(texts[0])
    assert [e["title"] for e in entries] == [
        f"New study: {HYPOTHETICAL_ID}",
        "low-dose naltrexone -> fibromyalgia: pain: certainty high -> moderate",
    ]
    assert "inconsistency levels 0 -> 1" in entries[1]["content"]
    assert entries[0]["updated"] == "2025-12-07T00:00:00Z"


def test_feed_escapes_record_text() -> None:
    from datetime import UTC, datetime

    from ldngraph.evidence.changes import BodyMove, Changes
    from ldngraph.present.feed import to_atom

    label = 'LDN -> <b>"fibro" & pain</b>\x07'
    changes = Changes(
        since="v1 & <v2>",
        old="old",
        new="new",
        old_profile=None,
        new_profile="p",
        new_studies=("a&b",),
        removed_studies=(),
        moves=(BodyMove(body="x", label=label, kind="conclusion", before="uncertain", after="benefit"),),
    )
    text = to_atom(changes, updated=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert "<b>" not in text and "&amp;" in text
    entries = _check_atom(text)
    assert entries[1]["title"] == 'LDN -> <b>"fibro" & pain</b>: conclusion uncertain -> benefit'
    assert entries[0]["title"] == "New study: a&b"


def test_living_doc_has_a_valid_example_workflow() -> None:
    """docs/living.md's scheduled job is valid YAML: weekly, runs watch, drafts, diff and opens a PR
    (an example in the doc; the repository has no such active workflow)."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "living.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    job = yaml.safe_load(block)
    assert job[True]["schedule"][0]["cron"].endswith("* * 1")  # YAML 1.1 reads the key `on` as True
    steps = job["jobs"]["watch"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    for command in ("ldngraph watch", "ldngraph draft", "ldngraph diff", "ldngraph feed --since"):
        assert command in runs
    assert any("create-pull-request" in step.get("uses", "") for step in steps)
    assert not (Path(__file__).resolve().parents[1] / ".github" / "workflows" / "living.yml").exists()
