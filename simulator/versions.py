"""Which qbXML version introduced each request, element and attribute, as QuickBooks checks them.

QuickBooks validates a message set against the specification of the version its ``<?qbxml version?>``
names: a request, element or attribute that version does not have makes the whole set fail to parse
(HRESULT 0x80040400), whatever the host's own version. The simulator does the same, so a client that
writes a newer element for an older host is caught here as it would be at a customer's.

Two sources:

* Intuit's ``qbxmlops130.xml`` in the schema folder, when present: every element of every request with
  its ``vX.Y`` note (the version that added it), read once. Elements added after 13.0 are unknown to
  it; the 13.0 XSD rejects those for versions up to 13.0.
* A few facts this module carries itself, so the checks qbbridge depends on work without the folder:
  iterators and ``metaData`` (attributes, which the notes do not version: qbXML 5.0 and 4.0), the
  requests the simulator answers, and the elements whose version decides what a client may send to an
  older QuickBooks: ``ExternalGUID`` (9.0 on transactions, 8.0 on lists), ``LinkToTxnID`` (invoices
  6.0, bills 4.0), a time entry's ``BillableStatus`` (6.0), ``Other``/``Other1``/``Other2`` (6.0),
  ``IncludeRetElement`` (4.0). A test checks them against Intuit's notes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

Version = tuple[int, int]

ATTRIBUTE_SINCE: dict[str, Version] = {"iterator": (5, 0), "iteratorID": (5, 0), "metaData": (4, 0)}

# Requests newer than the 1.x base set, among those the simulator answers.
REQUEST_SINCE: dict[str, Version] = {
    "SalesOrderAddRq": (2, 1),
    "SalesOrderQueryRq": (2, 1),
    "SalesOrderModRq": (3, 0),
    "InventoryAdjustmentAddRq": (2, 0),
    "InventoryAdjustmentQueryRq": (2, 0),
    "DataExtAddRq": (2, 0),
    "DataExtModRq": (2, 0),
    "DataExtDefAddRq": (2, 0),
    "DataExtDefQueryRq": (2, 0),
    "PayrollItemWageAddRq": (2, 0),
}

# Elements of the same version wherever they appear (the requests' own IncludeRetElement, a direct
# child of every *Rq that has it).
ANYWHERE_SINCE: dict[str, Version] = {"IncludeRetElement": (4, 0)}

# (parent element, element) -> version, wherever that parent appears. ExternalGUID came to list
# objects in 8.0 and to transactions in 9.0.
ELEMENT_SINCE: dict[tuple[str, str], Version] = {
    **{
        (parent, "ExternalGUID"): (9, 0)
        for parent in (
            "SalesOrderAdd", "PurchaseOrderAdd", "InvoiceAdd", "BillAdd", "TimeTrackingAdd",
            "InventoryAdjustmentAdd", "EstimateAdd",
        )
    },
    **{
        (parent, "ExternalGUID"): (8, 0)
        for parent in (
            "CustomerAdd", "VendorAdd", "EmployeeAdd", "ItemServiceAdd", "ItemNonInventoryAdd",
            "ItemInventoryAdd",
        )
    },
    ("InvoiceAdd", "LinkToTxnID"): (6, 0),
    ("InvoiceLineAdd", "LinkToTxn"): (6, 0),
    ("BillAdd", "LinkToTxnID"): (4, 0),
    ("ItemLineAdd", "LinkToTxn"): (4, 0),
    ("TimeTrackingAdd", "BillableStatus"): (6, 0),
    ("SalesOrderAdd", "Other"): (6, 0),
    ("InvoiceAdd", "Other"): (6, 0),
    ("PurchaseOrderAdd", "Other1"): (6, 0),
    ("PurchaseOrderAdd", "Other2"): (6, 0),
}  # fmt: skip

OPS_FILE = "qbxmlops130.xml"
_TAG = re.compile(r"\bv(\d+)\.(\d+)\b")


def read_version(text: str) -> Version | None:
    """``"13.0"`` -> ``(13, 0)``; None for anything else (an edition's own ``CA3.0``)."""
    major, dot, minor = text.strip().partition(".")
    if not major.isdigit() or (dot and not minor.isdigit()):
        return None
    return int(major), int(minor or 0)


def _own_comment(element: etree._Element) -> str | None:
    """The note on the element's own line: the first child of an aggregate, the next sibling of a leaf."""
    first = element[0] if len(element) else None
    if first is not None and not isinstance(first.tag, str) and first.sourceline == element.sourceline:
        return str(first.text or "")
    following = element.getnext()
    if (
        following is not None
        and not isinstance(following.tag, str)
        and following.sourceline == element.sourceline
    ):
        return str(following.text or "")
    return None


@lru_cache(maxsize=4)
def load_notes(path: str) -> dict[tuple[str, ...], Version]:
    """Every request path of ``qbxmlops130.xml`` (``("SalesOrderAddRq", "SalesOrderAdd", "Other")``)
    that carries a ``vX.Y`` note, with that version."""
    parser = etree.XMLParser(remove_comments=False, resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.parse(path, parser).getroot()
    messages = root.find("QBXMLMsgsRq")
    table: dict[tuple[str, ...], Version] = {}
    if messages is None:
        return table

    def walk(element: etree._Element, where: tuple[str, ...]) -> None:
        note = _own_comment(element)
        found = _TAG.search(note) if note else None
        if found:
            version = (int(found.group(1)), int(found.group(2)))
            # An element noted twice (branches of a choice) counts from its earliest version.
            table[where] = min(version, table.get(where, version))
        for child in element:
            if isinstance(child.tag, str):
                walk(child, (*where, child.tag))

    for request in messages:
        if isinstance(request.tag, str):
            walk(request, (request.tag,))
    return table


class VersionRules:
    """Checks a request against the version its message set names; ``schema_dir`` adds Intuit's notes."""

    def __init__(self, schema_dir: Path | None = None) -> None:
        ops = schema_dir / OPS_FILE if schema_dir is not None else None
        self.notes = load_notes(str(ops)) if ops is not None and ops.is_file() else {}

    def problem(self, request: etree._Element, version: Version) -> str | None:
        """What in ``request`` the version does not have, in QuickBooks' parser's words, or None."""
        since = self.notes.get((request.tag,)) or REQUEST_SINCE.get(request.tag)
        if since is not None and since > version:
            return _newer(request.tag, since, version)
        for name in request.attrib:
            since = ATTRIBUTE_SINCE.get(str(name))
            if since is not None and since > version:
                return (
                    f"Element '{request.tag}', attribute '{name}': The attribute is not allowed in qbXML "
                    f"{version[0]}.{version[1]} (it was added in {since[0]}.{since[1]})."
                )
        return self._children(request, (request.tag,), version)

    def _children(self, element: etree._Element, where: tuple[str, ...], version: Version) -> str | None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            path = (*where, child.tag)
            since = (
                self.notes.get(path)
                or ELEMENT_SINCE.get((element.tag, child.tag))
                or (ANYWHERE_SINCE.get(child.tag) if len(where) == 1 else None)
            )
            if since is not None and since > version:
                return _newer(child.tag, since, version)
            deeper = self._children(child, path, version)
            if deeper is not None:
                return deeper
        return None


def _newer(name: str, since: Version, version: Version) -> str:
    return (
        f"Element '{name}': This element is not expected in qbXML {version[0]}.{version[1]} "
        f"(it was added in {since[0]}.{since[1]})."
    )
