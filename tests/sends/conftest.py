"""A tenant wired to a simulated QuickBooks company, for end-to-end tests of the send flows."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, create_engine, text

from db import queue
from db.models import UTCDateTime
from mapping.plan import PlannedStep
from mapping.step_kinds import StepKind
from requests_builder import CustomerQuery
from simulator.company import Company
from simulator.faults import Faults
from simulator.host import HostFacts
from simulator.quickbooks import QuickBooks
from simulator.webconnector import SessionResult, WebConnector
from tests.foundation.helpers import new_tenant
from tests.simulator.conftest import message_set
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.servers import LiveServer
from tests.support.shared import schema_dir

# The lists a Fusion Operations customer would have in QuickBooks before the first send.
_COMPANY_SETUP = (
    "<CustomerAddRq><CustomerAdd><Name>ACME</Name><CompanyName>Acme Corp</CompanyName></CustomerAdd></CustomerAddRq>",
    "<CustomerAddRq><CustomerAdd><Name>Web Store</Name></CustomerAdd></CustomerAddRq>",
    "<CustomerAddRq><CustomerAdd><Name>Web Store Sales</Name></CustomerAdd></CustomerAddRq>",
    "<VendorAddRq><VendorAdd><Name>STEELCO</Name></VendorAdd></VendorAddRq>",
    "<EmployeeAddRq><EmployeeAdd><FirstName>Ana</FirstName><LastName>Ruiz</LastName></EmployeeAdd></EmployeeAddRq>",
    "<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Fabrication</Name><WageType>HourlyRegular</WageType>"
    "<ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd></PayrollItemWageAddRq>",
    "<ItemServiceAddRq><ItemServiceAdd><Name>Welding</Name><SalesOrPurchase><Price>60.00</Price>"
    "<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>",
    "<ItemInventoryAddRq><ItemInventoryAdd><Name>WIDGET-1</Name><SalesPrice>12.50</SalesPrice>"
    "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef><COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
    "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>",
    "<ItemInventoryAddRq><ItemInventoryAdd><Name>BAR-10</Name>"
    "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef><PurchaseCost>3.20</PurchaseCost><COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
    "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAdd></ItemInventoryAddRq>",
    "<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Fusion Code</DataExtName><DataExtType>STR255TYPE</DataExtType>"
    "<AssignToObject>Customer</AssignToObject><AssignToObject>Vendor</AssignToObject></DataExtDefAdd></DataExtDefAddRq>",
    "<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Customer PO</DataExtName><DataExtType>STR255TYPE</DataExtType>"
    "<AssignToObject>Customer</AssignToObject></DataExtDefAdd></DataExtDefAddRq>",
)

# The same, as one message set for a QuickBooks that speaks 13.0 (bench/send_flows.py seeds with it).
COMPANY_SETUP = message_set(*_COMPANY_SETUP)

__all__ = ["Customer", "new_company", "new_customer"]

REQUEST_ID = re.compile(r'requestID="([^"]+)"')

# The inventory payload, with the item-match custom field naming the item as it is in this company.
INVENTORY = {
    "products": [{"code": "WIDGET-1", "name": "Widget", "quantity": 42, "tags": ["Quickbooks"], "customFields": {"QB Item": "WIDGET-1"}}]
}

# Each flow's route under a tenant and its minimal payload, by the flow's name in the registry.
ENDPOINTS = {
    "salesOrder": ("/sales-orders", SALES_ORDER),
    "purchaseOrder": ("/purchase-orders", PURCHASE_ORDER),
    "receiving": ("/receivings", RECEIVING),
    "shipping": ("/shippings", SHIPPING),
    "productionOrder": ("/production-orders", PRODUCTION_ORDER),
    "inventory": ("/inventory", INVENTORY),
}


@dataclass
class Customer:
    """One tenant of the live server and its simulated QuickBooks."""

    server: LiveServer
    tenant_id: str
    username: str
    token: str
    qb: QuickBooks
    sessions: list[SessionResult] = field(default_factory=list)

    @property
    def api(self) -> httpx.Client:
        return self.server.client

    def url(self, path: str) -> str:
        return f"/api/v1/tenants/{self.tenant_id}{path}"

    def settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        response = self.api.put(self.url("/settings"), json=patch)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def send(self, path: str, payload: dict[str, Any], expect: int = 202) -> dict[str, Any]:
        response = self.api.post(self.url(path), json=payload)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def sync(self, faults: Faults | None = None, **kw: Any) -> SessionResult:
        """One Web Connector session against the simulated company."""
        connector = WebConnector(
            self.server.qbwc_url,
            self.username,
            self.token,
            self.qb,
            noop_pause=0.01,
            faults=faults or Faults(),
            out=io.StringIO(),
            **kw,
        )
        result = connector.run_session()
        self.sessions.append(result)
        return result

    def sync_until_idle(self, limit: int = 10) -> None:
        for _ in range(limit):
            result = self.sync()
            if result.auth_status == "none":
                return
        raise AssertionError("the queue did not drain")

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def counts(self) -> dict[str, int]:
        """How many of each kind of record the simulated company holds: a send that must happen once
        shows as one more of its kind and nothing else."""
        company = self.qb.company
        return {
            "salesOrders": len(company.sales_orders),
            "purchaseOrders": len(company.purchase_orders),
            "bills": len(company.bills),
            "invoices": len(company.invoices),
            "timeTracking": len(company.time_tracking),
            "inventoryAdjustments": len(company.inventory_adjustments),
            "items": len(company.items),
            "employees": len(company.employees),
            "customers": len(company.customers),
        }

    def reopen(self, version: str) -> None:
        """The same company file, opened by another QuickBooks (updated, or moved to an older PC)."""
        self.qb = QuickBooks(
            self.qb.company,
            host=HostFacts(max_qbxml_version=version),
            schema_dir=schema_dir(),
            use_default_schema=False,
        )

    def link(self, entity: str, code: str) -> dict[str, Any] | None:
        items = self.api.get(self.url("/links"), params={"entity": entity, "code": code}).json()["items"]
        return items[0] if items else None

    def arrival(self, job_ids: list[str], *, since: int = 0, first_only: bool = False) -> list[int]:
        """For each request QuickBooks processed (in the order it processed them, read from the
        simulator; from the ``since``-th on) that belongs to one of ``job_ids``: the index of its job
        in ``job_ids``. A step's requestIDs are ``<step id>.<n>`` on every attempt, so each is traced
        to its job by the prefix of the requestIDs stored with the job's steps. ``first_only``: only
        the first time each step reached QuickBooks (not its reconciliation or repetition after a
        lost answer)."""
        owner: dict[str, int] = {}
        for index, job_id in enumerate(job_ids):
            for step in self.job(job_id)["steps"]:
                for request_id in REQUEST_ID.findall(step["request"] or ""):
                    owner[request_id.split(".")[0]] = index
        arrival: list[int] = []
        seen: set[str] = set()
        for processed in self.qb.processed[since:]:
            step_id = (processed.request_id or "").split(".")[0]
            if step_id not in owner or (first_only and step_id in seen):
                continue
            seen.add(step_id)
            arrival.append(owner[step_id])
        return arrival


def end_retry_delays(customer: Customer) -> None:
    """Let the customer's steps waiting for a retry delay (after QuickBooks was busy) go now."""
    engine = create_engine(customer.server.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE job_steps SET not_before = :past WHERE tenant_id = :tenant AND not_before IS NOT NULL")
                .bindparams(bindparam("past", type_=UTCDateTime())),
                {"past": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), "tenant": customer.tenant_id},
            )
    finally:
        engine.dispose()


