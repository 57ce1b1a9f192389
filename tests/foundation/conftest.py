"""Fixtures of the SOAP tests: a Web Connector pointed at the live server, and a new tenant of it."""

from __future__ import annotations

import httpx
import pytest

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
