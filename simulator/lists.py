"""List Adds: accounts, customers and jobs, vendors, employees, items of every type, payroll wage items,
unit-of-measure sets."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, full_name, money, quantity
from simulator.records import (
    Context,
    Reply,
    copy_passthrough,
    decimal,
    element_value,
    ref_of,
    require_ref,
    stamp_new_list,
    text,
)

MAX_SUBLEVEL = 4  # QuickBooks allows five levels: a top-level name plus four below it.


def _place_in_hierarchy(company: Company, record: Record, parent: Record | None, kind: str) -> None:
    if parent is None:
        record["FullName"] = record["Name"]
        record["Sublevel"] = "0"
        return
    level = int(parent.get("Sublevel", "0")) + 1
    if level > MAX_SUBLEVEL:
        raise statuses.save_error(
            f'{kind} list, element "{record["Name"]}"', "The list has more than 5 levels of subitems."
        )
    record["ParentRef"] = ref_of(parent)
    record["FullName"] = f"{full_name(parent)}:{record['Name']}"
    record["Sublevel"] = str(level)


def _check_name_free(records: list[Record], name: str) -> None:
    if any(full_name(r).lower() == name.lower() for r in records):
        raise statuses.name_in_use(name)


def _leaf_name(request: etree._Element) -> str:
    name = text(request, "Name") or ""
    if ":" in name:
        raise statuses.invalid_value("Name", name, "A name cannot contain a colon.")
    return name


def _new_top_level(company: Company, add: etree._Element, records: list[Record], *fields: str) -> Record:
    """A list record with no parent: stamped first (QuickBooks spends the ListID even when the name
    is then refused), its name free among ``records``, active unless the request says otherwise,
    with the request's text of ``fields``."""
    record = stamp_new_list(company)
    record["Name"] = _leaf_name(add)
    _check_name_free(records, record["Name"])
    record["IsActive"] = text(add, "IsActive") or "true"
    for name in fields:
        record[name] = text(add, name)
    return record


def account_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    company = ctx.company
    record = stamp_new_list(company)
    record["Name"] = _leaf_name(add)
    parent = require_ref(company, company.accounts, add.find("ParentRef"), "Account", "Account")
    _place_in_hierarchy(company, record, parent, "Account")
    _check_name_free(company.accounts, record["FullName"])
    record["IsActive"] = text(add, "IsActive") or "true"
    record["AccountType"] = text(add, "AccountType")
    copy_passthrough(
        add, record, "AccountRet", {"Name", "ParentRef", "IsActive", "AccountType", "OpenBalance"}
    )
    record["Balance"] = money(decimal(text(add, "OpenBalance")) or Decimal(0))
    record["TotalBalance"] = record["Balance"]
    company.accounts.append(record)
    return Reply([("AccountRet", record)])


def _entity_add(
    ctx: Context, rq: etree._Element, kind: str, records: list[Record], ret_tag: str, hierarchical: bool
) -> Reply:
    add = rq[0]
    company = ctx.company
    record = stamp_new_list(company)
    name = _leaf_name(add)
    if not name and kind == "Employee":
        name = " ".join(p for p in (text(add, "FirstName"), text(add, "LastName")) if p)
    if not name:
        raise statuses.QBStatus(3150, f'There is a missing element: "Name" in the {kind}.')
    record["Name"] = name
    handled = {"Name", "IsActive", "ParentRef"}
    if hierarchical:
        parent = require_ref(company, company.customers, add.find("ParentRef"), "Customer", kind)
        _place_in_hierarchy(company, record, parent, kind)
        if parent is not None:
            _check_name_free(records, record["FullName"])
        else:
            _check_name_free(company.entities(), name)
    else:
        _check_name_free(company.entities(), name)
    record["IsActive"] = text(add, "IsActive") or "true"
    copy_passthrough(add, record, ret_tag, handled)
    if kind in ("Customer", "Vendor"):
        record["Balance"] = "0.00"
    if kind == "Customer":
        record["TotalBalance"] = "0.00"
        record.setdefault("JobStatus", "None")
    records.append(record)
    return Reply([(ret_tag, record)])


def customer_add(ctx: Context, rq: etree._Element) -> Reply:
    return _entity_add(ctx, rq, "Customer", ctx.company.customers, "CustomerRet", hierarchical=True)


