"""What a send flow wants done in QuickBooks: a plan of ordered steps, stored as intent.

A flow (``mapping/flows/``) turns one Fusion Operations entity and the tenant's settings into a
:class:`Plan`. The plan is stored as JSON with the job (``Plan.to_intents``); each step's qbXML is
rendered only when a Web Connector session claims it (``mapping/steps.py``), because only then do we
know the host's qbXML version and the IDs that earlier steps returned.

Rules a plan can express:

* ``bindings``: a field of the request filled at render time from an earlier step's result (the
  TxnID of the sales order we just created, for its custom fields) or from another entity's link
  (the purchase order a receiving belongs to).
* ``accept_status``: QuickBooks status codes that count as success for this step. ``3100`` (name
  already in use) on an Add of an item, employee or customer job means it exists already, which is
  what the step wanted.
* ``reconcile``: how to find out whether QuickBooks saved the step's document when the answer was
  lost (the Web Connector died after QuickBooks saved it): ways to look it up, each usable from some
  qbXML version on. The chosen way's query is sent before anything is re-sent; one matching record
  means the document exists and is linked, none means it is sent again, and when no way works on the
  customer's QuickBooks (or several records match) the step waits for a person. Every step that
  creates a document has one: this is what makes sends never duplicate.
* ``creates_link``: the step's result is the QuickBooks object the Fusion Operations entity became.
* ``item_check`` (a lookup step, an ``ItemQuery`` for the items a later step names): when QuickBooks
  answers, the items it can adjust are kept in the step's result, the others are reported as warnings
  naming their QuickBooks type, and the step fails when none is left (``mapping/item_types.py``).
* ``line_filter``: at render time, keep only the lines whose item the lookup step ``step`` kept, so
  that step's answer decides what is sent, in QuickBooks' own terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from requests_builder import BuildWarning, Request, request_from_dict
from requests_builder.versions import version_tuple

ResultField = Literal["txn_id", "list_id", "edit_sequence", "ref_number", "full_name"]
# The qbXML version that introduced ExternalGUID, the key every document of ours carries from then on.
EXTERNAL_GUID_SINCE = "9.0"


@dataclass(frozen=True, slots=True)
class LinkKey:
    """A Fusion Operations entity: ``entity`` is the flow's entity type, ``code`` its code."""

    entity: str  # "salesOrder" | "purchaseOrder" | "receiving" | "shipping" | "productionOrder" | "inventory"
    code: str


@dataclass(frozen=True, slots=True)
class Binding:
    """Fill ``path`` (dotted, in the request's ``to_dict()`` form, list indexes allowed) at render time."""

    path: str
    field: ResultField = "txn_id"
    step: int | None = None  # index of an earlier step of the same plan
    link: LinkKey | None = None  # or: the QuickBooks object another entity became

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "field": self.field,
            "step": self.step,
            "link": {"entity": self.link.entity, "code": self.link.code} if self.link else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binding:
        link = data.get("link")
        return cls(
            path=data["path"],
            field=data.get("field", "txn_id"),
            step=data.get("step"),
            link=LinkKey(link["entity"], link["code"]) if link else None,
        )


