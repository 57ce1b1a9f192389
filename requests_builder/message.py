"""The message set around the requests: XML declaration, ``<?qbxml version?>``, ``onError`` and
one unique ``requestID`` per request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from requests_builder.enums import ON_ERROR
from requests_builder.errors import BuildError, BuildWarning
from requests_builder.model import Request
from requests_builder.render import write_request
from requests_builder.versions import check_version


@dataclass(frozen=True, slots=True)
class BuildResult:
    xml: str
    warnings: list[BuildWarning] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    # The requests alone, without the message set around them: what ``wrap_requests`` joins.
    requests_xml: str = ""


def wrap_requests(requests_xml: Iterable[str], *, version: str, on_error: str) -> str:
    """One message set around requests already written by :func:`build_message_set` for ``version``
    (their ``requests_xml``): how several steps' requests travel to QuickBooks in one message. The
    caller keeps their requestIDs unique."""
    check_version(version)
    if on_error not in ON_ERROR:
        raise BuildError("on_error", "not a QuickBooks onError mode", limit=ON_ERROR, value=on_error)
    return _message_start(version, on_error) + "".join(requests_xml) + _MESSAGE_END


def _message_start(version: str, on_error: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">'
    )


_MESSAGE_END = "</QBXMLMsgsRq></QBXML>"


_MAX_REQUEST_ID = 50  # statusCode 1060 beyond this


def _check_request_id(request_id: str, where: str) -> str:
    if (
        not request_id
        or len(request_id) > _MAX_REQUEST_ID
        or not request_id.isascii()
        or not request_id.isprintable()
        or any(ch in request_id for ch in "<>&\"'")
    ):
        raise BuildError(
            where,
            "requestID must be 1-50 printable ASCII characters without <>&\"'",
            limit=50,
            value=request_id,
        )
    return request_id


def build_message_set(
    requests: Iterable[Request] | Request, *, version: str, on_error: str = "stopOnError"
) -> BuildResult:
    """Write one qbXML request message set for a host that speaks ``version``.

    Requests without a ``request_id`` get the next free number (``"1"``, ``"2"``, ...). Raises
    :class:`BuildError` when a request cannot be written; nothing is half-written.
    """
    version_key = check_version(version)
    if on_error not in ON_ERROR:
        raise BuildError("on_error", "not a QuickBooks onError mode", limit=ON_ERROR, value=on_error)
    items = [requests] if isinstance(requests, Request) else list(requests)
    if not items:
        raise BuildError("requests", "a message set needs at least one request")
    given = {r.request_id for r in items if r.request_id is not None}
    warnings: list[BuildWarning] = []
    request_ids: list[str] = []
    out = [_message_start(version, on_error)]
    next_number = 1
    for index, request in enumerate(items):
        if not isinstance(request, Request):
            raise BuildError(f"requests[{index}]", "not a request object", value=type(request).__name__)
        request_id = request.request_id
        if request_id is None:
            while str(next_number) in given:
                next_number += 1
            request_id = str(next_number)
            given.add(request_id)
        else:
            _check_request_id(request_id, f"requests[{index}].request_id")
            if request_id in request_ids:
                raise BuildError(f"requests[{index}].request_id", "requestID used twice", value=request_id)
        request_ids.append(request_id)
        write_request(request, request_id, version_key, warnings, out)
    requests_xml = "".join(out[1:])
    return BuildResult(
        xml=out[0] + requests_xml + _MESSAGE_END,
        warnings=warnings,
        request_ids=request_ids,
        requests_xml=requests_xml,
    )
