"""Drafts (issue 25): ``ldngraph draft`` from a recorded real PubMed record, the refusal of every
command that reads data/ while a draft waits, and ``draft accept`` into data/ with ``diff``.

The record is tests/resources/pubmed/smith2011.xml: PMID 21380937 (Smith 2011, an LDN RCT in Crohn's
disease), which data/ already holds. Drafting it against data/ is refused (already there); the whole
draft -> fill -> accept -> diff loop runs on a copy of data/ from which study smith2011, its
publication and its evidence items were removed first, and fills the draft with the removed study's
own curated values.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fake_ctgov import fake_study

from ldngraph.atomic import clear_protected
from ldngraph.cli import cli, main
from ldngraph.ingest.cache import PubMedCache
from ldngraph.ingest.drafts import guess_design, parse_record_id
from ldngraph.ingest.pubmed import read_pubmed_xml
from ldngraph.ingest.registry import parse_study, store_registry

DATA = Path(__file__).parent.parent / "data"
PUBMED = Path(__file__).parent / "resources" / "pubmed"
DRAFT = "pmid-21380937"


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real entry point (its error handling included) in-process, as a fresh process would
    (no input files registered by an earlier run)."""
    clear_protected()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def remove_study(data: Path, sid: str) -> dict[str, Any]:
    """Take study ``sid`` out of ``data`` (its publications, evidence items and mentions); return it
    and its evidence items, as a curator would type them back from the full text."""

    def load(name: str) -> Any:
        return yaml.safe_load((data / name).read_text(encoding="utf-8"))

    def dump(name: str, value: Any) -> None:
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)
        (data / name).write_text(text, encoding="utf-8")

    studies = load("studies.yaml")
    [study] = [s for s in studies["studies"] if s["id"] == sid]
    studies["studies"] = [s for s in studies["studies"] if s["id"] != sid]
    for other in studies["studies"]:
        if sid in other.get("summarises", []):
            other["summarises"] = [x for x in other["summarises"] if x != sid]
    dump("studies.yaml", studies)
    gone = set(study["publications"])
    pubs = load("publications.yaml")
    pubs["publications"] = [p for p in pubs["publications"] if p["id"] not in gone]
    dump("publications.yaml", pubs)
    claims = load("claims.yaml")
    evidence = []
    for claim in claims["claims"]:
        evidence += [{"claim": claim["id"], **e} for e in claim["evidence"] if e["study"] == sid]
        claim["evidence"] = [e for e in claim["evidence"] if e["study"] != sid]
    assert all(c["evidence"] for c in claims["claims"])  # no claim rested on this study alone
    dump("claims.yaml", claims)
    sources = load("sources.yaml")
    for source in sources["sources"]:
        source["cites"] = [c for c in source.get("cites", []) if c not in gone]
    dump("sources.yaml", sources)
    regs = load("registrations.yaml")
    for reg in regs["registrations"]:
        if reg.get("study") == sid:
            del reg["study"]
            reg["condition"] = "MESH:D003424"  # an unlinked registration names its condition
    dump("registrations.yaml", regs)
    log = load("screening.yaml")
    for record in log["records"]:
        if record.get("study") == sid:  # as `watch` would have logged it: a candidate
            del record["study"]
            record.update({"decision": "candidate", "identifiers": sorted(gone)})
    dump("screening.yaml", log)
    return {"study": study, "evidence": evidence}


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Any]:
    """A copy of data/ without smith2011, its pristine copy, and a cache holding the recorded record."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.sqlite*", "drafts"))
    removed = remove_study(data, "smith2011")
    before = tmp_path / "before"
    shutil.copytree(data, before)
    cache_file = tmp_path / "cache.sqlite"
    cache = PubMedCache(cache_file)
    cache.put_many(read_pubmed_xml(PUBMED / "smith2011.xml"), source="file:smith2011.xml")
    cache.close()
    return {"data": data, "before": before, "cache": cache_file, **removed}


def test_the_recorded_record_is_what_was_seen() -> None:
    [rec] = read_pubmed_xml(PUBMED / "smith2011.xml")
    assert (rec.pmid, rec.year, rec.journal, rec.doi, rec.pmcid) == (
        "21380937",
        2011,
        "Dig Dis Sci",
        "10.1007/s10620-011-1653-7",
        "PMC3381945",
    )
    assert rec.publication_type_names == ("Randomized Controlled Trial",)
    assert rec.registry_ids == ()  # its DataBankList was not seen, so the file has none


def test_databank_list_gives_registry_ids() -> None:
    [rec] = read_pubmed_xml(PUBMED / "databank.xml")
    assert [(b.name, b.accession_numbers) for b in rec.databanks] == [
        ("ClinicalTrials.gov", ("NCT00000333",)),
        ("ISRCTN", ("ISRCTN00000333",)),
    ]
    assert rec.registry_ids == ("NCT00000333",)


@pytest.mark.parametrize(
    ("types", "design"),
    [
        (["Journal Article", "Randomized Controlled Trial"], "rct"),
        (["Meta-Analysis", "Systematic Review", "Review"], "meta_analysis"),
        (["Systematic Review", "Review"], "systematic_review"),
        (["Case Reports"], "case_report"),
        (["Review"], "narrative_review"),
        (["Journal Article"], None),
    ],
)
def test_design_guessed_from_publication_types(types: list[str], design: str | None) -> None:
    assert guess_design(types) == design


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("PMID:21380937", ("pmid", "21380937")),
        ("21380937", ("pmid", "21380937")),
        ("nct00663117", ("nct", "NCT00663117")),
    ],
)
def test_record_ids(text: str, parsed: tuple[str, str]) -> None:
    assert parse_record_id(text) == parsed


def test_draft_of_a_record_already_in_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.sqlite*", "drafts"))
    cache = PubMedCache(tmp_path / "c.sqlite")
    cache.put_many(read_pubmed_xml(PUBMED / "smith2011.xml"), source="file:smith2011.xml")
    cache.close()
    code, _, err = run_main(
        ["draft", "21380937", "--data", str(data), "--cache", str(tmp_path / "c.sqlite")], capsys
    )
    assert code == 1
    assert err.strip().splitlines() == [
        "Error: PMID:21380937: already in data/publications.yaml as PMID:21380937; nothing to draft"
    ]
    assert not (data / "drafts").exists()


def _draft(ws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, _, err = run_main(
        ["draft", "PMID:21380937", "--data", str(ws["data"]), "--cache", str(ws["cache"])], capsys
    )
    assert code == 0, err
    return yaml.safe_load((ws["data"] / "drafts" / f"{DRAFT}.yaml").read_text(encoding="utf-8"))


def test_draft_fills_only_what_the_record_says(
    workspace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    draft = _draft(workspace, capsys)
    [pub] = draft["publications"]
    assert pub == {
        "id": "PMID:21380937",
        "pmid": "21380937",
        "doi": "10.1007/s10620-011-1653-7",
        "pmcid": "PMC3381945",
        "title": "Therapy with the opioid antagonist naltrexone promotes mucosal healing in active "
        "Crohn's disease: a randomized placebo-controlled trial",
        "authors": [
            "Smith JP",
            "Bingaman SI",
            "Ruggiero F",
            "Mauger DT",
            "Mukherjee A",
            "McGovern CO",
            "Zagon IS",
        ],
        "journal": "Dig Dis Sci",
        "year": 2011,
        "publication_types": ["Randomized Controlled Trial"],
        "status": "verified",
        "sources": ["https://pubmed.ncbi.nlm.nih.gov/21380937/"],
    }
    [study] = draft["studies"]
    assert (
        study["id"] == "smith2011" and study["design"] == "rct" and study["publications"] == ["PMID:21380937"]
    )
    # never invented: n, outcomes (effects), arms, risk of bias, comparator
    assert study["n"] is None and study["outcomes"] == [] and study["risk_of_bias"] is None
    assert study["comparator"] is None and draft["evidence"] == []
    # every guessed field is listed
    assert draft["draft"]["needs_review"] == [
        "study.design",
        "study.randomised",
        "study.controlled",
        "study.population",
    ]
    assert draft["draft"]["record"] == "PMID:21380937"


@pytest.mark.parametrize(
    "command",
    [["build", "-o", "{tmp}/g.ttl"], ["sof", "--condition", "fibromyalgia"], ["diff", "{before}", "{data}"]],
)
def test_every_reading_command_refuses_a_draft(
    workspace: dict[str, Any], capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    _draft(workspace, capsys)
    data = workspace["data"]
    argv = [a.format(tmp=data.parent, before=workspace["before"], data=data) for a in command]
    if command[0] != "diff":
        argv += ["--data", str(data)]
    code, _, err = run_main(argv, capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0] == (
        f"Error: {data}/drafts/{DRAFT}.yaml: draft of PMID:21380937: empty required fields study.n, "
        "study.outcomes, study.risk_of_bias; needs_review study.design, study.randomised, study.controlled, "
        "study.population; fill them from the full text, clear needs_review, then run "
        f"'ldngraph draft accept {DRAFT}' (or delete the draft)"
    )
    assert not (data.parent / "g.ttl").exists()


def _fill(ws: dict[str, Any], *, keep_review: bool = False) -> Path:
    """Fill the draft as a curator would: the removed study's own curated values."""
    path = ws["data"] / "drafts" / f"{DRAFT}.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    original = ws["study"]
    study = draft["studies"][0]
    for key in ("n", "outcomes", "risk_of_bias", "comparator", "blinded", "registry", "label", "notes",
                "population_description", "duration_weeks", "research_group"):  # fmt: skip
        study[key] = original.get(key)
    if not keep_review:
        draft["draft"]["needs_review"] = []
    # an item without `study` is about the draft's one study
    draft["evidence"] = [{k: v for k, v in e.items() if k != "study"} for e in ws["evidence"]]
    path.write_text(yaml.safe_dump(draft, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_draft_fill_accept_build_diff(workspace: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    data = workspace["data"]
    _draft(workspace, capsys)
    _fill(workspace, keep_review=True)
    code, _, err = run_main(["build", "--data", str(data), "-o", str(data.parent / "g.ttl")], capsys)
    assert code == 1 and "needs_review study.design" in err and "empty required" not in err
    code, _, err = run_main(["draft", "accept", DRAFT, "--data", str(data)], capsys)
    assert code == 1 and err.count("\n") == 1 and "needs_review" in err
    _fill(workspace)
    code, _, err = run_main(["build", "--data", str(data), "-o", str(data.parent / "g.ttl")], capsys)
    assert code == 1 and "is complete but not in data/ yet; run 'ldngraph draft accept pmid-21380937'" in err

    code, out, err = run_main(["draft", "accept", DRAFT, "--data", str(data), "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["studies"] == ["smith2011"] and report["publications"] == ["PMID:21380937"]
    assert sorted(report["files"]) == [
        "claims.yaml",
        "publications.yaml",
        "registrations.yaml",
        "screening.yaml",
        "studies.yaml",
    ]
    assert not (data / "drafts" / f"{DRAFT}.yaml").exists()
    # the study is back in data/, as curated, and its evidence items on their claims
    studies = {s["id"]: s for s in yaml.safe_load((data / "studies.yaml").read_text())["studies"]}
    assert studies["smith2011"]["n"] == 40
    assert studies["smith2011"]["risk_of_bias"] == workspace["study"]["risk_of_bias"]
    claims = yaml.safe_load((data / "claims.yaml").read_text())["claims"]
    back = [(c["id"], e["direction"]) for c in claims for e in c["evidence"] if e["study"] == "smith2011"]
    assert back == [(e["claim"], e["direction"]) for e in workspace["evidence"]]
    # the candidate it came from is now included, and the trial's registration links it
    [record] = [
        r for r in yaml.safe_load((data / "screening.yaml").read_text())["records"] if r["id"] == "smith2011"
    ]
    assert (record["decision"], record["study"]) == ("included", "smith2011")
    regs = {r["id"]: r for r in yaml.safe_load((data / "registrations.yaml").read_text())["registrations"]}
    assert regs["NCT00663117"]["study"] == "smith2011"

    result = CliRunner().invoke(cli, ["build", "--data", str(data), "-o", str(data.parent / "g.ttl")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["diff", str(workspace["before"]), str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    added = {(c["item"], c["after"]) for c in changes if c["kind"] == "evidence_added"}
    assert {claim for claim, _ in added} == {e["claim"] for e in workspace["evidence"]}
    assert all("smith2011" in key for _, key in added)
    assert any(c["kind"] == "body_studies" for c in changes)


def test_accept_refuses_duplicates_and_writes_nothing(
    workspace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data = workspace["data"]
    _draft(workspace, capsys)
    path = _fill(workspace)
    saved = path.read_text(encoding="utf-8")
    assert run_main(["draft", "accept", DRAFT, "--data", str(data)], capsys)[0] == 0
    files = {n: (data / n).read_bytes() for n in ("publications.yaml", "studies.yaml", "claims.yaml")}
    path.write_text(saved, encoding="utf-8")  # the same draft again
    code, _, err = run_main(["draft", "accept", DRAFT, "--data", str(data)], capsys)
    assert code == 1
    assert err.splitlines() == [
        f"Error: {path}: publication id 'PMID:21380937' is already in data/publications.yaml; nothing to add "
        "(delete the draft) or fix the id"
    ]
    again = yaml.safe_load(saved)
    again["publications"] = []  # only the study: its id is taken
    path.write_text(yaml.safe_dump(again, sort_keys=False), encoding="utf-8")
    code, _, err = run_main(["draft", "accept", DRAFT, "--data", str(data)], capsys)
    assert err.splitlines() == [
        f"Error: {path}: study id 'smith2011' is already in data/studies.yaml; rename it in the draft "
        "(studies and evidence) or delete the draft"
    ]
    assert code == 1 and path.exists()
    assert {n: (data / n).read_bytes() for n in files} == files


def test_accept_runs_the_real_validators(
    workspace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data = workspace["data"]
    _draft(workspace, capsys)
    path = _fill(workspace)
    draft = yaml.safe_load(path.read_text())
    draft["evidence"][0]["direction"] = "sideways"
    path.write_text(yaml.safe_dump(draft, sort_keys=False), encoding="utf-8")
    files = {n: (data / n).read_bytes() for n in ("publications.yaml", "studies.yaml", "claims.yaml")}
    code, _, err = run_main(["draft", "accept", DRAFT, "--data", str(data)], capsys)
    assert code == 1 and len(err.splitlines()) == 1
    assert "data/ would not validate with it" in err and "direction 'sideways' is not one of" in err
    assert {n: (data / n).read_bytes() for n in files} == files and path.exists()


def test_registry_draft_from_the_stored_record(
    workspace: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = fake_study(
        "NCT99999931", title="Fixture LDN trial in fibromyalgia", status="COMPLETED", enrollment=44
    )
    study["protocolSection"]["designModule"]["enrollmentInfo"]["type"] = "ACTUAL"
    cache = PubMedCache(workspace["cache"])
    store_registry(cache.writer(), cache.path, [parse_study(study)])
    cache.close()
    data = workspace["data"]
    code, _, err = run_main(
        ["draft", "NCT99999931", "--data", str(data), "--cache", str(workspace["cache"])], capsys
    )
    assert code == 0, err
    draft = yaml.safe_load((data / "drafts" / "nct99999931.yaml").read_text())
    [s] = draft["studies"]
    assert (s["design"], s["randomised"], s["blinded"], s["registry"], s["n"]) == (
        "rct",
        True,
        True,
        "NCT99999931",
        44,
    )
    assert draft["publications"] == [] and s["publications"] == []
    assert draft["draft"]["conditions"] == ["Fibromyalgia"]
    assert draft["draft"]["graph_conditions"] == ["MESH:D005356"]
    assert draft["draft"]["needs_review"] == [
        "study.design", "study.randomised", "study.controlled", "study.population", "study.blinded", "study.n"
    ]  # fmt: skip
    code, _, err = run_main(["build", "--data", str(data), "-o", str(data.parent / "g.ttl")], capsys)
    assert code == 1 and "study.publications" in err and "study.outcomes" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("draft: [\n", "not a readable draft"),
        ("studies: []\n", "not a readable draft (no draft: header)"),
    ],
)
def test_a_broken_draft_stops_the_build_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.sqlite*", "drafts"))
    (data / "drafts").mkdir()
    (data / "drafts" / "pmid-1.yml").write_text(text, encoding="utf-8")
    code, _, err = run_main(["build", "--data", str(data), "-o", str(tmp_path / "g.ttl")], capsys)
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"Error: {data}/drafts/pmid-1.yml: {message}")
    code, out, _ = run_main(["draft", "list", "--data", str(data), "--format", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["file"] == f"{data}/drafts/pmid-1.yml"


def test_medline_si_lines_give_registry_ids(tmp_path: Path) -> None:
    """MEDLINE text carries the DataBankList as SI lines (NAME/ACCESSION); invented record."""
    from ldngraph.ingest.medline import iter_medline

    path = tmp_path / "one.medline"
    path.write_text(
        "PMID- 333\nTI  - An invented record.\nPT  - Journal Article\n"
        "SI  - ClinicalTrials.gov/NCT00000333\nSI  - ISRCTN/ISRCTN00000333\nSO  - Fict. 2022.\n",
        encoding="utf-8",
    )
    [rec] = list(iter_medline(path))
    assert [(b.name, b.accession_numbers) for b in rec.databanks] == [
        ("ClinicalTrials.gov", ("NCT00000333",)),
        ("ISRCTN", ("ISRCTN00000333",)),
    ]
    assert rec.registry_ids == ("NCT00000333",)
