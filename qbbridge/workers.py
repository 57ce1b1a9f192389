"""Worker processes for ``qbbridge serve --workers N``: each with a listening socket of its own.

A Web Connector keeps one connection open for a whole session, so the way connections are handed
out decides the way the work is shared. With one listening socket shared by every worker (uvicorn's
own multi-process mode), the worker that wakes first accepts every connection waiting at that moment
(asyncio accepts up to a hundred per wake-up): a burst of sessions lands on one process while the
others sit idle, and that process's sessions wait on each other. Here, on Linux, each worker binds its
own socket to the same port with ``SO_REUSEPORT``, and the kernel spreads new connections across the
sockets by a hash of their addresses. Where the option is missing, uvicorn's shared socket is used.

The parent process only supervises: a worker that dies is replaced, SIGINT or SIGTERM stops every
worker gracefully (uvicorn finishes the requests in progress), and a worker that cannot start
(the port taken, the application failing to load) stops the whole command with an error.

``qbbridge serve`` claims the port (``claim_port``) before it says it listens: a port in use stops it
with one line, before anything else. With one worker, that very socket is the one served.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import TYPE_CHECKING, Any

from qbbridge.logs import configure_logging
from qbbridge.metrics_dir import mark_worker_dead, multiprocess_metrics, single_process_metrics

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("qbbridge.workers")

APP = "qbbridge.app:app_from_env"
# Each connection counts its own Web Connector calls (qbbridge/connections.py).
HTTP_PROTOCOL = "qbbridge.connections:CountingHttpProtocol"
# The event loop every worker runs: asyncio's own, not uvloop (which uvicorn picks when installed).
# A Web Connector call runs in the loop, PostgreSQL's waits included, so how fairly the loop takes
# turns decides how long a call waits. Under uvloop a session's first call, on a new connection, waited
# several times longer than the others (``serverVersion`` p99 500–1,100 ms against 100–160 for
# ``sendRequestXML`` at 50 sessions); under asyncio's loop it waits like them, at the same CPU a call
# and calls/s (docs/performance.md, "Issue 20: asyncio's event loop").
EVENT_LOOP = "asyncio"
# uvicorn's exit code when a server cannot start (bind, import or lifespan failure).
STARTUP_FAILURE = 3
# A worker that dies this soon after it started, this many times in a row, is not restarted again.
QUICK_EXIT_SECONDS = 5.0
QUICK_EXITS_ALLOWED = 3
GRACEFUL_STOP_SECONDS = 30.0
# The exit code of a configuration that cannot be used, the port included (as ``qbbridge serve``).
PORT_UNAVAILABLE = 2
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    log_level: str
    access_log: bool
    log_format: str = "auto"
    # Peers whose X-Forwarded-For header names the client (QBBRIDGE_TRUSTED_PROXIES); empty: none.
    trusted_proxies: tuple[str, ...] = ()

    def proxy_settings(self) -> dict[str, Any]:
        """uvicorn's options for X-Forwarded-For: its middleware takes the right-most address in the
        header that is not a trusted proxy, so a client cannot name itself by sending one. Given
        explicitly, so uvicorn's own environment default (``FORWARDED_ALLOW_IPS``) never applies."""
        if not self.trusted_proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": list(self.trusted_proxies)}


def reuse_port_supported() -> bool:
    """Whether the kernel balances connections across sockets sharing a port (Linux ≥ 3.9)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, shared: bool = True) -> socket.socket:
    """A socket bound to the port; ``shared``: with ``SO_REUSEPORT``, beside the other workers'."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class PortUnavailable(Exception):
    """The address cannot be listened on; the message says which and why, in one line."""


def claim_port(host: str, port: int) -> socket.socket:
    """A socket bound to the port, not yet listening, or ``PortUnavailable``.

    Bound without ``SO_REUSEPORT``: another qbbridge left running on the port would otherwise be
    joined silently, and the two would share its connections.
    """
    try:
        return listening_socket(host, port, shared=False)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PortUnavailable(f"cannot listen on {host}:{port}: {reason}") from None


