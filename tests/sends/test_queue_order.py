"""A tenant's jobs reach QuickBooks in the order they were accepted (docs/qbwc.md, "Queue order"): no
step of a later job is handed to the Web Connector while an earlier job still has steps to go, a
retried job goes to the end of the queue, and steps of several jobs share a message set only when
that leaves no earlier job with steps to go. The judge is QuickBooks itself: the simulator records
every request it processed, in order (``QuickBooks.processed``)."""

from __future__ import annotations

import io
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from db import queue
from db.engine import Database
from db.models import Job, WcSession, utcnow
from db.states import StepState
from db.tenants import create_tenant
from mapping.step_kinds import StepKind
from simulator.faults import Faults
from simulator.webconnector import WebConnector
from tests.foundation.helpers import new_tenant
from tests.sends.conftest import Customer, end_retry_delays, new_company
from tests.support.payloads import PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.servers import LiveServer, start_server

# Every flow made of several steps where it can be: each document gets its code in a custom field
# after it (a second step), a purchase order first creates its items, a production order its
# employee and customer job and then one entry per time record.
MULTI_STEP_SETTINGS = {
    "entityCodeCustomField": "Fusion Code",
    "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
    "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
    "inventory": {"adjustmentAccount": "Inventory Adjustments"},
}
RAW = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>ACME</FullName></CustomerQueryRq>'
    "<VendorQueryRq><FullName>STEELCO</FullName></VendorQueryRq></QBXMLMsgsRq></QBXML>"
)


@dataclass(frozen=True)
class Flow:
    """One kind of job: what must exist before it can be sent (sent and synced beforehand), and how
    it is queued. ``steps``: how many steps its job has."""

    prepare: Callable[[Customer, str], None]
    queue: Callable[[Customer, str], str]
    steps: int


def _nothing(customer: Customer, tag: str) -> None:
    pass


def _sales_order(customer: Customer, tag: str) -> str:
    return customer.send("/sales-orders", {**SALES_ORDER, "code": f"SO-{tag}"})["jobId"]


def _purchase_order(customer: Customer, tag: str, item: str | None = None) -> str:
    rows = [{"product": {"code": item or f"NEW-{tag}", "name": "Part"}, "quantity": 40, "unitPrice": 3.2}]
    return customer.send("/purchase-orders", {**PURCHASE_ORDER, "code": f"PO-{tag}", "rows": rows})["jobId"]


def _prepare_receiving(customer: Customer, tag: str) -> None:
    _purchase_order(customer, f"R{tag}", "BAR-10")
    customer.sync_until_idle()


def _receiving(customer: Customer, tag: str) -> str:
    payload = {
        **RECEIVING,
        "code": f"RCV-{tag}",
        "purchaseOrder": {"code": f"PO-R{tag}"},
        "rows": [{"product": {"code": "BAR-10"}, "quantity": 40}],
    }
    return customer.send("/receivings", payload)["jobId"]


def _prepare_shipping(customer: Customer, tag: str) -> None:
    _sales_order(customer, f"S{tag}")
    customer.sync_until_idle()


def _shipping(customer: Customer, tag: str) -> str:
    return customer.send("/shippings", {**SHIPPING, "code": f"SHP-{tag}", "salesOrder": {"code": f"SO-S{tag}"}})[
        "jobId"
    ]


def _production_order(customer: Customer, tag: str) -> str:
    record = {
        "worker": {"number": "17", "name": "Ana Ruiz"},
        "operation": {"name": "Welding"},
        "section": {"name": "Fabrication"},
        "startTime": "2026-11-25T08:00:00Z",
        "duration": 30,
    }
    payload = {"code": f"MO-{tag}", "description": "Order", "client": {"code": "ACME"}, "timeRecords": [record, record]}
    return customer.send("/production-orders", payload)["jobId"]


def _inventory(customer: Customer, tag: str) -> str:
    return customer.send("/inventory", {"products": [{"code": "WIDGET-1", "name": "Widget", "quantity": 20}]})["jobId"]


