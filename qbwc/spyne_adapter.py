"""Spyne, as the wire adapter only: SOAP 1.1 document/literal in, a call on WebConnectorService, out.

The protocol's logic lives in :mod:`qbwc.service`; this module only declares the Web Connector's
operations with the parameter names and types of Intuit's WSDL (``targetNamespace``
``http://developer.intuit.com/``, ``ArrayOfString`` results for ``authenticate``) and forwards.

Spyne does not parse the request: it reads the envelope :mod:`qbwc.soap_guard` parsed (hardened
parser, large text nodes allowed), handed over in the WSGI environ (``qbwc.soap11.DOCUMENT_KEY``), and
the tree is emptied as soon as the arguments are read. Plain arguments and answers are read and
written by :mod:`qbwc.soap11` directly, with Spyne's results to the byte. Spyne's own logging is
silenced: it writes the whole request body, or an argument's value, when a request does not parse or
an argument has the wrong type. A failure of the service is logged here instead, without any value
(:func:`describe_failure`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from spyne import Application, ComplexModel, Integer, ServiceBase, Unicode, rpc
from spyne.interface.wsdl import Wsdl11
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from qbwc.service import WebConnectorService
from qbwc.soap11 import PreparsedSoap11, TemplatedSoap11

NAMESPACE = "http://developer.intuit.com/"
SERVICE_NAME = "QBWebConnectorSvc"
SERVICE_FAILED = "qbbridge could not process this call; please retry later."

log = logging.getLogger("qbbridge.qbwc")

# Above CRITICAL: nothing Spyne logs is written (see the module docstring).
logging.getLogger("spyne").setLevel(logging.CRITICAL + 1)

T = TypeVar("T")


def describe_failure(method: str, exc: BaseException) -> str:
    """A log line for a service failure: where it happened and the exception's type, never its
    message (a database error repeats the statement's values) nor an argument."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"the Web Connector call {method} failed inside the service ({type(exc).__name__})\n{frames}"


def _serve(ctx: Any, method: str, call: Callable[[WebConnectorService], T]) -> T:
    # Spyne's context is in reference cycles (freed by the garbage collector, some time later): the
    # arguments it holds (a large answer) are let go now, and live only as long as this call.
    ctx.in_object = None
    try:
        return call(ctx.app.user_data["service"])
    except Exception as exc:
        log.error(describe_failure(method, exc))
        raise Fault("Server", SERVICE_FAILED) from None


class ArrayOfString(ComplexModel):
    """The WSDL's ``tns:ArrayOfString``: a sequence of nillable ``string`` elements."""

    __namespace__ = NAMESPACE
    __type_name__ = "ArrayOfString"
    _type_info = [("string", Unicode(max_occurs="unbounded", nillable=True))]  # noqa: RUF012


def _client_address(ctx: Any) -> str | None:
    environ = getattr(ctx.transport, "req_env", None) or {}
    return environ.get("REMOTE_ADDR")


class QBWebConnectorSvc(ServiceBase):
    __service_name__ = SERVICE_NAME

    @rpc(Unicode, _returns=Unicode)
    def serverVersion(ctx, strVersion):
        return _serve(ctx, "serverVersion", lambda service: service.server_version(strVersion))

    @rpc(Unicode, _returns=Unicode)
    def clientVersion(ctx, strVersion):
        address = _client_address(ctx)
        return _serve(
            ctx, "clientVersion", lambda service: service.client_version(strVersion, client_address=address)
        )

    @rpc(Unicode, Unicode, _returns=ArrayOfString)
    def authenticate(ctx, strUserName, strPassword):
        address = _client_address(ctx)
        result = _serve(
            ctx,
            "authenticate",
            lambda service: service.authenticate(strUserName, strPassword, client_address=address),
        )
        return ArrayOfString(string=result)

    @rpc(Unicode, Unicode, Unicode, Unicode, Integer(min_occurs=1), Integer(min_occurs=1), _returns=Unicode)
    def sendRequestXML(
        ctx,
        ticket,
        strHCPResponse,
        strCompanyFileName,
        qbXMLCountry,
        qbXMLMajorVers,
        qbXMLMinorVers,
    ):
        return _serve(
            ctx,
            "sendRequestXML",
            lambda service: service.send_request_xml(
                ticket, strHCPResponse, strCompanyFileName, qbXMLCountry, qbXMLMajorVers, qbXMLMinorVers
            ),
        )

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer(min_occurs=1))
    def receiveResponseXML(ctx, ticket, response, hresult, message):
        return _serve(
            ctx,
            "receiveResponseXML",
            lambda service: service.receive_response_xml(ticket, response, hresult, message),
        )

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def connectionError(ctx, ticket, hresult, message):
        return _serve(
            ctx, "connectionError", lambda service: service.connection_error(ticket, hresult, message)
        )

    @rpc(Unicode, _returns=Unicode)
    def getLastError(ctx, ticket):
        return _serve(ctx, "getLastError", lambda service: service.get_last_error(ticket))

    @rpc(Unicode, _returns=Unicode)
    def closeConnection(ctx, ticket):
        return _serve(ctx, "closeConnection", lambda service: service.close_connection(ticket))


# The names the endpoint accepts: read off the service's own @rpc methods, so that a method added or
# removed there is accepted or refused without a second list to keep in step.
OPERATIONS = frozenset(QBWebConnectorSvc.public_methods)


def build_application(
    service: WebConnectorService, *, in_protocol: Soap11 | None = None, out_protocol: Soap11 | None = None
) -> Application:
    """The service's Spyne application; its protocols are the endpoint's unless given (the tests and
    bench/soap_cost.py compare them with Spyne's own)."""
    application = Application(
        [QBWebConnectorSvc],
        tns=NAMESPACE,
        name=SERVICE_NAME,
        in_protocol=in_protocol or PreparsedSoap11(validator=None),
        out_protocol=out_protocol or TemplatedSoap11(),
    )
    application.user_data = {"service": service}
    return application


def build_wsgi(service: WebConnectorService, *, max_body_bytes: int) -> WsgiApplication:
    """The WSGI application the endpoint calls with an already parsed envelope (its body was read
    and bounded there; Spyne's own limit, 2 MiB by default, is set to the same)."""
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
