"""SOAP calls shaped exactly as the QuickBooks Web Connector sends them, for protocol tests.

The envelope puts a default ``xmlns`` on the method element and lets the parameters inherit it, as
the real connector (a .NET SoapHttpClientProtocol client) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTUIT = "http://developer.intuit.com/"

# Each method of the Web Connector's WSDL and its arguments, in the order the real connector sends them.
METHODS: dict[str, list[str]] = {
    "serverVersion": ["strVersion"],
    "clientVersion": ["strVersion"],
    "authenticate": ["strUserName", "strPassword"],
    "sendRequestXML": [
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ],
    "receiveResponseXML": ["ticket", "response", "hresult", "message"],
    "connectionError": ["ticket", "hresult", "message"],
    "getLastError": ["ticket"],
    "closeConnection": ["ticket"],
}


def envelope(method: str, params: list[tuple[str, str | int | None]]) -> bytes:
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in params if value is not None)
    call = f'<{method} xmlns="{INTUIT}">{inner}</{method}>' if inner else f'<{method} xmlns="{INTUIT}" />'
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>{call}</soap:Body></soap:Envelope>'
    ).encode()


@dataclass
class SoapResult:
    status_code: int
    body: bytes

    def root(self) -> etree._Element:
        return etree.fromstring(self.body)

    def result_element(self, method: str) -> etree._Element:
        found = self.root().find(f".//{{{INTUIT}}}{method}Result")
        assert found is not None, self.body.decode()
        return found

    def fault(self) -> tuple[str, str] | None:
        fault = self.root().find(f".//{{{SOAP_ENV}}}Fault")
        if fault is None:
            return None
        return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


class WebConnectorClient:
    """One Web Connector talking to one qbbridge over HTTP."""

    def __init__(
        self, url: str, *, soap_action_style: str = "quoted", client: httpx.Client | None = None
    ) -> None:
        self.url = url
        self.soap_action_style = soap_action_style
        self.http = client or httpx.Client(timeout=30)

    def call(self, method: str, params: list[tuple[str, str | int | None]]) -> SoapResult:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        action = f"{INTUIT}{method}"
        if self.soap_action_style == "quoted":
            headers["SOAPAction"] = f'"{action}"'
        elif self.soap_action_style == "unquoted":
            headers["SOAPAction"] = action
        response = self.http.post(self.url, content=envelope(method, params), headers=headers)
        return SoapResult(response.status_code, response.content)

    def text_result(self, method: str, params: list[tuple[str, str | int | None]]) -> str:
        result = self.call(method, params)
        assert result.fault() is None, result.body.decode()
        return result.result_element(method).text or ""

    # The callbacks, by name.
    def server_version(self) -> str:
        return self.text_result("serverVersion", [])

    def client_version(self, version: str = "2.3.0.215") -> str:
        return self.text_result("clientVersion", [("strVersion", version)])

    def authenticate(self, username: str, password: str) -> list[str]:
        result = self.call("authenticate", [("strUserName", username), ("strPassword", password)])
        assert result.fault() is None, result.body.decode()
        element = result.result_element("authenticate")
        return [child.text or "" for child in element if etree.QName(child).localname == "string"]

    def send_request_xml(
        self,
        ticket: str,
        hcp: str = "",
        company_file: str = "C:\\Company\\Acme.qbw",
        country: str = "US",
        major: int = 13,
        minor: int = 0,
    ) -> str:
        return self.text_result(
            "sendRequestXML",
            [
                ("ticket", ticket),
                ("strHCPResponse", hcp),
                ("strCompanyFileName", company_file),
                ("qbXMLCountry", country),
                ("qbXMLMajorVers", major),
                ("qbXMLMinorVers", minor),
            ],
        )

    def receive_response_xml(
        self, ticket: str, response: str = "", hresult: str = "", message: str = ""
    ) -> int:
        text = self.text_result(
            "receiveResponseXML",
            [("ticket", ticket), ("response", response), ("hresult", hresult), ("message", message)],
        )
        return int(text)

    def get_last_error(self, ticket: str) -> str:
        return self.text_result("getLastError", [("ticket", ticket)])

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        return self.text_result(
            "connectionError", [("ticket", ticket), ("hresult", hresult), ("message", message)]
        )

    def close_connection(self, ticket: str) -> str:
        return self.text_result("closeConnection", [("ticket", ticket)])


def answer_for(
    request_xml: str, *, status_code: int = 0, severity: str = "Info", message: str = "Status OK"
) -> str:
    """A QuickBooks-shaped response message set answering every request in ``request_xml``."""
    root = etree.fromstring(request_xml.encode("utf-8"))
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None
    parts = []
    for request in msgs:
        rs = request.tag[:-2] + "Rs"
        request_id = request.get("requestID", "")
        parts.append(
            f'<{rs} requestID="{request_id}" statusCode="{status_code}" statusSeverity="{severity}" '
            f'statusMessage="{escape(message, {chr(34): "&quot;"})}" />'
        )
    return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{"".join(parts)}</QBXMLMsgsRs></QBXML>'


def customer_query(name: str = "Acme", version: str = "13.0") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?><QBXML>'
        '<QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq>'
        f"<FullName>{escape(name)}</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
    )