def _raw(customer: Customer, tag: str) -> str:
    response = customer.api.post(customer.url("/qbxml"), json={"qbxml": RAW})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def _retrieval(customer: Customer, tag: str) -> str:
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}, "estimate": {"enabled": True}}})
    response = customer.api.post(
        customer.url("/retrievals"), json={"entities": ["salesOrder", "estimate"], "since": "2020-01-01"}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


FLOWS: dict[str, Flow] = {
    "salesOrder": Flow(_nothing, _sales_order, 2),
    "purchaseOrder": Flow(_nothing, _purchase_order, 3),
    "receiving": Flow(_prepare_receiving, _receiving, 2),
    "shipping": Flow(_prepare_shipping, _shipping, 2),
    "productionOrder": Flow(_nothing, _production_order, 4),
    "inventory": Flow(_nothing, _inventory, 2),  # the item lookup, then the adjustment
    "raw": Flow(_nothing, _raw, 1),
    "retrieval": Flow(_nothing, _retrieval, 3),  # the item list, then one query per document type
}
PAIRS = list(itertools.product(FLOWS, repeat=2))


def _customer(server: LiveServer) -> Customer:
    tenant = new_tenant(server.client, f"Order {uuid.uuid4().hex[:6]}")
    customer = Customer(server, tenant.id, tenant.username, tenant.token, new_company())
    customer.settings(MULTI_STEP_SETTINGS)
    return customer


@pytest.fixture(scope="module")
def ordered(live_server: LiveServer) -> Iterator[Customer]:
    """One tenant for the pairs: each pair drains the queue it filled, and is told apart from the
    others by its own jobs' requestIDs."""
    yield _customer(live_server)


def _tag() -> str:
    return uuid.uuid4().hex[:6].upper()


def _assert_in_order(customer: Customer, jobs: list[str], *, answers_lost: bool = False) -> list[int]:
    """QuickBooks processed the jobs' requests in the jobs' order. After a lost answer to a message
    set that two jobs shared (the earlier one's last step, then the later one's next), the earlier
    one's step is looked for, or sent again, after QuickBooks had processed both in order: with
    ``answers_lost``, each step counts where it first reached QuickBooks."""
    arrival = customer.arrival(jobs, first_only=answers_lost)
    assert arrival == sorted(arrival), f"QuickBooks processed the jobs' requests in this order: {arrival}"
    assert set(arrival) == set(range(len(jobs))), arrival
    return arrival


def _assert_rounds_done_once(
    customer: Customer, jobs: list[str], rounds: int, *, answers_lost: bool = False
) -> None:
    """``jobs`` hold ``rounds`` of each of the sales order, inventory, purchase order and production
    order flows (and any raw qbXML): every one succeeded, in queue order, and each document reached
    QuickBooks once."""
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * len(jobs)
    _assert_in_order(customer, jobs, answers_lost=answers_lost)
    company = customer.qb.company
    assert len(company.sales_orders) == rounds and len(company.purchase_orders) == rounds
    assert len(company.inventory_adjustments) == rounds and len(company.time_tracking) == 2 * rounds
    saved = [
        request.request_id
        for request in customer.qb.processed
        if request.saved and request.request_type in ("SalesOrderAddRq", "PurchaseOrderAddRq")
    ]
    assert len(saved) == len(set(saved)) == 2 * rounds, "each document reached QuickBooks once"


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}-then-{b}" for a, b in PAIRS])
def test_two_jobs_queued_back_to_back_reach_quickbooks_in_that_order(ordered: Customer, first: str, second: str) -> None:
    customer = ordered
    tags = [_tag(), _tag()]
    for name, tag in zip((first, second), tags, strict=True):
        FLOWS[name].prepare(customer, tag)
    jobs = [FLOWS[name].queue(customer, tag) for name, tag in zip((first, second), tags, strict=True)]

    session = customer.sync()

    assert session.ok, session.last_error
    for name, job_id in zip((first, second), jobs, strict=True):
        job = customer.job(job_id)
        assert job["status"] == "succeeded", job
        assert len(job["steps"]) == FLOWS[name].steps, [step["kind"] for step in job["steps"]]
    _assert_in_order(customer, jobs)
    assert customer.sync().auth_status == "none", "one session drained both"


