"""Registered trials (issue 25): data/registrations.yaml, the overdue-results rule of the
publication-bias domain, and where overdue trials are listed (explain text, SoF footnote, watch status).

Fixture trials use invented NCT999999xx numbers (as tests/fake_ctgov.py does); they appear nowhere in data/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.errors import DataError
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.ingest.registrations import REGISTRATIONS_FILE, read_registrations
from ldngraph.ingest.screening import read_screening_log
from ldngraph.pipeline import get_profile, read_registry, read_scored

DATA = Path(__file__).parent.parent / "data"
V3 = Path(__file__).parent / "resources" / "v3"


def entry(**fields: object) -> RegistryEntry:
    base: dict[str, object] = {
        "id": "NCT99999941",
        "label": "Fixture trial",
        "condition": "MESH:D005356",
        "status": "completed",
        "completion_date": "2023-01",
        "results_posted": False,
        "checked": "2024-03-01",
    }
    return RegistryEntry.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({}, "overdue"),  # 14 whole months > 12
        ({"checked": "2024-01-31"}, "open"),  # 12 months: not more than 12
        ({"status": "terminated", "completion_date": "2022-06-15"}, "overdue"),
        ({"completion_date": None}, "not_judged"),  # the rule never guesses a date
        ({"checked": None}, "not_judged"),
        ({"results_posted": None}, "not_judged"),
        ({"results_posted": True}, "results_posted"),
        ({"study": "trial-1"}, "published"),
        ({"status": "withdrawn"}, "withdrawn"),
        ({"status": "recruiting"}, "open"),
    ],
)
def test_overdue_rule(fields: dict[str, object], verdict: str) -> None:
    assert entry(**fields).judge(12) == verdict


def test_shipped_registrations_use_only_ids_already_in_data() -> None:
    regs = read_registrations(DATA / REGISTRATIONS_FILE)
    kb = read_knowledge_base(DATA)
    log = read_screening_log(DATA / "screening.yaml")
    known = {s.registry for s in kb.studies if s.registry} | {
        i.upper() for r in log.records for i in r.identifiers if i.upper().startswith("NCT")
    }
    assert regs and {r.id for r in regs} <= known
    for reg in regs:
        if reg.study is not None:
            assert kb.study_index[reg.study].registry == reg.id
    # the shipped data do not know a completion date, so nothing is judged overdue
    months = get_profile(DATA).publication_bias.registry_overdue_months
    assert months == 12
    assert [r.id for r in read_registry(DATA, kb) if r.judge(months) == "overdue"] == []


def fixture_dir(tmp_path: Path, registrations: list[dict[str, object]]) -> Path:
    """The estimate-benefit fixture (two RCTs: an important benefit in fibromyalgia pain, high
    certainty) with ``registrations``."""
    where = tmp_path / "estimate-benefit"
    where.mkdir(parents=True)
    for shared in ("entities.yaml", "publications.yaml"):
        shutil.copy(V3 / shared, where / shared)
    for own in (V3 / "estimate-benefit").iterdir():
        shutil.copy(own, where / own.name)
    (where / "screening.yaml").write_text("searches: []\nrecords: []\n", encoding="utf-8")
    text = yaml.safe_dump({"registrations": registrations}, sort_keys=False)
    (where / REGISTRATIONS_FILE).write_text(text, encoding="utf-8")
    return where


OVERDUE = {
    "id": "NCT99999941",
    "label": "Fixture unpublished trial",
    "condition": "MESH:D005356",
    "status": "completed",
    "completion_date": "2023-01",
    "results_posted": False,
    "checked": "2024-06-01",
    "sources": ["https://clinicaltrials.gov/study/NCT99999941"],
}


def pain_body(where: Path):  # type: ignore[no-untyped-def]
    _, scores = read_scored(where)
    (body,) = scores.bodies.values()
    return body


def test_an_overdue_trial_costs_a_level_for_a_benefit_conclusion(tmp_path: Path) -> None:
    plain = pain_body(fixture_dir(tmp_path / "a", []))
    assert (plain.conclusion, plain.certainty.value) == ("benefit", "high")
    body = pain_body(fixture_dir(tmp_path / "b", [OVERDUE]))
    assert (body.conclusion, body.certainty.value) == ("benefit", "moderate")
    [pb] = [d for d in body.judgements if d.domain == "publication_bias"]
    assert pb.levels == 1
    assert pb.explanation == (
        "suspected: registered trials completed more than 12 months before the registry was checked, "
        "with no results posted and no publication: Fixture unpublished trial (completed 2023-01, no "
        "results posted by 2024-06-01)"
    )


@pytest.mark.parametrize(
    ("change", "note"),
    [
        ({"completion_date": None}, "not judged: completion date unknown"),
        ({"results_posted": None}, "not judged: whether results are posted unknown"),
        ({"results_posted": True}, "results posted on the registry, no journal report (not missing)"),
        ({"checked": "2023-12-01"}, None),  # 11 months: not yet overdue
    ],
)
def test_unknown_facts_are_not_judged(tmp_path: Path, change: dict[str, object], note: str | None) -> None:
    body = pain_body(fixture_dir(tmp_path, [{**OVERDUE, **change}]))
    [pb] = [d for d in body.judgements if d.domain == "publication_bias"]
    assert pb.levels == 0 and body.certainty.value == "high"
    assert (note in pb.explanation) if note else ("registered" not in pb.explanation)


def test_overdue_trials_are_listed_in_sof_and_watch_status(tmp_path: Path) -> None:
    where = fixture_dir(tmp_path, [OVERDUE])
    result = CliRunner().invoke(
        cli, ["sof", "--condition", "fibromyalgia", "--data", str(where), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    notes = [n for row in table["rows"] for n in row["footnotes"]]
    assert (
        "Downgraded one level for publication bias: registered trials completed more than 12 months "
        "before their registry record was checked have posted no results and have no publication "
        "(Fixture unpublished trial)." in notes
    )
    result = CliRunner().invoke(
        cli, ["watch", "--data", str(where), "--cache", str(tmp_path / "db.sqlite"), "status"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "OVERDUE NCT99999941: Fixture unpublished trial (completed 2023-01, no results posted by "
        "2024-06-01); no study in data/" in result.stdout
    )
    result = CliRunner().invoke(
        cli,
        ["watch", "--data", str(where), "--cache", str(tmp_path / "db.sqlite"), "--format", "json", "status"],
    )
    assert [r["id"] for r in json.loads(result.stdout)["overdue_registrations"]] == ["NCT99999941"]


def test_a_not_benefit_conclusion_lists_the_trial_in_a_footnote(tmp_path: Path) -> None:
    where = fixture_dir(tmp_path, [OVERDUE])
    studies = yaml.safe_load((where / "studies.yaml").read_text())
    for study in studies["studies"]:  # both trials now find little or no difference
        for out in study.get("outcomes", []):
            est = out["estimate"]
            est.update({"value": -0.1, "ci_lower": -0.4, "ci_upper": 0.2})
            out["effect"] = "no_effect"
    (where / "studies.yaml").write_text(yaml.safe_dump(studies, sort_keys=False))
    claims = yaml.safe_load((where / "claims.yaml").read_text())
    for claim in claims["claims"]:
        for item in claim["evidence"]:
            item["direction"] = "refutes"
    (where / "claims.yaml").write_text(yaml.safe_dump(claims, sort_keys=False))
    result = CliRunner().invoke(
        cli, ["sof", "--condition", "fibromyalgia", "--data", str(where), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    notes = [n for row in json.loads(result.stdout)["rows"] for n in row["footnotes"]]
    head = "Not downgraded for publication bias: registered trials completed more than 12 months"
    tail = "(Fixture unpublished trial); this pattern matters only for a conclusion of benefit, "
    tail += "which this is not."
    assert any(n.startswith(head) and n.endswith(tail) for n in notes), notes


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"id": "NCT123"}, "id: 'NCT123' is not an NCT number"),
        ({"status": "finished"}, "status 'finished' is not one of"),
        ({"completion_date": "2023"}, "completion_date: must be YYYY-MM or YYYY-MM-DD"),
        ({"condition": None}, "condition: a trial with no study in data/ names the condition"),
        ({"sources": []}, "sources: give the URL(s)"),
        # The model's rules for a day, a CURIE and a URL hold here too (model/terms.py).
        ({"checked": "2026-13-01"}, "checked: '2026-13-01' is not a day of the calendar"),
        ({"condition": "MSH:D003424"}, "condition: 'MSH:D003424' has unknown prefix 'MSH'"),
        ({"sources": ["https://example.org/a b"]}, "which no IRI may hold; percent-encode it (%20)"),
    ],
)
def test_bad_registrations_are_one_line_each(tmp_path: Path, bad: dict[str, object], message: str) -> None:
    where = fixture_dir(tmp_path, [{**OVERDUE, **bad}])
    with pytest.raises(DataError) as err:
        read_registrations(where / REGISTRATIONS_FILE)
    assert len(err.value.problems) == 1 and message in err.value.problems[0]
    assert err.value.problems[0].startswith(f"{where / REGISTRATIONS_FILE}:")


def test_a_linked_study_must_exist(tmp_path: Path) -> None:
    where = fixture_dir(tmp_path, [{**OVERDUE, "study": "no-such-trial"}])
    with pytest.raises(DataError) as err:
        read_scored(where)
    assert "registration 'NCT99999941': study: 'no-such-trial' is not in data/studies.yaml" in str(err.value)


def test_watch_status_says_where_the_registry_now_says_more(tmp_path: Path) -> None:
    """A registry record stored by `watch` that differs from data/registrations.yaml is reported,
    field by field, for a curator to copy (data/ is never edited behind their back)."""
    from fake_ctgov import fake_study

    from ldngraph.ingest.cache import PubMedCache
    from ldngraph.ingest.registry import parse_study, store_registry

    where = fixture_dir(tmp_path, [{**OVERDUE, "completion_date": None, "results_posted": None}])
    study = fake_study(
        "NCT99999941",
        title="Fixture unpublished trial",
        status="TERMINATED",
        completion="2023-01-20",
        results_posted="2024-02-01",
        last_update="2024-02-01",
    )
    cache = PubMedCache(tmp_path / "db.sqlite")
    store_registry(cache.writer(), cache.path, [parse_study(study)])
    cache.close()
    args = ["watch", "--data", str(where), "--cache", str(tmp_path / "db.sqlite")]
    result = CliRunner().invoke(cli, [*args, "status"])
    assert result.exit_code == 0, result.output
    assert (
        "UPDATE NCT99999941: status completed -> terminated; completion_date null -> 2023-01-20; "
        "results_posted null -> true (registry record updated 2024-02-01); edit registrations.yaml"
    ) in result.stdout.splitlines()
    result = CliRunner().invoke(cli, [*args, "--format", "json", "status"])
    [update] = json.loads(result.stdout)["registration_updates"]
    assert update["id"] == "NCT99999941" and len(update["changes"]) == 3
