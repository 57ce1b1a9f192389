"""Queries over every list and transaction the company keeps, with QuickBooks' filters and iterators."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, full_name
from simulator.host import company_ret, preferences_ret
from simulator.lists import GOODS_ITEMS, SPECIAL_ITEMS
from simulator.qbxml_in import boolean
from simulator.records import Context, Reply, text, texts

# ItemQuery returns every kind of item the simulator adds.
_ITEM_TYPES = GOODS_ITEMS + SPECIAL_ITEMS


def _local_tz() -> Any:
    return datetime.now(UTC).astimezone().tzinfo


def _moment(value: str, end_of_day: bool = False) -> datetime:
    """qbXML date filters take a date or a date-time; naive values are in the company's time zone."""
    if len(value) == 10:
        day = date.fromisoformat(value)
        moment = (
            datetime(day.year, day.month, day.day, 23, 59, 59)
            if end_of_day
            else datetime(day.year, day.month, day.day)
        )
    else:
        moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=_local_tz())


def _modified_between(records: list[Record], frm: str | None, to: str | None) -> list[Record]:
    out = records
    if frm:
        start = _moment(frm)
        out = [r for r in out if datetime.fromisoformat(r["TimeModified"]) >= start]
    if to:
        end = _moment(to, end_of_day=True)
        out = [r for r in out if datetime.fromisoformat(r["TimeModified"]) <= end]
    return out


def _name_match(value: str, criterion: str, wanted: str) -> bool:
    value, wanted = value.lower(), wanted.lower()
    if criterion == "StartsWith":
        return value.startswith(wanted)
    if criterion == "EndsWith":
        return value.endswith(wanted)
    return wanted in value


def _shape(record: Record, tag: str, rq: etree._Element, line_items: bool, linked: bool) -> Record:
    """Copy a record the way the query asked for it: lines, links, custom fields, IncludeRetElement."""
    owners = texts(rq, "OwnerID")
    out: Record = {}
    for key, value in record.items():
        if key.startswith("_"):
            continue
        if key.endswith("LineRet") and not line_items:
            continue
        if key == "LinkedTxn" and not linked:
            continue
        if key == "DataExtRet":
            value = [e for e in value if e.get("OwnerID") in owners]
            if not value:
                continue
        out[key] = copy.deepcopy(value)
    for key, value in out.items():
        if key.endswith("LineRet"):
            for line in value:
                exts = [e for e in line.get("DataExtRet", []) if e.get("OwnerID") in owners]
                if exts:
                    line["DataExtRet"] = exts
                else:
                    line.pop("DataExtRet", None)
    include = texts(rq, "IncludeRetElement")
    if include:
        out = {k: v for k, v in out.items() if k in include}
    return out


Selection = tuple[list[Record], str | None]


def _by_ids(records: list[Record], rq: etree._Element, key: str) -> Selection | None:
    """Asked-for IDs (``key`` elements in the query; None when it asks for none): none found is
    error 3120; some missing is QuickBooks' 500 warning."""
    ids = texts(rq, key)
    if not ids:
        return None
    found = [r for r in records if r.get(key) in ids]
    missing = [i for i in ids if not any(r.get(key) == i for r in records)]
    if missing and not found:
        raise statuses.not_found(missing[0])
    return sorted(found, key=lambda r: ids.index(r[key])), (missing[0] if missing else None)


def _list_filter(company: Company, records: list[Record], rq: etree._Element) -> Selection:
    if (asked := _by_ids(records, rq, "ListID")) is not None:
        return asked
    names = texts(rq, "FullName")
    if names:
        found = [company.find_list(records, name=n) for n in names]
        hits = [r for r in found if r is not None]
        missing = [n for n, r in zip(names, found, strict=True) if r is None]
        return hits, (missing[0] if missing else None)
    active = text(rq, "ActiveStatus") or "ActiveOnly"
    out = [
        r
        for r in records
        if active == "All" or (r.get("IsActive", "true") == "true") == (active == "ActiveOnly")
    ]
    out = _modified_between(out, text(rq, "FromModifiedDate"), text(rq, "ToModifiedDate"))
    name_filter = rq.find("NameFilter")
    if name_filter is not None:
        criterion, wanted = text(name_filter, "MatchCriterion") or "Contains", text(name_filter, "Name") or ""
        out = [r for r in out if _name_match(full_name(r), criterion, wanted)]
    name_range = rq.find("NameRangeFilter")
    if name_range is not None:
        lo, hi = (text(name_range, "FromName") or "").lower(), (text(name_range, "ToName") or "").lower()
        out = [r for r in out if full_name(r).lower() >= lo and (not hi or full_name(r).lower() <= hi)]
    account_types = texts(rq, "AccountType")
    if account_types:
        out = [r for r in out if r.get("AccountType") in account_types]
    return sorted(out, key=lambda r: full_name(r).lower()), None


