"""What reaches Spyne: one well-formed SOAP 1.1 envelope, in UTF-8, calling a known Web Connector method.

Everything else (empty, not UTF-8, a DTD or entity declaration, malformed, a processing instruction,
no Body, an unknown method) is answered here with a SOAP 1.1 ``soap:Client`` Fault, so a hostile or
broken request never costs more than one bounded parse and never produces HTML or a traceback. The
envelope is parsed once, here, with the hardened parser of :mod:`responses_parser.safe_xml`; Spyne
reads the tree this module returns (``qbwc/spyne_adapter.py``) instead of parsing the body again.

Encoding: the Web Connector is a .NET SOAP client and sends ``Content-Type: text/xml; charset=utf-8``
with ``<?xml version="1.0" encoding="utf-8"?>`` (docs/qbwc.md). Only UTF-8 is accepted: a body with a
UTF-8 byte order mark, no XML declaration or one declaring UTF-8, and a ``charset`` parameter, if any,
of ``utf-8``. Any other encoding gets a fault that says so. A DTD or entity declaration is looked for in
the decoded text, whatever the encoding, and refused first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from responses_parser.safe_xml import (
    DoctypeScanner,
    HostileXMLError,
    UnknownEncodingError,
    refuse_doctype,
    safe_parser,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTUIT_NS = "http://developer.intuit.com/"
ACCEPTED_ENCODING = "utf-8"
# How much of libxml2's message about a malformed body the fault repeats.
_SYNTAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class SoapCall:
    method: str
    document: etree._Element  # the parsed envelope, for Spyne


class SoapRequestError(Exception):
    """The request is not a call we can answer; the message is safe to show the caller."""


def check_content_type(content_type: str | None) -> None:
    """The HTTP ``Content-Type``: its ``charset``, when there is one, must be UTF-8."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset":
            continue
        charset = value.strip().strip("\"'").lower()
        if charset not in ("utf-8", "utf8"):
            raise SoapRequestError(_not_utf8(f"charset={charset[:40]}"))


def inspect_envelope(body: bytes | list[bytes], operations: frozenset[str]) -> SoapCall:
    """Parse and check one SOAP request. ``body`` may be the pieces it arrived in: they are parsed one
    after another and dropped from the list as they go, so the body and its tree are not both held
    whole at once."""
    pieces = [body] if isinstance(body, bytes) else body
    size = sum(len(piece) for piece in pieces)
    if size == 0 or (size <= 4096 and not b"".join(pieces).strip()):
        raise SoapRequestError("The request body is empty; expected a SOAP 1.1 envelope.")
    try:
        root = _parse(pieces)
        refuse_doctype(root)
    except HostileXMLError as exc:
        raise SoapRequestError(str(exc)) from exc
    except etree.XMLSyntaxError as exc:
        message = str(exc)[:_SYNTAX_MESSAGE_CHARS]
        raise SoapRequestError(f"The request is not well-formed XML: {message}") from exc
    except etree.LxmlError as exc:
        raise SoapRequestError("The request could not be read as XML.") from exc
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapRequestError("The request is not a SOAP 1.1 envelope (soap:Envelope expected).")
    if _has_processing_instruction(root):
        # SOAP 1.1 (section 3) forbids them; among a call's arguments Spyne cannot read past one.
        raise SoapRequestError(
            "The request contains a processing instruction (<?...?> after the XML declaration), which "
            "SOAP 1.1 does not allow; send the call without it."
        )
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
            f"Unknown method {qname.localname[:100]!r} in namespace {(qname.namespace or '')[:200]!r}; "
            f"this endpoint implements {', '.join(sorted(operations))} in {INTUIT_NS}."
        )
    return SoapCall(method=qname.localname, document=root)


def _has_processing_instruction(root: etree._Element) -> bool:
    if next(root.iter(etree.ProcessingInstruction), None) is not None:
        return True
    siblings = [*root.itersiblings(preceding=True), *root.itersiblings()]
    return any(isinstance(sibling, etree._ProcessingInstruction) for sibling in siblings)


# One feed parser per thread, reused: creating a parser costs more than parsing a small call.
_local = threading.local()


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = safe_parser(huge_tree=True)
    return parser


def _parse(pieces: list[bytes]) -> etree._Element:
    scanner = DoctypeScanner()
    parser = _parser()
    try:
        for index in range(len(pieces)):
            piece, pieces[index] = pieces[index], b""
            try:
                checked = scanner.feed(piece)
            except UnknownEncodingError as exc:
                raise SoapRequestError(_not_utf8(exc.encoding[:40])) from exc
            del piece
            if checked and scanner.encoding == ACCEPTED_ENCODING:
                parser.feed(checked)
        try:
            rest = scanner.close()
        except UnknownEncodingError as exc:
            raise SoapRequestError(_not_utf8(exc.encoding[:40])) from exc
        if scanner.encoding != ACCEPTED_ENCODING:
            # Checked for a declaration to the end, never parsed.
            raise SoapRequestError(_not_utf8(scanner.encoding or "unknown"))
        if rest:
            parser.feed(rest)
        return parser.close()
    except BaseException:
        _local.parser = None  # a parser left inside a document is not reused
        raise


def _not_utf8(found: str) -> str:
    return (
        f"qbbridge accepts SOAP requests in UTF-8 only, as the QuickBooks Web Connector sends them; "
        f"this one is in {found}. Send it in UTF-8 (Content-Type: text/xml; charset=utf-8)."
    )


_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _fault_text(message: str) -> str:
    return escape(_NOT_XML_CHARACTERS.sub("?", message))


def client_fault(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        "<faultcode>soap:Client</faultcode>"
        f"<faultstring>{_fault_text(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def server_fault(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        "<faultcode>soap:Server</faultcode>"
        f"<faultstring>{_fault_text(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
