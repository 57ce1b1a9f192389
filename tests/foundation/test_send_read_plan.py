"""A send reads each link it looks at by its key, with one plan reused, whatever the statistics say.

Every send starts with one statement (``db/sends.py``, ``_READ``): its tenant and up to three links.
Written as one OR of (entity, code) pairs, it was planned, with statistics taken while tenants had
few links, as a scan of every link of the tenant with the pairs as a filter: a send's cost grew with
the links its tenant had (47 index entries a send at the end of ``bench/send_cost.py``). Written as
one join a key, it was still read that way through the sync log's index of links by QuickBooks number,
which then held every link of the tenant; that index is now partial (migration 0017). A form tried
once, one ``UNION ALL`` arm a key, probed each key alone but made PostgreSQL plan it anew at every
send instead of reusing one plan, which cost more than the probes saved. Counted here: rows a plan
read and threw away (``EXPLAIN ANALYZE`` of the generic plan, with statistics taken while each tenant
had one link, and again once analyzed), and the plans PostgreSQL made for the prepared statement
(``pg_prepared_statements``).
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
from mapping.jobs import queue_raw_qbxml
from tests.support.plans import driver_url, executed_plan
from tests.support.servers import migrated_database, scratch_database

# Statistics are taken while the first tenants had their links, before the next ones came: to
# PostgreSQL a tenant it has no statistics of has a row or two.
TENANTS = 5
LINKS_EACH = 60
# A probe by key throws nothing away; the scan this guards against threw away the tenant's other
# links (here 59 or more a key).
MAX_DISCARDED = 5
# PostgreSQL plans a prepared statement for its values five times before it considers one generic
# plan (plancache.c); from then on, a statement it keeps planning anew is one it found cheaper so.
CUSTOM_PLANS_BEFORE_GENERIC = 5
QUERY = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Database]:
    # A database of its own: the plans depend on the statistics, which other tests' rows would change.
    for url in scratch_database("postgresql", tmp_path_factory.mktemp("plans") / "unused.db"):
        yield from migrated_database(url)


@pytest.fixture(scope="module")
def tenant_ids(database: Database) -> list[str]:
    earlier, ids = _tenants(database, "Earlier"), _tenants(database, "Send read plan")
    # Half of a tenant's links have a QuickBooks number (a link being created has none yet).
    _insert_links(database, earlier, first=1, last=LINKS_EACH)
    _analyze(database)
    _insert_links(database, ids, first=1, last=LINKS_EACH)
    return ids


def _tenants(database: Database, name: str) -> list[str]:
    with database.transaction() as session:
        return [create_tenant(session, f"{name} {n}").id for n in range(TENANTS)]


def _insert_links(database: Database, tenant_ids: list[str], *, first: int, last: int) -> None:
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute(
            "INSERT INTO links (tenant_id, entity, code, status, txn_id, ref_number, data, created_at, "
            "updated_at) SELECT t, 'salesOrder', 'SO-' || n, 'linked', 'TXN-' || n, "
            "CASE WHEN n %% 2 = 0 THEN 'QB-' || n END, '{}', now(), now() "
            "FROM unnest(%(tenants)s::text[]) AS t, generate_series(%(first)s::int, %(last)s::int) AS n",
            {"tenants": tenant_ids, "first": first, "last": last},
        )


def _analyze(database: Database) -> None:
    with psycopg.connect(driver_url(database), autocommit=True) as connection:
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
    assert _links_discarded(executed_plan(database, sends._READ.sql, params)) <= MAX_DISCARDED
    _analyze(database)
    assert _links_discarded(executed_plan(database, sends._READ.sql, params)) <= MAX_DISCARDED
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


def test_the_sync_log_still_finds_a_job_by_quickbooks_number_through_its_index(
    database: Database, tenant_ids: list[str]
) -> None:
    # console/jobs.py's search by QuickBooks number, the one reader of ix_links_tenant_ref_number: the
    # links of one tenant made by a job, among links of other tenants that no job holds any more.
    tenant = tenant_ids[4]
    with database.transaction() as session:
        job = queue_raw_qbxml(session, tenant_id=tenant, qbxml=QUERY).id
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute("UPDATE links SET job_id = %(job)s WHERE tenant_id = %(tenant)s", {"job": job, "tenant": tenant})
    _analyze(database)
    search = "SELECT job_id FROM links WHERE tenant_id = :tenant_id AND ref_number = :q AND job_id IS NOT NULL"
    plan = executed_plan(database, search, {"tenant_id": tenant, "q": "QB-40"})
    assert _links_discarded(plan) <= MAX_DISCARDED
    assert "ix_links_tenant_ref_number" in _indexes_read(plan)
    assert plan["Actual Rows"] == 1


def _indexes_read(node: dict[str, Any]) -> set[str]:
    own = {node["Index Name"]} if "Index Name" in node else set()
    return own.union(*(_indexes_read(child) for child in node.get("Plans", [])))
