"""Evidence map: aggregation into condition x design cells, and real PNG/SVG output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from rdflib import Literal

from ldngraph.cli import main
from ldngraph.errors import ExportError
from ldngraph.model import Design
from ldngraph.pipeline import load
from ldngraph.present.plot import get_evidence_map, write_evidence_map
from ldngraph.rdf.build import to_graph
from ldngraph.rdf.vocab import LDN, claim_iri


def test_cells_sum_participants_and_keep_direction(mini_dir: Path) -> None:
    built = load(mini_dir)
    emap = get_evidence_map(built.kb, built.graph)
    cells = {(c.condition, c.design): c for c in emap.cells}
    # ldn-pain: trial-a (rct, n=40) supports; trial-b (crossover, n=20) refutes;
    # microglia-fibro: trial-a supports again (same study, counted once).
    assert set(cells) == {("MESH:D005356", Design.rct), ("MESH:D005356", Design.crossover_rct)}
    rct = cells[("MESH:D005356", Design.rct)]
    assert (rct.participants, rct.direction, rct.studies) == (40, "supports", ("trial-a",))
    assert cells[("MESH:D005356", Design.crossover_rct)].direction == "refutes"
    expected: dict[str, int] = {}
    for cid in ("ldn-pain", "microglia-fibro"):
        level = built.scores.claims[cid].certainty.value
        expected[level] = expected.get(level, 0) + 1
    assert emap.certainty == {"MESH:D005356": expected}
    unscored = get_evidence_map(built.kb, to_graph(built.kb))  # a graph without materialised scores
    assert unscored.certainty == {"MESH:D005356": {"unscored": 2}}
    assert emap.designs == (Design.rct, Design.crossover_rct)


def test_mixed_direction_and_scored_certainty(edit: object, mini_copy: Path) -> None:
    edit(
        "claims.yaml",
        # no outcome named: the item is not held to trial-a's recorded effect on pain
        "      - study: trial-b\n        direction: refutes\n        outcome: LDNO:pain",  # type: ignore[operator]
        "      - study: trial-a\n        direction: refutes",
    )
    built = load(mini_copy)
    graph = to_graph(built.kb)  # unscored, then one certainty set by hand
    graph.set((claim_iri(built.kb.claim_index["ldn-pain"]), LDN.certainty, Literal("low")))
    emap = get_evidence_map(built.kb, graph)
    (cell,) = emap.cells
    assert cell.direction == "mixed" and cell.participants == 40
    assert emap.certainty["MESH:D005356"] == {"low": 1, "unscored": 1}


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_writes_a_real_image(tmp_path: Path, suffix: str) -> None:
    out = write_evidence_map(load(), tmp_path / f"map{suffix}")
    data = out.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    else:
        root = etree.fromstring(data)
        text = " ".join(root.itertext())
        assert "fibromyalgia" in text and "Evidence map" in text and "crossover RCT" in text


def test_cli_plot(tmp_path: Path, mini_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.svg"
    main(["plot", "evidence-map", "--data", str(mini_dir), "-o", str(out)])
    assert out.exists()
    assert "fibromyalgia\tRCT\tstudies=1\tparticipants=40\tsupports" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["plot", "evidence-map", "--data", str(mini_dir), "-o", str(tmp_path / "map.gif")])
    assert exc.value.code == 1
    assert not (tmp_path / "map.gif").exists()
    with pytest.raises(ExportError):
        write_evidence_map(load(mini_dir), tmp_path / "x.jpeg")


def test_other_condition_evidence_adds_no_participants() -> None:
    """The chronic-pain review Rassi-Mariani 2024 (n=406) is marked different_condition on the
    fibromyalgia claims: it stays out of fibromyalgia's participants, counted apart, while it still
    counts in full for chronic pain, where it is direct."""
    built = load()
    emap = get_evidence_map(built.kb, built.graph)
    cells = {(c.condition, c.design): c for c in emap.cells}
    fibro = next(e.id for e in built.kb.entities if e.label == "fibromyalgia")
    pain = next(e.id for e in built.kb.entities if e.label == "chronic pain")
    review = cells[(fibro, Design.systematic_review)]
    assert "rassimariani2024" in review.other_condition and "rassimariani2024" not in review.studies
    assert review.participants == sum(built.kb.study_index[s].n or 0 for s in review.studies)
    assert review.participants < 406
    direct = cells[(pain, Design.systematic_review)]
    assert "rassimariani2024" in direct.studies and direct.participants >= 406
    # no cell counts a different_condition study among its own studies
    for claim in built.kb.claims:
        for item in claim.evidence:
            if "different_condition" in [i.value for i in item.indirectness]:
                cell = cells[(claim.object, built.kb.study_index[item.study].design)]
                assert item.study in cell.other_condition or item.study in cell.studies
                if item.study in cell.other_condition:
                    assert item.study not in cell.studies


def test_other_condition_only_cell(edit: object, mini_copy: Path) -> None:
    edit(
        "claims.yaml",
        "      - study: trial-b\n        direction: refutes",  # type: ignore[operator]
        "      - study: trial-b\n        indirectness: [different_condition]\n        direction: refutes",
    )
    built = load(mini_copy)
    cells = {(c.condition, c.design): c for c in get_evidence_map(built.kb, built.graph).cells}
    cell = cells[("MESH:D005356", Design.crossover_rct)]
    assert (cell.studies, cell.participants, cell.other_condition) == ((), 0, ("trial-b",))
    assert cell.direction == "refutes"
    svg = write_evidence_map(built, mini_copy.parent / "m.svg").read_text(encoding="utf-8")
    assert "other-condition only" in svg and "add no participants" in svg


def test_cli_plot_json(tmp_path: Path, mini_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["plot", "evidence-map", "--data", str(mini_dir), "-o", str(tmp_path / "m.svg"), "--format", "json"])
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    rct = next(r for r in records if r["design"] == "rct")
    assert rct == {
        "label": "fibromyalgia",
        "headline": None,  # the mini corpus declares no critical outcome
        "condition": "MESH:D005356",
        "design": "rct",
        "studies": ["trial-a"],
        "participants": 40,
        "direction": "supports",
        "other_condition_studies": [],
    }
    assert "wrote" in captured.err and "wrote" not in captured.out
