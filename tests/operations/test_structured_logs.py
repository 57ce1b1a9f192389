"""The log as an operator's tools read it: one JSON object per line from every logger (qbbridge,
uvicorn and its access log, alembic), each request's X-Request-ID taken or made and returned, the
tenant, job and Web Connector session on the lines they concern; lines for people on request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from db import secrets as secret_values
from qbbridge.logs import MAX_RECORD_CHARS, configure_logging, formatter
from qbbridge.metered import SESSION_ID_CHARS
from tests.foundation.helpers import new_tenant, queue_raw
from tests.support.logs import log_a_huge_failure
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import WebConnectorClient


@pytest.fixture(scope="module")
def json_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("json-log")
    # Its log is a file, not a terminal: JSON without being asked.
    server = start_server(f"sqlite:///{workdir / 'qb.db'}", workdir, extra_env={"QBBRIDGE_LOG_LEVEL": "info"})
    yield server
    server.stop()


def log_records(server: LiveServer) -> list[dict[str, Any]]:
    """Every log line as JSON (the lines ``serve`` prints on stdout before it listens aside)."""
    records = []
    for line in server.log_raw().splitlines():
        if line.startswith("qbbridge: ") or not line.strip():
            continue
        records.append(json.loads(line))  # fails on any line that is not one JSON object
    return records


def test_every_log_line_is_one_json_object_from_every_logger(json_server: LiveServer) -> None:
    WebConnectorClient(json_server.qbwc_url).server_version()
    records = log_records(json_server)
    loggers = {record["logger"] for record in records}
    # The server's own start, the schema upgrade and the access log, all in one format.
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, loggers
    assert any(name.startswith("alembic") for name in loggers), loggers
    for record in records:
        assert {"timestamp", "level", "logger", "event"} <= record.keys(), record
        assert record["timestamp"].endswith("Z")


def test_a_request_id_is_taken_returned_and_on_its_access_line(json_server: LiveServer) -> None:
    given = "proxy-7f3a-0001"
    response = json_server.client.get("/api/v1/tenants", headers={"X-Request-ID": given})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == given
    made = json_server.client.get("/api/v1/tenants").headers["x-request-id"]
    assert len(made) == 32 and made != given
    # An unusable one (longer than 128 characters) is replaced, and never written to the log.
    unusable = "not-usable-" + "x" * 200
    replaced = json_server.client.get("/api/v1/tenants", headers={"X-Request-ID": unusable})
    assert replaced.headers["x-request-id"] != unusable and len(replaced.headers["x-request-id"]) == 32
    WebConnectorClient(json_server.qbwc_url).server_version()
    access = [r for r in log_records(json_server) if r["logger"] == "uvicorn.access"]
    ids = {r.get("request_id") for r in access if "/api/v1/tenants" in r["event"]}
    assert {given, made, replaced.headers["x-request-id"]} <= ids
    assert unusable not in json_server.log_raw()
    # The Web Connector's calls get one too.
    assert all(r.get("request_id") for r in access if "/qbwc" in r["event"])


def test_tenant_job_and_session_are_on_the_lines_they_concern(json_server: LiveServer) -> None:
    tenant = new_tenant(json_server.client)
    job_id = queue_raw(json_server.client, tenant.id)
    assert json_server.client.get(f"/api/v1/jobs/{job_id}").status_code == 200
    assert json_server.client.get(f"/api/v1/tenants/{tenant.id}/jobs").status_code == 200
    wc = WebConnectorClient(json_server.qbwc_url)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.connection_error(ticket, "0x80040408", "Could not start QuickBooks.")
    wc.close_connection(ticket)
    WebConnectorClient(json_server.qbwc_url).server_version()
    records = log_records(json_server)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    job_line = next(r for r in access if f"/api/v1/jobs/{job_id}" in r["event"])
    assert job_line["job_id"] == job_id
    tenant_line = next(r for r in access if f"/api/v1/tenants/{tenant.id}/jobs" in r["event"])
    assert tenant_line["tenant_id"] == tenant.id
    session = secret_values.digest(ticket)[:SESSION_ID_CHARS]
    session_lines = [r for r in records if r.get("wc_session") == session]
    assert session_lines, "the connectionError warning names its session"
    assert all(r["logger"].startswith("qbbridge") for r in session_lines)
    assert ticket not in json_server.log_text()
    assert tenant.token not in json_server.log_text()


def test_probes_stay_out_of_the_access_log(json_server: LiveServer) -> None:
    for _ in range(3):
        assert httpx.get(json_server.base_url + "/healthz").status_code == 200
        httpx.get(json_server.base_url + "/readyz")
    WebConnectorClient(json_server.qbwc_url).server_version()
    events = [r["event"] for r in log_records(json_server) if r["logger"] == "uvicorn.access"]
    assert not [e for e in events if "/healthz" in e or "/readyz" in e]


def test_the_console_format_is_for_people(tmp_path: Path) -> None:
    server = start_server(
        f"sqlite:///{tmp_path / 'qb.db'}",
        tmp_path,
        extra_env={"QBBRIDGE_LOG_LEVEL": "info", "QBBRIDGE_LOG_FORMAT": "console"},
    )
    try:
        server.client.get("/api/v1/tenants", headers={"X-Request-ID": "console-check-1"})
        WebConnectorClient(server.qbwc_url).server_version()
        lines = [line for line in server.log_raw().splitlines() if "console-check-1" in line]
    finally:
        server.stop()
    assert lines
    assert not lines[0].startswith("{")
    assert "[info" in lines[0] and "request_id=console-check-1" in lines[0]


def test_a_json_line_with_a_huge_message_and_traceback_stays_valid_and_bounded(tmp_path: Path) -> None:
    written = log_a_huge_failure(
        tmp_path / "log.jsonl", formatter("json"), "qbbridge.tests.json", tenant_id="t" * 10_000
    )
    (line,) = written.splitlines()
    assert len(line) <= MAX_RECORD_CHARS
    record = json.loads(line)
    assert record["event"].startswith("failed with aaa") and "characters left out" in record["event"]
    assert "ValueError" in record["exception"]


def test_configure_logging_gives_every_handler_the_format() -> None:
    handler = logging.StreamHandler()
    named = logging.getLogger("qbbridge.tests.handler")
    named.addHandler(handler)
    # Every handler of this process gets the format: pytest's own are put back as they were after.
    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    saved = {h: h.formatter for logger in loggers for h in logger.handlers}
    level = logging.getLogger().level
    try:
        configure_logging("info", "json")
        assert getattr(handler.formatter, "qbbridge_format", None) == "json"
        configure_logging("info", "console")
        assert getattr(handler.formatter, "qbbridge_format", None) == "console"
    finally:
        named.removeHandler(handler)
        for each, formatter_before in saved.items():
            each.setFormatter(formatter_before)
        logging.getLogger().setLevel(level)
