"""The claim moves its job to in flight by primary key, whatever PostgreSQL's statistics say.

``sendRequestXML``'s claim is one statement on PostgreSQL (``db/queue/sql.py``: the step taken, and
its job moved to in flight in a data-modifying CTE). Written with a plain ``status = 'queued'``,
the move could be answered from the partial index of open jobs, and with statistics taken before the
jobs came it was: a scan of every open job of every tenant at each first step claimed, all but one
thrown away (1,000 index entries under ``bench/soap_sessions.py``, about a third of PostgreSQL's
time a call). Counted here as rows a plan read and threw away (``EXPLAIN ANALYZE``), with statistics
taken on the empty tables and again once filled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from db import tenants as tenant_repo
from db.engine import Database
from db.queue.sql import CLAIM_BY_TICKET
from db.secrets import digest
from mapping.jobs import queue_raw_qbxml
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from tests.foundation.test_query_plans import _driver_url, _rows_discarded
from tests.support.servers import migrated_database

TENANTS = 50
JOBS_EACH = 20
QUERY = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)
# A claim by index throws away next to nothing; the scan this guards against threw away every other
# open job (here 999).
MAX_DISCARDED = 20


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    yield from migrated_database(postgres_url)


def _analyze(database: Database) -> None:
    with psycopg.connect(_driver_url(database), autocommit=True) as connection:
        connection.execute("ANALYZE jobs")
        connection.execute("ANALYZE job_steps")


def _claim_discards(database: Database, ticket: str) -> int:
    """Rows the claim's executed plan threw away, run as the service runs it (a generic plan of a
    prepared statement) and rolled back."""
    now = dt.datetime.now(dt.UTC)
    params: dict[str, Any] = {"ticket_digest": digest(ticket), "now": now, "cutoff": now - dt.timedelta(hours=1)}
    return _rows_discarded(database, CLAIM_BY_TICKET["postgresql"].sql, params)


def test_the_claim_finds_its_job_by_key_with_stale_statistics_and_fresh(database: Database) -> None:
    # Statistics of the empty tables, as on a new installation or before autovacuum's first look.
    _analyze(database)
    with database.transaction() as session:
        tenants = [tenant_repo.create_tenant(session, f"Claim plan {n}") for n in range(TENANTS)]
        token = tenant_repo.issue_token(session, tenants[0])
        username = tenants[0].qbwc_username
        for tenant in tenants:
            for _ in range(JOBS_EACH):
                queue_raw_qbxml(session, tenant_id=tenant.id, qbxml=QUERY)
    service = WebConnectorService(database, ServiceOptions())
    ticket, company = service.authenticate(username, token)
    assert ticket and company == ""
    assert _claim_discards(database, ticket) <= MAX_DISCARDED
    _analyze(database)
    assert _claim_discards(database, ticket) <= MAX_DISCARDED
