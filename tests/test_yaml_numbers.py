"""YAML 1.1 numbers nobody meant, and merge keys, refused by both YAML parsers (issue 27 F20):
PyYAML's pure-Python loader and libyaml's (CSafeLoader, used where PyYAML has it)."""

from __future__ import annotations

import pytest
import yaml

from ldngraph.ingest import curated

LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("n: 190:20:30\n", "base-60"),
        ("x: 1:30.5\n", "base-60"),
        ("x: .inf\n", "not a finite number"),
        ("x: -.Inf\n", "not a finite number"),
        ("x: .NaN\n", "not a finite number"),
        ("x: 1.0e400\n", "infinity"),
        ("x: 1e400\n", "infinity"),
        ("a: {<<: {b: 1}, c: 2}\n", "merge keys"),
    ],
)
def test_refused(loader: type, text: str, problem: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(curated, "_LOADER", loader)
    problems: list[str] = []
    assert curated.parse_yaml(text.encode(), "f.yaml", problems) == (None, None)
    assert len(problems) == 1 and problems[0].startswith("f.yaml:1: ") and problem in problems[0], problems


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "text", ['t: "190:20:30"\n', "t: '.inf'\n", "x: 1.5e30\n", "t: 12:30 pm\n", "n: 40\n"]
)
def test_left_alone(loader: type, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(curated, "_LOADER", loader)
    problems: list[str] = []
    data, _ = curated.parse_yaml(text.encode(), "f.yaml", problems)
    assert problems == [] and data is not None
