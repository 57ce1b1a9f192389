"""Request examples for the OpenAPI document: one valid payload per send endpoint and body.

They are what `/docs` fills in and what the fuzzer (tests/fuzz) sends first;
tests/adminapi/test_openapi_contract.py sends each one and expects it accepted, so they cannot drift
from the contract.
"""

from __future__ import annotations

from typing import Any

SALES_ORDER: dict[str, Any] = {
    "code": "SO-1001",
    "client": {"code": "Acme Manufacturing", "name": "Acme Manufacturing Inc."},
    "createdAt": "2026-11-02T09:15:00-05:00",
    "documentDate": "2026-11-02",
    "dueDate": "2026-11-20",
    "observations": "Deliver to dock 3",
    "rows": [{"product": {"code": "M8 Bolt", "name": "Bolt M8"}, "quantity": 10, "unitPrice": 12.5}],
    "customFields": {},
}

PURCHASE_ORDER: dict[str, Any] = {
    "code": "PO-2001",
    "supplier": {"code": "Steel Supply Co"},
    "createdAt": "2026-11-03T10:00:00Z",
    "dueDate": "2026-11-15",
    "rows": [{"product": {"code": "Steel Sheet 2mm"}, "quantity": 25, "unitPrice": 40}],
    "customFields": {},
}

RECEIVING: dict[str, Any] = {
    "code": "REC-3001",
    "purchaseOrder": {"code": "PO-2001"},
    "date": "2026-11-14",
    "rows": [{"product": {"code": "Steel Sheet 2mm"}, "quantity": 25}],
}

SHIPPING: dict[str, Any] = {
    "code": "SH-4001",
    "salesOrder": {"code": "SO-1001"},
    "date": "2026-11-19",
    "rows": [{"product": {"code": "M8 Bolt"}, "quantity": 10, "observations": "Lot 9"}],
}

PRODUCTION_ORDER: dict[str, Any] = {
    "code": "JOB-5001",
    "description": "Brackets for Acme",
    "client": {"code": "Acme Manufacturing"},
    "timeRecords": [
        {
            "worker": {"number": "17", "name": "Dana Smith"},
            "operation": {"name": "Welding"},
            "section": {"name": "Assembly"},
            "startTime": "2026-11-05T13:00:00Z",
            "endTime": "2026-11-05T15:30:00Z",
        }
    ],
}

INVENTORY: dict[str, Any] = {
    "products": [{"code": "M8 Bolt", "quantity": 250, "tags": ["Quickbooks"]}],
    "adjustmentAccount": "Inventory Adjustments",
}

EVENT: dict[str, Any] = {"entity": "salesOrder", "action": "created", "data": SALES_ORDER}

RETRIEVAL: dict[str, Any] = {"entities": ["salesOrder", "purchaseOrder"], "since": "2026-11-01"}

IMPORTS_ACK: dict[str, Any] = {"ids": ["5f0c9a1e-3b7d-4c1a-9e55-2d8f6b7a9c10"]}

FUSION_API: dict[str, Any] = {
    "baseUrl": "https://api.aps.autodesk.com/fusion-operations/v2",
    "apiKey": "the-fusion-operations-api-key",
}

TENANT: dict[str, Any] = {"name": "Acme Manufacturing"}

API_KEY: dict[str, Any] = {"name": "Fusion Operations"}

RAW_QBXML: dict[str, Any] = {
    "qbxml": '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>2</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
}