def vendor_add(ctx: Context, rq: etree._Element) -> Reply:
    return _entity_add(ctx, rq, "Vendor", ctx.company.vendors, "VendorRet", hierarchical=False)


def employee_add(ctx: Context, rq: etree._Element) -> Reply:
    return _entity_add(ctx, rq, "Employee", ctx.company.employees, "EmployeeRet", hierarchical=False)


def _account_refs(
    ctx: Context, add: etree._Element, record: Record, names: tuple[str, ...], where: str
) -> None:
    for name in names:
        ref = add.find(name)
        found = require_ref(ctx.company, ctx.company.accounts, ref, "Account", where)
        if found is not None:
            record[name] = ref_of(found)


def _sales_purchase(ctx: Context, add: etree._Element, record: Record, where: str) -> None:
    sop = add.find("SalesOrPurchase")
    if sop is not None:
        value: Record = {}
        for tag in ("Desc", "Price", "PricePercent"):
            if text(sop, tag) is not None:
                value[tag] = text(sop, tag)
        _account_refs(ctx, sop, value, ("AccountRef",), where)
        record["SalesOrPurchase"] = value
    sap = add.find("SalesAndPurchase")
    if sap is not None:
        value = {}
        for tag in ("SalesDesc", "SalesPrice", "PurchaseDesc", "PurchaseCost"):
            if text(sap, tag) is not None:
                value[tag] = text(sap, tag)
        _account_refs(ctx, sap, value, ("IncomeAccountRef", "ExpenseAccountRef"), where)
        vendor = require_ref(ctx.company, ctx.company.vendors, sap.find("PrefVendorRef"), "Vendor", where)
        if vendor is not None:
            value["PrefVendorRef"] = ref_of(vendor)
        record["SalesAndPurchase"] = value


def _new_item(company: Company, add: etree._Element, item_type: str, *, top_level_only: bool) -> Record:
    """An item of ``item_type``, stamped first; under its ``ParentRef`` unless the type has no
    hierarchy, its name free among all items, active unless the request says otherwise."""
    record = stamp_new_list(company)
    record["_type"] = item_type
    record["Name"] = _leaf_name(add)
    if top_level_only:
        _check_name_free(company.items, record["Name"])
    else:
        parent = require_ref(company, company.items, add.find("ParentRef"), "Item", item_type)
        _place_in_hierarchy(company, record, parent, "Item")
        _check_name_free(company.items, record["FullName"])
    record["IsActive"] = text(add, "IsActive") or "true"
    return record


