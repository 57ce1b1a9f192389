"""Fixtures of the foundation tests: a Web Connector pointed at the live server, a new tenant of it,
and a database whose pool holds a single connection."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from db.engine import Database
from db.migrate import upgrade
from tests.foundation.helpers import Clock, TenantCredentials, new_tenant
from tests.support.servers import LiveServer
from tests.support.webconnector import WebConnectorClient


@pytest.fixture
def wc(live_server: LiveServer) -> WebConnectorClient:
    return WebConnectorClient(live_server.qbwc_url)


@pytest.fixture
def tenant(admin: httpx.Client) -> TenantCredentials:
    return new_tenant(admin)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def one_connection(postgres_url: str) -> Iterator[tuple[Database, Database]]:
    """A database whose pool holds a single connection, and another to end that connection from."""
    single = Database(postgres_url, pool_size=1, max_overflow=0)
    other = Database(postgres_url, pool_size=1, max_overflow=0)
    try:
        upgrade(single.engine)
        yield single, other
    finally:
        single.dispose()
        other.dispose()
