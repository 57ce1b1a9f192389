"""Create missing items (purchase orders only): a non-inventory item per product, before the order.

An item that exists already answers 3100 ("name already in use"), which is what the step wanted. For a
``Parent:Child`` code every level is ensured top first, since QuickBooks adds an item only under an
existing parent.
"""

from __future__ import annotations

from decimal import Decimal

from mapping.entities import OrderRow
from mapping.flows.assembly import PlanBuilder
from mapping.flows.naming import ancestors, split_full_name
from mapping.plan import PlannedStep
from mapping.settings import CreateMissingItems
from requests_builder import ItemNonInventoryAdd, Ref, SalesOrPurchase

NAME_IN_USE = 3100


def _account(options: CreateMissingItems) -> Ref:
    # QuickBooks uses the ListID when both are given; keep both so either one finds the account.
    return Ref(list_id=options.income_account_id or None, full_name=options.income_account_full_name or None)


def add_missing_item_steps(builder: PlanBuilder, rows: list[OrderRow], options: CreateMissingItems) -> None:
    seen: set[str] = set()
    for index, row in enumerate(rows):
        code = row.product.code
        for full_name in ancestors(code):
            if full_name in seen:
                continue
            seen.add(full_name)
            parent, leaf = split_full_name(full_name)
            is_product = full_name == code
            price: Decimal | None = row.unit_price if is_product else None
            request = ItemNonInventoryAdd(
                name=leaf,
                parent=Ref(full_name=parent) if parent else None,
                sales_or_purchase=SalesOrPurchase(
                    desc=row.product.name if is_product else None, price=price, account=_account(options)
                ),
            )
            noun = "item" if is_product else "parent item"
            builder.add(
                PlannedStep(
                    request=request,
                    description=f"Create the {noun} {full_name} unless QuickBooks has it",
                    purpose="ensure",
                    accept_status=frozenset({NAME_IN_USE}),
                ),
                {
                    "name": f"rows[{index}].product.code",
                    "parent": f"rows[{index}].product.code",
                    "sales_or_purchase.desc": f"rows[{index}].product.name",
                    "sales_or_purchase.price": f"rows[{index}].unitPrice",
                    "sales_or_purchase.account": "settings.createMissingItems",
                },
            )
