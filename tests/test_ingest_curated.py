"""Curated YAML loader: messages name file, line, record and field; all problems in one pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ldngraph.errors import DataError
from ldngraph.ingest.curated import read_knowledge_base

Edit = Callable[[str, str, str], Path]


def _problems(data_dir: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        read_knowledge_base(data_dir)
    return list(info.value.problems)


def test_reads_fixture(mini_dir: Path) -> None:
    kb = read_knowledge_base(mini_dir)
    assert {c.id for c in kb.claims} == {"ldn-pain", "ldn-microglia", "microglia-fibro"}
    assert kb.study_index["trial-a"].n == 40


def test_misspelled_design(edit: Edit) -> None:
    data = edit("studies.yaml", "design: rct", "design: rtc")
    (line,) = _problems(data)
    assert line.startswith(f"{data / 'studies.yaml'}:4: study 'trial-a': design 'rtc' is not one of ")
    assert "rct, crossover_rct" in line


def test_statement_key_must_be_a_slug(edit: Edit) -> None:
    """A source statement's key becomes part of an IRI: spaces or angle brackets are refused."""
    data = edit("sources.yaml", "- key: pain", '- key: "pain <b>"')
    (line,) = _problems(data)
    assert f"{data / 'sources.yaml'}:" in line and "statements.0.key: 'pain <b>' is not a valid id" in line


def test_dangling_study_reference(edit: Edit) -> None:
    data = edit("claims.yaml", "- study: trial-b", "- study: trial-x")
    (line,) = _problems(data)
    assert f"{data / 'claims.yaml'}:" in line
    assert "claim 'ldn-pain': evidence[1].study: unknown study 'trial-x'" in line


def test_claim_without_evidence(edit: Edit) -> None:
    data = edit(
        "claims.yaml",
        "    evidence:\n      - study: cells-c\n        direction: supports\n",
        "    evidence: []\n",
    )
    (line,) = _problems(data)
    assert line == (
        f"{data / 'claims.yaml'}:21: claim 'ldn-microglia': evidence: "
        "a claim needs at least one evidence item (no citation, no edge)"
    )


def test_all_problems_in_one_pass(edit: Edit) -> None:
    edit("studies.yaml", "n: 40", "n: -3")
    data = edit("studies.yaml", "design: crossover_rct", "design: crossover")
    problems = _problems(data)
    assert len(problems) == 2
    assert "study 'trial-a': n: Input should be greater than or equal to 1 (got -3)" in problems[0]
    assert "study 'trial-b': design 'crossover' is not one of" in problems[1]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("studies.yaml", "n: 40", "n: forty", "n: Input should be a valid integer"),
        ("studies.yaml", "    label: Trial B\n", "", "study 'trial-b': label: required field is missing"),
        ("entities.yaml", "id: CL:0000129", "id: XX:0000129", "unknown prefix 'XX'"),
        ("entities.yaml", "id: MESH:D005356", "id: CL:0000129", "duplicate id 'CL:0000129'"),
        ("publications.yaml", 'pmid: "111"', 'pmid: "11x"', "PMID '11x' must be digits only"),
        ("studies.yaml", "publications: [PMID:111]", "publications: [PMID:999]", "unknown publication"),
        ("claims.yaml", "subject: CHEBI:7465", "subject: CHEBI:1", "unknown entity 'CHEBI:1'"),
        ("studies.yaml", "    n: 40\n", "    n: 40\n    colour: red\n", "colour: unknown field"),
        ("studies.yaml", "studies:", "studes:", "expected a mapping with the key 'studies:'"),
        ("claims.yaml", "statement: LDN reduces", "statement: [LDN reduces", "YAML syntax error"),
    ],
)
def test_bad_records(edit: Edit, name: str, old: str, new: str, expected: str) -> None:
    data = edit(name, old, new)
    problems = _problems(data)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(data)) for p in problems)


def test_empty_file(mini_copy: Path) -> None:
    (mini_copy / "claims.yaml").write_text("", encoding="utf-8")
    assert _problems(mini_copy) == [
        f"{mini_copy / 'claims.yaml'}: file is empty; expected a mapping with the key 'claims:'"
    ]


def test_non_utf8(mini_copy: Path) -> None:
    (mini_copy / "entities.yaml").write_bytes(b"entities:\n  - id: \xff\xfe\n")
    (line,) = _problems(mini_copy)
    assert "not valid UTF-8 (byte offset" in line


def test_missing_file_and_directory(mini_copy: Path, tmp_path: Path) -> None:
    (mini_copy / "studies.yaml").unlink()
    assert any("studies.yaml: missing" in p for p in _problems(mini_copy))
    assert "data directory not found" in _problems(tmp_path / "nope")[0]


def test_shipped_data_loads() -> None:
    kb = read_knowledge_base(Path(__file__).resolve().parent.parent / "data")
    assert kb.claims and kb.studies