def test_receiving_then_inventory_leaves_the_quantity_fusion_operations_asked_for(customer: Customer) -> None:
    """A purchase order, its receiving (a bill, which adds the received quantity) and an inventory
    count of the same item, accepted in that order: the count comes last in QuickBooks too."""
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    company = customer.qb.company
    assert company.quantity_on_hand("BAR-10") == 0
    jobs = [
        customer.send("/purchase-orders", PURCHASE_ORDER)["jobId"],
        customer.send("/receivings", RECEIVING)["jobId"],
        customer.send("/inventory", {"products": [{"code": "BAR-10", "name": "Steel bar", "quantity": 42}]})["jobId"],
    ]

    session = customer.sync()

    assert session.ok, session.last_error
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * 3
    # The documents QuickBooks saved (the inventory send's item lookup only reads).
    saved = [r.request_type for r in customer.qb.processed if r.saved and r.request_type.endswith("AddRq")]
    assert saved[-3:] == ["PurchaseOrderAddRq", "BillAddRq", "InventoryAdjustmentAddRq"]
    _assert_in_order(customer, jobs)
    assert company.quantity_on_hand("BAR-10") == 42


def test_receiving_then_inventory_keep_their_order_when_answers_are_lost(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}, "entityCodeCustomField": "Fusion Code"})
    jobs = [
        customer.send("/purchase-orders", PURCHASE_ORDER)["jobId"],
        customer.send("/receivings", RECEIVING)["jobId"],
        customer.send("/inventory", {"products": [{"code": "BAR-10", "name": "Steel bar", "quantity": 42}]})["jobId"],
    ]
    # The connector dies after QuickBooks saved the purchase order, then again after the bill.
    for faults in (Faults(drop_response=1), Faults(drop_response=2)):
        assert not customer.sync(faults=faults).ok
        time.sleep(1.1)  # the dead session goes silent; the next authenticate supersedes it
    customer.sync_until_idle()

    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * 3
    _assert_in_order(customer, jobs, answers_lost=True)
    company = customer.qb.company
    assert len(company.purchase_orders) == 1 and len(company.bills) == 1
    assert company.quantity_on_hand("BAR-10") == 42


def _eulerian_sequence(names: list[str]) -> list[str]:
    """A sequence in which every ordered pair of ``names`` (a name twice included) follows each
    other once: an Eulerian circuit of the complete directed graph with loops (Hierholzer)."""
    unused = {name: list(names) for name in names}
    stack, circuit = [names[0]], []
    while stack:
        if unused[stack[-1]]:
            stack.append(unused[stack[-1]].pop())
        else:
            circuit.append(stack.pop())
    return circuit[::-1]


def test_a_long_mixed_queue_keeps_its_order_across_lost_answers_and_busy_sessions(live_server: LiveServer) -> None:
    customer = _customer(live_server)
    sequence = _eulerian_sequence(list(FLOWS))
    pairs = {(a, b) for a, b in itertools.pairwise(sequence)}
    assert pairs == set(PAIRS), "every ordered pair of flows is queued back to back once"
    tags = [_tag() for _ in sequence]
    for name, tag in zip(sequence, tags, strict=True):
        FLOWS[name].prepare(customer, tag)
    jobs = [FLOWS[name].queue(customer, tag) for name, tag in zip(sequence, tags, strict=True)]

    faults: list[Faults] = [
        Faults(drop_response=4),
        Faults(busy=3),
        Faults(drop_response=7),
        Faults(busy=1),
        Faults(drop_response=2),
    ]
    for fault in faults:
        customer.sync(faults=fault)
        time.sleep(1.1)  # a connector that died goes silent; the next authenticate supersedes it
        end_retry_delays(customer)
    customer.sync_until_idle(limit=20)

    outcomes = [customer.job(job_id) for job_id in jobs]
    unfinished = [
        (name, job["status"], [step["statusCode"] for step in job["steps"]])
        for name, job in zip(sequence, outcomes, strict=True)
        if job["status"] != "succeeded"
    ]
    assert not unfinished, unfinished
    arrival = _assert_in_order(customer, jobs, answers_lost=True)
    # Busy answers and lost answers really happened, and QuickBooks saw some requests twice.
    assert any(request.status_code == 3180 for request in customer.qb.processed)
    assert len(arrival) == sum(FLOWS[name].steps for name in sequence)
    assert len(customer.arrival(jobs)) > len(arrival)


