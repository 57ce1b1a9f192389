"""How qbXML spells the element a Python field stands for: one rule for both directions.

A record field (:mod:`responses_parser.record_fields`) and a request field (``requests_builder``) are
both declared by a name in Python's spelling, ``txn_date``, and both stand for the element QuickBooks
spells ``TxnDate``. The rule lives here once so that a word QuickBooks writes in capitals is added for
reading and writing alike; ``requests_builder`` may import this module (as it may ``safe_xml``).
"""

from __future__ import annotations

# Words QuickBooks writes in capitals inside element names (TxnID, ExternalGUID, ARAccountRef, PONumber).
_CAPITALS = {"id": "ID", "guid": "GUID", "ar": "AR", "ap": "AP", "fob": "FOB", "po": "PO", "cogs": "COGS"}
_CAPITALS |= {"uom": "UOM", "qb": "QB"}


def element_name(field: str, *, ref: bool = False) -> str:
    """The element named after ``field``: each word capitalised (``txn_date`` -> ``TxnDate``), or all
    in capitals where QuickBooks writes it so (``txn_id`` -> ``TxnID``); a reference (``ref``) ends in
    ``Ref`` (``customer`` -> ``CustomerRef``, ``class_ref`` -> ``ClassRef``)."""
    tag = "".join(_CAPITALS.get(word) or word[:1].upper() + word[1:] for word in field.split("_"))
    if ref and not tag.endswith("Ref"):
        tag += "Ref"
    return tag
