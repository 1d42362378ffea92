"""pyproject's runtime dependencies: each one is used, and the lower bounds fit what the tests need."""

from __future__ import annotations

import ast
import os
import re
import tomllib
from pathlib import Path

from Bio import Entrez

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

#: Distribution name -> the module it is imported as.
IMPORT_NAMES = {"PyYAML": "yaml", "biopython": "Bio"}
#: Dependencies that are needed without being imported by name, and why.
INDIRECT = {"scipy": "networkx's kamada_kawai_layout (viz) imports it"}


def _requirements() -> dict[str, str]:
    out = {}
    for spec in PYPROJECT["project"]["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
        assert match, spec
        out[match[1]] = match[2]
    return out


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "ldngraph").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_every_runtime_dependency_is_imported() -> None:
    imported = _imported_modules()
    unused = [
        name
        for name in _requirements()
        if name not in INDIRECT and IMPORT_NAMES.get(name, name).lower() not in {m.lower() for m in imported}
    ]
    assert unused == [], f"dependencies nothing in ldngraph/ imports: {unused}; remove them from pyproject"


def test_oxrdflib_is_not_a_dependency() -> None:
    assert "oxrdflib" not in _requirements()


def test_biopython_bound_ships_the_pubmed_dtd_the_tests_use() -> None:
    # tests/test_pubmed.py validates fixtures against DTDs/pubmed_250101.dtd, bundled from 1.88 on
    # (per the design field notes); the installed version must have it, and the bound must say so.
    assert _requirements()["biopython"] == ">=1.88"
    assert os.path.isfile(os.path.join(os.path.dirname(Entrez.__file__), "DTDs", "pubmed_250101.dtd"))
