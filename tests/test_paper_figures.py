"""Figures for a paper (issue 23): forest, risk of bias, PRISMA, graph. The SVG is read back as XML
and checked against numbers recomputed here from the YAML; every figure's text lies inside its
canvas; PNG is 300 dpi; one colour has one meaning."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.evidence.effects import EffectSummary, PooledEffect, StudyEffect
from ldngraph.model.terms import EffectMeasure
from ldngraph.present import palette
from ldngraph.present.figure import get_overflow, safe_text
from ldngraph.present.forest import K2_WARNING, get_forest_extras, to_forest_figure
from ldngraph.present.sof import get_condition, read_inputs
from ldngraph.present.sof_inputs import get_forest_inputs

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
EFFECTS = Path(__file__).parent / "resources" / "effects"
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> list[tuple[str, float, float]]:
    """(text, x, y) of every <text> element of an SVG written with svg.fonttype 'none'."""
    root = ET.parse(path).getroot()
    out = []
    for el in root.iter(f"{SVG}text"):
        text = "".join(el.itertext()).replace("\u00a0", " ")
        out.append((text, float(el.get("x", "0")), float(el.get("y", "0"))))
    return out


def run(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


# -- forest ----------------------------------------------------------------------------------------


def test_forest_svg_has_headers_one_row_per_study_and_rob_columns(tmp_path: Path) -> None:
    """Fibromyalgia pain: the two trials with an estimate on the 0-10 scale (Bruun 2024, INNOVA) are
    pooled (k = 2). (The reviews' own pooled results are on other scales, so this axis shows none.)"""
    out = tmp_path / "f.svg"
    run(["plot", "forest", "--condition", "fibromyalgia", "--outcome", "pain", "-o", str(out)])
    texts = svg_texts(out)
    words = [t for t, _, _ in texts]
    for header in ("Study", "n LDN/comp.", "Estimate [95% CI]", "Weight", "D1", "D5", "Overall"):
        assert words.count(header) == 1, header
    kb, prof = read_inputs(DATA, None)
    summary, _, _ = get_forest_inputs(kb, prof, get_condition(kb, "fibromyalgia"), "pain")
    assert summary.pooled is not None and summary.pooled.k == 2
    assert K2_WARNING in " ".join(words)  # the footnote is wrapped over lines
    # one row per estimate: its estimate text and weight sit at the same height as its label
    arms = {"bruun2024": "49/50", "innova": "48/50"}
    for e in summary.studies:
        estimate = f"{e.value:.2f} [{e.ci_lower:.2f}, {e.ci_upper:.2f}]"
        [(_, _, y)] = [(t, x, y) for t, x, y in texts if t == estimate]
        row = [t for t, _, yy in texts if abs(yy - y) < 4]  # rows are ~19 px apart
        assert f"{e.weight:.1f}%" in row and arms[e.study] in row
        assert any(t.startswith(e.label[:10]) for t in row)
        # the study's RoB 2 judgements: 5 domains + overall, drawn as robvis symbols in that row
        assert sum(t in palette.ROB_SYMBOL.values() for t in row) == 6


def test_forest_fixture_rows_and_rob_columns(tmp_path: Path) -> None:
    out = tmp_path / "f.svg"
    base = ["plot", "forest", "--data", str(EFFECTS), "--condition", "fibromyalgia", "--outcome", "pain"]
    run([*base, "-o", str(out)])
    texts = svg_texts(out)
    words = [t for t, _, _ in texts]
    assert [w for w in words if w.startswith("Trial ")] == ["Trial A <i>x</i>", "Trial B", "Trial C"]
    # every controlled trial has risk-of-bias judgements (a loader rule since issue 22): RoB 2's five
    # domains and overall, and the crossover Trial B its period/carry-over domain as well
    assert words.count("Overall") == 1
    for label, symbols in (("Trial A <i>x</i>", 6), ("Trial B", 7), ("Trial C", 6)):
        [y] = [yy for t, _, yy in texts if t == label]
        row = [t for t, _, yy in texts if abs(yy - y) < 4]
        assert sum(t in palette.ROB_SYMBOL.values() for t in row) == symbols, label
    assert "Random effects (k = 3)" in words and "95% prediction interval" in words
    assert K2_WARNING not in " ".join(words)


def _effect(label: str, value: float, lo: float, hi: float, **kw: Any) -> StudyEffect:
    return StudyEffect(
        study=label.lower().replace(" ", "-"),
        label=label,
        outcome="HP:0012531",
        measure=EffectMeasure.md,
        value=value,
        ci_lower=lo,
        ci_upper=hi,
        se=(hi - lo) / 3.92,
        variance_from="ci",
        scale="NRS 0-10",
        lower_is_better=True,
        source="https://example.org/x",
        **kw,
    )


def test_forest_draws_reviews_apart_and_labels_with_dollars_stay_literal(tmp_path: Path) -> None:
    from ldngraph.present.figure import save_figure

    studies = (
        _effect("$5 trial$", -1.0, -2.0, 0.0, weight=50.0, n=40),
        _effect("Trial two", -0.5, -1.5, 0.5, weight=50.0, n=40),
    )
    review = _effect("Review X", -0.8, -1.4, -0.2, from_review=True, k=4, n=200)
    pooled = PooledEffect(
        outcome="HP:0012531",
        measure=EffectMeasure.md,
        scale="NRS 0-10",
        lower_is_better=True,
        k=2,
        n=80,
        value=-0.75,
        ci_lower=-1.46,
        ci_upper=-0.04,
        tau2=0.0,
        i2=0.0,
        q=0.5,
        pi_lower=None,
        pi_upper=None,
        method="test",
    )
    summary = EffectSummary(
        outcome="HP:0012531", status="pooled", pooled=pooled, studies=studies, others=(review,), note="x"
    )
    fig = to_forest_figure(summary, title="A $ title", mid=1.0)
    assert get_overflow(fig) == (0.0, 0.0, 0.0, 0.0)
    out = save_figure(fig, tmp_path / "r.svg")
    words = [t for t, _, _ in svg_texts(out)]
    assert "$5 trial$" in words  # escaped for matplotlib, shown as written
    assert "Reviews' own pooled results (not pooled again)" in words
    assert "Review X (k = 4)" in words and "not pooled" in words
    assert K2_WARNING in " ".join(words)
    assert "minimal important difference (±1" in " ".join(words)


def test_safe_text_cuts_and_escapes() -> None:
    assert safe_text("a $b$ c") == r"a \$b\$ c"
    long = safe_text("x" * 100)
    assert len(long) == 48 and long.endswith("…")
    assert safe_text("two\nlines") == "two lines"


# -- risk of bias ----------------------------------------------------------------------------------


def _yaml_rob() -> dict[str, dict[str, Any]]:
    studies = yaml.safe_load((DATA / "studies.yaml").read_text(encoding="utf-8"))["studies"]
    return {s["id"]: s for s in studies if s.get("risk_of_bias")}


def test_rob_svg_rows_columns_and_symbols_match_the_yaml(tmp_path: Path) -> None:
    out = tmp_path / "rob.svg"
    run(["plot", "rob", "-o", str(out)])
    texts = svg_texts(out)
    words = [t for t, _, _ in texts]
    raw = _yaml_rob()
    judged = {
        sid: s
        for sid, s in raw.items()
        if any(d["judgement"] != "not_assessed" for d in s["risk_of_bias"]["domains"].values())
    }
    for i in range(1, 8):  # RoB 2 has five domains, ROBINS-I seven
        assert words.count(f"D{i}") == (4 if i <= 5 else 2), f"D{i}"
    assert words.count("Overall") == 4  # traffic-light header and summary row, per tool
    assert words.count("DS") == 2  # crossover domain: traffic-light header and summary row
    symbols = Counter(t for t in words if t in palette.ROB_SYMBOL.values())
    expected: Counter[str] = Counter()
    for s in judged.values():
        levels = [d["judgement"] for d in s["risk_of_bias"]["domains"].values()]
        expected.update(palette.ROB_SYMBOL[lv] for lv in levels)
        worst = next(lv for lv in ("high", "some_concerns", "low") if lv in levels)
        if worst == "low" and "not_assessed" in levels:
            worst = "some_concerns"  # RoB 2: low overall only when every domain is low
        expected[palette.ROB_SYMBOL[worst]] += 1  # the overall column
    # the legend shows each symbol once per panel, inside its label ("+  Low"), not as a cell
    assert symbols == expected
    for s in judged.values():
        label = safe_text(s["label"])
        assert words.count(label) == 1, label
    for sid in set(raw) - set(judged):  # protocols with nothing assessed: named, not drawn as rows
        assert safe_text(raw[sid]["label"]) not in words


def test_rob_summary_is_weighted_by_participants() -> None:
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.present.robplot import get_study_panels

    panels = {p.tool.value: p for p in get_study_panels(read_knowledge_base(DATA))}
    raw = _yaml_rob()
    rob2 = [s for s in raw.values() if s["risk_of_bias"]["tool"] == "rob2"]
    rob2 = [
        s
        for s in rob2
        if any(d["judgement"] != "not_assessed" for d in s["risk_of_bias"]["domains"].values())
    ]
    total = sum(s.get("n") or 0 for s in rob2)
    low = sum(
        s.get("n") or 0 for s in rob2 if s["risk_of_bias"]["domains"]["randomisation"]["judgement"] == "low"
    )
    summary = dict(panels["rob2"].summary())
    assert summary["D1"]["low"] == pytest.approx(100.0 * low / total)
    assert sum(summary["D1"].values()) == pytest.approx(100.0)


def test_rob_for_one_outcome_keeps_only_its_studies(tmp_path: Path) -> None:
    out = tmp_path / "rob.svg"
    result = run(["plot", "rob", "--condition", "fibromyalgia", "--outcome", "pain", "-o", str(out)])
    labels = [line.split("\t")[1] for line in result.stdout.splitlines()]
    kb, prof = read_inputs(DATA, None)
    from ldngraph.present.sof_inputs import get_outcome_studies

    ids, _ = get_outcome_studies(kb, prof, get_condition(kb, "fibromyalgia"), "pain")
    expected = {kb.study_index[s].label for s in ids if kb.study_index[s].risk_of_bias is not None}
    assert set(labels) == expected and "Smith 2011 Crohn's RCT" not in labels
    words = [t for t, _, _ in svg_texts(out)]
    assert "Risk of bias: pain in fibromyalgia" in words


# -- PRISMA ----------------------------------------------------------------------------------------


def test_prisma_box_counts_recomputed_from_the_screening_log(tmp_path: Path) -> None:
    out = tmp_path / "prisma.svg"
    run(["plot", "prisma", "-o", str(out)])
    text = " ".join(t for t, _, _ in svg_texts(out))
    log = yaml.safe_load((DATA / "screening.yaml").read_text(encoding="utf-8"))
    identified = sum(len(s["found"]) for s in log["searches"])
    records = log["records"]
    decisions = Counter(r["decision"] for r in records)
    sought = len(records) - decisions["in_graph"]
    boxes = {
        "Records identified": identified,
        "Duplicates": identified - len(records),
        "Records screened": len(records),
        "Records of studies already in the graph": decisions["in_graph"],
        "Reports sought for retrieval": sought,
        "Reports not retrieved": decisions["not_retrieved"],
        "Reports assessed for eligibility": sought - decisions["not_retrieved"],
        "Reports excluded": decisions["excluded"],
        "Reports of new included studies": decisions["included"],
        "New studies included": len({r["study"] for r in records if r["decision"] == "included"}),
    }
    for box, n in boxes.items():
        assert f"{box} (n = {n})" in text, box
    for reason, n in Counter(r["reason"] for r in records if r.get("reason")).items():
        assert f"{reason.replace('_', ' ').capitalize()} (n = {n})" in text
    by_source = Counter()
    for s in log["searches"]:
        by_source[s["source"]] += len(s["found"])
    for source, n in by_source.items():
        assert f"{safe_text(source, 90)} (n = {n})" in text
    assert "Identification via other methods" in text


def test_prisma_without_a_screening_log_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["plot", "prisma", "--data", str(EFFECTS), "-o", str(tmp_path / "p.png")]
    )
    assert result.exit_code != 0
    assert not (tmp_path / "p.png").exists()


