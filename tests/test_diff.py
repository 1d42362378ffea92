"""ldngraph diff: a profile change, an added trial, a retraction and a removed claim each list
exactly the changes they cause; identical inputs, by any route (data, graph file, store), none.

The mini fixture: ldn-pain rests on trial-a (RCT, n 40, supports) and trial-b (crossover RCT,
n 20, refutes); microglia-fibro and ldn-microglia make the 2-hop path LDN -> microglia -> fibromyalgia.
Each claim has its own outcome body (ldn-pain's: LDN -> fibromyalgia: pain).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.evidence.diff import Diff, compare, to_markdown
from ldngraph.ingest.cache import PubMedCache, get_cache_path, import_files
from ldngraph.pipeline import get_profile_path, load, push, read_view
from ldngraph.rdf.export import write_rdf
from ldngraph.stores.store import open_store

RESOURCES = Path(__file__).parent / "resources"
RETRACTED_XML = RESOURCES / "pubmed" / "retracted.xml"

TRIAL_D = """  - id: trial-d
    label: Trial D
    design: rct
    population: human
    species: NCBITaxon:9606
    n: 120
    randomised: true
    controlled: true
    blinded: true
    publications: [PMID:111]
    outcomes:
      - outcome: LDNO:pain
        kind: subjective
        effect: improved
    risk_of_bias: {tool: rob2, source: https://example.org/111, domains: {randomisation: {judgement: low,
      support: x}, deviations: {judgement: low, support: x}, missing_data: {judgement: low, support: x},
      measurement: {judgement: low, support: x}, reporting: {judgement: low, support: x}}}
