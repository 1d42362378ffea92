"""Record text in figures (issue 27 F4, F13): never parsed as matplotlib mathtext, cut to a length,
and no figure larger than the canvas limit.

A label with two ``$`` (``Trial B ($%$ responders)``) once crashed ``plot forest``, ``plot
evidence-map`` and the whole ``report``; 3,000 nested braces between ``$`` a RecursionError; a label
of 120 KB asked for a multi-GB raster (``bbox_inches="tight"`` grows the canvas to fit it).
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest
from lxml import etree

from ldngraph.cli import main

EFFECTS = Path(__file__).parent / "resources" / "effects"
DOLLARS = "Trial B ($%$ responders)"
DEEP = "$" + "{" * 3000 + "x" + "}" * 3000 + "$"


def _data(tmp_path: Path, study_label: str, condition_label: str = "fibromyalgia", scale: str = "") -> Path:
    data = tmp_path / "data"
    shutil.copytree(EFFECTS, data)
    studies = data / "studies.yaml"
    text = studies.read_text(encoding="utf-8").replace("label: Trial B", f"label: {study_label!r}", 1)
    if scale:
        text = text.replace("scale: pain NRS 0-10", f"scale: {scale!r}")
    studies.write_text(text, encoding="utf-8")
    entities = data / "entities.yaml"
    entities.write_text(
        entities.read_text(encoding="utf-8").replace("label: fibromyalgia", f"label: {condition_label!r}", 1),
        encoding="utf-8",
    )
    return data


def _run(args: list[str]) -> int:
    """The CLI's exit status (an uncaught exception fails the test, as a traceback would)."""
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _svg_text(path: Path) -> str:
    return " ".join(etree.fromstring(path.read_bytes()).itertext())


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("label", [DOLLARS, "Trial B " + DEEP], ids=["two-dollars", "deep-nesting"])
def test_forest_plot_draws_dollar_labels_as_text(tmp_path: Path, label: str) -> None:
    data = _data(tmp_path, label, scale=DOLLARS)
    out = tmp_path / "forest.svg"
    args = ["plot", "forest", "--data", str(data), "--condition", "fibromyalgia", "--outcome", "pain"]
    assert _run([*args, "-o", str(out)]) == 0
    text = _svg_text(out)
    if label == DOLLARS:
        assert DOLLARS in text  # drawn as written, dollars and all
    else:
        assert "Trial B ${{{{{{" in text  # shown (cut), not parsed


def test_evidence_map_draws_dollar_labels_as_text(tmp_path: Path) -> None:
    data = _data(tmp_path, "Trial B", condition_label="fibro ($%$ responders)")
    out = tmp_path / "map.svg"
    assert _run(["plot", "evidence-map", "--data", str(data), "-o", str(out)]) == 0
    assert "fibro ($%$ responders)" in _svg_text(out)


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_report_with_dollar_labels(tmp_path: Path, suffix: str) -> None:
    data = _data(tmp_path, DOLLARS, condition_label="fibro $x^{2}$ pain")
    out = tmp_path / f"brief{suffix}"
    assert _run(["report", "--data", str(data), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_long_labels_are_cut_and_the_canvas_stays_small(tmp_path: Path) -> None:
    """3,000-character labels are cut (each figure at its own length, never past
    LDNGRAPH_MAX_LABEL_CHARS=100) and the figures stay a normal size."""
    data = _data(tmp_path, "Trial B " + "b" * 3000, condition_label="fibro " + "x" * 3000)
    svg, png = tmp_path / "map.svg", tmp_path / "map.png"
    assert _run(["plot", "evidence-map", "--data", str(data), "-o", str(svg)]) == 0
    text = _svg_text(svg)
    assert "x" * 90 + "…" in text and "x" * 101 not in text  # the map cuts labels at 100
    assert _run(["plot", "evidence-map", "--data", str(data), "-o", str(png)]) == 0
    width, height = _png_size(png)
    assert width < 8000 and height < 4000, (width, height)  # uncut, the label alone is ~150,000 px wide
    forest = tmp_path / "forest.png"
    args = ["plot", "forest", "--data", str(data), "--condition", "MESH:D005356", "--outcome", "pain"]
    assert _run([*args, "-o", str(forest)]) == 0
    assert max(_png_size(forest)) < 8000
    assert _run([*args, "-o", str(tmp_path / "forest.svg")]) == 0
    text = _svg_text(tmp_path / "forest.svg")
    assert "b" * 30 + "…" in text and "b" * 49 not in text  # the forest plot cuts them at 48


def test_canvas_limit_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LDNGRAPH_MAX_FIGURE_PIXELS", "100000")
    out = tmp_path / "map.png"
    assert _run(["plot", "evidence-map", "--data", str(EFFECTS), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"Error: .*map\.png: the figure would be \d+ x \d+ pixels, more than the limit "
        r"LDNGRAPH_MAX_FIGURE_PIXELS=100000; raise it if the input is genuine\n",
        err,
    ), err
    assert not out.exists()
