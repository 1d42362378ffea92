"""Evidence map: aggregation into condition x design cells, and real PNG/SVG output."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from rdflib import Literal

from ldngraph.build import claim_iri, to_graph
from ldngraph.cli import main
from ldngraph.errors import ExportError
from ldngraph.model import Design
from ldngraph.pipeline import load
from ldngraph.plot import get_evidence_map, write_evidence_map
from ldngraph.vocab import LDN


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
        "      - study: trial-b\n        direction: refutes",  # type: ignore[operator]
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
