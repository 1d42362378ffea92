"""Shared fixtures: the tiny data set in tests/resources/mini and copies of it to break."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

RESOURCES = Path(__file__).parent / "resources"
MINI = RESOURCES / "mini"
REPO = Path(__file__).resolve().parent.parent

# The build cache stays off in the suite (tests edit data and patch the engine between commands);
# tests/test_buildcache.py turns it on, in a temporary XDG_CACHE_HOME. Subprocesses inherit this.
os.environ.setdefault("LDNGRAPH_NO_CACHE", "1")


@pytest.fixture
def mini_dir() -> Path:
    """The tiny, valid fixture data directory (read-only use)."""
    return MINI


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture data directory."""
    target = tmp_path / "data"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def edit(mini_copy: Path) -> Callable[[str, str, str], Path]:
    """Replace text in one file of the writable fixture copy; returns the data directory."""

    def _edit(name: str, old: str, new: str) -> Path:
        path = mini_copy / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture text {old!r} not found in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return mini_copy

    return _edit
