"""Spyne, as the wire adapter only: SOAP 1.1 document/literal in, a call on WebConnectorService, out.

The protocol's logic lives in :mod:`qbwc.service`; this module only declares the Web Connector's
operations with the parameter names and types of Intuit's WSDL (``targetNamespace``
``http://developer.intuit.com/``, ``ArrayOfString`` results for ``authenticate``) and forwards.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import Application, ComplexModel, Integer, ServiceBase, Unicode, rpc
from spyne.interface.wsdl import Wsdl11
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from qbwc.service import WebConnectorService

NAMESPACE = "http://developer.intuit.com/"
SERVICE_NAME = "QBWebConnectorSvc"


class ArrayOfString(ComplexModel):
    """The WSDL's ``tns:ArrayOfString``: a sequence of nillable ``string`` elements."""

    __namespace__ = NAMESPACE
    __type_name__ = "ArrayOfString"
    _type_info = [("string", Unicode(max_occurs="unbounded", nillable=True))]  # noqa: RUF012


def _service(ctx: Any) -> WebConnectorService:
    return ctx.app.user_data["service"]


def _client_address(ctx: Any) -> str | None:
    environ = getattr(ctx.transport, "req_env", None) or {}
    return environ.get("REMOTE_ADDR")


class QBWebConnectorSvc(ServiceBase):
    __service_name__ = SERVICE_NAME

    @rpc(Unicode, _returns=Unicode)
    def serverVersion(ctx, strVersion):  # type: ignore[no-untyped-def]
        return _service(ctx).server_version(strVersion)

    @rpc(Unicode, _returns=Unicode)
    def clientVersion(ctx, strVersion):  # type: ignore[no-untyped-def]
        return _service(ctx).client_version(strVersion, client_address=_client_address(ctx))

    @rpc(Unicode, Unicode, _returns=ArrayOfString)
    def authenticate(ctx, strUserName, strPassword):  # type: ignore[no-untyped-def]
        result = _service(ctx).authenticate(strUserName, strPassword, client_address=_client_address(ctx))
        return ArrayOfString(string=result)

    @rpc(Unicode, Unicode, Unicode, Unicode, Integer(min_occurs=1), Integer(min_occurs=1), _returns=Unicode)
    def sendRequestXML(  # type: ignore[no-untyped-def]
        ctx,
        ticket,
        strHCPResponse,
        strCompanyFileName,
        qbXMLCountry,
        qbXMLMajorVers,
        qbXMLMinorVers,
    ):
        return _service(ctx).send_request_xml(
            ticket, strHCPResponse, strCompanyFileName, qbXMLCountry, qbXMLMajorVers, qbXMLMinorVers
        )

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer(min_occurs=1))
    def receiveResponseXML(ctx, ticket, response, hresult, message):  # type: ignore[no-untyped-def]
        return _service(ctx).receive_response_xml(ticket, response, hresult, message)

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def connectionError(ctx, ticket, hresult, message):  # type: ignore[no-untyped-def]
        return _service(ctx).connection_error(ticket, hresult, message)

    @rpc(Unicode, _returns=Unicode)
    def getLastError(ctx, ticket):  # type: ignore[no-untyped-def]
        return _service(ctx).get_last_error(ticket)

    @rpc(Unicode, _returns=Unicode)
    def closeConnection(ctx, ticket):  # type: ignore[no-untyped-def]
        return _service(ctx).close_connection(ticket)


OPERATIONS = frozenset(
    {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    }
)


def build_application(service: WebConnectorService) -> Application:
    application = Application(
        [QBWebConnectorSvc],
        tns=NAMESPACE,
        name=SERVICE_NAME,
        in_protocol=Soap11(validator=None),
        out_protocol=Soap11(),
    )
    application.user_data = {"service": service}
    return application


# Spyne refuses bodies over its own limit (2 MiB unless told) with "Request too long"; the endpoint
# already bounds bodies by QBBRIDGE_MAX_SOAP_BODY_BYTES, so Spyne is given the same limit.
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024


def build_wsgi(
    service: WebConnectorService, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> WsgiApplication:
    return WsgiApplication(build_application(service), max_content_length=max_body_bytes)


SOAP_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
_WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"


def build_wsdl(service: WebConnectorService, url: str) -> bytes:
    """The WSDL document, with ``soap:address`` set to the public URL the Web Connector posts to.

    Spyne writes the operations and types; the binding is then given Intuit's names and
    ``soapAction`` values (``http://developer.intuit.com/<method>``), which Spyne cannot express.
    """
    application = build_application(service)
    application.transport = SOAP_HTTP_TRANSPORT
    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(url)
    root = etree.fromstring(wsdl.get_interface_document())
    for operation in root.iter(f"{{{_WSDL_SOAP_NS}}}operation"):
        parent = operation.getparent()
        assert parent is not None
        operation.set("soapAction", NAMESPACE + parent.get("name", ""))
    port_type_name = "QBWebConnectorSvcSoap"
    for element in root.iter(f"{{{_WSDL_NS}}}portType", f"{{{_WSDL_NS}}}binding", f"{{{_WSDL_NS}}}port"):
        element.set("name", port_type_name)
    for element in root.iter(f"{{{_WSDL_NS}}}binding"):
        element.set("type", f"tns:{port_type_name}")
    for element in root.iter(f"{{{_WSDL_NS}}}port"):
        element.set("binding", f"tns:{port_type_name}")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
