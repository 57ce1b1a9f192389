"""Webhooks: signed events (Standard Webhooks) for finished jobs and connection problems, retried with
Retry-After honoured and never lost, over real HTTP with the simulator on both databases."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from simulator.faults import Faults
from tests.onboarding.conftest import connected, new_onboarding
from tests.support.servers import LiveServer, start_server

RAW = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


class Receiver:
    """A webhook endpoint on a real port: records each POST; ``answers`` scripts the status codes."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    code, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def wait_for(
        self, check: Callable[[list[dict[str, Any]]], bool], timeout: float = 20
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                events = [json.loads(body) for _, body in self.calls]
            if check(events):
                return events
            time.sleep(0.1)
        raise AssertionError(f"no such event arrived: {events}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def _of(kind: str, job_id: str | None = None) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: any(
        e["type"] == kind and (job_id is None or e["data"].get("jobId") == job_id) for e in events
    )


def test_a_finished_job_is_announced_signed_and_retried_after_retry_after(
    live_server: LiveServer, receiver: Receiver
) -> None:
    onboarding = connected(live_server)
    put = onboarding.api.put(onboarding.url("/webhook"), json={"url": receiver.url})
    assert put.status_code == 200, put.text
    secret = put.json()["secret"]
    assert secret.startswith("whsec_")
    shown = onboarding.api.get(onboarding.url("/webhook")).json()
    assert shown["url"] == receiver.url and shown["secret"] is None
    assert "job.succeeded" in shown["events"] and "connection.problem" in shown["events"]

    receiver.answers = [(503, {"Retry-After": "1"})]
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    assert onboarding.sync().ok
    events = receiver.wait_for(lambda evs: sum(_of("job.succeeded", job_id)([e]) for e in evs) >= 2)
    mine = [(h, b) for h, b in receiver.calls if json.loads(b)["data"].get("jobId") == job_id]
    assert len(mine) == 2  # refused once (503), delivered on the retry, then never again
    assert mine[0][0]["webhook-id"] == mine[1][0]["webhook-id"]
    headers, body = mine[1]
    event = Webhook(secret).verify(body, headers)  # raises when the signature is wrong
    assert event["type"] == "job.succeeded"
    assert event["data"]["status"] == "succeeded" and event["data"]["error"] is None
    assert event["data"]["tenantId"] == onboarding.tenant_id
    time.sleep(1.5)
    assert len([1 for _, b in receiver.calls if json.loads(b)["data"].get("jobId") == job_id]) == 2
    assert events


def test_a_failed_job_and_a_connection_problem_carry_the_plain_language_error(
    live_server: LiveServer, receiver: Receiver
) -> None:
    onboarding = connected(live_server)
    secret = onboarding.api.put(onboarding.url("/webhook"), json={"url": receiver.url}).json()["secret"]
    job_id = onboarding.api.post(onboarding.url("/setup/test-access")).json()["jobId"]
    onboarding.sync(faults=Faults(read_only=True))
    events = receiver.wait_for(_of("job.failed", job_id))
    failed = next(e for e in events if e["type"] == "job.failed")
    assert "permission" in failed["data"]["error"]
    # QuickBooks is opened only when there is work.
    onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW})
    onboarding.sync(faults=Faults(deny_access=True))
    events = receiver.wait_for(_of("connection.problem"))
    problem = next(e for e in events if e["type"] == "connection.problem")
    assert "Integrated Applications" in problem["data"]["error"]
    for headers, body in receiver.calls:
        Webhook(secret).verify(body, headers)


def test_bad_webhook_urls_are_refused_and_delete_stops_events(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server)
    for url in ("ftp://example.com/x", "example.com/events", "https://user:pw@example.com/x"):
        refused = onboarding.api.put(onboarding.url("/webhook"), json={"url": url})
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["detail"][0]["loc"] == ["body", "url"]
    refused = onboarding.api.put(
        onboarding.url("/webhook"), json={"url": "https://example.com/x", "secret": "x" * 30}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "secret"]
    assert onboarding.api.get(onboarding.url("/webhook")).status_code == 404
    assert (
        onboarding.api.put(onboarding.url("/webhook"), json={"url": "https://example.com/x"}).status_code
        == 200
    )
    assert onboarding.api.delete(onboarding.url("/webhook")).status_code == 204
    assert onboarding.api.get(onboarding.url("/webhook")).status_code == 404
    assert onboarding.api.delete(onboarding.url("/webhook")).status_code == 204
    assert (
        onboarding.api.put("/api/v1/tenants/nope/webhook", json={"url": "https://example.com/x"}).status_code
        == 404
    )


def test_private_webhook_addresses_are_refused_when_the_service_runs_on_https(
    tmp_path: Path, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, tmp_path, extra_env={"QBBRIDGE_PUBLIC_URL": "https://qb.example.com"})
    try:
        tenant = server.client.post("/api/v1/tenants", json={"name": "Https"}).json()["id"]
        for url in ("http://127.0.0.1:9/x", "https://10.1.2.3/x", "https://localhost/x", "http://[::1]/x"):
            refused = server.client.put(f"/api/v1/tenants/{tenant}/webhook", json={"url": url})
            assert refused.status_code == 422, (url, refused.text)
            assert "private or local" in refused.json()["detail"][0]["msg"]
        ok = server.client.put(
            f"/api/v1/tenants/{tenant}/webhook", json={"url": "https://93.184.216.34/events"}
        )
        assert ok.status_code == 200
    finally:
        server.stop()
