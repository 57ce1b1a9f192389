"""Spyne's SOAP 1.1 protocol, as the endpoint uses it: the request already parsed, and plain messages
read and written without Spyne's general machinery.

Spyne reads and writes any message its types can describe, and pays for that generality on every
call: reading sendRequestXML's six arguments took a third of Spyne's own time in a call, writing one
string back a fifth (docs/performance.md, "Spyne's plain messages read and written directly"). The Web
Connector's messages are plain: each argument a string or an integer in an element of its own, and
each answer but authenticate's one string or integer. Those are read and written here directly, with
Spyne's results to the byte (``tests/foundation/test_soap11_shortcuts.py`` compares the two on every
operation and on hostile input). Anything else (an argument with attributes, child elements, a
repeated or unknown element, an integer written other than in plain digits; a fault, an array, a
string XML cannot carry) goes through Spyne's own code, unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from spyne import Integer, Unicode
from spyne.const.xml import NS_SOAP11_ENV
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

# Where the endpoint puts the parsed envelope for Spyne (qbwc/endpoint.py: wsgi_environ).
DOCUMENT_KEY = "qbbridge.soap_envelope"

_STRING, _INTEGER = "string", "integer"
# An integer argument read directly: plain ASCII digits, short enough for any integer the Web
# Connector sends. Signs, spaces, other digits and the empty element are Spyne's to read.
_PLAIN_DIGITS = re.compile(r"[0-9]{1,18}")
# A string written directly: only characters XML 1.0 can carry (lxml refuses the others, and Spyne
# answers that with its own fault, so such a string goes to Spyne).
_XML_TEXT = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
_FAULT_TAG = f"{{{NS_SOAP11_ENV}}}Fault"
# A value no answer carries, to find where a result goes in the envelope Spyne writes around it.
_MARKER_TEXT = "qbbridge-result-4b1f0c1e"
_MARKER_INTEGER = 918273645546372819


def _kind(member: Any) -> str | None:
    """How a message member is read or written directly, or None when only Spyne can."""
    if issubclass(member, Unicode):
        return _STRING
    if issubclass(member, Integer):
        return _INTEGER
    return None


# A request message's members: each name's place among the arguments, and each argument's kind.
Members = tuple[dict[str, int], tuple[str, ...]]


def _members(message_class: Any, cache: dict[Any, Members | None]) -> Members | None:
    """A message's members, worked out once per message; None when one of them is not plain."""
    if message_class not in cache:
        kinds = [_kind(member) for member in message_class._type_info.values()]
        plain = tuple(kind for kind in kinds if kind is not None)
        positions = {name: index for index, name in enumerate(message_class._type_info)}
        cache[message_class] = (positions, plain) if len(plain) == len(kinds) else None
    return cache[message_class]


def plain_arguments(body: Any, members: Members) -> list[Any] | None:
    """The arguments of a request body as Spyne reads them, or None when they are not plain.

    Plain: every child an element without attributes or children of its own, named after one of the
    members (in any namespace, as Spyne matches them), none twice. A missing argument is None, an
    empty string element ``""``, an empty integer element None.
    """
    if body.attrib:
        return None
    positions, kinds = members
    values: list[Any] = [None] * len(kinds)
    seen: set[int] = set()
    for child in body:
        tag = child.tag
        if not isinstance(tag, str) or child.attrib or len(child):
            return None
        index = positions.get(tag.rpartition("}")[2])
        if index is None or index in seen:
            return None
        seen.add(index)
        text = child.text
        if kinds[index] == _STRING:
            values[index] = "" if text is None else text
        elif text is None:
            values[index] = None
        elif _PLAIN_DIGITS.fullmatch(text):
            values[index] = int(text)
        else:
            return None
    return values


