"""The simulated QuickBooks request processor: one message set in, one response message set out."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lxml import etree

from simulator import customfields, lists, qbxml_out, queries, statuses
from simulator.company import Company
from simulator.host import HostFacts, host_response
from simulator.qbxml_in import MessageSet, QBXMLParseError, read_message_set
from simulator.records import Context, Reply
from simulator.schema import SchemaValidator, default_schema_dir
from simulator.spec import RETS
from simulator.transactions import documents, stock, time_tracking, void
from simulator.versions import VersionRules, read_version

__all__ = ["HostFacts", "ProcessedRequest", "QBXMLParseError", "QuickBooks"]

Handler = Callable[[Context, etree._Element], Reply]

HANDLERS: dict[str, Handler] = {
    "AccountAddRq": lists.account_add,
    "CustomerAddRq": lists.customer_add,
    "VendorAddRq": lists.vendor_add,
    "EmployeeAddRq": lists.employee_add,
    **{f"{item_type}AddRq": partial(lists.item_add, item_type=item_type) for item_type in lists.GOODS_ITEMS},
    **{
        f"{item_type}AddRq": partial(lists.special_item_add, item_type=item_type)
        for item_type in lists.SPECIAL_ITEMS
    },
    "PayrollItemWageAddRq": lists.payroll_item_wage_add,
    "UnitOfMeasureSetAddRq": lists.unit_of_measure_set_add,
    "DataExtDefAddRq": customfields.dataext_def_add,
    "DataExtAddRq": customfields.dataext_add,
    "DataExtModRq": customfields.dataext_mod,
    # Every document with lines is added by the same handler, by kind.
    **{f"{kind}AddRq": partial(documents.document_add, kind=kind) for kind in documents.LINE_TAGS},
    "SalesOrderModRq": documents.sales_order_mod,
    "TimeTrackingAddRq": time_tracking.time_tracking_add,
    "InventoryAdjustmentAddRq": stock.inventory_adjustment_add,
    "TxnVoidRq": void.txn_void,
    "TxnDelRq": void.txn_del,
    **{tag: queries.run_query for tag in queries.QUERY_TAGS},
}


@dataclass(frozen=True, slots=True)
class ProcessedRequest:
    """One request QuickBooks processed, with the status it answered: ``QuickBooks.processed`` lists
    them in the order QuickBooks processed them, across message sets and sessions."""

    request_type: str  # the request's element, e.g. "SalesOrderAddRq"
    request_id: str | None
    status_code: int

    @property
    def saved(self) -> bool:
        """Whether QuickBooks accepted it (a status below 1000; an Add then saved its object)."""
        return not statuses.is_error(self.status_code)


def _writes(tag: str) -> bool:
    """Whether a request changes the company (an Add, Mod, Del or Void)."""
    return tag.endswith(("AddRq", "ModRq", "DelRq", "VoidRq"))


def _subject(tag: str) -> str:
    """`CustomerAddRq` -> `Customer`, for QuickBooks' wording of save errors."""
    body = tag[:-2]
    for suffix in ("Add", "Mod", "Query"):
        if body.endswith(suffix):
            return body[: -len(suffix)]
    return body


