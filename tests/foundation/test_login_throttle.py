"""Failed Web Connector logins are throttled per user name and address, and per address: a stranger who
read a user name from a ``.qwc`` file cannot lock the tenant's own Web Connector out
(docs/security.md, "Logins to the Web Connector endpoint").

The service-level tests run the protocol class on a real database with a clock of their own; the
HTTP tests name their client with ``X-Forwarded-For``, which the test server trusts from 127.0.0.1
(the default ``QBBRIDGE_TRUSTED_PROXIES``), as it would from a reverse proxy on the same machine.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from db.engine import Database
from db.login_throttle import address_key
from db.tenants import create_tenant, issue_token
from qbbridge.config import ConfigError, load_settings
from qbwc.login import INVALID_USER
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from tests.foundation.helpers import Clock, new_tenant
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import WebConnectorClient

STRANGER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _service_and_tenant(database: Database, clock: Clock, **options: object) -> tuple[WebConnectorService, str, str]:
    """The protocol on ``clock`` with the throttle's defaults (or ``options``), and a new tenant's
    user name and token."""
    defaults: dict[str, object] = {
        "auth_failure_limit": 5,
        "auth_address_failure_limit": 30,
        "auth_failure_window": dt.timedelta(minutes=15),
    }
    service = WebConnectorService(database, ServiceOptions(**{**defaults, **options}), clock=clock)  # type: ignore[arg-type]
    with database.transaction() as session:
        tenant = create_tenant(session, f"Throttle {uuid.uuid4().hex[:8]}")
        return service, tenant.qbwc_username, issue_token(session, tenant)


def _guess(service: WebConnectorService, username: str, address: str, times: int) -> None:
    """Wrong tokens for ``username`` from ``address``, ``times`` over; what each answers is not the point."""
    for _ in range(times):
        service.authenticate(username, "guess", client_address=address)


def _logged_in(result: list[str]) -> bool:
    return bool(result[0]) and result[1] != INVALID_USER


def test_a_stranger_cannot_lock_the_tenants_own_connector_out(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    for _ in range(5):
        assert service.authenticate(username, "guess", client_address=STRANGER) == ["", INVALID_USER]
    # The stranger's address is refused now, even with the right token...
    assert service.authenticate(username, token, client_address=STRANGER) == ["", INVALID_USER]
    # ...and the tenant's own connector, from its own address, is not.
    assert _logged_in(service.authenticate(username, token, client_address=OFFICE))


def test_fewer_failures_than_the_limit_do_not_block(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    _guess(service, username, STRANGER, times=4)
    assert _logged_in(service.authenticate(username, token, client_address=STRANGER))


def test_an_address_trying_many_user_names_is_refused_for_every_one(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock, auth_address_failure_limit=8)
    address = "203.0.113.8"
    for attempt in range(8):
        assert service.authenticate(f"qbb-guess-{attempt}", "guess", client_address=address) == ["", INVALID_USER]
    # No user name had more than one failure, but the address had eight.
    assert service.authenticate(username, token, client_address=address) == ["", INVALID_USER]
    assert _logged_in(service.authenticate(username, token, client_address=OFFICE))


def test_the_block_ends_when_the_window_has_passed(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    address = "203.0.113.9"
    _guess(service, username, address, times=5)
    clock.now += dt.timedelta(minutes=14, seconds=59)
    assert service.authenticate(username, token, client_address=address) == ["", INVALID_USER]
    clock.now += dt.timedelta(seconds=2)
    assert _logged_in(service.authenticate(username, token, client_address=address))


def test_failures_older_than_the_window_are_not_counted(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    address = "203.0.113.10"
    _guess(service, username, address, times=4)
    clock.now += dt.timedelta(minutes=16)
    _guess(service, username, address, times=4)
    assert _logged_in(service.authenticate(username, token, client_address=address))


def test_a_login_clears_its_own_count_but_not_its_addresss(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock, auth_address_failure_limit=9)
    address = "203.0.113.11"
    _guess(service, username, address, times=4)
    assert _logged_in(service.authenticate(username, token, client_address=address))
    _guess(service, username, address, times=4)
    # Eight failures of this user name, never five in a row: allowed.
    assert _logged_in(service.authenticate(username, token, client_address=address))
    # The ninth failure from the address blocks it, although the user name's own count is at one.
    service.authenticate(username, "guess", client_address=address)
    assert service.authenticate(username, token, client_address=address) == ["", INVALID_USER]


def test_ipv6_addresses_are_counted_by_their_64_network(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    for host in range(1, 6):
        service.authenticate(username, "guess", client_address=f"2001:db8:aa:bb::{host:x}")
    assert service.authenticate(username, token, client_address="2001:db8:aa:bb:1:2:3:4") == ["", INVALID_USER]
    assert _logged_in(service.authenticate(username, token, client_address="2001:db8:aa:cc::1"))


def test_address_keys() -> None:
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8:aa:bb:1:2:3:4") == "2001:db8:aa:bb::/64"
    assert address_key(None) == address_key("") == ""
    assert address_key("x" * 100) == "x" * 64


# --- over HTTP, through the client address the endpoint sees ---------------------------------------


def _connector(server: LiveServer, forwarded_for: str | None = None) -> WebConnectorClient:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return WebConnectorClient(server.qbwc_url, client=httpx.Client(headers=headers, timeout=30))


def test_behind_a_local_proxy_each_client_address_is_counted_apart(live_server: LiveServer) -> None:
    # Only this test's lines: the server is shared, and other tests' explanations may say "guess".
    start = len(live_server.log_text())
    tenant = new_tenant(live_server.client)
    stranger = _connector(live_server, "203.0.113.20")
    for _ in range(5):
        assert stranger.authenticate(tenant.username, "guess") == ["", "nvu"]
    assert stranger.authenticate(tenant.username, tenant.token) == ["", "nvu"]
    # A client cannot name itself: the proxy appends the address it saw, and that one counts.
    spoofing = _connector(live_server, "198.51.100.21, 203.0.113.20")
    assert spoofing.authenticate(tenant.username, tenant.token) == ["", "nvu"]
    office = _connector(live_server, "198.51.100.21")
    ticket, status = office.authenticate(tenant.username, tenant.token)
    assert ticket and status == "none"
    office.close_connection(ticket)
    log = live_server.log_text()[start:]
    assert f"logins as tenant {tenant.id} from 203.0.113.20 are refused" in log
    assert tenant.username not in log and "guess" not in log and tenant.token not in log


def test_the_web_connector_version_is_remembered_by_the_client_address(live_server: LiveServer) -> None:
    tenant = new_tenant(live_server.client)
    assert _connector(live_server, "198.51.100.22").client_version("2.2.0.80") == ""
    assert _connector(live_server, "198.51.100.23").client_version("2.3.0.215") == ""
    office = _connector(live_server, "198.51.100.22")
    ticket, _ = office.authenticate(tenant.username, tenant.token)
    office.close_connection(ticket)
    connection = live_server.client.get(f"/api/v1/tenants/{tenant.id}/connection").json()
    assert connection["webConnectorVersion"] == "2.2.0.80"


def test_x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(tmp_path: Path) -> None:
    server = start_server(
        f"sqlite:///{tmp_path / 'untrusted.db'}", tmp_path, extra_env={"QBBRIDGE_TRUSTED_PROXIES": "-"}
    )
    try:
        tenant = new_tenant(server.client)
        # A different made-up address on every attempt: all of them are 127.0.0.1's failures.
        for index in range(5):
            assert _connector(server, f"203.0.113.{30 + index}").authenticate(tenant.username, "guess") == [
                "",
                "nvu",
            ]
        assert _connector(server).authenticate(tenant.username, tenant.token) == ["", "nvu"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("127.0.0.1", "::1")),
        ("-", ()),
        (" 10.0.0.5 , 10.1.0.0/16,*", ("10.0.0.5", "10.1.0.0/16", "*")),
    ],
)
def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: tuple[str, ...]) -> None:
    if value is None:
        monkeypatch.delenv("QBBRIDGE_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("QBBRIDGE_TRUSTED_PROXIES", value)
    assert load_settings().trusted_proxies == expected


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBBRIDGE_TRUSTED_PROXIES", "10.0.0.5,proxy.internal")
    with pytest.raises(ConfigError, match=r"QBBRIDGE_TRUSTED_PROXIES=.*'proxy.internal' is not an IP address"):
        load_settings()


@pytest.mark.parametrize("name", ["QBBRIDGE_AUTH_FAILURE_LIMIT", "QBBRIDGE_AUTH_ADDRESS_FAILURE_LIMIT"])
def test_a_limit_below_one_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ConfigError, match=f"{name}='0': out of range; it must be between 1 and"):
        load_settings()


# --- two worker processes on PostgreSQL, many wrong attempts at once --------------------------------

PARALLEL_ATTEMPTS = 240


@pytest.fixture
def two_workers(postgres_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(
        postgres_url,
        tmp_path,
        workers=2,
        # High limits, so every attempt is counted and the count can be checked exactly.
        extra_env={
            "QBBRIDGE_AUTH_FAILURE_LIMIT": "1000",
            "QBBRIDGE_AUTH_ADDRESS_FAILURE_LIMIT": "100000",
            "QBBRIDGE_LOG_LEVEL": "info",
        },
    )
    yield server
    server.stop()


def test_parallel_wrong_attempts_on_two_workers_are_all_refused_and_counted(two_workers: LiveServer) -> None:
    tenant = new_tenant(two_workers.client)
    address = "203.0.113.50"

    def attempt(index: int) -> tuple[int, bytes]:
        # A connection of its own per attempt, so the kernel spreads them over both workers.
        with httpx.Client(headers={"X-Forwarded-For": address}, timeout=60) as http:
            result = WebConnectorClient(two_workers.qbwc_url, client=http).call(
                "authenticate", [("strUserName", tenant.username), ("strPassword", f"guess-{index}")]
            )
            return result.status_code, result.body

    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(attempt, range(PARALLEL_ATTEMPTS)))
    statuses = [status for status, _ in answers]
    assert statuses == [200] * PARALLEL_ATTEMPTS, two_workers.log_text()[-6000:]
    assert not [body for _, body in answers if b"Fault" in body or b"nvu" not in body]
    database = Database(two_workers.database_url)
    try:
        with database.engine.connect() as connection:
            counts = dict(
                connection.execute(
                    text("SELECT username, failures FROM qbwc_login_throttle WHERE address = :address"),
                    {"address": address},
                ).all()
            )
    finally:
        database.dispose()
    assert counts == {tenant.username: PARALLEL_ATTEMPTS, "": PARALLEL_ATTEMPTS}
    log = two_workers.log_text()
    assert "Internal Error" not in log and "Traceback" not in log
    # Each worker process logs in the service's format, at QBBRIDGE_LOG_LEVEL.
    refused = f"INFO qbbridge.qbwc: authenticate refused for tenant {tenant.id} from {address}: wrong token"
    assert log.count(refused) == PARALLEL_ATTEMPTS
    ticket, _ = _connector(two_workers, address).authenticate(tenant.username, tenant.token)
    assert ticket


def test_logins_that_cannot_succeed_are_not_counted(database: Database, clock: Clock) -> None:
    service, username, token = _service_and_tenant(database, clock)
    address = "203.0.113.12"
    for _ in range(10):
        assert service.authenticate(username, "", client_address=address) == ["", INVALID_USER]
        assert service.authenticate("", "guess", client_address=address) == ["", INVALID_USER]
    assert _logged_in(service.authenticate(username, token, client_address=address))


def test_counts_whose_window_and_block_are_over_are_removed(database: Database, clock: Clock) -> None:
    service, username, _ = _service_and_tenant(database, clock)
    for _ in range(5):
        service.authenticate(username, "guess", client_address="203.0.113.13")

    def rows(address: str) -> int:
        with database.engine.connect() as connection:
            query = text("SELECT count(*) FROM qbwc_login_throttle WHERE address = :address")
            return int(connection.execute(query, {"address": address}).scalar_one())

    assert rows("203.0.113.13") == 2
    clock.now += dt.timedelta(minutes=14)
    service.authenticate(username, "guess", client_address="203.0.113.14")
    assert rows("203.0.113.13") == 2  # still blocked
    clock.now += dt.timedelta(minutes=2)
    service.authenticate(username, "guess", client_address="203.0.113.14")
    assert rows("203.0.113.13") == 0
    assert rows("203.0.113.14") == 2