"""


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


PAIN_BODY = "low-dose naltrexone -> fibromyalgia: pain"


def _kinds(old: Path | str, new: Path | str, **kw: Path) -> list[tuple[str, str]]:
    diff = compare(read_view(str(old), **kw), read_view(str(new), **kw))
    return [(c.kind, c.label if c.kind.startswith("body_") else c.item) for c in diff.changes]


def _changes(diff: Diff) -> list[tuple[str, str]]:
    return [(c.kind, c.label if c.kind.startswith("body_") else c.item) for c in diff.changes]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_identical_inputs_give_an_empty_diff_and_exit_0(mini_dir: Path, tmp_path: Path) -> None:
    other = _copy(mini_dir, tmp_path / "copy")
    assert _kinds(mini_dir, other) == []
    code, out, _ = _run("diff", str(mini_dir), str(other), "--fail-on", "any", "--format", "json")
    assert code == 0
    assert json.loads(out)["changes"] == []
    code, out, _ = _run("diff", str(mini_dir), str(other))
    assert code == 0 and "no differences" in out


def test_the_same_scoring_from_a_graph_file_and_a_store_is_no_change(mini_dir: Path, tmp_path: Path) -> None:
    ttl = write_rdf(load(mini_dir).graph, tmp_path / "mini.ttl")
    spec = f"oxigraph:{tmp_path / 'mini.db'}"
    store = open_store(spec)
    push(store, mini_dir)
    store.close()
    for side in (str(ttl), spec):
        view = read_view(side)
        assert set(view.claims) == {"ldn-pain", "ldn-microglia", "microglia-fibro"} and view.paths
        assert _kinds(mini_dir, side) == []


def test_profile_change_weighting_crossover_trials_lower(mini_dir: Path, tmp_path: Path) -> None:
    """trial-b, the only crossover trial, refutes ldn-pain: weighting crossover RCTs lower makes the
    refutation lighter, so ldn-pain ranks stronger; nothing else moves. Weights are a ranking number
    in evidence model v3: they never decide a conclusion or a certainty (issue 21)."""
    text = get_profile_path(mini_dir).read_text(encoding="utf-8")
    assert "  crossover_rct: 0.65\n" in text and 'version: "2026.1"' in text
    lower = tmp_path / "crossover-lower.yaml"
    lower.write_text(
        text.replace("  crossover_rct: 0.65\n", "  crossover_rct: 0.3\n").replace(
            'version: "2026.1"', 'version: "2026.1-xo"'
        ),
        encoding="utf-8",
    )
    base = get_profile_path(mini_dir)
    diff = compare(read_view(str(base), data_dir=mini_dir), read_view(str(lower), data_dir=mini_dir))
    assert _changes(diff) == [("strength", "ldn-pain")]
    (strength,) = diff.changes
    assert float(strength.after or 0) > float(strength.before or 0)
    assert (diff.old_profile, diff.new_profile) == ("2026.1", "2026.1-xo")
    args = ["diff", str(base), str(lower), "--data", str(mini_dir)]
    assert _run(*args, "--fail-on", "certainty", "--fail-on", "conclusion")[0] == 0
    code, _, err = _run(*args, "--fail-on", "strength")
    assert code == 3 and "changes in: strength" in err


def test_an_added_trial(mini_dir: Path, tmp_path: Path) -> None:
    """A new blinded RCT of 120 supporting ldn-pain, with no estimate: the pain body counts 3 studies
    and 180 participants, ldn-pain ranks stronger with one evidence item added; the conclusion stays
    uncertain (2 of 2 studies with a clear direction favour LDN: sign test p = 0.5; a vote is not an
    estimate), and the other claims are untouched."""
    new = _copy(mini_dir, tmp_path / "new")
    (new / "studies.yaml").write_text(
        (new / "studies.yaml").read_text(encoding="utf-8") + TRIAL_D, encoding="utf-8"
    )
    claims = (new / "claims.yaml").read_text(encoding="utf-8")
    anchor = "      - study: trial-b\n        direction: refutes\n        outcome: LDNO:pain\n"
    assert anchor in claims
    added = "      - study: trial-d\n        direction: supports\n        outcome: LDNO:pain\n"
    (new / "claims.yaml").write_text(claims.replace(anchor, anchor + added), encoding="utf-8")
    diff = compare(read_view(str(mini_dir)), read_view(str(new)))
    assert _changes(diff) == [
        ("body_studies", PAIN_BODY),
        ("body_participants", PAIN_BODY),
        ("strength", "ldn-pain"),
        ("evidence_added", "ldn-pain"),
    ]
    studies, participants, strength, evidence = diff.changes
    assert (studies.before, studies.after) == ("2", "3")
    assert (participants.before, participants.after) == ("60", "180")
    assert float(strength.after or 0) > float(strength.before or 0)
    assert evidence.after == "trial-d supports LDNO:pain"


def test_a_retraction(edit: Callable[[str, str, str], Path], tmp_path: Path) -> None:
    """trial-b's paper (PMID 333) is retracted in PubMed: its refuting evidence is excluded, so the
    pain body counts trial-a alone (1 study, 40 participants) and ldn-pain is stronger, with the
    reason 'retracted' added; the conclusion (uncertain: one study's direction) does not move."""
    old = edit("studies.yaml", "publications: [DOI:10.1000/fixture.2]", "publications: [PMID:333]")
    new = _copy(old, tmp_path / "retracted")
    assert import_files(PubMedCache(get_cache_path(new)), [RETRACTED_XML])
    diff = compare(read_view(str(old)), read_view(str(new)))
    assert _changes(diff) == [
        ("body_studies", PAIN_BODY),
        ("body_participants", PAIN_BODY),
        ("reasons", "ldn-pain"),
        ("strength", "ldn-pain"),
        ("evidence_excluded", "ldn-pain"),
    ]
    studies, participants, reasons, _, excluded = diff.changes
    assert (studies.before, studies.after) == ("2", "1")
    assert (participants.before, participants.after) == ("60", "40")
    assert reasons.detail == "+retracted"
    assert excluded.before == "trial-b refutes LDNO:pain" and excluded.detail == "excluded: retracted"


def test_a_removed_claim_loses_its_path(mini_dir: Path, tmp_path: Path) -> None:
    new = _copy(mini_dir, tmp_path / "new")
    claims = (new / "claims.yaml").read_text(encoding="utf-8")
    start = claims.index("  - id: microglia-fibro")
    (new / "claims.yaml").write_text(claims[:start], encoding="utf-8")
    diff = compare(read_view(str(mini_dir)), read_view(str(new)))
    assert _changes(diff) == [
        ("body_removed", "microglial cell -> fibromyalgia: effect"),
        ("claim_removed", "microglia-fibro"),
        ("path_lost", "CHEBI:7465 -> CL:0000129 -> MESH:D005356"),
    ]
    back = compare(read_view(str(new)), read_view(str(mini_dir)))
    assert [c.kind for c in back.changes] == ["body_added", "claim_added", "path_new"]
    assert back.changes[2].label == "low-dose naltrexone -> microglial cell -> fibromyalgia"
    md = to_markdown(back)
    assert "| path new | `CHEBI:7465 -> CL:0000129 -> MESH:D005356`<br>" in md


def test_bad_side_is_one_line(mini_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ldngraph.cli import main

    with pytest.raises(SystemExit) as info:
        main(["diff", str(mini_dir), str(tmp_path / "nothing-here")])
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and "nothing-here': not a data directory, profile (.yaml), RDF file or store" in err[0]
    )


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_cli_formats(mini_dir: Path, tmp_path: Path, fmt: str) -> None:
    new = _copy(mini_dir, tmp_path / "new")
    claims = (new / "claims.yaml").read_text(encoding="utf-8")
    (new / "claims.yaml").write_text(claims[: claims.index("  - id: microglia-fibro")], encoding="utf-8")
    code, out, _ = _run("diff", str(mini_dir), str(new), "--format", fmt, "--fail-on", "paths")
    assert code == 3
    assert "microglia-fibro" in out and "CHEBI:7465 -> CL:0000129 -> MESH:D005356" in out
