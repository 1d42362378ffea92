"""ldngraph impact (issue 25 point 5): the smallest trial that changes a conclusion or a certainty.

Every claim is checked the way a curator would: the hypothetical trial the search names is written
as YAML records into a temporary copy of the data (clearly hypothetical ids, never in data/), and
``ldngraph sof`` is run on it: the pain row changes at n per arm and not at n - 1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ldngraph.cli import cli, main
from ldngraph.evidence.hypothetical import HYPOTHETICAL_ID, get_trial
from ldngraph.evidence.impact import Candidate, get_candidates, get_impact, get_records, smallest_change
from ldngraph.ingest.registry import RegistryRecord, open_registry, store_registry
from ldngraph.ingest.screening import read_screening_log
from ldngraph.locations import get_shipped_data_dir
from ldngraph.model import KnowledgeBase
from ldngraph.pipeline import get_profile, read_scored

V3 = Path(__file__).parent / "resources" / "v3"
FIBRO, PAIN = "MESH:D005356", "HP:0012531"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _fixture(name: str, where: Path) -> Path:
    where.mkdir()
    for f in (*V3.glob("*.yaml"), *(V3 / name).glob("*.yaml")):
        shutil.copy(f, where / f.name)
    return where


def _pain_row(directory: Path) -> tuple[str, str]:
    code, out, err = _run("sof", "--condition", "fibromyalgia", "--format", "json", "--data", str(directory))
    assert code == 0, err
    row = next(r for r in json.loads(out)["rows"] if r["outcome_id"] == PAIN)
    return row["conclusion"], row["certainty"]


def _add_yaml(directory: Path, key: str, record: dict[str, Any]) -> None:
    path = directory / f"{key}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[key].append(record)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _with_trial(src: Path, dst: Path, kb: KnowledgeBase, search: Any, n: int) -> Path:
    """A copy of ``src`` with the hypothetical trial of ``n`` per arm added as YAML records."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.sqlite*", "drafts"))
    body = next(b for b in read_scored(src)[1].bodies.values() if b.condition == FIBRO and b.outcome == PAIN)
    rec = get_records(kb, body, search.trial, n)
    _add_yaml(dst, "studies", rec.study)
    _add_yaml(dst, "publications", rec.publication)
    claims = yaml.safe_load((dst / "claims.yaml").read_text(encoding="utf-8"))
    claim = next(c for c in claims["claims"] if c["id"] == rec.claim)
    claim["evidence"].append(rec.item)
    (dst / "claims.yaml").write_text(yaml.safe_dump(claims, allow_unicode=True, sort_keys=False), "utf-8")
    return dst


def _pain(directory: Path) -> tuple[KnowledgeBase, Any, Any]:
    kb, scores = read_scored(directory)
    body = next(b for b in scores.bodies.values() if b.condition == FIBRO and b.outcome == PAIN)
    return kb, body, get_profile(directory)


