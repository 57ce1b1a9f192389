"""Hostile or broken SOAP input: always a SOAP 1.1 soap:Client Fault, never HTML, a hang or a traceback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import SOAP_ENV, WebConnectorClient, envelope

HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"http://developer.intuit.com/authenticate"',
}

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol2;</strUserName></authenticate>
</soap:Body></soap:Envelope>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<authenticate xmlns="http://developer.intuit.com/"><strUserName>&xxe;</strUserName></authenticate>
</soap:Body></soap:Envelope>"""

CASES = {
    "empty body": b"",
    "whitespace body": b"   \n",
    "malformed xml": b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>",
    "not xml at all": b"hello=world&x=1",
    "entity expansion": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "not an envelope": b'<authenticate xmlns="http://developer.intuit.com/"/>',
    "no body": b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/></soap:Envelope>',
    "empty body element": b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body></soap:Body></soap:Envelope>',
    "unknown method": envelope("deleteEverything", [("ticket", "x")]),
    "processing instruction among the arguments": envelope("sendRequestXML", [("ticket", "x")]).replace(
        b"<ticket>", b"<?pi x?><ticket>"
    ),
    "processing instruction in an argument": envelope("authenticate", [("strUserName", "x")]).replace(
        b"x</strUserName>", b"x<?pi y?></strUserName>"
    ),
    "processing instruction before the envelope": envelope("serverVersion", []).replace(
        b"<soap:Envelope", b"<?xml-stylesheet href='a'?><soap:Envelope"
    ),
    "method in another namespace": b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate xmlns="http://example.com/"/></soap:Body></soap:Envelope>',
}


def assert_client_fault(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("text/xml"), response.text
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.text
    assert fault.findtext("faultcode") == "soap:Client"
    text = fault.findtext("faultstring") or ""
    assert text and "Traceback" not in text
    return text


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_a_client_fault_and_the_server_keeps_serving(
    live_server: LiveServer, case: str
) -> None:
    response = httpx.post(live_server.qbwc_url, content=CASES[case], headers=HEADERS, timeout=10)
    message = assert_client_fault(response)
    if case in {"entity expansion", "external entity"}:
        assert "DOCTYPE" in message
        assert "root:" not in response.text
    if case == "unknown method":
        assert "deleteEverything" in message
    if case.startswith("processing instruction"):
        assert "processing instruction" in message
    assert WebConnectorClient(live_server.qbwc_url).server_version().startswith("qbbridge")


def test_wrong_type_for_an_int_parameter_is_a_client_fault(live_server: LiveServer) -> None:
    body = envelope(
        "sendRequestXML",
        [
            ("ticket", "t"),
            ("strHCPResponse", ""),
            ("strCompanyFileName", ""),
            ("qbXMLCountry", "US"),
            ("qbXMLMajorVers", "thirteen"),
            ("qbXMLMinorVers", "0"),
        ],
    )
    response = httpx.post(live_server.qbwc_url, content=body, headers=HEADERS, timeout=10)
    root = etree.fromstring(response.content)
    fault = root.find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None
    assert (fault.findtext("faultcode") or "").split(":")[-1].startswith("Client")


def test_body_over_the_limit_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    server = start_server(sqlite_url, tmp_path, extra_env={"QBBRIDGE_MAX_SOAP_BODY_BYTES": "4096"})
    try:
        big = envelope("authenticate", [("strUserName", "u" * 10_000), ("strPassword", "p")])
        response = httpx.post(server.qbwc_url, content=big, headers=HEADERS, timeout=10)
        message = assert_client_fault(response)
        assert "4096" in message

        def chunks():  # no Content-Length: the limit must hold while streaming too
            for _ in range(10):
                yield b"x" * 1024

        streamed = httpx.post(server.qbwc_url, content=chunks(), headers=HEADERS, timeout=10)
        assert_client_fault(streamed)
        assert WebConnectorClient(server.qbwc_url).server_version().startswith("qbbridge")
    finally:
        server.stop()


def test_wsdl_is_intuits_shape_with_the_public_address(live_server: LiveServer) -> None:
    response = httpx.get(live_server.qbwc_url + "?wsdl", timeout=10)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    wsdl = "http://schemas.xmlsoap.org/wsdl/"
    soap = "http://schemas.xmlsoap.org/wsdl/soap/"
    assert root.get("targetNamespace") == "http://developer.intuit.com/"
    actions = {op.get("soapAction") for op in root.iter(f"{{{soap}}}operation")}
    for method in (
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    ):
        assert f"http://developer.intuit.com/{method}" in actions
    binding = root.find(f"{{{wsdl}}}binding/{{{soap}}}binding")
    assert binding is not None and binding.get("style") == "document"
    assert binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    assert all(body.get("use") == "literal" for body in root.iter(f"{{{soap}}}body"))
    address = root.find(f".//{{{soap}}}address")
    assert (
        address is not None
        and address.get("location") == "http://localhost:" + live_server.base_url.rsplit(":", 1)[1] + "/qbwc"
    )
    array = root.find(".//{http://www.w3.org/2001/XMLSchema}complexType[@name='ArrayOfString']")
    assert array is not None
    element = array.find(".//{http://www.w3.org/2001/XMLSchema}element")
    assert element is not None and element.get("name") == "string" and element.get("maxOccurs") == "unbounded"


def test_trailing_slash_is_served_without_redirect(live_server: LiveServer) -> None:
    client = WebConnectorClient(live_server.qbwc_url + "/")
    assert client.server_version().startswith("qbbridge")
    response = httpx.post(live_server.qbwc_url + "/", content=envelope("serverVersion", []), headers=HEADERS)
    assert response.status_code == 200 and not response.is_redirect


SERVER_VERSION_CALL = (
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
    '<serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>'
)
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
    '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol2;</strUserName></authenticate>'
    "</soap:Body></soap:Envelope>"
)


