"""Which QuickBooks items an inventory adjustment can carry, decided from QuickBooks' own answer.

QuickBooks keeps a quantity on hand only of inventory parts and inventory assemblies; an adjustment
line naming any other item (non-inventory part, service, other charge, group, …) makes it refuse the
whole adjustment with 3140, as if the item did not exist. So an inventory send first asks QuickBooks
for the types of its items (an ``ItemQuery``); the items it cannot adjust are left out with a warning
naming the item and its QuickBooks type, and the adjustment carries the others. A send where none is
left is refused: before it is queued when qbbridge already knows the types from an earlier send's
answer (:func:`known_item_types`), otherwise when QuickBooks answers the query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mapping.plan import CheckedItem, ItemCheck

ADJUSTABLE = frozenset({"ItemInventory", "ItemInventoryAssembly"})

# QuickBooks' item types (the element of each ``*Ret`` without ``Ret``) in the words QuickBooks uses.
TYPE_WORDS: dict[str, str] = {
    "ItemInventory": "inventory part",
    "ItemInventoryAssembly": "inventory assembly",
    "ItemNonInventory": "non-inventory part",
    "ItemService": "service item",
    "ItemOtherCharge": "other charge item",
    "ItemGroup": "group item",
    "ItemDiscount": "discount item",
    "ItemPayment": "payment item",
    "ItemSalesTax": "sales tax item",
    "ItemSalesTaxGroup": "sales tax group",
    "ItemSubtotal": "subtotal item",
    "ItemFixedAsset": "fixed asset item",
}

# The key of a lookup step's result that lists the items it kept, and the one with every type found.
KEPT = "kept"
ITEM_TYPES = "itemTypes"
# How long an earlier answer is trusted to refuse a send before it is queued: QuickBooks can turn a
# non-inventory part into an inventory part, so an old answer could refuse a send that would now work.
KNOWN_FOR = dt.timedelta(days=7)


def item_type(element: str) -> str:
    """``ItemInventoryRet`` -> ``ItemInventory``."""
    return element.removesuffix("Ret")


def _described(item_type: str) -> str:
    words = TYPE_WORDS.get(item_type, "item of a kind without a quantity on hand")
    article = "an" if words[0] in "aeiou" else "a"
    return f"{article} {words} ({item_type})"


@dataclass(frozen=True, slots=True)
class KnownType:
    item_type: str
    reported: dt.datetime  # when QuickBooks said so


@dataclass(slots=True)
class ItemDecision:
    kept: list[str] = field(default_factory=list)  # item names as sent, in the send's order
    warnings: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # why each other item was left out

    @property
    def refusal(self) -> str | None:
        """Why nothing can be sent, when nothing is left."""
        if self.kept:
            return None
        return (
            "None of the products can be adjusted in QuickBooks: "
            + "; ".join(self.left_out)
            + ". QuickBooks keeps a quantity on hand only of inventory parts and inventory assemblies. "
            "Nothing was sent: send products whose QuickBooks items are inventory parts."
        )


def decide(check: ItemCheck, types: Mapping[str, str]) -> ItemDecision:
    """Which of ``check``'s items an adjustment may carry, given ``types`` (QuickBooks full name,
    case-folded as QuickBooks compares names, -> item type). An item QuickBooks does not have is left
    out too: naming it would make QuickBooks refuse the whole adjustment."""
    decision = ItemDecision()
    for item in check.items:
        found = types.get(item.name.casefold())
        if found in ADJUSTABLE:
            decision.kept.append(item.name)
            continue
        reason = _reason(item, found)
        decision.left_out.append(reason)
        decision.warnings.append(
            f"{item.field}: {reason}, so product {item.product} was left out of the inventory adjustment."
        )
    return decision


def _reason(item: CheckedItem, found: str | None) -> str:
    if found is None:
        return f"QuickBooks has no item named {item.name!r}"
    return f"QuickBooks item {item.name!r} is {_described(found)}, which has no quantity on hand"


def decide_before_sending(check: ItemCheck, known: Mapping[str, KnownType]) -> str | None:
    """The refusal of a send none of whose items can be adjusted, when every item's type is known
    from an earlier answer of QuickBooks; None when the send may go (QuickBooks' answer decides)."""
    if not check.items or any(item.name.casefold() not in known for item in check.items):
        return None
    decision = decide(check, {name: entry.item_type for name, entry in known.items()})
    refusal = decision.refusal
    if refusal is None:
        return None
    oldest = min(known[item.name.casefold()].reported for item in check.items)
    return f"{refusal} QuickBooks reported these types on or after {oldest:%Y-%m-%d}."


def lookup_result(check: ItemCheck, records: Iterable[Any]) -> tuple[ItemDecision, dict[str, Any]]:
    """The decision on QuickBooks' answer (item records with ``full_name`` and ``item_type``), and what
    the lookup step keeps as its result (read by the adjustment's line filter and by later sends)."""
    types = {
        str(record.full_name).casefold(): item_type(str(record.item_type))
        for record in records
        if getattr(record, "full_name", None)
    }
    decision = decide(check, types)
    return decision, {KEPT: decision.kept, ITEM_TYPES: types}


def known_item_types(results: Iterable[tuple[dt.datetime, Mapping[str, Any]]]) -> dict[str, KnownType]:
    """What earlier lookups said, newest answer first wins: case-folded full name -> its type."""
    known: dict[str, KnownType] = {}
    for reported, result in results:
        for name, found in (result.get(ITEM_TYPES) or {}).items():
            known.setdefault(str(name), KnownType(str(found), reported))
    return known
