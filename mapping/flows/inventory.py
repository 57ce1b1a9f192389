"""Inventory (Fusion Operations) updates Inventory (QuickBooks): one adjustment setting new quantities.

Two steps: an ``ItemQuery`` for the products' items, then the adjustment, rendered from that answer
with only the items QuickBooks keeps a quantity of (``mapping/item_types.py``); the others are left
out with a warning naming their QuickBooks type. When every item's type is known from an earlier
answer and none can be adjusted, the send is refused before anything is queued.

Inventory can be sent again and again, so the plan links to nothing; its ExternalGUID is made from the
send's moment and products, which is enough to find this adjustment again and never an older one.
"""

from __future__ import annotations

from mapping.entities import InventoryProduct, InventorySend
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.naming import external_guid, local_day
from mapping.flows.reconcile import reconcile_inventory
from mapping.item_types import decide_before_sending
from mapping.plan import CheckedItem, ItemCheck, LineFilter, Plan, PlanError, PlannedStep
from mapping.settings import Settings
from requests_builder import (
    InventoryAdjustmentAdd,
    InventoryAdjustmentLine,
    ItemQuery,
    QuantityAdjustment,
    Ref,
)

FLOW = "inventory"
# "Object specified in the request cannot be found": how QuickBooks may answer a query for names when
# it has none of them.
NOT_FOUND = 3120


def _item_name(
    product: InventoryProduct, index: int, settings: Settings, builder: PlanBuilder
) -> tuple[str, str]:
    """The QuickBooks item of a product: its match custom field when set, else its code."""
    field = settings.inventory.item_match_custom_field
    if field is None:
        return product.code, f"products[{index}].code"
    value = product.custom_fields.get(field)
    text = str(value).strip() if value is not None else ""
    if not text:
        # The code is the item name everywhere else, so it is the best remaining guess; QuickBooks
        # refuses the line (3140) if no such item exists.
        builder.warn(
            f"products[{index}].customFields.{field}: product {product.code} has no {field!r}; its code is "
            "used as the QuickBooks item name"
        )
        return product.code, f"products[{index}].code"
    return text, f"products[{index}].customFields.{field}"


def plan_inventory(send: InventorySend, settings: Settings, ctx: PlanContext) -> Plan:
    options = settings.inventory
    account = send.adjustment_account or options.adjustment_account
    if not account:
        raise PlanError(
            "settings.inventory.adjustmentAccount",
            "an inventory adjustment needs the account it is recorded against: choose the Adjustment "
            "Account, then send again",
        )
    memo = send.adjustment_memo if send.adjustment_memo is not None else options.adjustment_memo
    builder = PlanBuilder(FLOW, None)
    chosen = list(enumerate(send.products))
    if options.only_tagged_products:
        tag = options.tag.strip().casefold()
        skipped = [p.code for _, p in chosen if tag not in {t.casefold() for t in p.tags}]
        chosen = [(i, p) for i, p in chosen if tag in {t.casefold() for t in p.tags}]
        if not chosen:
            raise PlanError(
                "products",
                f"none of the products carries the tag {options.tag!r}, and only tagged products are sent: "
                "tag them, or turn off onlyTaggedProducts",
            )
        if skipped:
            builder.warn(f"products: not tagged {options.tag!r}, so not sent: {', '.join(skipped)}")
    lines = []
    # What each line sets, for the reconcile text (the lines' own fields are optional in their type).
    settings_text: list[str] = []
    fields: dict[str, str] = {"account": "settings.inventory.adjustmentAccount", "memo": "adjustmentMemo"}
    items: dict[str, str] = {}
    checked: list[CheckedItem] = []
    for position, (index, product) in enumerate(chosen):
        item, path = _item_name(product, index, settings, builder)
        if item in items:
            raise PlanError(
                path,
                f"products {items[item]} and {product.code} both set the quantity of QuickBooks item "
                f"{item!r}; "
                "send each item once",
            )
        items[item] = product.code
        checked.append(CheckedItem(name=item, field=path, product=product.code))
        settings_text.append(f"{item} to {product.quantity}")
        lines.append(
            InventoryAdjustmentLine(
                item=Ref(full_name=item),
                quantity_adjustment=QuantityAdjustment(new_quantity=product.quantity),
            )
        )
        fields[f"lines[{position}].item"] = path
        fields[f"lines[{position}].quantity_adjustment"] = f"products[{index}].quantity"
    check = ItemCheck(items=tuple(checked))
    refusal = decide_before_sending(check, ctx.known_item_types())
    if refusal is not None:
        raise PlanError("products", refusal)
    builder.add(
        PlannedStep(
            # Only the names come back (the type is the record's element): a small answer for many items.
            request=ItemQuery(full_names=list(items), include_ret_elements=["FullName"]),
            description=f"Ask QuickBooks which of the {len(items)} item(s) keep a quantity on hand",
            purpose="lookup",
            # QuickBooks may answer "not found" when it has none of the names: that is an answer too.
            accept_status=frozenset({NOT_FOUND}),
            item_check=check,
        ),
        {f"full_names[{position}]": entry.field for position, entry in enumerate(checked)},
    )
    guid = external_guid(ctx.tenant_id, FLOW, ctx.now.isoformat(), *sorted(items))
    request = InventoryAdjustmentAdd(
        account=Ref(full_name=account),
        txn_date=local_day(ctx.now, settings),
        memo=memo or None,
        external_guid=guid,
        lines=lines,
    )
    builder.add(
        PlannedStep(
            request=request,
            description=f"Set the quantity on hand of {len(lines)} item(s) in QuickBooks",
            reconcile=reconcile_inventory(
                guid=guid,
                look_for=(
                    f"an inventory adjustment dated {request.txn_date} against {account} setting "
                    + ", ".join(settings_text)
                ),
            ),
            # Nothing to link: the plan has no link (inventory is sent again and again).
            creates_link=False,
            line_filter=LineFilter(step=0),
        ),
        fields,
    )
    builder.plan.summary = {"account": account, "items": len(lines), "externalGuid": guid}
    return builder.plan
