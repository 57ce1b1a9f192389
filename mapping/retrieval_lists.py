"""The QuickBooks lists a retrieval reads before its documents: each item's type and unit-of-measure set,
and the unit-of-measure sets, so that the documents' lines can be read by what they mean
(``mapping.retrieval_lines``).

Items are read with ``ItemQuery`` (every type; ``IncludeRetElement`` keeps only what is needed, the
element each comes back in names its type), from a little before the last retrieval's mark, so after
the first retrieval only items changed since are read. Unit-of-measure sets (qbXML 7.0) are few and
read whole with ``UnitOfMeasureSetQuery`` in the same message set as the first page of items.

A QuickBooks error on these queries does not stop the retrieval: its documents are still imported,
lines of items qbbridge does not know are read as goods, and the job carries a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db import imports as import_repo
from db import quickbooks_lists as list_repo
from mapping.explain import explain_status
from mapping.retrieval_lines import KnownItem, ListFacts, UnitSet
from requests_builder import ItemQuery, Request, UnitOfMeasureSetQuery
from responses_parser import Item, RsResult, Transaction, TxnLine, UnitOfMeasureSet

# The retrieval step that reads the lists has this as its entity.
LISTS = "item"
UNIT_SETS = "unitSet"  # the retrieval mark that says the unit-of-measure sets were read
# Subtotal, payment, sales-tax and group items have a Name and no FullName.
ITEM_ELEMENTS = ["ListID", "Name", "FullName", "TimeModified", "UnitOfMeasureSetRef"]
UNIT_SETS_SINCE = (7, 0)


def _version(text: str | None) -> tuple[int, int]:
    try:
        major, _, minor = (text or "").partition(".")
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def lists_queries(
    *,
    since: dt.datetime | None,
    page_size: int,
    qbxml_version: str | None,
    first: bool,
    iterator_id: str | None,
) -> list[Request]:
    """The requests of one page of the lists step: the first page also asks for the unit sets."""
    if not first and iterator_id:
        return [ItemQuery(iterator="Continue", iterator_id=iterator_id, max_returned=page_size)]
    items = ItemQuery(
        iterator="Start",
        max_returned=page_size,
        active_status="All",  # an inactive item is still on older documents
        from_modified_date=since,
        include_ret_elements=ITEM_ELEMENTS,
    )
    if _version(qbxml_version) < UNIT_SETS_SINCE:
        return [items]  # units of measure came with qbXML 7.0: no line of an older host has one
    return [items, UnitOfMeasureSetQuery(active_status="All")]


def _item_row(record: Item) -> dict[str, Any] | None:
    if not record.list_id:
        return None
    item_type = (record.item_type or "").removesuffix("Ret")
    unit_set = record.unit_of_measure_set
    return {
        "list_id": record.list_id,
        "type": item_type,
        "full_name": (record.full_name or record.name or "")[:255] or None,
        "data": {"unitSetId": unit_set.list_id if unit_set is not None else None},
    }


def _unit_set_row(record: UnitOfMeasureSet) -> dict[str, Any] | None:
    unit_set = UnitSet.from_record(record)
    if unit_set is None or not record.list_id:
        return None
    return {
        "list_id": record.list_id,
        "type": "UnitOfMeasureSet",
        "full_name": (record.name or "")[:255] or None,
        "data": unit_set.to_data(),
    }


@dataclass(frozen=True, slots=True)
class ListsAnswer:
    """What one ``*Rs`` of the lists step gave: how many entries were stored, the latest
    ``TimeModified`` among them (ISO text), and for an error a warning for the job."""

    stored: int = 0
    latest_modified: str | None = None
    warning: str | None = None


def store_lists_answer(
    session: Session, tenant_id: str, result: RsResult, *, now: dt.datetime
) -> ListsAnswer:
    """Store one ``*Rs`` of the lists step. An error gives a warning: the retrieval goes on without
    what the query would have told."""
    if result.is_error:
        explained = explain_status(result)
        what = "units of measure" if result.request_type.startswith("UnitOfMeasureSet") else "item list"
        return ListsAnswer(
            warning=(
                f"QuickBooks' {what} could not be read ({explained}); documents are still imported, and "
                "their notes say what could not be checked."
            )
        )
    records = list(result.records)
    if result.request_type.startswith("UnitOfMeasureSet"):
        sets = [
            row
            for record in records
            if isinstance(record, UnitOfMeasureSet)
            if (row := _unit_set_row(record))
        ]
        list_repo.replace_all(session, tenant_id, list_repo.UNIT_SET, sets, now=now)
        import_repo.mark(session, tenant_id, UNIT_SETS).last_completed_at = now
        return ListsAnswer(stored=len(sets))
    items = [record for record in records if isinstance(record, Item)]
    rows = [row for record in items if (row := _item_row(record))]
    list_repo.upsert(session, tenant_id, list_repo.ITEM, rows, now=now)
    stamps = [record.time_modified for record in items if isinstance(record.time_modified, dt.datetime)]
    latest = max(stamps, default=None)
    return ListsAnswer(stored=len(rows), latest_modified=latest.isoformat() if latest else None)


def _refs(lines: Iterable[TxnLine]) -> Iterable[tuple[str | None, str | None]]:
    for line in lines:
        if line.item is not None:
            yield line.item.list_id, line.item.full_name
        yield from _refs(line.lines)


def facts_for(session: Session, tenant_id: str, records: list[Any]) -> ListFacts:
    """What is known of the items the lines of ``records`` name, and every unit-of-measure set."""
    ids: set[str] = set()
    names: set[str] = set()
    for record in records:
        if isinstance(record, Transaction):
            for list_id, full_name in _refs(record.lines):
                if list_id:
                    ids.add(list_id)
                elif full_name:
                    names.add(full_name)
    items: dict[str, KnownItem] = {}
    by_name: dict[str, KnownItem] = {}
    unit_sets: dict[str, UnitSet] = {}
    sets_by_name: dict[str, UnitSet] = {}
    for kind, list_id, item_type, full_name, data in list_repo.items_and_unit_sets(
        session, tenant_id, list_ids=ids, full_names=names
    ):
        if kind == list_repo.UNIT_SET:
            unit_set = UnitSet.from_data(data)
            unit_sets[list_id] = unit_set
            sets_by_name[unit_set.name.casefold()] = unit_set
            continue
        known = KnownItem(item_type, data.get("unitSetId"))
        items[list_id] = known
        if full_name:
            by_name[full_name.casefold()] = known
    mark = session.get(import_repo.RetrievalMark, (tenant_id, UNIT_SETS))
    return ListFacts(
        items=items,
        items_by_name=by_name,
        unit_sets=unit_sets,
        unit_sets_by_name=sets_by_name,
        units_read=mark is not None and mark.last_completed_at is not None,
    )
