"""A local stand-in for the ClinicalTrials.gov API v2 (``GET /api/v2/studies``) for offline tests.

Replies use the real JSON layout: ``studies`` (each with ``protocolSection`` holding
``identificationModule``, ``statusModule``, ``conditionsModule``, ``designModule``,
``armsInterventionsModule``; ``resultsSection`` and ``hasResults``), ``nextPageToken`` while more
pages follow, and ``totalCount`` when ``countTotal=true``. The server pages at most ``page_size``
studies whatever the client asks (so paging is exercised), honours ``filter.advanced`` of the form
``AREA[LastUpdatePostDate]RANGE[YYYY-MM-DD,MAX]``, injects faults from a plan (429 with a
Retry-After, 500, a reply slower than the client's timeout) and logs every request.
Study content is invented (NCT999999xx, titles saying Fixture).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def fake_study(
    nct: str,
    *,
    title: str,
    status: str = "RECRUITING",
    last_update: str = "2025-01-10",
    conditions: tuple[str, ...] = ("Fibromyalgia",),
    allocation: str = "RANDOMIZED",
    masking: str = "QUADRUPLE",
    enrollment: int = 60,
    phases: tuple[str, ...] = ("PHASE2",),
    completion: str = "2026-06-30",
    results_posted: str | None = None,
) -> dict[str, Any]:
    status_module: dict[str, Any] = {
        "statusVerifiedDate": last_update[:7],
        "overallStatus": status,
        "startDateStruct": {"date": "2024-01-15", "type": "ACTUAL"},
        "completionDateStruct": {"date": completion, "type": "ESTIMATED"},
        "studyFirstPostDateStruct": {"date": "2024-01-02", "type": "ACTUAL"},
        "lastUpdatePostDateStruct": {"date": last_update, "type": "ACTUAL"},
    }
    study: dict[str, Any] = {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct,
                "orgStudyIdInfo": {"id": f"FIXTURE-{nct[-2:]}"},
                "briefTitle": title,
                "officialTitle": f"{title}: a Fixture Protocol",
            },
            "statusModule": status_module,
            "conditionsModule": {"conditions": list(conditions), "keywords": ["fixture"]},
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": list(phases),
                "designInfo": {
                    "allocation": allocation,
                    "interventionModel": "PARALLEL",
                    "primaryPurpose": "TREATMENT",
                    "maskingInfo": {"masking": masking},
                },
                "enrollmentInfo": {"count": enrollment, "type": "ESTIMATED"},
            },
            "armsInterventionsModule": {
                "interventions": [
                    {"type": "DRUG", "name": "Naltrexone", "description": "4.5 mg once daily (fixture)"},
                    {"type": "DRUG", "name": "Placebo"},
                ]
            },
        },
        "hasResults": results_posted is not None,
    }
    if results_posted is not None:
        status_module["resultsFirstPostDateStruct"] = {"date": results_posted, "type": "ACTUAL"}
        study["resultsSection"] = {"participantFlowModule": {"recruitmentDetails": "fixture"}}
    return study


@dataclass
class FakeRegistry:
    studies: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    faults: list[object] = field(default_factory=list)  # per request: None, 429, 500, "slow"
    retry_after: str = "0"
    slow_seconds: float = 1.5
    log: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, params: dict[str, str]) -> dict[str, Any]:
        chosen = self.studies
        match = re.fullmatch(
            r"AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]", params.get("filter.advanced", "")
        )
        if "filter.advanced" in params and not match:
            raise ValueError("unsupported filter.advanced")
        if match:
            since = match[1]
            chosen = [
                s
                for s in chosen
                if str(
                    s.get("protocolSection", {})
                    .get("statusModule", {})
                    .get("lastUpdatePostDateStruct", {})
                    .get("date", "")
                )
                >= since
            ]
        start = int(params.get("pageToken", "tok0").removeprefix("tok"))
        size = min(int(params.get("pageSize", "10")), self.page_size)
        page = chosen[start : start + size]
        out: dict[str, Any] = {"studies": page}
        if start + size < len(chosen):
            out["nextPageToken"] = f"tok{start + size}"
        if params.get("countTotal") == "true":
            out["totalCount"] = len(chosen)
        return out


def _handler(state: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with state.lock:
                fault = state.faults.pop(0) if state.faults else None
                state.log.append(params)
            if fault == "slow":
                time.sleep(state.slow_seconds)
            status = fault if isinstance(fault, int) else 200
            if parts.path.rstrip("/") != "/api/v2/studies":
                status = 404
            with state.lock:
                state.statuses.append(status)
            try:
                if status != 200:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", state.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"message": "injected failure"}')
                    return
                body = json.dumps(state.reply(params)).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def serve(state: FakeRegistry) -> Iterator[FakeRegistry]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v2/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