def escape_text(text: str) -> str:
    """Text as lxml writes it in an element: ``&``, ``<``, ``>`` and carriage returns escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class PreparsedSoap11(Soap11):
    """SOAP 1.1 whose request document is the tree the guard already parsed, and whose plain
    arguments are read directly (``plain_arguments``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._members: dict[Any, Members | None] = {}

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        environ = getattr(ctx.transport, "req_env", None) or {}
        document = environ.pop(DOCUMENT_KEY, None)
        if document is None:
            raise Fault("Server", "The request reached Spyne without its parsed envelope.")
        # (root, ids): no SOAP-encoding href resolution, which document/literal never uses.
        ctx.in_document = (document, {})

    def deserialize(self, ctx: Any, message: Any) -> None:
        body = ctx.in_body_doc
        arguments = None
        if message is self.REQUEST and body is not None and body.tag != _FAULT_TAG:
            members = _members(ctx.descriptor.in_message, self._members)
            if members is not None:
                arguments = plain_arguments(body, members)
        if arguments is None:
            super().deserialize(ctx, message)
        else:
            self.event_manager.fire_event("before_deserialize", ctx)
            # A sequence of the arguments in order, as Spyne's own call takes them.
            ctx.in_object = arguments
            self.event_manager.fire_event("after_deserialize", ctx)
        # The arguments are Python values now. Spyne's contexts are shallow copies of one another and
        # each holds the tree, so it is emptied rather than let go: a large answer is then held once,
        # as the ``response`` string, while the service settles it.
        if body is not None:
            body.clear()


class TemplatedSoap11(Soap11):
    """SOAP 1.1 whose plain answers (one string or integer) are written into the envelope Spyne
    wrote once for each operation around a marker value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each operation's answer envelope as (before, after) the result, or None when it is not plain.
        self._templates: dict[Any, tuple[bytes, bytes, str] | None] = {}

    def serialize(self, ctx: Any, message: Any) -> Any:
        written = self._plain_answer(ctx, message)
        if written is None:
            return super().serialize(ctx, message)
        self.event_manager.fire_event("before_serialize", ctx)
        # Spyne's server writes no envelope of its own once the answer's bytes are set
        # (``create_out_string`` below leaves them as they are).
        ctx.out_string = [written]
        self.event_manager.fire_event("after_serialize", ctx)
        return None

    def create_out_string(self, ctx: Any, charset: str | None = None) -> None:
        if ctx.out_string is None:
            super().create_out_string(ctx, charset)

    def _plain_answer(self, ctx: Any, message: Any) -> bytes | None:
        if message is not self.RESPONSE or ctx.out_error is not None or ctx.out_header is not None:
            return None
        result = ctx.out_object
        if not isinstance(result, (list, tuple)) or len(result) != 1:
            return None
        template = self._template(ctx)
        if template is None:
            return None
        before, after, kind = template
        value = result[0]
        if kind == _INTEGER and type(value) is int:
            return before + str(value).encode() + after
        if kind == _STRING and type(value) is str and _XML_TEXT.fullmatch(value):
            return before + escape_text(value).encode() + after
        return None

    def _template(self, ctx: Any) -> tuple[bytes, bytes, str] | None:
        descriptor = ctx.descriptor
        if descriptor in self._templates:
            return self._templates[descriptor]
        template = None
        members = list(descriptor.out_message._type_info.values())
        kind = _kind(members[0]) if len(members) == 1 else None
        if kind is not None and self.encoding.upper().replace("-", "") == "UTF8":
            template = self._write_around_marker(ctx, kind)
        self._templates[descriptor] = template
        return template

    def _write_around_marker(self, ctx: Any, kind: str) -> tuple[bytes, bytes, str] | None:
        """Have Spyne write this operation's answer with a marker for its result, and cut it there."""
        marker: Any = _MARKER_TEXT if kind == _STRING else _MARKER_INTEGER
        result = ctx.out_object
        try:
            ctx.out_object = [marker]
            super().serialize(ctx, self.RESPONSE)
            super().create_out_string(ctx)
            written = b"".join(ctx.out_string)
        except Exception:
            # Whatever failed is Spyne's to meet again, with the real result, on its own path.
            return None
        finally:
            ctx.out_object = result
            ctx.out_document = ctx.out_body_doc = ctx.out_string = None
        written_marker = str(marker).encode()
        before, found, after = written.partition(written_marker)
        if not found or written_marker in after:
            return None
        return before, after, kind