def _entity_matches(record: Record, entity: etree._Element, company: Company) -> bool:
    # TimeTrackingEntityFilter names who worked (EntityRef), never the customer the time is for.
    if entity.tag == "TimeTrackingEntityFilter":
        ref = record.get("EntityRef") or {}
    else:
        ref = record.get("CustomerRef") or record.get("VendorRef") or record.get("EntityRef") or {}
    ids, names = texts(entity, "ListID"), [n.lower() for n in texts(entity, "FullName")]
    if ids or names:
        return ref.get("ListID") in ids or str(ref.get("FullName", "")).lower() in names
    with_children_id = text(entity, "ListIDWithChildren")
    if with_children_id:
        parent = company.find_list(company.entities(), list_id=with_children_id)
        if parent is None:
            return False
        with_children = full_name(parent)
    else:
        with_children = text(entity, "FullNameWithChildren") or ""
    name = str(ref.get("FullName", "")).lower()
    return name == with_children.lower() or name.startswith(with_children.lower() + ":")


def _txn_filter(company: Company, records: list[Record], rq: etree._Element) -> Selection:
    if (asked := _by_ids(records, rq, "TxnID")) is not None:
        return asked
    refs = texts(rq, "RefNumber")
    if refs:
        wanted = {r.lower() for r in refs}
        return [r for r in records if str(r.get("RefNumber", "")).lower() in wanted], None
    refs_cs = texts(rq, "RefNumberCaseSensitive")
    if refs_cs:
        return [r for r in records if r.get("RefNumber") in refs_cs], None
    out = list(records)
    modified = rq.find("ModifiedDateRangeFilter")
    if modified is not None:
        out = _modified_between(out, text(modified, "FromModifiedDate"), text(modified, "ToModifiedDate"))
    txn_dates = rq.find("TxnDateRangeFilter")
    if txn_dates is not None:
        frm, to = text(txn_dates, "FromTxnDate"), text(txn_dates, "ToTxnDate")
        out = [r for r in out if (not frm or r["TxnDate"] >= frm) and (not to or r["TxnDate"] <= to)]
    for tag in ("EntityFilter", "TimeTrackingEntityFilter"):
        entity = rq.find(tag)
        if entity is not None:
            out = [r for r in out if _entity_matches(r, entity, company)]
    ref_filter = rq.find("RefNumberFilter")
    if ref_filter is not None:
        criterion, wanted_ref = (
            text(ref_filter, "MatchCriterion") or "Contains",
            text(ref_filter, "RefNumber") or "",
        )
        out = [r for r in out if _name_match(str(r.get("RefNumber", "")), criterion, wanted_ref)]
    ref_range = rq.find("RefNumberRangeFilter")
    if ref_range is not None:
        lo, hi = text(ref_range, "FromRefNumber"), text(ref_range, "ToRefNumber")
        out = [r for r in out if _in_ref_range(str(r.get("RefNumber", "")), lo, hi)]
    item_filter = rq.find("ItemFilter")
    if item_filter is not None:
        names = {n.lower() for n in texts(item_filter, "FullName")}
        item_ids = set(texts(item_filter, "ListID"))
        out = [
            r
            for r in out
            if any(
                ln.get("ItemRef", {}).get("ListID") in item_ids
                or str(ln.get("ItemRef", {}).get("FullName", "")).lower() in names
                for ln in r.get("InventoryAdjustmentLineRet", [])
            )
        ]
    paid = text(rq, "PaidStatus")
    if paid in ("PaidOnly", "NotPaidOnly"):
        out = [r for r in out if (r.get("IsPaid") == "true") == (paid == "PaidOnly")]
    return sorted(out, key=lambda r: (r["TxnDate"], r["TimeCreated"])), None


def _in_ref_range(value: str, lo: str | None, hi: str | None) -> bool:
    def key(v: str) -> tuple[int, Decimal | str]:
        return (0, Decimal(v)) if v.isdigit() else (1, v)

    try:
        return (not lo or key(value) >= key(lo)) and (not hi or key(value) <= key(hi))
    except TypeError:
        return False


def _page(
    ctx: Context, rq: etree._Element, matches: list[tuple[str, Record]]
) -> tuple[list[tuple[str, Record]], dict[str, str]]:
    iterator = rq.get("iterator")
    max_returned = text(rq, "MaxReturned")
    limit = int(max_returned) if max_returned else None
    if iterator == "Start":
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        page, rest = (matches[:limit], matches[limit:]) if limit is not None else (matches, [])
        ctx.iterators[iterator_id] = {"rest": rest, "limit": limit}
        return page, {"iteratorRemainingCount": str(len(rest)), "iteratorID": iterator_id}
    if limit is not None:
        matches = matches[:limit]
    return matches, {}


def _continue(ctx: Context, rq: etree._Element, tag: str) -> Reply:
    iterator_id = rq.get("iteratorID") or ""
    state = ctx.iterators.get(iterator_id)
    if state is None:
        raise statuses.not_found(iterator_id)
    if rq.get("iterator") == "Stop":
        del ctx.iterators[iterator_id]
        return Reply([], {"iteratorRemainingCount": "0", "iteratorID": iterator_id})
    max_returned = text(rq, "MaxReturned")
    limit = int(max_returned) if max_returned else state["limit"]
    page, rest = (state["rest"][:limit], state["rest"][limit:]) if limit else (state["rest"], [])
    state["rest"] = rest
    if not rest:
        del ctx.iterators[iterator_id]
    return Reply(page, {"iteratorRemainingCount": str(len(rest)), "iteratorID": iterator_id})


