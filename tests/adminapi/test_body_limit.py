"""The admin API's request size limit: checked before the body is read and before the API key, as a
413 naming the limit, for a declared length and for a chunked body alike. /qbwc keeps its own."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.foundation.helpers import new_tenant
from tests.support.servers import LiveServer, serving

DEFAULT_LIMIT = 10 * 1024 * 1024


def _host_port(server: LiveServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def _read_response(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_a_declared_length_over_the_limit_is_413_before_any_byte_or_key_is_read(live_server: LiveServer) -> None:
    host, port = _host_port(live_server)
    with socket.create_connection((host, port)) as sock:
        # 100 MB announced, not one byte of it sent, no API key: the answer comes at once.
        sock.sendall(
            b"POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"10485760 bytes (10 MiB)" in answer and b"QBBRIDGE_MAX_API_BODY_BYTES" in answer
    assert b"connection: close" in answer.lower()


def test_just_under_the_limit_is_read_as_usual(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    filler = "x" * (DEFAULT_LIMIT - 200)
    body = f'{{"qbxml": "{filler}"}}'.encode()
    assert len(body) < DEFAULT_LIMIT
    response = admin.post(f"/api/v1/tenants/{tenant.id}/qbxml", content=body, headers={"Content-Type": "application/json"})
    # Read and judged on its content (not qbXML), not refused for its size.
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "qbxml"]


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


def test_a_chunked_body_is_refused_when_it_passes_the_limit(live_server: LiveServer) -> None:
    anonymous = httpx.Client(base_url=live_server.base_url, timeout=30)
    response = anonymous.post(
        "/api/v1/tenants", content=_chunks(DEFAULT_LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "10485760 bytes" in response.json()["detail"]
    # And with a key, at the same point: the key is never what decides.
    response = live_server.client.post(
        "/api/v1/tenants", content=_chunks(DEFAULT_LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_a_100_mb_chunked_body_without_a_key_does_not_grow_the_server(live_server: LiveServer) -> None:
    process = psutil.Process(live_server.process.pid)
    servers = [process, *process.children(recursive=True)]
    before = sum(p.memory_info().rss for p in servers)
    host, port = _host_port(live_server)
    refused_at = None
    with socket.create_connection((host, port)) as sock:
        sock.sendall(
            b"POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b" " * 1024 * 1024)
        sent = 0
        try:
            for _ in range(100):
                sock.sendall(chunk)
                sent += 1
        except OSError:
            refused_at = sent
        answer = _read_response(sock) if refused_at is None else b""
    time.sleep(0.5)
    after = sum(p.memory_info().rss for p in servers)
    assert answer.startswith(b"HTTP/1.1 413") or refused_at is not None
    assert refused_at is None or refused_at < 100
    assert after - before < 40 * 1024 * 1024, f"the server grew by {(after - before) / 1e6:.0f} MB"
    assert httpx.get(live_server.base_url + "/healthz").status_code == 200


@pytest.fixture(scope="module")
def small_limit_server(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serving(
        sqlite_url, tmp_path_factory.mktemp("small-limit"), extra_env={"QBBRIDGE_MAX_API_BODY_BYTES": "4096"}
    )


def test_the_limit_is_configurable_and_leaves_the_web_connector_endpoint_alone(small_limit_server: LiveServer) -> None:
    admin = small_limit_server.client
    tenant = new_tenant(admin)
    body = {"qbxml": "x" * 5000}
    refused = admin.post(f"/api/v1/tenants/{tenant.id}/qbxml", json=body)
    assert refused.status_code == 413 and "4096 bytes" in refused.json()["detail"]
    under = admin.post(f"/api/v1/tenants/{tenant.id}/qbxml", json={"qbxml": "x" * 3000})
    assert under.status_code == 422  # read: not qbXML
    # A SOAP request larger than the admin API's limit still reaches the Web Connector endpoint.
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soap:Body><serverVersion xmlns="http://developer.intuit.com/"/>'
        f"<!-- {'p' * 8000} --></soap:Body></soap:Envelope>"
    )
    soap = httpx.post(
        small_limit_server.qbwc_url,
        content=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://developer.intuit.com/serverVersion"'},
    )
    assert soap.status_code == 200, soap.text
    assert "serverVersionResult" in soap.text


def test_the_openapi_document_says_so(live_server: LiveServer) -> None:
    spec = httpx.get(live_server.base_url + "/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], (method, path)
