"""SOAP 1.1 envelopes shaped exactly like the ones the real Web Connector sends, and reading replies."""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from simulator.qbxml_in import parse_xml

NS = "http://developer.intuit.com/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
    "<soap:Body>"
)
_TAIL = "</soap:Body></soap:Envelope>"


class SoapFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def envelope(method: str, params: list[tuple[str, str | int]] | None = None) -> str:
    """The request body; a method without parameters is written self-closed, as QBWC does."""
    if not params:
        return f'{_HEAD}<{method} xmlns="{NS}" />{_TAIL}'
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in params)
    return f'{_HEAD}<{method} xmlns="{NS}">{inner}</{method}>{_TAIL}'


def headers(method: str) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}{method}"'}


def _body_child(text: bytes) -> etree._Element:
    root = parse_xml(text)
    body = root.find(f"{{{SOAP_NS}}}Body")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or body is None:
        raise SoapFault("Client", "reply is not a SOAP 1.1 envelope")
    children = [c for c in body if isinstance(c.tag, str)]
    if not children:
        raise SoapFault("Client", "empty SOAP body")
    child = children[0]
    if child.tag == f"{{{SOAP_NS}}}Fault":
        raise SoapFault(child.findtext("faultcode") or "", child.findtext("faultstring") or "")
    return child


def read_result(method: str, text: bytes) -> etree._Element | None:
    """The `<methodResult>` element of a reply (None when the server omitted an empty string)."""
    child = _body_child(text)
    if child.tag != f"{{{NS}}}{method}Response":
        raise SoapFault("Client", f"expected {method}Response, got {child.tag}")
    return child.find(f"{{{NS}}}{method}Result")


def read_string(method: str, text: bytes) -> str:
    result = read_result(method, text)
    return "" if result is None else (result.text or "")


def read_strings(method: str, text: bytes) -> list[str]:
    result = read_result(method, text)
    if result is None:
        return []
    return [(s.text or "") for s in result.findall(f"{{{NS}}}string")]


def read_int(method: str, text: bytes) -> int:
    value = read_string(method, text).strip()
    try:
        return int(value)
    except ValueError as exc:
        # QBWC refuses non-integer progress values; so do we.
        raise SoapFault("Client", f"{method}Result is not an integer: {value!r}") from exc
