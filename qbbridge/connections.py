"""uvicorn's HTTP protocol, with each connection's own :class:`~qbwc.endpoint.ConnectionCalls`.

uvicorn makes one protocol object per accepted connection and gives the application, with every
request, a copy of the server's ``state`` dictionary (the ASGI scope's ``state``). This protocol puts a
new ``ConnectionCalls`` in the dictionary its connection's requests get, so the Web Connector endpoint
counts calls on the connection itself rather than on the client's address and port (a port is reused
by a later connection once the earlier one has closed). The object lives as long as the connection.

``qbbridge serve`` passes this class to uvicorn as its HTTP protocol (``qbbridge/workers.py``);
uvicorn's own choice is kept underneath (httptools when installed, else h11).

It also turns Nagle's algorithm off on the connection (``TCP_NODELAY``). uvicorn writes an answer's
headers and its body apart; with Nagle on, the body waits for the client to acknowledge the headers,
and a client that delays its acknowledgements (40 ms on Linux) delays every answer that long. uvloop
turns Nagle off on every TCP connection; asyncio's loop, which the workers run
(``qbbridge/workers.py``), only on a socket created with the TCP protocol number, which the workers'
listening sockets and those of uvicorn's shared-socket mode are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from qbwc.endpoint import CONNECTION_CALLS, ConnectionCalls

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpProtocol
except ImportError:  # httptools is not installed: uvicorn uses h11
    # The other of uvicorn's two protocol classes, under the same name: mypy wants one class per name.
    from uvicorn.protocols.http.h11_impl import H11Protocol as _HttpProtocol  # type: ignore[assignment]


class CountingHttpProtocol(_HttpProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn copies this dictionary into each request's scope["state"].
        self.app_state = {**self.app_state, CONNECTION_CALLS: ConnectionCalls()}

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        # Loopback and network connections only; a Unix socket has no Nagle to turn off.
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # A connection reset before it was taken is uvicorn's to notice, not an error here.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