class QuickBooks:
    """A QuickBooks Desktop company open in the request processor.

    `process` behaves like QBXMLRP2's ProcessRequest: an invalid message set raises QBXMLParseError
    (an HRESULT, nothing processed); otherwise each request gets its *Rs with QuickBooks' status.
    """

    def __init__(
        self,
        company: Company,
        *,
        host: HostFacts | None = None,
        schema_dir: Path | None = None,
        use_default_schema: bool = True,
    ) -> None:
        self.company = company
        self.host = host or HostFacts()
        if schema_dir is None and use_default_schema:
            schema_dir = default_schema_dir()
        self.validator = SchemaValidator(schema_dir) if schema_dir is not None else None
        self.version_rules = VersionRules(schema_dir)
        self._ctx = Context(company=company, host=self.host)
        self.in_session = False
        # The access the QuickBooks administrator gave the application (Integrated Applications):
        # read-only access refuses every write with 3260.
        self.read_only = False
        # Every request of every message set processed, in order (a message set QuickBooks rejects as a
        # whole, with an HRESULT, processes none; requests skipped after an error are not listed).
        self.processed: list[ProcessedRequest] = []

    # Iterators only live for the application's QuickBooks session, as in the real SDK.
    def begin_session(self) -> None:
        self._ctx.iterators.clear()
        self.in_session = True

    def end_session(self) -> None:
        self._ctx.iterators.clear()
        self.in_session = False

    def forget_iterators(self) -> None:
        """What a QuickBooks restarted within the session knows of its iterators: nothing."""
        self._ctx.iterators.clear()

    def host_response(self) -> str:
        return host_response(self.host, self.company)

    def validate(self, qbxml: str) -> MessageSet:
        """Raise QBXMLParseError when QuickBooks would reject the whole message set: a version the host
        does not speak, a request, element or attribute that version does not have, or anything the
        specification (and, with the schema folder, Intuit's XSD) does not allow."""
        message_set = read_message_set(qbxml)
        self._check_version(message_set)
        if self.validator is not None:
            self.validator.validate(message_set.document, message_set.version)
        return message_set

    def _check_version(self, message_set: MessageSet) -> None:
        version = message_set.version
        if not self.host.supports(version):
            raise QBXMLParseError(f"qbXML version {version} is not supported by {self.host.product_name}")
        spoken = read_version(version)
        if spoken is None:
            return  # an edition's own version (CA3.0): its rules are not modelled
        for request in message_set.requests:
            problem = self.version_rules.problem(request, spoken)
            if problem is not None:
                raise QBXMLParseError(problem)

    def process(self, qbxml: str, *, busy: bool = False) -> str:
        message_set = self.validate(qbxml)
        root, msgs = qbxml_out.response_envelope()
        snapshot = copy.deepcopy(self.company) if message_set.on_error == "rollbackOnError" else None
        stopped = False
        for rq in message_set.requests:
            rs_tag = rq.tag[:-2] + "Rs"
            request_id = rq.get("requestID")
            if stopped:
                failure = statuses.not_processed()
                qbxml_out.rs_element(msgs, rs_tag, request_id, failure.code, failure.message)
                continue
            try:
                if busy:
                    raise statuses.in_use(_subject(rq.tag))
                if self.read_only and _writes(str(rq.tag)):
                    raise statuses.no_permission()
                handler = HANDLERS.get(rq.tag)
                if handler is None:
                    raise statuses.not_available()
                reply = handler(self._ctx, rq)
            except statuses.QBStatus as status:
                qbxml_out.rs_element(msgs, rs_tag, request_id, status.code, status.message)
                self.processed.append(ProcessedRequest(str(rq.tag), request_id, status.code))
                if statuses.is_error(status.code) and message_set.on_error != "continueOnError":
                    stopped = True
                continue
            code = self._write_reply(msgs, rs_tag, request_id, reply)
            self.processed.append(ProcessedRequest(str(rq.tag), request_id, code))
        if stopped and snapshot is not None:
            self._restore(snapshot)
        return qbxml_out.serialize(root)

    def _write_reply(self, msgs: etree._Element, rs_tag: str, request_id: str | None, reply: Reply) -> int:
        missing = reply.attrs.pop("_partial", None)
        if missing is not None:
            warning = statuses.partial(missing)
            code, message = warning.code, warning.message
        else:
            code, message = statuses.status_ok()
        extra = {}
        if "iteratorID" in reply.attrs:
            extra["retCount"] = str(len(reply.rets))
        extra.update(reply.attrs)
        rs = qbxml_out.rs_element(msgs, rs_tag, request_id, code, message, extra)
        for tag, record in reply.rets:
            if tag:
                qbxml_out.add(rs, tag, record)
            else:
                # TxnVoidRs/TxnDelRs carry their fields directly, without a Ret aggregate.
                order = RETS.get(rs_tag, "").split()
                for key in sorted(record, key=lambda k: order.index(k) if k in order else len(order)):
                    if record[key] is not None:
                        qbxml_out.add(rs, key, record[key])
        return code

    def _restore(self, snapshot: Company) -> None:
        for name in snapshot.__dataclass_fields__:
            setattr(self.company, name, getattr(snapshot, name))