def item_add(ctx: Context, rq: etree._Element, item_type: str) -> Reply:
    add = rq[0]
    company = ctx.company
    record = _new_item(company, add, item_type, top_level_only=False)
    handled = {
        "Name",
        "ParentRef",
        "IsActive",
        "SalesOrPurchase",
        "SalesAndPurchase",
        "IncomeAccountRef",
        "COGSAccountRef",
        "AssetAccountRef",
        "PrefVendorRef",
        "QuantityOnHand",
        "BarCode",
        "UnitOfMeasureSetRef",
    }
    copy_passthrough(add, record, f"{item_type}Ret", handled)
    _unit_set_ref(ctx, add, record, item_type)
    if item_type == "ItemInventory":
        for name in ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef"):
            if add.find(name) is None:
                raise statuses.QBStatus(3150, f'There is a missing element: "{name}" in the {item_type}.')
        _account_refs(ctx, add, record, ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef"), item_type)
        vendor = require_ref(company, company.vendors, add.find("PrefVendorRef"), "Vendor", item_type)
        if vendor is not None:
            record["PrefVendorRef"] = ref_of(vendor)
        record.setdefault("SalesPrice", "0.00")
        record.setdefault("PurchaseCost", "0.00")
        record["QuantityOnHand"] = quantity(
            decimal(text(add, "QuantityOnHand"), "QuantityOnHand") or Decimal(0)
        )
        record["AverageCost"] = money(decimal(text(add, "PurchaseCost"), "PurchaseCost") or Decimal(0))
        record["QuantityOnOrder"] = "0"
        record["QuantityOnSalesOrder"] = "0"
    else:
        _sales_purchase(ctx, add, record, item_type)
        if "SalesOrPurchase" not in record and "SalesAndPurchase" not in record:
            raise statuses.QBStatus(
                3150, f'There is a missing element: "SalesOrPurchase" in the {item_type}.'
            )
    company.items.append(record)
    return Reply([(f"{item_type}Ret", record)])


def payroll_item_wage_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    wage_items = ctx.company.payroll_wage_items
    record = _new_top_level(ctx.company, add, wage_items, "WageType")
    _account_refs(ctx, add, record, ("ExpenseAccountRef",), "PayrollItemWage")
    wage_items.append(record)
    return Reply([("PayrollItemWageRet", record)])


def _unit_set_ref(ctx: Context, add: etree._Element, record: Record, where: str) -> None:
    unit_set = require_ref(
        ctx.company, ctx.company.unit_sets, add.find("UnitOfMeasureSetRef"), "UnitOfMeasureSet", where
    )
    if unit_set is not None:
        record["UnitOfMeasureSetRef"] = ref_of(unit_set)


# The items ``item_add`` adds (goods and services); ``special_item_add`` adds the others.
GOODS_ITEMS = ("ItemService", "ItemNonInventory", "ItemInventory")
SPECIAL_ITEMS = (
    "ItemOtherCharge",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemPayment",
    "ItemSalesTax",
    "ItemGroup",
)
# Items that are not goods: QuickBooks returns no FullName (nor parent) for these, only a Name.
_TOP_LEVEL_ONLY = {"ItemSubtotal", "ItemPayment", "ItemSalesTax", "ItemGroup"}


def special_item_add(ctx: Context, rq: etree._Element, item_type: str) -> Reply:
    """Subtotal, discount, payment, sales tax, group and other-charge items."""
    add = rq[0]
    company = ctx.company
    record = _new_item(company, add, item_type, top_level_only=item_type in _TOP_LEVEL_ONLY)
    handled = {"Name", "ParentRef", "IsActive", "UnitOfMeasureSetRef", "ItemGroupLine", "BarCode"}
    handled |= {"SalesOrPurchase", "SalesAndPurchase", "AccountRef"}
    copy_passthrough(add, record, f"{item_type}Ret", handled)
    _unit_set_ref(ctx, add, record, item_type)
    if item_type == "ItemOtherCharge":
        _sales_purchase(ctx, add, record, item_type)
    if item_type == "ItemDiscount":
        _account_refs(ctx, add, record, ("AccountRef",), item_type)
    if item_type == "ItemGroup":
        members = []
        for member in add.findall("ItemGroupLine"):
            item = require_ref(company, company.items, member.find("ItemRef"), "Item", "ItemGroup line")
            entry: Record = {"ItemRef": ref_of(item)} if item is not None else {}
            entry["Quantity"] = quantity(decimal(text(member, "Quantity"), "Quantity") or Decimal(1))
            if text(member, "UnitOfMeasure"):
                entry["UnitOfMeasure"] = text(member, "UnitOfMeasure")
            members.append(entry)
        record["ItemGroupLine"] = members
        record.setdefault("IsPrintItemsInGroup", "false")
    company.items.append(record)
    return Reply([(f"{item_type}Ret", record)])


def unit_of_measure_set_add(ctx: Context, rq: etree._Element) -> Reply:
    """A unit-of-measure set: a base unit and related units of ``ConversionRatio`` base units each."""
    add = rq[0]
    company = ctx.company
    record = _new_top_level(company, add, company.unit_sets, "UnitOfMeasureType")
    copy_passthrough(
        add,
        record,
        "UnitOfMeasureSetRet",
        {"Name", "IsActive", "UnitOfMeasureType", "RelatedUnit", "DefaultUnit"},
    )
    for repeated in ("RelatedUnit", "DefaultUnit"):
        values = [element_value(unit) for unit in add.findall(repeated)]
        if values:
            record[repeated] = values
    for unit in record.get("RelatedUnit", []):
        ratio = decimal(unit.get("ConversionRatio"), "ConversionRatio")
        if ratio is None or not Decimal("0.001") <= ratio <= 5000:
            raise statuses.invalid_value(
                "ConversionRatio", str(unit.get("ConversionRatio")), "The ratio must be from .001 to 5000."
            )
    company.unit_sets.append(record)
    return Reply([("UnitOfMeasureSetRet", record)])