@dataclass(frozen=True, slots=True)
class Lookup:
    """One way of finding a step's document in QuickBooks when the answer to its Add was lost.

    ``query`` is sent instead of the request; a record matches when every ``match`` key (a record
    attribute of ``responses_parser``: ``external_guid``, ``ref_number``, ``other``) equals, or, with
    ``linked`` (a transaction type), the queried order has exactly one linked transaction of that
    type. ``needs``: the qbXML version the document must have been written for, and the host must
    speak, for this way to work (ExternalGUID: 9.0). ``marks``: request fields the renderer sets when
    this is the way a send will be found by (a reference of ours in a field the user does not fill).
    ``bindings`` fill query fields at render time, as a step's do (the order's TxnID). The renderer
    adds a ``ModifiedDateRangeFilter`` around the time the step was first sent when the query selects
    no records by ID.
    """

    name: str  # "externalGuid" | "refNumber" | "marker" | "linkedToOrder": shown on the step
    query: Request
    match: dict[str, str] = field(default_factory=dict)
    linked: str | None = None
    needs: str | None = None
    marks: dict[str, str] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query.to_dict(),
            "match": dict(self.match),
            "linked": self.linked,
            "needs": self.needs,
            "marks": dict(self.marks),
            "bindings": [b.to_dict() for b in self.bindings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lookup:
        return cls(
            name=data.get("name", "externalGuid"),
            query=request_from_dict(data["query"]),
            match=dict(data.get("match") or {}),
            linked=data.get("linked"),
            needs=data.get("needs"),
            marks=dict(data.get("marks") or {}),
            bindings=[Binding.from_dict(b) for b in data.get("bindings") or []],
        )


@dataclass(frozen=True, slots=True)
class Reconcile:
    """How to find out whether QuickBooks saved the step's document: the ways to look it up, best
    first, and what a person should look for when none works on the customer's QuickBooks.

    The plan is the same for every QuickBooks version; which way is used depends on the version the
    document was written for (:meth:`lookup_for`), known only when a session sends it.
    """

    lookups: tuple[Lookup, ...]
    look_for: str = ""  # plain words: "the time entry of Ana Ruiz on 2026-11-21 ..."

    def lookup_for(self, version: str | None) -> Lookup | None:
        """The way a document written for qbXML ``version`` is found again: the first whose ``needs``
        that version meets. ``None`` (a step sent before versions were recorded): the first way."""
        if version is None:
            return self.lookups[0] if self.lookups else None
        sent = version_tuple(version)
        for lookup in self.lookups:
            if lookup.needs is None or version_tuple(lookup.needs) <= sent:
                return lookup
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"lookups": [lookup.to_dict() for lookup in self.lookups], "lookFor": self.look_for}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reconcile:
        if "lookups" not in data:
            # Stored before there were several ways: one query and its match.
            match = dict(data["match"])
            guid = "external_guid" in match
            legacy = Lookup(
                name="externalGuid" if guid else "refNumber",
                query=request_from_dict(data["query"]),
                match=match,
                needs=EXTERNAL_GUID_SINCE if guid else None,
            )
            return cls(lookups=(legacy,))
        return cls(
            lookups=tuple(Lookup.from_dict(lookup) for lookup in data["lookups"]),
            look_for=data.get("lookFor", ""),
        )


@dataclass(frozen=True, slots=True)
class CheckedItem:
    """An item a lookup step asks QuickBooks about, and the payload field and product it came from."""

    name: str  # the QuickBooks item full name, as sent
    field: str  # payload path, "products[1].code"
    product: str  # the Fusion Operations product code

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "field": self.field, "product": self.product}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckedItem:
        return cls(name=data["name"], field=data["field"], product=data["product"])


@dataclass(frozen=True, slots=True)
class ItemCheck:
    """What a lookup step decides from QuickBooks' answer: which of ``items`` a later step may send
    (for ``purpose``: "adjust", the items QuickBooks keeps a quantity of)."""

    items: tuple[CheckedItem, ...]
    purpose: str = "adjust"

    def to_dict(self) -> dict[str, Any]:
        return {"items": [item.to_dict() for item in self.items], "purpose": self.purpose}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemCheck:
        return cls(
            items=tuple(CheckedItem.from_dict(item) for item in data["items"]),
            purpose=data.get("purpose", "adjust"),
        )


@dataclass(frozen=True, slots=True)
class LineFilter:
    """Keep the lines at ``lines`` (a list in the request's ``to_dict()`` form) whose item full name
    (``item``, dotted within a line) is one that step ``step`` kept (its result's ``kept``)."""

    step: int
    lines: str = "lines"
    item: str = "item.full_name"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "lines": self.lines, "item": self.item}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineFilter:
        return cls(
            step=data["step"], lines=data.get("lines", "lines"), item=data.get("item", "item.full_name")
        )


