"""A send reads each link it looks at by its key, with one plan reused, whatever the statistics say.

Every send starts with one statement (``db/sends.py``, ``_READ``): its tenant and up to three links.
Written as one OR of (entity, code) pairs, it was planned, with statistics taken while tenants had
few links, as a scan of every link of the tenant with the pairs as a filter: a send's cost grew with
the links its tenant had (47 index entries a send at the end of ``bench/send_cost.py``). A form tried
once, one ``UNION ALL`` arm a key, probed each key alone but made PostgreSQL plan it anew at every
send instead of reusing one plan, which cost more than the probes saved. Both are counted here: rows a plan read and threw away (``EXPLAIN ANALYZE`` of the
generic plan, with statistics of the empty tables and again once filled), and the plans PostgreSQL
made for the prepared statement (``pg_prepared_statements``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import sends
from db.engine import Database
from db.tenants import create_tenant
from tests.foundation.test_query_plans import _driver_url, _executed_plan
from tests.support.servers import migrated_database

TENANTS = 50
LINKS_EACH = 60
# A probe by key throws nothing away; the scan this guards against threw away the tenant's other
# links (here 59 or more a key).
MAX_DISCARDED = 5
# PostgreSQL plans a prepared statement for its values five times before it considers one generic
# plan (plancache.c); from then on, a statement it keeps planning anew is one it found cheaper so.
CUSTOM_PLANS_BEFORE_GENERIC = 5


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    yield from migrated_database(postgres_url)


@pytest.fixture(scope="module")
def tenant_ids(database: Database) -> list[str]:
    # Statistics of the empty tables, as on a new installation or before autovacuum's first look.
    _analyze(database)
    with database.transaction() as session:
        ids = [create_tenant(session, f"Send read plan {n}").id for n in range(TENANTS)]
    with psycopg.connect(_driver_url(database)) as connection:
        connection.execute(
            "INSERT INTO links (tenant_id, entity, code, status, txn_id, data, created_at, updated_at) "
            "SELECT t, 'salesOrder', 'SO-' || n, 'linked', 'TXN-' || n, '{}', now(), now() "
            "FROM unnest(%(tenants)s::text[]) AS t, generate_series(1, %(links)s) AS n",
            {"tenants": ids, "links": LINKS_EACH},
        )
    return ids


def _analyze(database: Database) -> None:
    with psycopg.connect(_driver_url(database), autocommit=True) as connection:
        for table in ("tenants", "links", "imports"):
            connection.execute(f"ANALYZE {table}")


def _links_discarded(node: dict[str, Any]) -> int:
    """Rows the plan read from ``links`` and threw away, over all its nodes and loops. (The tenant's
    own row may come from a scan of a one-page table: cheaper there than its index, and no concern.)"""
    own = 0
    if node.get("Relation Name") == "links":
        removed = int(node.get("Rows Removed by Filter", 0)) + int(node.get("Rows Removed by Index Recheck", 0))
        own = removed * int(node.get("Actual Loops", 1))
    joined = int(node.get("Rows Removed by Join Filter", 0)) * int(node.get("Actual Loops", 1))
    return own + joined + sum(_links_discarded(child) for child in node.get("Plans", []))


def _params(tenant_id: str, keys: list[tuple[str, str]]) -> dict[str, Any]:
    """The statement's parameters for ``keys``, as ``read_for_send`` fills them."""
    params: dict[str, Any] = {"tenant_id": tenant_id}
    for i in range(sends.LINK_SLOTS):
        params[f"e{i}"], params[f"c{i}"] = keys[i] if i < len(keys) else sends._NO_KEY
    params["imported_entity"], params["imported_code"] = sends._NO_KEY
    return params


def test_a_send_reads_its_links_by_key_with_stale_statistics_and_fresh(
    database: Database, tenant_ids: list[str]
) -> None:
    keys = [("salesOrder", "SO-7"), ("salesOrder", "SO-40"), ("shipping", "SH-1")]
    params = _params(tenant_ids[3], keys)
    assert _links_discarded(_executed_plan(database, sends._READ.sql, params)) <= MAX_DISCARDED
    _analyze(database)
    assert _links_discarded(_executed_plan(database, sends._READ.sql, params)) <= MAX_DISCARDED
    # And the read finds what is there, slot by slot, and nothing for a key without a link.
    with database.transaction() as session:
        reads = sends.read_for_send(session, tenant_ids[3], keys)
    assert reads is not None
    found = {key: (link.txn_id if link else None) for key, link in reads.links.items()}
    assert found == {keys[0]: "TXN-7", keys[1]: "TXN-40", keys[2]: None}


def test_the_read_keeps_one_generic_plan_whatever_the_number_of_keys(
    database: Database, tenant_ids: list[str]
) -> None:
    runs = 30
    with database.transaction() as session:
        before = _plans_made(session)
        for n in range(runs):
            # One key, then two, then three, as sends of different flows read them.
            keys = [("salesOrder", f"SO-{n + 1 + k}") for k in range(n % sends.LINK_SLOTS + 1)]
            reads = sends.read_for_send(session, tenant_ids[n % TENANTS], keys, imported=None)
            assert reads is not None and all(reads.links.values())
        generic, custom = (after - earlier for after, earlier in zip(_plans_made(session), before, strict=True))
    assert custom <= CUSTOM_PLANS_BEFORE_GENERIC, f"planned anew {custom} times of {runs}"
    assert generic + custom == runs


def _plans_made(session: Session) -> tuple[int, int]:
    """The generic and the custom plans PostgreSQL made for the read on this session's connection so
    far (the driver prepares a statement once per connection, so earlier tests may have run it)."""
    row = session.execute(
        text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = :name"),
        {"name": sends._READ.prepared_name.decode()},
    ).one_or_none()
    return (row.generic_plans, row.custom_plans) if row is not None else (0, 0)
