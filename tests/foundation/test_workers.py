"""``qbbridge serve --workers N``: one socket per worker on a shared port, supervised.

The Web Connector holds one connection for a whole session, so these tests look at where
connections land (each worker's own sockets, read from ``/proc``), what happens when a worker dies,
and how the command stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qbbridge.workers import reuse_port_supported
from tests.support.servers import LiveServer, free_port, start_server

pytestmark = pytest.mark.skipif(
    not reuse_port_supported() or not Path("/proc/net/tcp").exists(),
    reason="per-worker sockets need Linux (SO_REUSEPORT and /proc)",
)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # The fourth field of /proc/<pid>/stat, after the parenthesised command name, is the parent.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def _workers(server: LiveServer, count: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = _children(server.process.pid)
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} workers, found {_children(server.process.pid)}")


ESTABLISHED = "01"
LISTEN = "0A"


def _sockets_on(port: int, state: str) -> set[int]:
    """Inodes of this machine's TCP sockets on local ``port`` in ``state`` (``/proc/net/tcp``)."""
    found: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(int(fields[9]))
    return found


def _wait_until_listening(pids: list[int], port: int, timeout: float = 60) -> None:
    """A worker counts once its own socket listens: it may still be starting after the first answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listening = _sockets_on(port, LISTEN)
        if all(_socket_inodes(pid) & listening for pid in pids):
            return
        time.sleep(0.1)
    raise AssertionError(f"not every worker of {pids} listens on port {port}")


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _ask_health(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection"
        data += chunk
    return data


@pytest.fixture
def two_workers(tmp_path: Path) -> LiveServer:
    server = start_server(f"sqlite:///{tmp_path / 'qbbridge.db'}", tmp_path, workers=2)
    yield server
    server.stop()


def test_connections_are_spread_over_every_worker(two_workers: LiveServer) -> None:
    workers = _workers(two_workers, 2)
    port = int(two_workers.base_url.rsplit(":", 1)[1])
    _wait_until_listening(workers, port)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    try:
        for client in clients:
            assert _ask_health(client).startswith(b"HTTP/1.1 200")
        established = _sockets_on(port, ESTABLISHED)
        per_worker = {pid: len(_socket_inodes(pid) & established) for pid in workers}
        # The kernel hashes each connection to one worker's socket: with 40 connections, a worker
        # left with none happens once in 2^39 runs.
        assert sum(per_worker.values()) == 40, per_worker
        assert all(count > 0 for count in per_worker.values()), per_worker
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_replaced(two_workers: LiveServer) -> None:
    first, second = _workers(two_workers, 2)
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = _children(two_workers.process.pid)
        if len(pids) == 2 and first not in pids:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"worker {first} was not replaced: {_children(two_workers.process.pid)}")
    assert second in pids
    # The new worker takes its share of the port again, and the service answers throughout.
    _wait_until_listening(pids, int(two_workers.base_url.rsplit(":", 1)[1]))
    for _ in range(20):
        assert httpx.get(two_workers.base_url + "/healthz", timeout=10).status_code == 200
    assert "starting another" in two_workers.log_text()


def test_sigterm_stops_every_worker(two_workers: LiveServer) -> None:
    workers = _workers(two_workers, 2)
    two_workers.process.send_signal(signal.SIGTERM)
    assert two_workers.process.wait(timeout=30) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_a_worker_does_not_outlive_a_killed_supervisor(two_workers: LiveServer) -> None:
    workers = _workers(two_workers, 2)
    two_workers.process.kill()
    two_workers.process.wait(timeout=10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def _serve_with_two_workers(port: int, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QBBRIDGE_DATABASE_URL": f"sqlite:///{workdir / 'second.db'}",
        "QBBRIDGE_ADMIN_API_KEY": "test-admin-key",
    }
    return subprocess.run(
        [sys.executable, "-m", "qbbridge.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_taken_port_stops_the_command_with_a_clear_error(tmp_path: Path) -> None:
    port = free_port()
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        result = _serve_with_two_workers(port, tmp_path)
    finally:
        holder.close()
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_second_service_does_not_join_a_running_one_on_its_port(
    two_workers: LiveServer, tmp_path: Path
) -> None:
    # Its workers' sockets share the port among themselves; a second service must not join them.
    port = int(two_workers.base_url.rsplit(":", 1)[1])
    _wait_until_listening(_workers(two_workers, 2), port)
    result = _serve_with_two_workers(port, tmp_path)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert httpx.get(two_workers.base_url + "/healthz", timeout=10).status_code == 200
