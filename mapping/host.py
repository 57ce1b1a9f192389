"""What the first ``sendRequestXML`` tells us about the customer's QuickBooks."""

from __future__ import annotations

from responses_parser.host import HostInfo, parse_host_response
from responses_parser.safe_xml import HostileXMLError
from responses_parser.status import ResponseFormatError


def describe_host(hcp_response: str) -> HostInfo:
    """Product, supported qbXML versions, country and company from the host/company/preferences answers.

    An unreadable answer is not an error for the session: we simply learn nothing from it.
    """
    try:
        return parse_host_response(hcp_response)
    except (HostileXMLError, ResponseFormatError, ValueError):
        return HostInfo()
