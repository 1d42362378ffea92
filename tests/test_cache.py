"""The PubMed record cache (ldngraph/ingest/cache.py): a damaged file is reported, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ldngraph.errors import PubMedError
from ldngraph.ingest.cache import CACHE_FORMAT, PubMedCache
from ldngraph.ingest.pubmed import PubMedRecord


def test_round_trip(tmp_path: Path) -> None:
    cache = PubMedCache(tmp_path)
    record = PubMedRecord(pmid="111", title="A fixture", year=2020)
    cache.put(record, source="test")
    assert cache.get("111") == record and cache.get("222") is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff", "not UTF-8 at byte 0"),
        (b'{"format": 1, "record": {"pmid": "111", "title": "caf\xe9"}}', "not UTF-8 at byte 53"),
        (b"{not json", "Expecting property name"),
        (json.dumps({"format": CACHE_FORMAT}).encode(), "'record'"),
        (
            json.dumps({"format": CACHE_FORMAT, "record": {"pmid": "1x"}}).encode(),
            "pmid: PMID '1x' must be digits only",
        ),
    ],
)
def test_damaged_file_says_delete_and_fetch_again(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "111.json").write_bytes(content)
    with pytest.raises(PubMedError) as err:
        PubMedCache(tmp_path).get("111")
    message = str(err.value)
    assert message.startswith(str(tmp_path / "111.json")) and "\n" not in message
    assert problem in message and message.endswith("delete it and fetch again")


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "111.json").mkdir()  # reading a directory fails like an unreadable file
    with pytest.raises(PubMedError, match=r"111\.json: cannot read the cached record"):
        PubMedCache(tmp_path).get("111")