# -- graph -----------------------------------------------------------------------------------------


def test_graph_figure_labels_every_node(tmp_path: Path) -> None:
    from ldngraph.pipeline import load
    from ldngraph.present.viz import get_drawing

    out = tmp_path / "g.svg"
    run(["plot", "graph", "--focus", "fibromyalgia", "--depth", "2", "-o", str(out)])
    words = [t for t, _, _ in svg_texts(out)]
    drawing = get_drawing(load(DATA), focus="fibromyalgia", depth=2)
    for node in drawing.nodes:
        assert safe_text(str(node["label"]), 40) in words, node["label"]


# -- every figure: formats, clipping, palette --------------------------------------------------------


def test_formats_written_by_format_option(tmp_path: Path) -> None:
    import struct

    stem = tmp_path / "prisma"
    run(["plot", "prisma", "-o", str(stem), "--format", "png", "--format", "svg", "--format", "pdf"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prisma.pdf", "prisma.png", "prisma.svg"]
    png = (tmp_path / "prisma.png").read_bytes()
    i = png.index(b"pHYs")
    x, y, unit = struct.unpack(">IIB", png[i + 4 : i + 13])
    assert unit == 1 and round(x * 0.0254) == 300 and round(y * 0.0254) == 300
    assert (tmp_path / "prisma.pdf").read_bytes().startswith(b"%PDF")
    ET.parse(tmp_path / "prisma.svg")


def _figures() -> list[tuple[str, Any]]:
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.pipeline import load
    from ldngraph.present.graph_plot import to_graph_figure
    from ldngraph.present.prisma import get_prisma_section
    from ldngraph.present.prisma_plot import to_prisma_figure
    from ldngraph.present.robplot import get_study_panels, to_rob_figure

    kb, prof = read_inputs(DATA, None)
    out: list[tuple[str, Any]] = [
        ("rob", lambda: to_rob_figure(get_study_panels(read_knowledge_base(DATA)))),
        ("prisma", lambda: to_prisma_figure(get_prisma_section(DATA).counts)),  # type: ignore[union-attr]
        ("graph", lambda: to_graph_figure(load(DATA))),
        ("graph-focus", lambda: to_graph_figure(load(DATA), focus="fibromyalgia", depth=2)),
    ]
    for cond, outcome in (("fibromyalgia", "pain"), ("major depressive disorder", "mood")):

        def forest(cond: str = cond, outcome: str = outcome) -> Any:
            summary, title, mid = get_forest_inputs(kb, prof, get_condition(kb, cond), outcome)
            return to_forest_figure(summary, title=title, mid=mid, extras=get_forest_extras(kb, summary))

        out.append((f"forest-{outcome}", forest))
    return out


@pytest.mark.parametrize(("name", "make"), _figures(), ids=[n for n, _ in _figures()])
def test_no_text_is_clipped_at_the_figure_edge(name: str, make: Any) -> None:
    assert get_overflow(make()) == (0.0, 0.0, 0.0, 0.0), name


def _simulate(colour: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, ...]:
    """Colour-vision deficiency simulation (Machado, Oliveira & Fernandes 2009, severity 1) in linear RGB."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [lin(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5)]
    return tuple(max(0.0, min(1.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix)


MACHADO = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
}


@pytest.mark.parametrize("deficiency", sorted(MACHADO))
def test_verdict_colours_stay_apart_under_colour_blindness(deficiency: str) -> None:
    colours = list(palette.VERDICT.values())
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            sa, sb = _simulate(a, MACHADO[deficiency]), _simulate(b, MACHADO[deficiency])
            assert sum((x - y) ** 2 for x, y in zip(sa, sb, strict=True)) ** 0.5 > 0.1, (a, b)


def test_one_meaning_per_colour_and_figures_use_the_palette() -> None:
    from ldngraph.present import plot, viz

    clashes = {c: m for c, m in palette.get_meanings().items() if len(m) > 1}
    assert not clashes
    assert set(plot.DIRECTION_COLOUR.values()) <= set(palette.VERDICT.values())
    assert not set(plot.DIRECTION_COLOUR.values()) & set(plot.CERTAINTY_COLOUR.values())
    assert set(viz.STATUS_COLOUR.values()) <= set(palette.VERDICT.values())
    html = (REPO / "ldngraph" / "resources" / "graph.html").read_text(encoding="utf-8")
    for status, colour in viz.STATUS_COLOUR.items():
        assert f"#card .{status} {{ color: {colour}; }}" in html


# -- sof in a terminal ---------------------------------------------------------------------------


def test_sof_text_has_no_markdown_escapes_and_md_stays_valid() -> None:
    from markdown_it import MarkdownIt

    from ldngraph.present.sof import get_sof_table
    from ldngraph.present.sof_text import HEADERS

    kb, prof = read_inputs(DATA, None)
    table = get_sof_table(kb, prof, get_condition(kb, "fibromyalgia"))
    text = run(["sof", "--condition", "fibromyalgia", "--format", "text"]).stdout
    assert "\\" not in text and "|---|" not in text
    assert text.startswith(f"Summary of findings: {table.intervention} for fibromyalgia")
    flat = " ".join(text.replace("|", " ").split())
    for row in table.rows:  # every cell's words, wrapped over lines but not escaped
        assert row.outcome_label.split()[0] in flat and row.certainty_text.split()[0] in flat
    for header in HEADERS:
        assert header.split()[0] in text
    # piped (CliRunner's stdout is no terminal): Markdown, which a CommonMark+GFM parser reads back
    md = run(["sof", "--condition", "fibromyalgia"]).stdout
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert rendered.count("<tr>") == len(table.rows) + 1
    for row in table.rows:
        assert row.outcome_label in rendered
    assert "low-dose naltrexone" in rendered and "low\\-dose" not in rendered


def _on_a_terminal(args: list[str]) -> str:
    """What a command prints with its stdout on a pseudo-terminal (a new process, the real stdout)."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import tempfile
    import time

    leader, follower = pty.openpty()
    env = os.environ | {"COLUMNS": "160", "LINES": "50"}
    cmd = [sys.executable, "-c", "from ldngraph.cli import main; main()", *args]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=follower, stderr=err, stdin=subprocess.DEVNULL, env=env)
        os.close(follower)
        out, deadline = b"", time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
        err.seek(0)
        assert proc.wait(timeout=10) == 0, err.read().decode("utf-8", "replace")
    return out.decode("utf-8").replace("\r\n", "\n")


def test_sof_defaults_to_text_on_a_terminal() -> None:
    # A real pty and the real stdout path (the CLI wraps stdout for whole writes; the wrapper must
    # still say it is a terminal), not a stand-in stream.
    screen = _on_a_terminal(["sof", "--condition", "fibromyalgia"])
    assert screen.startswith("Summary of findings: "), screen[:200]
    assert "+---" in screen and "\\" not in screen
    piped = subprocess_output(["sof", "--condition", "fibromyalgia"])
    assert piped.startswith("# Summary of findings: low\\-dose")  # Markdown when stdout is a pipe


def subprocess_output(args: list[str]) -> str:
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from ldngraph.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
