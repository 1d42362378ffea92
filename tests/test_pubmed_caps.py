"""An E-utilities reply is bounded like a file (issue 27 F6): records per reply, and bytes and
elements per record, are checked while the reply is parsed (efetch parses it as a stream)."""

from __future__ import annotations

import io

import pytest
from test_bad_inputs_r3 import _meshy, _records

from ldngraph.ingest.pubmed import iter_pubmed_xml
from ldngraph.limits import LimitError


def test_reply_with_too_many_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDNGRAPH_MAX_RECORDS", "10")
    with pytest.raises(
        LimitError, match="efetch reply for 30 PMIDs: more than the limit LDNGRAPH_MAX_RECORDS=10"
    ):
        list(iter_pubmed_xml(io.BytesIO(_records(30)), name="efetch reply for 30 PMIDs"))
    monkeypatch.setenv("LDNGRAPH_MAX_RECORDS", "30")
    assert len(list(iter_pubmed_xml(io.BytesIO(_records(30)), name="reply"))) == 30


def test_reply_with_a_record_of_too_many_elements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDNGRAPH_MAX_RECORD_ELEMENTS", "1000")
    with pytest.raises(
        LimitError, match=r"reply: record 1: more than the limit LDNGRAPH_MAX_RECORD_ELEMENTS"
    ):
        list(iter_pubmed_xml(io.BytesIO(_meshy(3000)), name="reply"))
    (record,) = iter_pubmed_xml(io.BytesIO(_meshy(300)), name="reply")
    assert len(record.mesh_headings) == 300