def test_a_job_waiting_for_a_retry_delay_holds_back_the_jobs_behind_it(customer: Customer) -> None:
    customer.settings({"entityCodeCustomField": "Fusion Code"})  # two steps: the first goes alone
    jobs = [
        customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-W1"})["jobId"],
        customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-W2"})["jobId"],
    ]
    busy = customer.sync(faults=Faults(busy=1))
    assert busy.ok, busy.last_error
    assert customer.job(jobs[0])["steps"][0]["statusCode"] == 3180
    # QuickBooks was busy for the first: the second did not go in its place, then or since.
    assert customer.qb.company.sales_orders == []
    assert customer.job(jobs[1])["status"] == "queued"
    assert customer.sync().auth_status == "none"
    end_retry_delays(customer)
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded", "succeeded"]
    _assert_in_order(customer, jobs)
    assert [order["RefNumber"] for order in customer.qb.company.sales_orders] == ["1", "2"]


def test_a_message_set_carries_a_later_job_only_after_the_last_step_of_the_one_before(customer: Customer) -> None:
    customer.settings({"entityCodeCustomField": "Fusion Code"})
    jobs = [customer.send("/sales-orders", {**SALES_ORDER, "code": f"SO-M{n}"})["jobId"] for n in range(3)]
    session = customer.sync()
    assert session.ok, session.last_error
    # Each order, then its code in a custom field. The first order goes alone; its custom field
    # (its job's last step) takes the next order along; and so on; the last custom field alone.
    assert session.requests_sent == 4
    claimed = [[step["claimedAt"] for step in customer.job(job_id)["steps"]] for job_id in jobs]
    assert claimed[0][1] == claimed[1][0] and claimed[1][1] == claimed[2][0]
    assert len({claimed[0][0], claimed[0][1], claimed[1][1], claimed[2][1]}) == 4
    _assert_in_order(customer, jobs)
    saved = [request.request_type for request in customer.qb.processed][-6:]
    assert saved == ["SalesOrderAddRq", "DataExtAddRq"] * 3


def test_single_step_jobs_still_share_message_sets_in_queue_order(customer: Customer) -> None:
    jobs = [customer.send("/sales-orders", {**SALES_ORDER, "code": f"SO-F{n}"})["jobId"] for n in range(12)]
    session = customer.sync()
    assert session.ok, session.last_error
    assert session.requests_sent == 2  # ten, then two
    _assert_in_order(customer, jobs)
    assert [order["RefNumber"] for order in customer.qb.company.sales_orders] == [str(n) for n in range(1, 13)]


def test_a_retried_job_goes_after_what_was_queued_before_the_retry(customer: Customer) -> None:
    refused = {**PURCHASE_ORDER, "code": "PO-LATE", "rows": [{"product": {"code": "GEAR-9", "name": "Gear"}, "quantity": 1, "unitPrice": 9}]}
    failed = customer.send("/purchase-orders", refused)["jobId"]
    customer.sync_until_idle()
    assert customer.job(failed)["status"] == "failed"
    customer.qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>GEAR-9</Name><SalesOrPurchase><Price>9.00</Price>"
        "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    before = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-BEFORE"})["jobId"]
    retried = customer.api.post(f"/api/v1/jobs/{failed}/retry")
    assert retried.status_code == 200, retried.text
    after = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-AFTER"})["jobId"]
    mark = len(customer.qb.processed)
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in (before, failed, after)] == ["succeeded"] * 3
    # The retry took its place after the order queued before it, and before the one queued after.
    arrival = customer.arrival([before, failed, after], since=mark)
    assert arrival == [0, 1, 2], arrival
    documents = [
        (request.request_type, request.saved)
        for request in customer.qb.processed
        if request.request_type in ("SalesOrderAddRq", "PurchaseOrderAddRq")
    ]
    assert documents == [
        ("PurchaseOrderAddRq", False),
        ("SalesOrderAddRq", True),
        ("PurchaseOrderAddRq", True),
        ("SalesOrderAddRq", True),
    ]