def lookup_step(name: str) -> queue.NewStep:
    """A step that only looks the customer ``name`` up, for jobs a test writes to the queue itself."""
    intent = PlannedStep(request=CustomerQuery(full_names=[name]), description=f"Look up {name}", purpose="lookup")
    return queue.NewStep(kind=StepKind.QBXML_REQUEST, intent=intent.to_intent())


def new_company(country: str = "US", max_version: str = "13.0") -> QuickBooks:
    qb = QuickBooks(
        Company.new("Fusion Customer"),
        host=HostFacts(country=country, max_qbxml_version=max_version),
        schema_dir=schema_dir(),
        use_default_schema=False,
    )
    # What the user set up in QuickBooks, written at the version this QuickBooks speaks.
    response = qb.process(message_set(*_COMPANY_SETUP, version=max_version))
    assert 'statusSeverity="Error"' not in response, response
    return qb


def new_customer(server: LiveServer, qb: QuickBooks) -> Customer:
    """A new tenant of ``server`` whose Web Connector reaches ``qb``."""
    tenant = new_tenant(server.client, f"Fusion {uuid.uuid4().hex[:6]}")
    return Customer(server, tenant.id, tenant.username, tenant.token, qb)


@pytest.fixture
def customer(live_server: LiveServer) -> Customer:
    return new_customer(live_server, new_company())