Select = Callable[[], tuple[list[tuple[str, Record]], str | None]]


def _run(ctx: Context, rq: etree._Element, select: Select) -> Reply:
    if rq.get("iterator") in ("Continue", "Stop"):
        return _continue(ctx, rq, rq.tag)
    matches, missing = select()
    page, attrs = _page(ctx, rq, matches)
    if missing is not None:
        # Reported by the dispatcher as status 500 with the Rets that were found.
        attrs["_partial"] = missing
    elif not page and "iteratorID" not in attrs:
        raise statuses.no_match()
    return Reply(page, attrs)


def _tag_of(record: Record) -> str:
    return f"{record.get('_type', '')}Ret"


def run_query(ctx: Context, rq: etree._Element) -> Reply:
    return _dispatch(ctx, rq)


_LIST_QUERIES = {
    "AccountQueryRq": ("accounts", "AccountRet"),
    "CustomerQueryRq": ("customers", "CustomerRet"),
    "VendorQueryRq": ("vendors", "VendorRet"),
    "EmployeeQueryRq": ("employees", "EmployeeRet"),
    "PayrollItemWageQueryRq": ("payroll_wage_items", "PayrollItemWageRet"),
    "UnitOfMeasureSetQueryRq": ("unit_sets", "UnitOfMeasureSetRet"),
}
_TXN_QUERIES = {
    "SalesOrderQueryRq": "SalesOrder",
    "PurchaseOrderQueryRq": "PurchaseOrder",
    "BillQueryRq": "Bill",
    "InvoiceQueryRq": "Invoice",
    "EstimateQueryRq": "Estimate",
    "TimeTrackingQueryRq": "TimeTracking",
    "InventoryAdjustmentQueryRq": "InventoryAdjustment",
}
_ITEM_QUERIES = {
    "ItemQueryRq": _ITEM_TYPES,
    "ItemServiceQueryRq": ("ItemService",),
    "ItemNonInventoryQueryRq": ("ItemNonInventory",),
    "ItemInventoryQueryRq": ("ItemInventory",),
}
QUERY_TAGS = {
    *_LIST_QUERIES,
    *_TXN_QUERIES,
    *_ITEM_QUERIES,
    "DataExtDefQueryRq",
    "HostQueryRq",
    "CompanyQueryRq",
    "PreferencesQueryRq",
}


def _dispatch(ctx: Context, rq: etree._Element) -> Reply:
    company = ctx.company
    tag = rq.tag
    if tag == "HostQueryRq":
        return Reply([("HostRet", ctx.host.host_ret())])
    if tag == "CompanyQueryRq":
        return Reply([("CompanyRet", company_ret(company, texts(rq, "OwnerID")))])
    if tag == "PreferencesQueryRq":
        return Reply([("PreferencesRet", preferences_ret(ctx.host))])
    if tag == "DataExtDefQueryRq":
        owners, objects = texts(rq, "OwnerID"), texts(rq, "AssignToObject")
        defs = [
            d
            for d in company.dataext_defs
            if (not owners or d["OwnerID"] in owners)
            and (not objects or set(objects) & set(d.get("AssignToObject", [])))
        ]
        if not defs:
            raise statuses.no_match()
        return Reply([("DataExtDefRet", copy.deepcopy(d)) for d in defs])
    if tag in _LIST_QUERIES:
        attr, ret_tag = _LIST_QUERIES[tag]
        records = getattr(company, attr)

        def select_list() -> tuple[list[tuple[str, Record]], str | None]:
            found, missing = _list_filter(company, records, rq)
            return [(ret_tag, _shape(r, ret_tag, rq, True, True)) for r in found], missing

        return _run(ctx, rq, select_list)
    if tag in _ITEM_QUERIES:
        types = _ITEM_QUERIES[tag]
        items = [r for r in company.items if r.get("_type") in types]

        def select_items() -> tuple[list[tuple[str, Record]], str | None]:
            found, missing = _list_filter(company, items, rq)
            return [(_tag_of(r), _shape(r, _tag_of(r), rq, True, True)) for r in found], missing

        return _run(ctx, rq, select_items)
    kind = _TXN_QUERIES[tag]
    line_items = boolean(text(rq, "IncludeLineItems")) or kind in ("TimeTracking",)
    linked = boolean(text(rq, "IncludeLinkedTxns"))
    txns = company.collection(kind)

    def select_txns() -> tuple[list[tuple[str, Record]], str | None]:
        found, missing = _txn_filter(company, txns, rq)
        return [(f"{kind}Ret", _shape(r, f"{kind}Ret", rq, line_items, linked)) for r in found], missing

    return _run(ctx, rq, select_txns)
