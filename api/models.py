"""The admin API's contract: request and response bodies, in camelCase like Fusion Operations' API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from mapping.fields import STORABLE, SafeText

# A name people give (a tenant, an API key): surrounding blanks are dropped, and the rest is kept.
NAME_MAX = 200
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_MAX), STORABLE]
# Every list answers {"items": [...], "nextCursor": ...} (api/paging.py).
NextCursor = Annotated[
    str | None, Field(description="Pass it as `cursor` for the next page; null on the last page.")
]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


Out = TypeVar("Out", bound=ApiModel)


def out_of(model: type[Out], row: object, **given: Any) -> Out:
    """``model`` filled from ``row``: each field from the attribute of the same name, but for those
    ``given`` (named otherwise in the row, or worked out). Most answers mirror a row's columns, so only
    what differs is written out where an answer is built."""
    return model(**{name: getattr(row, name) for name in model.model_fields if name not in given}, **given)


class TenantCreate(ApiModel):
    name: Name = Field(
        min_length=1,
        description="The customer's name, as support staff know it (trimmed; 1 to 200 characters).",
        examples=["Acme Manufacturing"],
    )


class TenantOut(ApiModel):
    id: str
    name: str
    qbwc_username: str = Field(description="The Web Connector user name written into the .qwc file.")
    file_id: str = Field(description="The braced GUID that identifies this tenant's company file link.")
    has_token: bool = Field(description="Whether a Web Connector password (token) has been generated.")
    token_created_at: dt.datetime | None
    company_file: str = Field(
        description='The company file the tenant is bound to (the first to reach QuickBooks); "" until then.'
    )
    company_name: str | None = Field(default=None, description="That company's name, as QuickBooks says.")
    disabled: bool = Field(default=False, description="A disabled tenant exchanges nothing with QuickBooks.")
    disabled_at: dt.datetime | None = None
    created_at: dt.datetime


class TokenOut(ApiModel):
    token: str = Field(description="The Web Connector password. Shown once; only a digest is kept.")


class ApiKeyCreate(ApiModel):
    name: Name = Field(
        default="",
        description="What the key is for (trimmed; at most 200 characters).",
        examples=["Fusion Operations"],
    )


class ApiKeyOut(ApiModel):
    id: str
    tenant_id: str
    name: str
    prefix: str
    key: str = Field(description="The API key. Shown once; only a digest is kept.")
    created_at: dt.datetime


class ConnectionOut(ApiModel):
    tenant_id: str
    last_contact_at: dt.datetime | None
    web_connector_version: str | None
    company_file: str | None
    quickbooks_product: str | None
    qbxml_version: str | None = Field(description="The qbXML version the connected QuickBooks reported.")
    supported_qbxml_versions: list[str] | None
    country: str | None
    last_connection_error: str | None
    last_connection_error_at: dt.datetime | None
    open_sessions: int
    bound_company_file: str | None = Field(
        default=None, description="The company file this tenant is bound to; another is refused."
    )
    bound_company_name: str | None = None
    bound_at: dt.datetime | None = None


class RawQbxmlCreate(ApiModel):
    qbxml: SafeText = Field(
        min_length=1,
        description='A whole qbXML request message set: <?xml …?><?qbxml version="13.0"?><QBXML>…</QBXML>.',
        examples=[
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
            "<CustomerQueryRq><MaxReturned>2</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
        ],
    )


class JobAccepted(ApiModel):
    job_id: str


JobStatusName = Literal["queued", "in_flight", "succeeded", "failed", "unknown_outcome", "cancelled"]


class StepOut(ApiModel):
    position: int
    kind: str
    state: JobStatusName
    request: str | None = Field(
        description=(
            "The qbXML sent to QuickBooks (null until it is sent). A step that travelled in one message "
            "set with other jobs' steps shows its own request, in a message set of its own."
        )
    )
    response: str | None = Field(
        description=(
            "QuickBooks' raw qbXML answer; for a step that shared its message set, the part that "
            "answers its own request."
        )
    )
    status_code: int | None
    status_severity: str | None
    status_message: str | None
    hresult: str | None
    error: str | None = Field(description="What went wrong, in plain language, and what to do.")
    attempts: int
    claimed_at: dt.datetime | None
    completed_at: dt.datetime | None
    result: dict[str, Any]


class JobOut(ApiModel):
    id: str
    tenant_id: str
    kind: str
    status: JobStatusName
    error: str | None
    warnings: list[Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]
    steps: list[StepOut]
    payloads_removed_at: dt.datetime | None = Field(
        default=None,
        description=(
            "When retention removed this finished job's payloads (QBBRIDGE_PAYLOAD_RETENTION_DAYS after it "
            "ended): its result and its steps' requests, responses and results are empty from then on; "
            "each step's state, QuickBooks status and error are kept."
        ),
    )


class JobList(ApiModel):
    items: list[JobOut]
    next_cursor: NextCursor = None


class TenantList(ApiModel):
    items: list[TenantOut]
    next_cursor: NextCursor = None
