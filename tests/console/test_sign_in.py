"""Signing in to the console over real HTTP: throttled wrong keys, the cookie's flags, expiry, redirects
that stay on the console, and no key in a URL, a page or the log."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from console.session import SESSION_SECONDS, CookieSigner
from tests.support.servers import LiveServer, start_server

FAILURE_LIMIT = 3


@pytest.fixture(scope="module")
def https_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own (its address gets blocked here), with an https public URL."""
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("console-https"),
        extra_env={
            "QBBRIDGE_PUBLIC_URL": "https://qbbridge.example.com",
            "QBBRIDGE_AUTH_FAILURE_LIMIT": str(FAILURE_LIMIT),
            "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0",
        },
    )
    yield server
    server.stop()


def _form(client: httpx.Client, next_page: str = "") -> tuple[dict[str, str], str]:
    """The sign-in form's fields and its cookie (Secure here: a browser sends it back over https only,
    and this test speaks plain HTTP to the server behind where TLS would end, so it sends it itself)."""
    page = client.get("/console/sign-in", params={"next": next_page} if next_page else None)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    cookie = page.headers["set-cookie"].split(";")[0]
    assert cookie.startswith("qbbridge_console_sign_in=")
    return {"csrf": match.group(1), "next": next_page}, cookie


def _sign_in(client: httpx.Client, key: str, next_page: str = "") -> httpx.Response:
    fields, cookie = _form(client, next_page)
    return client.post("/console/sign-in", data={**fields, "key": key}, headers={"Cookie": cookie})


def test_the_session_cookie_is_httponly_strict_and_secure_on_https(https_server: LiveServer) -> None:
    with httpx.Client(base_url=https_server.base_url) as client:
        answer = _sign_in(client, https_server.admin_key)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/tenants"
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "qbbridge_console=" in v
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/console"} <= flags, cookie
    assert f"max-age={SESSION_SECONDS}" in flags
    assert https_server.admin_key not in cookie
    assert answer.headers["cache-control"] == "no-store"


def test_sign_in_goes_back_only_to_a_console_page(https_server: LiveServer) -> None:
    for wanted, landed in (
        ("/console/tenants?q=acme", "/console/tenants?q=acme"),
        ("https://evil.example/console/", "/console/tenants"),
        ("//evil.example/console/x", "/console/tenants"),
        ("/api/v1/tenants", "/console/tenants"),
    ):
        with httpx.Client(base_url=https_server.base_url) as client:
            answer = _sign_in(client, https_server.admin_key, wanted)
        assert answer.status_code == 303 and answer.headers["location"] == landed, wanted


def test_a_sign_in_without_its_form_token_is_refused(https_server: LiveServer) -> None:
    with httpx.Client(base_url=https_server.base_url) as client:
        answer = client.post("/console/sign-in", data={"key": https_server.admin_key, "csrf": "x"})
    assert answer.status_code == 400
    assert "qbbridge_console=" not in answer.headers.get("set-cookie", "")


def test_a_forged_or_expired_cookie_is_not_a_session(https_server: LiveServer) -> None:
    with httpx.Client(base_url=https_server.base_url) as client:
        client.cookies.set("qbbridge_console", "eyJhIjp0cnVlfQ.forged.signature", path="/console")
        answer = client.get("/console/tenants")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in?next=")


def test_sessions_expire(tmp_path: Path) -> None:
    signer = CookieSigner(b"k" * 32)
    cookie, session = signer.issue(is_admin=True, tenant_id=None, credential="fingerprint")
    assert signer.read(cookie) == session
    # The same payload signed SESSION_SECONDS + 1 ago, as the browser would still send it.
    old = URLSafeTimedSerializer(b"k" * 32, salt="console-session")
    old.signer_kwargs = {}
    stale_signer = old.make_signer()
    stale_signer.get_timestamp = lambda: int(time.time()) - SESSION_SECONDS - 1  # type: ignore[method-assign]
    stale = stale_signer.sign(old.dump_payload({"a": True, "t": None, "c": "fingerprint", "x": "t"})).decode()
    assert signer.read(stale) is None
    # Signed with another key (another deployment, or a rotated secret key): no session either.
    assert CookieSigner(b"o" * 32).read(cookie) is None


def test_wrong_keys_are_throttled_like_web_connector_logins(https_server: LiveServer) -> None:
    # From an address of its own (the loopback is a trusted proxy by default), so the block it causes
    # does not reach the other tests' sign-ins from 127.0.0.1.
    address = f"203.0.113.{secrets.randbelow(250) + 1}"
    with httpx.Client(base_url=https_server.base_url, headers={"X-Forwarded-For": address}) as client:
        for _ in range(FAILURE_LIMIT):
            answer = _sign_in(client, "wrong-key-" + "x" * 20)
            assert answer.status_code == 401
            assert "That key is not valid" in answer.text
        # Blocked now, even with the right key, and the page says for how long.
        answer = _sign_in(client, https_server.admin_key)
    assert answer.status_code == 429
    assert "Too many wrong keys from your address. Try again in 15 minutes." in answer.text
    assert "qbbridge_console=" not in answer.headers.get("set-cookie", "").split(";")[0]
    log = https_server.log_text()
    assert "console sign-in blocked" in log
    assert "wrong-key-" not in log and https_server.admin_key not in log
    # Another address is not affected.
    with httpx.Client(base_url=https_server.base_url, headers={"X-Forwarded-For": "198.51.100.7"}) as client:
        assert _sign_in(client, https_server.admin_key).status_code == 303


def test_serve_prints_the_consoles_address(https_server: LiveServer) -> None:
    # ./scripts/run.sh runs `qbbridge serve`, which says where the console is.
    assert f"qbbridge: operator console at {https_server.base_url}/console" in https_server.log_text()
    with httpx.Client(base_url=https_server.base_url) as client:
        assert client.get("/console").headers["location"] == "/console/tenants"
