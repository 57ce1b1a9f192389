"""The six send flows: a Fusion Operations entity and the tenant's settings become a :class:`Plan`.

Planners are pure: everything they know comes from the entity, the settings and the
:class:`PlanContext` (tenant, synchronization time, links of entities sent before). See docs/flows.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mapping.entities import InventorySend, ProductionOrder, PurchaseOrder, Receiving, SalesOrder, Shipping
from mapping.flows.context import PlanContext
from mapping.flows.inventory import plan_inventory
from mapping.flows.production_order import plan_production_order
from mapping.flows.purchase_order import plan_purchase_order
from mapping.flows.receiving import plan_receiving, receiving_blocker_key
from mapping.flows.sales_order import plan_sales_order
from mapping.flows.shipping import plan_shipping, shipping_blocker_key
from mapping.flows.validate import validate_plan
from mapping.plan import Plan
from mapping.settings import Settings


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """``settings_key``: the flow's entry in ``Settings.sends`` (camelCase, as stored)."""

    name: str
    model: type[BaseModel]
    planner: Callable[[Any, Settings, PlanContext], Plan]
    settings_key: str
    qb_document: str  # what the flow creates in QuickBooks, for messages


FLOWS: dict[str, FlowSpec] = {
    spec.name: spec
    for spec in (
        FlowSpec("salesOrder", SalesOrder, plan_sales_order, "salesOrder", "Sales Order"),
        FlowSpec("purchaseOrder", PurchaseOrder, plan_purchase_order, "purchaseOrder", "Purchase Order"),
        FlowSpec("receiving", Receiving, plan_receiving, "receiving", "Bill"),
        FlowSpec("shipping", Shipping, plan_shipping, "shipping", "Invoice"),
        FlowSpec(
            "productionOrder", ProductionOrder, plan_production_order, "productionOrder", "Timesheet Entry"
        ),
        FlowSpec("inventory", InventorySend, plan_inventory, "inventory", "Inventory Adjustment"),
    )
}

__all__ = [
    "FLOWS",
    "FlowSpec",
    "PlanContext",
    "plan_inventory",
    "plan_production_order",
    "plan_purchase_order",
    "plan_receiving",
    "plan_sales_order",
    "plan_shipping",
    "receiving_blocker_key",
    "shipping_blocker_key",
    "validate_plan",
]
