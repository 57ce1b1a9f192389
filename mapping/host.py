"""What the first ``sendRequestXML`` tells us about the customer's QuickBooks."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from responses_parser.safe_xml import HostileXMLError, parse_document


@dataclass(frozen=True, slots=True)
class HostDescription:
    product: str | None = None
    supported_versions: list[str] = field(default_factory=list)
    country: str | None = None
    company_name: str | None = None


def describe_host(hcp_response: str) -> HostDescription:
    """Product, supported qbXML versions and country from the HostQuery/CompanyQuery answers.

    An unreadable answer is not an error for the session: we simply learn nothing from it.
    """
    try:
        root = parse_document(hcp_response, huge_tree=True)
    except (HostileXMLError, etree.XMLSyntaxError, ValueError):
        return HostDescription()
    host = root.find(".//HostRet")
    company = root.find(".//CompanyRet")
    return HostDescription(
        product=host.findtext("ProductName") if host is not None else None,
        supported_versions=[
            v.text.strip() for v in root.iterfind(".//HostRet/SupportedQBXMLVersion") if v.text
        ],
        country=host.findtext("Country") if host is not None else None,
        company_name=company.findtext("CompanyName") if company is not None else None,
    )
