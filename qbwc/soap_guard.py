"""What reaches Spyne: one well-formed SOAP 1.1 envelope calling a known Web Connector method.

Everything else (too large, empty, a DTD or entity declaration, malformed, no Body, an unknown
method) is answered here with a SOAP 1.1 ``soap:Client`` Fault, so a hostile or broken request never
costs more than one bounded parse and never produces HTML or a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from responses_parser.safe_xml import HostileXMLError, parse_document

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTUIT_NS = "http://developer.intuit.com/"


@dataclass(frozen=True, slots=True)
class SoapCall:
    method: str


class SoapRequestError(Exception):
    """The request is not a call we can answer; the message is safe to show the caller."""


def inspect_envelope(body: bytes, operations: frozenset[str]) -> SoapCall:
    if not body.strip():
        raise SoapRequestError("The request body is empty; expected a SOAP 1.1 envelope.")
    try:
        root = parse_document(body, huge_tree=True)
    except HostileXMLError as exc:
        raise SoapRequestError(str(exc)) from exc
    except etree.XMLSyntaxError as exc:
        raise SoapRequestError(f"The request is not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapRequestError("The request is not a SOAP 1.1 envelope (soap:Envelope expected).")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    if body_element is None:
        raise SoapRequestError("The SOAP envelope has no Body.")
    calls = [child for child in body_element if isinstance(child.tag, str)]
    if not calls:
        raise SoapRequestError("The SOAP Body is empty; expected one Web Connector method call.")
    if len(calls) > 1:
        raise SoapRequestError("The SOAP Body must contain exactly one method call.")
    qname = etree.QName(calls[0])
    if qname.namespace != INTUIT_NS or qname.localname not in operations:
        raise SoapRequestError(
            f"Unknown method {qname.localname!r} in namespace {qname.namespace!r}; "
            f"this endpoint implements {', '.join(sorted(operations))} in {INTUIT_NS}."
        )
    return SoapCall(method=qname.localname)


def client_fault(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        "<faultcode>soap:Client</faultcode>"
        f"<faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def server_fault(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        "<faultcode>soap:Server</faultcode>"
        f"<faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
