"""Federated queries (SPARQL ``SERVICE``) run only when asked for (issue 27 F12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ldngraph.errors import QueryError
from ldngraph.pipeline import load
from ldngraph.stores.query import run_query

MINI = Path(__file__).parent / "resources" / "mini"
HEAD = "# Purpose: a test.\n# Columns: s\n"


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "q.rq"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_service_is_refused_by_the_library_too(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "SELECT ?s WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?q ?r } } }",
    )
    with pytest.raises(QueryError, match=r"q\.rq: a federated query \(SERVICE\)"):
        run_query(load(MINI).graph, path)


def test_allow_service_sends_the_request(tmp_path: Path) -> None:
    """With the flag the engine goes ahead (here: nothing listens on port 9, so it fails there)."""
    path = _file(tmp_path, "SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match=r"query failed: .*Connection refused"):
        run_query(load(MINI).graph, path, allow_service=True)


def test_the_word_service_in_a_string_or_comment_is_not_a_federated_query(tmp_path: Path) -> None:
    body = '# SERVICE <http://x/> in a comment\nSELECT ?s WHERE { ?s ?p ?o FILTER(STR(?o) = "SERVICE") }'
    assert run_query(load(MINI).graph, _file(tmp_path, body)).rows == ()