def test_a_receiving_behind_a_purchase_order_with_an_unknown_outcome_fails_and_a_new_one_is_refused(
    customer: Customer,
) -> None:
    order = customer.send("/purchase-orders", PURCHASE_ORDER)["jobId"]
    receiving = customer.send("/receivings", RECEIVING)["jobId"]
    later = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    # QuickBooks saves the purchase order and the answer is lost; then, asked whether it has it, it is
    # busy: the order's outcome is unknown, and it waits for a person.
    assert not customer.sync(faults=Faults(drop_response=1)).ok
    time.sleep(1.1)
    customer.sync(faults=Faults(busy=1))
    assert customer.job(order)["status"] == "unknown_outcome", customer.job(order)
    waiting = customer.job(receiving)
    assert waiting["status"] == "failed" and order in waiting["error"], waiting
    # The jobs behind it are not held back.
    assert customer.job(later)["status"] == "succeeded"
    again = customer.api.post(customer.url("/receivings"), json={**RECEIVING, "code": "RCV-2"})
    assert again.status_code == 409, again.text
    assert order in again.json()["detail"] and "unknown_outcome" in again.json()["detail"]
    assert customer.qb.company.bills == []

    assert customer.api.post(f"/api/v1/jobs/{order}/retry").status_code == 200
    assert customer.api.post(f"/api/v1/jobs/{receiving}/retry").status_code == 200
    customer.sync_until_idle()
    assert customer.job(order)["status"] == "succeeded" and customer.job(receiving)["status"] == "succeeded"
    assert len(customer.qb.company.purchase_orders) == 1 and len(customer.qb.company.bills) == 1


def _job_row(customer: Customer, job_id: str) -> dict[str, Any]:
    engine = create_engine(customer.server.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT queue_seq, status FROM jobs WHERE public_id = :id"), {"id": job_id}
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_a_retry_takes_a_new_place_at_the_end_of_the_queue(customer: Customer) -> None:
    first = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-P1"})["jobId"]
    assert customer.api.post(f"/api/v1/jobs/{first}/cancel").status_code == 200
    second = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-P2"})["jobId"]
    places = [_job_row(customer, first)["queue_seq"], _job_row(customer, second)["queue_seq"]]
    assert places[0] < places[1]
    assert customer.api.post(f"/api/v1/jobs/{first}/retry").status_code == 200
    assert _job_row(customer, first)["queue_seq"] > places[1]


class _SharedQuickBooks:
    """One QuickBooks company that several Web Connectors reach at once (each call under a lock):
    what the simulator's single-threaded QuickBooks needs to stand behind concurrent sessions."""

    def __init__(self, customer: Customer) -> None:
        self._qb = customer.qb
        self._lock = threading.Lock()
        self.host = customer.qb.host

    def host_response(self) -> str:
        with self._lock:
            return self._qb.host_response()

    def begin_session(self) -> None:
        pass  # iterators are per session in QuickBooks; the jobs here use none

    def end_session(self) -> None:
        pass

    def process(self, qbxml: str, *, busy: bool = False) -> str:
        with self._lock:
            return self._qb.process(qbxml, busy=busy)


@pytest.fixture
def two_processes(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    # A connector that died is superseded by the next login after one silent second.
    quick = {"QBBRIDGE_SUPERSEDE_AFTER_SECONDS": "1"}
    first = start_server(database_url, tmp_path / "a", extra_env=quick)
    second = start_server(database_url, tmp_path / "b", admin_key=first.admin_key, extra_env=quick)
    yield first, second
    first.stop()
    second.stop()


def test_concurrent_sessions_of_one_tenant_on_two_processes_keep_the_order(
    two_processes: tuple[LiveServer, LiveServer],
) -> None:
    """Several Web Connectors of one tenant at once (which a real one never does, but two PCs set up
    with the same .qwc file would), on two processes, each dying once in the middle of its first
    session with work and staying away long enough for the others to take over: every document
    reaches QuickBooks once, and in the order the jobs were accepted."""
    customer = _customer(two_processes[0])
    kinds = ["salesOrder", "inventory", "purchaseOrder", "productionOrder"] * 6
    jobs = [FLOWS[name].queue(customer, _tag()) for name in kinds]
    quickbooks = _SharedQuickBooks(customer)
    worked: list[int] = []

    def run_sessions(worker: int) -> None:
        died = False
        idle = 0
        while idle < 60:  # three seconds without work: longer than a dead session takes to supersede
            connector = WebConnector(
                two_processes[worker % 2].qbwc_url,
                customer.username,
                customer.token,
                quickbooks,  # type: ignore[arg-type]
                noop_pause=0.01,
                faults=Faults() if died else Faults(drop_response=3),
                out=io.StringIO(),
            )
            result = connector.run_session()
            if result.requests_sent:
                worked.append(worker)
                if not died and not result.ok:
                    died = True
                    # Away for longer than a dead session holds the tenant (1 s), while the others
                    # keep trying: one of them takes over. Back at once, this connector itself
                    # sometimes logged in first and took the rest of the work alone.
                    time.sleep(2.0)
                idle = 0
            else:
                idle += 1
            time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run_sessions, range(6)))
    customer.sync_until_idle()

    assert len(set(worked)) > 1, f"the sessions took turns: {worked}"
    _assert_rounds_done_once(customer, jobs, 6, answers_lost=True)