def test_shipped_fibromyalgia_pain_the_trial_named_changes_sof_at_n_and_not_at_n_minus_1(
    tmp_path: Path,
) -> None:
    data = get_shipped_data_dir()
    code, out, err = _run("impact", "--condition", "fibromyalgia", "--format", "json", "--data", str(data))
    assert code == 0, err
    (pain,) = [r for r in json.loads(out) if r["outcome"] == PAIN]
    assert pain["critical"] and pain["outcome_label"] == "pain"
    # the first change for each result, then (the certainty moved first) the conclusion's own search
    assert [(s["trial"]["result"], s["target"]) for s in pain["searches"]] == [
        ("null", "any"),
        ("null", "conclusion"),
        ("mid", "any"),
        ("mid", "conclusion"),
    ]
    kb, body, profile = _pain(data)
    before = _pain_row(data)
    assert before == (pain["before"]["conclusion"], pain["before"]["certainty"])
    for found in pain["searches"][1::2]:  # little or no effect today: no trial at 0 or -1 makes it otherwise
        assert found["n_per_arm"] is None and found["monotone"] and found["checked"]
    for found in pain["searches"][::2]:
        n = found["n_per_arm"]
        assert n is not None and 1 < n < 10_000 and found["monotone"], found
        assert found["trial"]["sd"] > 0 and "bruun2024" in found["trial"]["spread_from"]
        search = smallest_change(kb, body, profile, get_trial(kb, body, profile, found["trial"]["result"]))
        assert search.n_per_arm == n
        at_n = _pain_row(_with_trial(data, tmp_path / f"{n}", kb, search, n))
        below = _pain_row(_with_trial(data, tmp_path / f"{n - 1}", kb, search, n - 1))
        assert at_n == (found["after"]["conclusion"], found["after"]["certainty"]) != before
        assert below == before
    # the text names the size and the change, in one line per result
    code, text, _ = _run("impact", "--condition", "fibromyalgia", "--data", str(data))
    # docs/living.md quotes this output: it must be the real one
    doc = (Path(__file__).resolve().parents[1] / "docs" / "living.md").read_text(encoding="utf-8")
    assert text.strip() in doc
    null = pain["searches"][0]
    assert f"a null result: a trial of {null['n_per_arm']} per arm" in text
    assert null["changes"] in text
    # the text names the trial's assumed spread and the GRADE domain that moved
    assert f"SD {null['trial']['sd']:.2f} per arm" in text
    for found in pain["searches"][::2]:
        before, after = dict(found["before"]["downgrades"]), dict(found["after"]["downgrades"])
        moved = {d for d in {*before, *after} if before.get(d, 0) != after.get(d, 0)}
        assert moved, found  # the certainty moved, so some domain did
        assert all(d.replace("_", " ") in found["changes"] for d in moved), found["changes"]
    assert not list(data.rglob("*hypothetical*"))  # nothing was written into data/
    assert HYPOTHETICAL_ID not in (data / "studies.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("result", ["null", "mid"])
def test_fixture_search_checked_by_sof_on_a_copy(tmp_path: Path, result: str) -> None:
    src = _fixture("estimate-small", tmp_path / "src")
    kb, body, profile = _pain(src)
    trial = get_trial(kb, body, profile, result)
    assert not isinstance(trial, str)
    search = smallest_change(kb, body, profile, trial, cap=2000)
    n = search.n_per_arm
    assert n is not None and search.monotone
    assert search.below is not None and search.after is not None
    assert search.below is not None and search.after is not None
    assert search.below.rating == search.before.rating != search.after.rating
    # bisection: about log2(cap) engine runs, plus the monotonicity checks
    assert search.runs <= 11 + 1 + 4 + 2
    assert [p for p, _ in search.checked] and all(c == (p >= n) for p, c in search.checked)
    before = _pain_row(src)
    assert before == (search.before.conclusion, search.before.certainty)
    assert _pain_row(_with_trial(src, tmp_path / "n", kb, search, n)) == (
        search.after.conclusion,
        search.after.certainty,
    )
    assert _pain_row(_with_trial(src, tmp_path / "n-1", kb, search, n - 1)) == before


def test_the_trials_spread_comes_from_the_bodys_studies(tmp_path: Path) -> None:
    kb, body, profile = _pain(_fixture("estimate-small", tmp_path / "src"))
    trial = get_trial(kb, body, profile, "mid")
    assert not isinstance(trial, str)
    # trial-1: MD -0.4 (-0.7 to -0.1), n 300 in two arms of 150: SE 0.6 / 3.92, SD SE / sqrt(2/150);
    # trial-2: (-0.6 to -0.01), the same n; the trial's SD: their participant-weighted RMS
    sd1, sd2 = (w / (2 * 1.959964) / (2 / 150) ** 0.5 for w in (0.6, 0.59))
    assert trial.value == -1.0 and trial.scale == "pain NRS 0-10"
    assert trial.sd == pytest.approx(((sd1**2 + sd2**2) / 2) ** 0.5) == pytest.approx(1.3146, abs=1e-3)
    rec = get_records(kb, body, trial, 50)
    est = rec.study["outcomes"][0]["estimate"]
    assert est["ci_upper"] - est["ci_lower"] == pytest.approx(2 * 1.959964 * trial.sd * (2 / 50) ** 0.5)
    assert rec.study["id"] == HYPOTHETICAL_ID and "HYPOTHETICAL" in rec.study["label"]
    assert rec.item["direction"] == "supports"


def test_no_trial_up_to_the_cap_changes_it(tmp_path: Path) -> None:
    kb, body, profile = _pain(_fixture("estimate-small", tmp_path / "src"))
    trial = get_trial(kb, body, profile, "null")
    assert not isinstance(trial, str)
    search = smallest_change(kb, body, profile, trial, cap=20)
    assert search.n_per_arm is None and search.after is None and search.monotone
    (impact,) = get_impact(kb, read_scored(tmp_path / "src")[1].bodies, profile, FIBRO, cap=20)
    assert "  a null result: no trial up to 20 per arm changes it" in impact.to_lines()


def test_a_body_without_an_estimate_says_why_it_is_not_run(tmp_path: Path) -> None:
    src = _fixture("swim", tmp_path / "src")
    code, out, err = _run("impact", "--condition", "fibromyalgia", "--data", str(src))
    assert code == 0, err
    assert "not run: null result: the body has no estimate of its own" in out


SCREENING = """searches:
  - id: w01
    date: "2026-12-01"
    source: "Registers: ClinicalTrials.gov (API v2)"
    query: low dose naltrexone
    found: [new-trial, no-size]
records:
  - id: new-trial
    label: A registered LDN trial in fibromyalgia
    identifiers: [NCT09999999]
    decision: candidate
    sources: [https://clinicaltrials.gov/study/NCT09999999]
  - id: no-size
    label: A registered LDN trial in fibromyalgia with no enrolment seen
    identifiers: [NCT09999998]
    decision: candidate
    ongoing: true
    condition: MESH:D005356
    sources: [https://clinicaltrials.gov/study/NCT09999998]
"""


def test_a_registered_candidate_at_its_enrolment(tmp_path: Path) -> None:
    src = _fixture("estimate-small", tmp_path / "src")
    (src / "screening.yaml").write_text(SCREENING, encoding="utf-8")
    db = tmp_path / "cache.sqlite"
    conn = open_registry(db, write=True)
    assert conn is not None
    record = RegistryRecord(nct_id="NCT09999999", enrollment=1700, conditions=("Fibromyalgia",))
    store_registry(conn, db, [record])
    conn.close()
    code, out, err = _run(
        "impact", "--condition", "fibromyalgia", "--data", str(src), "--cache", str(db), "--format", "json"
    )
    assert code == 0, err
    (pain,) = json.loads(out)
    runs = {(c["registry"], c["result"]): c for c in pain["candidates"]}
    null = runs[("NCT09999999", "null")]
    assert null["enrolment"] == 1700 and "cached by watch" in null["enrolment_from"]
    # 850 per arm: above the null search's smallest change (834 per arm on this fixture)
    assert (null["after"]["certainty"], null["before"]["certainty"]) == ("moderate", "high")
    assert any("NCT09999998" in why and "no enrolment" in why for why in pain["skipped"])
    line = "if NCT09999999 reports a null result with n = 1700, fibromyalgia pain goes from"
    assert any(line in text for text in pain["lines"])
    # the same from the library, without a database: no enrolment, nothing guessed
    kb, _, _ = _pain(src)
    found = get_candidates(read_screening_log(src / "screening.yaml"), kb)
    assert [c.enrolment for c in found] == [None]
    assert found[0] == Candidate(
        record="no-size",
        registry="NCT09999998",
        label="A registered LDN trial in fibromyalgia with no enrolment seen",
        condition=FIBRO,
        enrolment=None,
    )


@pytest.mark.parametrize(
    ("outcome", "message"),
    [("fatigue", "unknown entity 'fatigue'"), ("fibromyalgia", "no body of evidence on fibromyalgia")],
)
def test_bad_outcome_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outcome: str, message: str
) -> None:
    src = _fixture("estimate-small", tmp_path / "src")
    with pytest.raises(SystemExit) as exit_info:
        main(["impact", "--condition", "fibromyalgia", "--outcome", outcome, "--data", str(src)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.startswith("Error: ") and message in err and err.count("\n") == 1


def test_studies_without_a_year_give_a_trial_without_one(tmp_path: Path) -> None:
    src = _fixture("estimate-small", tmp_path / "src")
    studies = src / "studies.yaml"
    studies.write_text(studies.read_text(encoding="utf-8").replace("    year: 2020\n", ""), encoding="utf-8")
    kb, body, profile = _pain(src)
    trial = get_trial(kb, body, profile, "null")
    assert not isinstance(trial, str)
    assert "year" not in get_records(kb, body, trial, 10).study
    assert smallest_change(kb, body, profile, trial, cap=2000).n_per_arm is not None


def test_no_registered_trial_is_said_even_when_a_result_was_not_run() -> None:
    """Multiple sclerosis quality of life has no MID (so the MID result is not run) and no
    registered trial in the screening log: both are said."""
    code, text, _ = _run("impact", "--condition", "multiple sclerosis")
    assert code == 0
    assert "  not run: mid result:" in text
    assert "  registered trials: none of this condition in the screening log to run" in text
