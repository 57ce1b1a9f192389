"""What the Web Connector service is configured with (``qbbridge/app.py`` fills it from the
configuration): timeouts, the oldest connector tested, login limits and message sizes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    session_timeout: dt.timedelta = dt.timedelta(minutes=30)
    min_client_version: str = "2.1.0.30"
    # Failed logins per user name and address, and per address across user names, within the window
    # (db/login_throttle.py).
    auth_failure_limit: int = 5
    auth_address_failure_limit: int = 30
    auth_failure_window: dt.timedelta = dt.timedelta(minutes=15)
    # The Web Connector runs one session per application at a time, so a new authenticate means an
    # older session of the same tenant that has been silent this long is over (its connector died).
    supersede_after: dt.timedelta = dt.timedelta(seconds=60)
    # How many typed requests of different jobs may travel in one message set (docs/qbwc.md); 1 sends
    # each alone.
    requests_per_message: int = 10
    # QBBRIDGE_MAX_SOAP_BODY_BYTES, the largest answer the endpoint reads: retrieval pages are sized
    # against it (mapping.retrieval_pages).
    max_soap_body_bytes: int = DEFAULT_SOAP_BODY_LIMIT