def _stop_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its supervisor dies, however it dies (even
    SIGKILL), so no worker is left holding the port with nobody to stop it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    supervisor = multiprocessing.parent_process()
    if supervisor is not None and os.getppid() != supervisor.pid:
        # The supervisor died before the request above was made.
        os.kill(os.getpid(), signal.SIGTERM)


def server_options(options: ServeOptions) -> dict[str, Any]:
    """uvicorn's options for the application: the same for a worker, a single process, and uvicorn's
    own workers where the kernel cannot share a port (``serve``)."""
    return {
        "app": APP,
        "factory": True,
        "host": options.host,
        "port": options.port,
        "log_level": options.log_level,
        "access_log": options.access_log,
        "http": HTTP_PROTOCOL,
        "loop": EVENT_LOOP,
        **options.proxy_settings(),
    }


def worker_config(options: ServeOptions) -> uvicorn.Config:
    """uvicorn's configuration of the application, the same for a worker and for a single process."""
    import uvicorn

    return uvicorn.Config(**server_options(options))


def run_worker(options: ServeOptions) -> None:
    """One worker: its own socket on the shared port, then uvicorn's server on it until told to stop."""
    import uvicorn

    _stop_with_parent()
    configure_logging(options.log_level, options.log_format)

    config = worker_config(options)
    try:
        sock = listening_socket(options.host, options.port)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", options.host, options.port, exc)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    def __init__(self, options: ServeOptions, workers: int) -> None:
        self.options = options
        self.workers = workers
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.failure: str | None = None

    def run(self) -> int:
        try:
            # Fail before starting anything when the port is taken (``qbbridge serve`` checked it
            # already; this covers the moments since).
            claim_port(self.options.host, self.options.port).close()
        except PortUnavailable as exc:
            print(f"qbbridge: {exc}", file=sys.stderr)
            return PORT_UNAVAILABLE
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        slots = [self._start(slot) for slot in range(self.workers)]
        started_at = [time.monotonic()] * self.workers
        quick_exits = [0] * self.workers
        while not self.stopping.wait(0.5):
            for slot, process in enumerate(slots):
                if process.is_alive() or self.stopping.is_set():
                    continue
                lived = time.monotonic() - started_at[slot]
                quick_exits[slot] = quick_exits[slot] + 1 if lived < QUICK_EXIT_SECONDS else 0
                if process.exitcode == STARTUP_FAILURE or quick_exits[slot] >= QUICK_EXITS_ALLOWED:
                    self.failure = (
                        f"worker {slot + 1} could not start (exit code {process.exitcode}); see the log above"
                    )
                    self.stopping.set()
                    break
                mark_worker_dead(process.pid)
                log.warning(
                    "worker %d (pid %s) exited with code %s; starting another",
                    slot + 1,
                    process.pid,
                    process.exitcode,
                )
                slots[slot] = self._start(slot)
                started_at[slot] = time.monotonic()
        self._stop(slots)
        if self.failure:
            print(f"qbbridge: {self.failure}", file=sys.stderr)
            return 1
        return 0

    def _start(self, slot: int) -> BaseProcess:
        process = self.context.Process(
            target=run_worker, args=(self.options,), name=f"qbbridge-worker-{slot + 1}", daemon=False
        )
        process.start()
        return process

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()

    def _stop(self, slots: list[BaseProcess]) -> None:
        # SIGTERM lets uvicorn finish the requests in progress; a worker still running after the
        # grace period is killed.
        for process in slots:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + GRACEFUL_STOP_SECONDS
        for process in slots:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve(options: ServeOptions, workers: int, claimed: socket.socket | None = None) -> int:
    """Serve until stopped; the process's exit code. ``claimed``: the port, already bound (one worker
    serves on it; several workers bind sockets of their own, so it is closed)."""
    import uvicorn

    if workers == 1:
        single_process_metrics()
        sock = claimed or claim_port(options.host, options.port)
        config = worker_config(options)
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        return 0 if server.started else STARTUP_FAILURE
    if claimed is not None:
        claimed.close()
    # Every worker writes its metrics beside the others', and /metrics adds them up.
    with multiprocess_metrics():
        if reuse_port_supported():
            return Supervisor(options, workers).run()
        uvicorn.run(**server_options(options), workers=workers)
    return 0