@dataclass(slots=True)
class PlannedStep:
    request: Request
    description: str  # plain language, shown on the job: "Create the sales order SO-1001"
    purpose: str = "document"  # "document" | "ensure" | "custom_field" | "lookup"
    accept_status: frozenset[int] = frozenset()
    bindings: list[Binding] = field(default_factory=list)
    reconcile: Reconcile | None = None
    creates_link: bool = False
    item_check: ItemCheck | None = None
    line_filter: LineFilter | None = None
    # The settings an explanation of this step's errors may offer, by object type (mapping/explain.py:
    # remedies_for), decided with the flow and the tenant's settings when the send is planned.
    remedies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # What the builder said when the planner checked this step (mapping/flows/validate.py: check_step):
    # the qbXML version it was built for and its warnings, so the send need not build it again.
    checked: tuple[str, list[BuildWarning]] | None = field(default=None, repr=False, compare=False)

    @property
    def safe_to_repeat(self) -> bool:
        """Sending it twice leaves QuickBooks as sending it once: an Add whose "already exists" status
        is accepted, or setting a custom field to a value. Such a step is simply sent again when its
        answer is lost; a document is first looked for (``reconcile``). A lookup only reads."""
        return self.purpose in {"ensure", "custom_field", "lookup"}

    def to_intent(self) -> dict[str, Any]:
        return {
            "request": self.request.to_dict(),
            "description": self.description,
            "purpose": self.purpose,
            "acceptStatus": sorted(self.accept_status),
            "bindings": [b.to_dict() for b in self.bindings],
            "reconcile": self.reconcile.to_dict() if self.reconcile else None,
            "createsLink": self.creates_link,
            **({"itemCheck": self.item_check.to_dict()} if self.item_check else {}),
            **({"lineFilter": self.line_filter.to_dict()} if self.line_filter else {}),
            **({"remedies": self.remedies} if self.remedies else {}),
        }

    @classmethod
    def from_intent(cls, data: dict[str, Any]) -> PlannedStep:
        return cls(
            request=request_from_dict(data["request"]),
            description=data.get("description", ""),
            purpose=data.get("purpose", "document"),
            accept_status=frozenset(data.get("acceptStatus", [])),
            bindings=[Binding.from_dict(b) for b in data.get("bindings", [])],
            reconcile=Reconcile.from_dict(data["reconcile"]) if data.get("reconcile") else None,
            creates_link=bool(data.get("createsLink")),
            item_check=ItemCheck.from_dict(data["itemCheck"]) if data.get("itemCheck") else None,
            line_filter=LineFilter.from_dict(data["lineFilter"]) if data.get("lineFilter") else None,
            remedies=dict(data.get("remedies") or {}),
        )


@dataclass(slots=True)
class Plan:
    flow: str  # "salesOrder" | "purchaseOrder" | "receiving" | "shipping" | "productionOrder" | "inventory"
    link: LinkKey | None  # the entity this job sends (None for inventory, which may be sent again and again)
    steps: list[PlannedStep]
    warnings: list[str] = field(default_factory=list)
    # Other entities whose QuickBooks object this plan needs (e.g. the purchase order of a receiving).
    requires: list[LinkKey] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # shown on the job (e.g. customer name used)


class PlanError(ValueError):
    """The entity cannot be sent as it is; ``field`` is the payload path, ``message`` says what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# The key, in a link's data, of how the entity was sent (its plan's summary: customer, number, date).
SENT_AS = "sentAs"


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What a Fusion Operations entity became in QuickBooks (``db/links.py`` keeps these)."""

    entity: str
    code: str
    status: str  # "pending" (a job is creating it) | "linked"
    qb_type: str | None = None  # "SalesOrder", "PurchaseOrder", "Bill", "Invoice", "TimeTracking", …
    txn_id: str | None = None
    list_id: str | None = None
    ref_number: str | None = None
    edit_sequence: str | None = None
    job_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # the entity as it was sent (e.g. a PO's rows)

    @property
    def sent_as(self) -> dict[str, Any]:
        """How the entity was sent (``SENT_AS``); empty for links written before it was kept."""
        return dict(self.data.get(SENT_AS) or {})
