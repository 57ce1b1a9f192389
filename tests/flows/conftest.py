"""Shared fixtures: the minimal payloads of each flow (five from tests/support/payloads.py, the inventory one
here), a planning context, and the official 13.0 schema."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from lxml import etree

from mapping.flows.context import PlanContext
from mapping.flows.validate import with_placeholders
from mapping.plan import LinkInfo, Plan
from mapping.settings import Settings, merge_settings
from requests_builder import build_message_set, request_from_dict
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.shared import require_schema_dir

TENANT = "tenant-1"
NOW = dt.datetime(2026, 12, 5, 3, 30, tzinfo=dt.UTC)  # still Dec 4 in New York

INVENTORY = {
    "products": [
        {
            "code": "WIDGET-1",
            "name": "Widget",
            "quantity": 42,
            "tags": ["Quickbooks"],
            "customFields": {"QB Item": "Widgets:Blue"},
        }
    ]
}

# Each flow's minimal payload, by the flow's name in the registry (mapping.flows.FLOWS).
PAYLOADS = {
    "salesOrder": SALES_ORDER,
    "purchaseOrder": PURCHASE_ORDER,
    "receiving": RECEIVING,
    "shipping": SHIPPING,
    "productionOrder": PRODUCTION_ORDER,
    "inventory": INVENTORY,
}


def payload(which: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(which)
    data.update(changes)
    return data


def settings(**patch: Any) -> Settings:
    return merge_settings(None, patch)


class Links:
    """An in-memory link table: what earlier sends became in QuickBooks."""

    def __init__(self) -> None:
        self.links: dict[tuple[str, str], LinkInfo] = {}

    def add(self, entity: str, code: str, data: dict[str, Any] | None = None, **kwargs: Any) -> LinkInfo:
        link = LinkInfo(
            entity=entity, code=code, status=kwargs.pop("status", "linked"), data=data or {}, **kwargs
        )
        self.links[(entity, code)] = link
        return link

    def __call__(self, entity: str, code: str) -> LinkInfo | None:
        return self.links.get((entity, code))


@pytest.fixture
def links() -> Links:
    table = Links()
    table.add("purchaseOrder", "PO-2001", PURCHASE_ORDER, qb_type="PurchaseOrder", txn_id="10-1")
    table.add("salesOrder", "SO-1001", SALES_ORDER, qb_type="SalesOrder", txn_id="20-1")
    return table


@pytest.fixture
def ctx(links: Links) -> PlanContext:
    return PlanContext(tenant_id=TENANT, now=NOW, link_lookup=links)


@pytest.fixture(scope="session")
def schema13() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(require_schema_dir() / "qbxmlops130.xsd")))


def schema_errors(schema: etree.XMLSchema, plan: Plan) -> list[str]:
    """Every step's request (bound fields filled with placeholders, with any reference of ours a way
    of finding it sets) and every reconcile query, as built for a 13.0 host, checked against Intuit's
    schema."""
    errors = []
    for index, step in enumerate(plan.steps):
        request = with_placeholders(step.request, step.bindings)
        requests = [request]
        if step.reconcile is not None:
            for lookup in step.reconcile.lookups:
                requests.append(with_placeholders(lookup.query, lookup.bindings))
                if lookup.marks:
                    requests.append(request_from_dict({**request.to_dict(), **lookup.marks}))
        for request in requests:
            xml = build_message_set([request], version="13.0").xml
            if not schema.validate(etree.fromstring(xml.encode("utf-8"))):
                errors += [f"step {index} {type(request).__name__}: {e.message}" for e in schema.error_log]
    return errors
