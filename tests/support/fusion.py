"""A Fusion Operations API of the tests' own, on loopback: scripted answers, every request recorded."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from tests.support.quiet_http import QuietHandler


@dataclass
class Reply:
    status: int = 201
    body: object = field(default_factory=lambda: {"id": 1})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


class FakeFusion:
    """Answers from per-path scripts (then 201), records every request, optionally slowly."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.seen.append(Seen("POST", self.path, dict(self.headers.items()), body))
                    script = fake.scripts.get(self.path)
                    reply = script.pop(0) if script else Reply()
                if fake.delay:
                    time.sleep(fake.delay)
                self.answer(reply.status, "application/json", json.dumps(reply.body).encode(), reply.headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fusion-operations/v2/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def script(self, resource: str, *replies: Reply) -> None:
        self.scripts.setdefault(f"/fusion-operations/v2/{resource}", []).extend(replies)

    def posts(self, resource: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == f"/fusion-operations/v2/{resource}"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
