"""Custom fields: DataExtDef definitions and DataExt values on lists, transactions and the company."""

from __future__ import annotations

from lxml import etree

from simulator import statuses
from simulator.company import TXN_COLLECTIONS, Record
from simulator.records import Context, Reply, resolve, text, texts

_LIST_KINDS = {"Customer": "customers", "Vendor": "vendors", "Employee": "employees", "Item": "items"}


def dataext_def_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    owner = text(add, "OwnerID") or "0"
    name = text(add, "DataExtName") or ""
    if any(d["OwnerID"] == owner and d["DataExtName"] == name for d in ctx.company.dataext_defs):
        raise statuses.name_in_use(name)
    definition: Record = {
        "OwnerID": owner,
        "DataExtID": str(len(ctx.company.dataext_defs) + 1),
        "DataExtName": name,
        "DataExtType": text(add, "DataExtType"),
        "AssignToObject": texts(add, "AssignToObject"),
        # QuickBooks reports these on every definition; the schema requires them.
        "DataExtListRequire": "false",
        "DataExtTxnRequire": "false",
        "DataExtFormatString": "",
    }
    ctx.company.dataext_defs.append(definition)
    return Reply([("DataExtDefRet", definition)])


def _definition(ctx: Context, owner: str, name: str) -> Record:
    for definition in ctx.company.dataext_defs:
        if definition["OwnerID"] == owner and definition["DataExtName"] == name:
            return definition
    raise statuses.not_found(name)


def _maybe_definition(ctx: Context, owner: str, name: str) -> Record | None:
    try:
        return _definition(ctx, owner, name)
    except statuses.QBStatus:
        return None


def _target(ctx: Context, ext: etree._Element) -> tuple[Record | None, list[Record], str]:
    """The object a DataExtAdd/Mod addresses: its record and where its values live."""
    company = ctx.company
    list_kind = text(ext, "ListDataExtType")
    if list_kind is not None:
        collection = getattr(company, _LIST_KINDS.get(list_kind, "customers"))
        ref = ext.find("ListObjRef")
        found = resolve(company, collection, ref)
        if found is None:
            label = (text(ref, "FullName") or text(ref, "ListID") or "") if ref is not None else ""
            raise statuses.invalid_reference(list_kind, label, "DataExt")
        found.setdefault("DataExtRet", [])
        return found, found["DataExtRet"], list_kind
    txn_kind = text(ext, "TxnDataExtType")
    if txn_kind is not None:
        txn_id = text(ext, "TxnID") or ""
        found_txn = company.find_txn(txn_id)
        if found_txn is None or (txn_kind in TXN_COLLECTIONS and found_txn[0] != txn_kind):
            raise statuses.not_found(txn_id)
        record = found_txn[1]
        line_id = text(ext, "TxnLineID")
        if line_id:
            line = _find_line(record, line_id)
            if line is None:
                raise statuses.not_found(line_id)
            record = line
        record.setdefault("DataExtRet", [])
        return record, record["DataExtRet"], txn_kind
    # OtherDataExtType "Company" is where the Web Connector keeps its FileID.
    return None, company.company_dataext, text(ext, "OtherDataExtType") or "Company"


def _find_line(record: Record, line_id: str) -> Record | None:
    for key, value in record.items():
        if key.endswith("LineRet") and isinstance(value, list):
            for line in value:
                if line.get("TxnLineID") == line_id:
                    return line
    return None


def _set(ctx: Context, rq: etree._Element, must_exist: bool) -> Reply:
    ext = rq[0]
    owner = text(ext, "OwnerID") or "0"
    name = text(ext, "DataExtName") or ""
    # Owner 0 fields must be defined in QuickBooks; private (GUID-owned) data needs no definition.
    definition = _definition(ctx, owner, name) if owner == "0" else _maybe_definition(ctx, owner, name)
    _, values, _kind = _target(ctx, ext)
    current = next((v for v in values if v["OwnerID"] == owner and v["DataExtName"] == name), None)
    if must_exist and current is None:
        raise statuses.not_found(name)
    value = text(ext, "DataExtValue") or ""
    data_type = definition["DataExtType"] if definition else "STR255TYPE"
    limit = 1024 if data_type == "STR1024TYPE" else 255
    if len(value) > limit:
        raise statuses.invalid_value("DataExtValue", value[:20] + "…", "The string is too long.")
    if current is None:
        current = {"OwnerID": owner, "DataExtName": name, "DataExtType": data_type, "DataExtValue": value}
        values.append(current)
    else:
        current["DataExtValue"] = value
    return Reply([("DataExtRet", current)])


def dataext_add(ctx: Context, rq: etree._Element) -> Reply:
    return _set(ctx, rq, must_exist=False)


def dataext_mod(ctx: Context, rq: etree._Element) -> Reply:
    return _set(ctx, rq, must_exist=True)
