"""The documented minimal payload of five of the send flows, shared by the planning tests (tests/flows)
and the end-to-end ones (tests/sends); each of those keeps its own inventory payload, since the item
it names differs between a planning context and the simulated company.

They are not the OpenAPI examples of api/examples.py, though they have the same shape: the tests
assert on these values (names, codes and dates in the qbXML; the customer, vendor and items the
simulated company is given in tests/sends/conftest.py), while the examples are what a reader of
/docs sees, free to change for that reader. The examples have their own test: each is sent and
must be accepted (tests/adminapi/test_openapi_contract.py)."""

SALES_ORDER = {
    "code": "SO-1001",
    "client": {"code": "ACME", "name": "Acme Corp"},
    "marketplace": {"name": "Web Store", "quickbooksCustomer": "Web Store Sales"},
    "createdAt": "2026-11-19T10:00:00Z",
    "documentDate": "2026-11-20",
    "transferDate": "2026-11-21",
    "dueDate": "2026-12-01",
    "observations": "Rush",
    "rows": [
        {
            "product": {"code": "WIDGET-1", "name": "Widget", "observations": "Blue"},
            "quantity": 5,
            "unitPrice": 12.5,
        }
    ],
    "customFields": {"Customer PO": "PO-77"},
}
PURCHASE_ORDER = {
    "code": "PO-2001",
    "supplier": {"code": "STEELCO", "name": "Steel Co"},
    "createdAt": "2026-11-19T10:00:00Z",
    "dueDate": "2026-12-03",
    "rows": [{"product": {"code": "BAR-10", "name": "Steel bar"}, "quantity": 40, "unitPrice": 3.2}],
}
RECEIVING = {
    "code": "RCV-1",
    "purchaseOrder": {"code": "PO-2001"},
    "date": "2026-12-02",
    "rows": [{"product": {"code": "BAR-10"}, "quantity": 40, "observations": "Lot 9"}],
}
SHIPPING = {
    "code": "SHP-1",
    "salesOrder": {"code": "SO-1001"},
    "date": "2026-12-01",
    "rows": [{"product": {"code": "WIDGET-1"}, "quantity": 5}],
}


def time_record(
    number: str, name: str, start: str, *, end: str | None = None, duration: int | None = None
) -> dict[str, object]:
    """A time record of welding in fabrication by worker ``number`` (``name``), from ``start`` to
    ``end`` or for ``duration`` minutes."""
    record: dict[str, object] = {
        "worker": {"number": number, "name": name},
        "operation": {"name": "Welding"},
        "section": {"name": "Fabrication"},
        "startTime": start,
    }
    if end is not None:
        record["endTime"] = end
    if duration is not None:
        record["duration"] = duration
    return record


PRODUCTION_ORDER = {
    "code": "MO-301",
    "description": "Widgets for Acme",
    "client": {"code": "ACME", "name": "Acme Corp"},
    "timeRecords": [time_record("17", "Ana Ruiz", "2026-11-25T08:00:00Z", end="2026-11-25T10:30:00Z")],
}


def timesheet_for_worker(number: int) -> dict[str, object]:
    """A production order whose two time records (the same 90 minutes of welding, day ``number``) are
    for worker ``number``, new to QuickBooks: the never-duplicate tests lose a different answer of
    its send for each worker."""
    start = f"2026-11-2{number}T08:00:00Z"
    return {
        "code": f"MO-D{number}",
        "description": "Dup test",
        "client": {"code": "ACME"},
        "timeRecords": [time_record(str(number), f"Worker{number} Test", start, duration=90) for _ in range(2)],
    }