def test_two_sends_at_the_same_moment_are_numbered_in_the_order_they_are_accepted(customer: Customer) -> None:
    """A send that starts while another one of the same tenant is being written gets its place after
    it: places follow the order in which sends are committed (answered 202), not begun."""
    database = Database(customer.server.database_url)
    accepted: list[str] = []
    try:
        with database.transaction() as session:
            held = queue.enqueue(
                session,
                tenant_id=customer.tenant_id,
                kind=StepKind.RAW_QBXML,
                payload={},
                steps=[queue.NewStep(kind=StepKind.RAW_QBXML, intent={"qbxml": RAW})],
            )
            sender = threading.Thread(target=lambda: accepted.append(_sales_order(customer, "AT-ONCE")))
            sender.start()
            time.sleep(1.0)
            assert sender.is_alive() and not accepted, "the second send waited for the first to commit"
        sender.join(timeout=30)
    finally:
        database.dispose()
    [second] = accepted
    assert _job_row(customer, held.public_id)["queue_seq"] < _job_row(customer, second)["queue_seq"]
    customer.sync_until_idle()
    _assert_in_order(customer, [held.public_id, second])


def test_a_job_waiting_for_one_that_already_ended_is_passed_over_then_failed_by_its_retry(
    database: Database,
) -> None:
    """A send queued behind a job at the very moment that job ended without succeeding (which the
    send's own check and the failing of waiting jobs both missed) can never run: the queue passes
    over it rather than stop behind it, and retrying the job it waits for fails it, to be retried
    after that one."""
    now = utcnow()
    with database.transaction() as session:
        tenant = create_tenant(session, f"Order {uuid.uuid4().hex[:6]}")
        wc_session = WcSession(tenant_id=tenant.id, ticket_digest=uuid.uuid4().hex * 2, state="open")
        session.add(wc_session)
        session.flush()
        raw = [queue.NewStep(kind=StepKind.RAW_QBXML, intent={"qbxml": RAW})]
        ended = queue.enqueue(session, tenant_id=tenant.id, kind=StepKind.RAW_QBXML, payload={}, steps=raw)
        step = queue.claim_next_step(session, tenant_id=tenant.id, session_id=wc_session.id, now=now)
        assert step is not None and step.job_id == ended.id
        queue.finish_step(session, step, StepState.UNKNOWN_OUTCOME, now=now, error="lost")
        stuck = queue.enqueue(
            session, tenant_id=tenant.id, kind=StepKind.RAW_QBXML, payload={}, steps=raw, depends_on_job_id=ended.id
        )
        behind = queue.enqueue(session, tenant_id=tenant.id, kind=StepKind.RAW_QBXML, payload={}, steps=raw)
        claimed = queue.claim_next_step(session, tenant_id=tenant.id, session_id=wc_session.id, now=now)
        assert claimed is not None and claimed.job_id == behind.id
        queue.finish_step(session, claimed, StepState.SUCCEEDED, now=now)
        assert session.get(Job, stuck.id).status == "queued"  # type: ignore[union-attr]
        job = session.get(Job, ended.id)
        assert job is not None
        assert queue.retry_job(session, job, now=now) is None
        waiting = session.get(Job, stuck.id)
        assert waiting is not None and waiting.status == "failed" and ended.public_id in (waiting.error or "")
        assert job.queue_seq > behind.queue_seq
