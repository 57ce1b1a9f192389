"""TxnVoid and TxnDel: a transaction kept with its amounts at zero, or removed and listed as deleted."""

from __future__ import annotations

from lxml import etree

from simulator import statuses
from simulator.company import Record, now_stamp
from simulator.records import (
    Context,
    Reply,
    text,
    touch,
)


def _named_txn(ctx: Context, rq: etree._Element, type_tag: str) -> tuple[str, str, Record]:
    """The transaction a TxnVoid or TxnDel names, by type and TxnID; not found unless both match."""
    kind = text(rq, type_tag) or ""
    txn_id = text(rq, "TxnID") or ""
    found = ctx.company.find_txn(txn_id)
    if found is None or found[0] != kind:
        raise statuses.not_found(txn_id)
    return kind, txn_id, found[1]


def txn_void(ctx: Context, rq: etree._Element) -> Reply:
    kind, txn_id, record = _named_txn(ctx, rq, "TxnVoidType")
    record["_voided"] = True
    memo = record.get("Memo", "")
    record["Memo"] = memo if str(memo).startswith("VOID:") else f"VOID: {memo}".strip()
    for key in [k for k in record if k.endswith("LineRet")]:
        for entry in record[key]:
            for line in [entry, *entry.get(key, [])]:
                for amount in ("Amount", "TotalAmount"):
                    if amount in line:
                        line[amount] = "0.00"
    for key in (
        "Subtotal",
        "SalesTaxTotal",
        "TotalAmount",
        "TotalAmountInHomeCurrency",
        "AmountDue",
        "AmountDueInHomeCurrency",
        "OpenAmount",
        "BalanceRemaining",
        "BalanceRemainingInHomeCurrency",
    ):
        if key in record:
            record[key] = "0.00"
    touch(ctx.company, record)
    return Reply(
        [
            (
                "",
                {
                    "TxnVoidType": kind,
                    "TxnID": txn_id,
                    "TimeCreated": record["TimeCreated"],
                    "TimeModified": record["TimeModified"],
                    "RefNumber": record.get("RefNumber"),
                },
            )
        ]
    )


def txn_del(ctx: Context, rq: etree._Element) -> Reply:
    kind, txn_id, record = _named_txn(ctx, rq, "TxnDelType")
    ctx.company.collection(kind).remove(record)
    deleted = {
        "TxnDelType": kind,
        "TxnID": txn_id,
        "TimeDeleted": now_stamp(),
        "RefNumber": record.get("RefNumber"),
    }
    ctx.company.deleted_txns.append(deleted)
    return Reply([("", deleted)])
