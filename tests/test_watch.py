"""``ldngraph watch`` against local fakes of E-utilities and ClinicalTrials.gov (no internet)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fake_ctgov import FakeRegistry, fake_study
from fake_ctgov import serve as serve_registry
from fake_eutils import FakeEutils, fake_article
from fake_eutils import serve as serve_eutils

from ldngraph.cli import cli
from ldngraph.ingest.registry import RegistryClient, parse_study
from ldngraph.ingest.screening import Decision, get_prisma_counts, read_screening_log

TODAY = date.today().isoformat()
SAVED = """
saved_searches:
  - id: pubmed-ldn
    source: pubmed
    query: low dose naltrexone
  - id: ctgov-ldn
    source: clinicaltrials.gov
    query: low dose naltrexone
    condition: fibromyalgia
"""


@pytest.fixture
def eutils() -> Iterator[FakeEutils]:
    state = FakeEutils()
    state.add(["111"])  # cited by the fixture data: known
    state.records["99999901"] = fake_article(
        "99999901", types=("Randomized Controlled Trial",), title="Fixture trial of low-dose naltrexone"
    )
    state.records["99999902"] = fake_article("99999902", types=("Case Reports",), title="Fixture case report")
    state.searches["low dose naltrexone"] = ["111", "99999901", "99999902"]
    state.entrez_dates = {"111": "2020/01/01", "99999901": "2025/02/01", "99999902": "2025/03/01"}
    with serve_eutils(state) as running:
        yield running


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    malformed = fake_study("NCT99999907", title="Fixture malformed")
    malformed["protocolSection"]["identificationModule"]["nctId"] = "NOT-AN-NCT"
    state = FakeRegistry(
        studies=[
            fake_study("NCT99999901", title="Fixture LDN trial in fibromyalgia", enrollment=120),
            fake_study("NCT99999909", title="Fixture trial already in data", status="COMPLETED"),
            malformed,
            fake_study("NCT99999903", title="Fixture open-label LDN study", allocation="NA", masking="NONE"),
        ],
        faults=[429, "slow"],  # the first request is rate limited, the retry times out once
        slow_seconds=1.0,
    )
    with serve_registry(state) as running:
        yield running


@pytest.fixture
def data(mini_copy: Path) -> Path:
    studies = mini_copy / "studies.yaml"
    text = studies.read_text(encoding="utf-8")
    studies.write_text(text.replace("  - id: trial-a\n", "  - id: trial-a\n    registry: NCT99999909\n", 1))
    (mini_copy / "screening.yaml").write_text(
        "# fixture screening log\n" + SAVED + "searches: []\nrecords: []\n", encoding="utf-8"
    )
    return mini_copy


def _watch(data: Path, eutils: FakeEutils, registry: FakeRegistry, *extra: str) -> dict:
    args = ["watch", "--data", str(data), "--cache", str(data.parent / "db.sqlite")]
    args += ["--base-url", eutils.url, "--registry-url", registry.url, "--timeout", "0.5", "--format", "json"]
    result = CliRunner().invoke(
        cli, [*args, *extra], env={"NCBI_EMAIL": "t@example.org", "LDNGRAPH_CONFIG": str(data / "none")}
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def test_watch_twice_logs_candidates_then_nothing_new_and_reports_registry_changes(
    data: Path, eutils: FakeEutils, registry: FakeRegistry
) -> None:
    first = _watch(data, eutils, registry)
    ids = {c["id"]: c for c in first["candidates"]}
    assert set(ids) == {"pmid-99999901", "pmid-99999902", "nct99999901", "nct99999903"}
    assert ids["pmid-99999901"]["prisma_source"] == "Databases: PubMed (E-utilities)"
    assert ids["nct99999901"]["prisma_source"] == "Registers: ClinicalTrials.gov (API v2)"
    # transparent triage: every rule that fired, with why
    rules = {h["rule"]: h["why"] for h in ids["pmid-99999901"]["hits"]}
    assert rules["pt-rct"] == "publication type Randomized Controlled Trial"
    assert rules["dose"] == "mentions 'low-dose'"
    assert ids["pmid-99999901"]["score"] > ids["pmid-99999902"]["score"]
    reg = {h["rule"] for h in ids["nct99999901"]["hits"]}
    assert {"reg-interventional", "reg-randomised", "reg-masked", "reg-size", "condition", "dose"} <= reg
    searches = {s["search"]: s for s in first["searches"]}
    assert searches["pubmed-ldn"]["known"] == 1 and searches["ctgov-ldn"]["known"] == 1
    assert (
        len(searches["ctgov-ldn"]["malformed"]) == 1 and "NOT-AN-NCT" in searches["ctgov-ldn"]["malformed"][0]
    )
    assert (
        registry.statuses[:2] == [429, 200] and len({p.get("pageToken") for p in registry.log}) >= 2
    )  # paged
    assert first["changes"] == []

    screening = read_screening_log(data / "screening.yaml")
    assert [s.last_run for s in screening.saved_searches] == [TODAY, TODAY]
    logged = {r.id: r for r in screening.records}
    assert set(logged) == set(ids) and all(r.decision is Decision.candidate for r in logged.values())
    assert logged["nct99999901"].sources == ("https://clinicaltrials.gov/study/NCT99999901",)
    assert logged["pmid-99999901"].identifiers == ("PMID:99999901", "DOI:10.5555/fake.99999901")
    prisma = get_prisma_counts(screening)
    assert prisma.identified_by_source == {
        "Databases: PubMed (E-utilities)": 2,
        "Registers: ClinicalTrials.gov (API v2)": 2,
    }
    assert prisma.awaiting == 4 and prisma.screened == 0
    assert "# fixture screening log" in (data / "screening.yaml").read_text()  # comments kept

    # the registry changes: NCT99999901 completes and posts results; a known trial too
    registry.studies[0] = fake_study(
        "NCT99999901",
        title="Fixture LDN trial in fibromyalgia",
        enrollment=120,
        status="COMPLETED",
        last_update=TODAY,
        results_posted=TODAY,
    )
    registry.faults = []
    before = len(eutils.requests("esearch"))
    second = _watch(data, eutils, registry)
    assert second["candidates"] == []
    changes = {(c["nct_id"], c["kind"], c["old"], c["new"]) for c in second["changes"]}
    assert changes == {
        ("NCT99999901", "status", "RECRUITING", "COMPLETED"),
        ("NCT99999901", "results", None, TODAY),
    }
    # re-run from the last date: the window starts on the first run's day
    (esearch,) = eutils.requests("esearch")[before:]
    assert esearch.params["mindate"] == TODAY.replace("-", "/") and esearch.params["datetype"] == "edat"
    assert registry.log[-1]["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{TODAY},MAX]"
    again = read_screening_log(data / "screening.yaml")
    assert len(again.records) == 4 and len(again.searches) == 4  # one search entry per run, no records

    status = CliRunner().invoke(
        cli, ["watch", "--data", str(data), "--cache", str(data.parent / "db.sqlite"), "status"]
    )
    assert status.exit_code == 0, status.output
    lines = [line for line in status.stdout.splitlines() if not line.startswith(" ")]
    assert lines[0].startswith("nct99999901 ")  # results now posted: ranks first
    assert "reg-results +2 (results posted on the registry)" in status.stdout
    assert "CHANGED NCT99999901: status RECRUITING -> COMPLETED" in status.stdout
    assert "CHANGED NCT99999901: results posted" in status.stdout


def test_a_search_with_50000_hits_is_capped_and_logged(data: Path, registry: FakeRegistry) -> None:
    text = (
        (data / "screening.yaml")
        .read_text()
        .replace(
            "    query: low dose naltrexone\n  - id: ctgov",
            "    query: naltrexone\n    max_hits: 3\n  - id: ctgov",
        )
    )
    (data / "screening.yaml").write_text(text)
    state = FakeEutils()
    pmids = [str(90_000_000 + n) for n in range(50_000)]
    state.add(pmids[:3])
    state.searches["naltrexone"] = pmids
    with serve_eutils(state) as eutils:
        out = _watch(data, eutils, registry)
    (pubmed,) = [s for s in out["searches"] if s["search"] == "pubmed-ldn"]
    assert (pubmed["hits"], pubmed["kept"], pubmed["capped"]) == (50_000, 3, True)
    assert len(pubmed["new"]) == 3
    (entry,) = [
        s for s in read_screening_log(data / "screening.yaml").searches if s.found == tuple(pubmed["new"])
    ]
    assert "50000 hits, only the first 3 fetched (cap max_hits)" in (entry.note or "")


def test_a_failed_search_leaves_the_log_as_it_was(
    data: Path, eutils: FakeEutils, registry: FakeRegistry
) -> None:
    before = (data / "screening.yaml").read_bytes()
    registry.faults = [500] * 10
    args = ["watch", "--data", str(data), "--cache", str(data.parent / "db.sqlite")]
    args += ["--base-url", eutils.url, "--registry-url", registry.url]
    # The config file's retry policy governs the registry too (a short one keeps the test quick).
    config = data.parent / "config.toml"
    config.write_text("[entrez]\nmax_tries = 4\nbackoff = 0.05\n", encoding="utf-8")
    env = {"NCBI_EMAIL": "t@example.org", "LDNGRAPH_CONFIG": str(config)}
    proc = subprocess.run(
        [sys.executable, "-c", "from ldngraph.cli import main; main()", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("Error: ClinicalTrials.gov: gave up after 4 tries")
    assert (data / "screening.yaml").read_bytes() == before


def test_retry_after_is_honoured_and_capped() -> None:
    state = FakeRegistry(studies=[fake_study("NCT99999901", title="Fixture")], faults=[429], retry_after="7")
    slept: list[float] = []
    with serve_registry(state) as running:
        client = RegistryClient(running.url, timeout=2, backoff=0.01, sleep=slept.append, per_second=1000)
        result = client.search("x")
    assert [r.nct_id for r in result.records] == ["NCT99999901"]
    assert any(7 <= s <= 60 for s in slept)  # waited as long as the server asked


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda s: s.pop("protocolSection"), "no protocolSection"),
        (
            lambda s: s["protocolSection"]["designModule"]["enrollmentInfo"].update(count="many"),
            "is not a whole number",
        ),
        (lambda s: s.update(hasResults="yes"), "hasResults 'yes' is not true or false"),
        (
            lambda s: s["protocolSection"]["conditionsModule"].update(conditions="Fibromyalgia"),
            "is not a list of text",
        ),
    ],
)
def test_malformed_study_says_what_is_wrong(mutate: object, problem: str) -> None:
    study = fake_study("NCT99999901", title="Fixture")
    mutate(study)  # type: ignore[operator]
    with pytest.raises(ValueError, match=problem):
        parse_study(study)


def test_no_saved_searches_is_one_line(mini_copy: Path) -> None:
    (mini_copy / "screening.yaml").write_text("searches: []\nrecords: []\n")
    result = CliRunner().invoke(
        cli, ["watch", "--data", str(mini_copy), "--cache", str(mini_copy / "x.sqlite")]
    )
    assert result.exit_code == 1 and "no saved_searches" in str(result.exception)
    assert yaml.safe_load((mini_copy / "screening.yaml").read_text()) == {"searches": [], "records": []}