def declared(encoding: str, rest: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>{rest}'


# Encodings other than UTF-8, by the name a declaration gives them (Python writes each under that name
# too; cp500 is EBCDIC): the Web Connector never sends them, so a body in any of them is refused, and a
# DTD in any of them is refused as a DTD, whatever the encoding, before anything else.
FOREIGN_ENCODINGS = ("utf-16", "utf-32", "utf-7", "ISO-8859-1", "us-ascii", "windows-1252", "cp500")


def in_foreign_encodings(body: str) -> dict[str, bytes]:
    forms = {name: declared(name, body).encode(name) for name in FOREIGN_ENCODINGS}  # UTF-16/32 with a BOM
    for codec in ("utf-16-le", "utf-16-be"):  # declared UTF-16, and no byte order mark to say which
        forms[f"utf-16 written as {codec}"] = declared("utf-16", body).encode(codec)
    return forms


OTHER_ENCODINGS = {
    **in_foreign_encodings(SERVER_VERSION_CALL),
    "UTF-16BE without a declaration": SERVER_VERSION_CALL.encode("utf-16-be"),
    # Not in the table: a body no codec can read is refused for its encoding, DTD or not.
    "an encoding nobody knows": declared("x-unknown-8", SERVER_VERSION_CALL).encode(),
}

DTD_IN_ENCODINGS = {
    **in_foreign_encodings(LAUGHS),
    "UTF-8": declared("utf-8", LAUGHS).encode(),
    "labelled UTF-16, written in ASCII": declared("utf-16", LAUGHS).encode(),
    "after a 200 KB comment": declared("utf-8", "<!--" + "c" * 200_000 + "-->" + LAUGHS).encode(),
    "with a 15 MB text node": declared(
        "utf-8", LAUGHS.replace("&lol2;", "&lol2;" + "x" * 15_000_000)
    ).encode(),
}

# UTF-8 as the Web Connector or another well-behaved client may write it: accepted.
UTF8_FORMS = {
    "declared utf-8": declared("utf-8", SERVER_VERSION_CALL).encode(),
    "declared UTF-8": declared("UTF-8", SERVER_VERSION_CALL).encode(),
    "no declaration": SERVER_VERSION_CALL.encode(),
    "no encoding in the declaration": ('<?xml version="1.0"?>' + SERVER_VERSION_CALL).encode(),
    "byte order mark": b"\xef\xbb\xbf" + declared("utf-8", SERVER_VERSION_CALL).encode(),
}


@pytest.mark.parametrize("case", sorted(OTHER_ENCODINGS))
def test_a_body_not_in_utf8_is_refused_saying_so(live_server: LiveServer, case: str) -> None:
    response = httpx.post(live_server.qbwc_url, content=OTHER_ENCODINGS[case], headers=HEADERS, timeout=10)
    message = assert_client_fault(response)
    assert "UTF-8 only" in message


@pytest.mark.parametrize("case", sorted(DTD_IN_ENCODINGS))
def test_a_dtd_is_refused_in_any_encoding(live_server: LiveServer, case: str) -> None:
    response = httpx.post(live_server.qbwc_url, content=DTD_IN_ENCODINGS[case], headers=HEADERS, timeout=60)
    message = assert_client_fault(response)
    assert "DOCTYPE" in message
    assert b"lollol" not in response.content


@pytest.mark.parametrize("case", sorted(UTF8_FORMS))
def test_utf8_in_its_usual_forms_is_accepted(live_server: LiveServer, case: str) -> None:
    response = httpx.post(live_server.qbwc_url, content=UTF8_FORMS[case], headers=HEADERS, timeout=10)
    assert response.status_code == 200, response.text
    assert b"qbbridge " in response.content


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-16", "text/xml; charset=iso-8859-1", 'text/xml; charset="us-ascii"'],
)
def test_a_charset_other_than_utf8_is_refused(live_server: LiveServer, content_type: str) -> None:
    body = declared("utf-8", SERVER_VERSION_CALL).encode()
    response = httpx.post(
        live_server.qbwc_url, content=body, headers={"Content-Type": content_type}, timeout=10
    )
    message = assert_client_fault(response)
    assert "UTF-8 only" in message


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-8", "text/xml; charset=UTF-8", "text/xml", 'text/xml; charset="utf-8"'],
)
def test_the_web_connectors_content_type_is_accepted(live_server: LiveServer, content_type: str) -> None:
    body = declared("utf-8", SERVER_VERSION_CALL).encode()
    response = httpx.post(
        live_server.qbwc_url, content=body, headers={"Content-Type": content_type}, timeout=10
    )
    assert response.status_code == 200, response.text
