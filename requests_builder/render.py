"""The one writer: turns a request object into qbXML text following :mod:`requests_builder.schema`.

Every element is written in the order of ``SEQUENCES[path]`` whatever order the caller set fields in,
because the order comes from the table and never from the class. For each set field the writer checks
the element exists in the host's qbXML version, applies the type and length rules of
:mod:`requests_builder.fields`, and recurses into aggregates with the aggregate's own path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple, TypeGuard

from requests_builder import fields as f
from requests_builder.errors import BuildError, BuildWarning
from requests_builder.model import QBObject, Ref, Request
from requests_builder.schema import REF_FULLNAME_MAX, REQUEST_SINCE, SEQUENCES
from requests_builder.versions import version_tuple

# FullName limits QuickBooks enforces where the schema and its notes are silent (qbxml-notes §4): items
# and accounts nest 5 levels of 31 characters, customers/jobs 5 of 41.
_REF_DEFAULT_MAX = {
    "ItemRef": 159, "ItemServiceRef": 159, "ParentRef": 209, "ListObjRef": 209, "AccountRef": 159,
    "OverrideItemAccountRef": 159, "EntityRef": 209, "CustomerRef": 209, "VendorRef": 41,
}  # fmt: skip


class Step(NamedTuple):
    attr: str
    element: str
    kind: str
    since: tuple[int, int] | None
    max_len: int | None
    ident: bool
    required: bool
    drop_if_old: bool
    choices: tuple[str, ...] | None
    sub_path: str  # path of the element itself, for aggregates and references
    known: bool  # False: the element does not exist in this aggregate at all
    leaf_name: bool


def _stricter(declared: int | None, schema: int | None) -> int | None:
    """A field's own limit applies where the schema gives none, and never loosens the schema's: a
    field shared by several requests (a list query's full names) may meet a shorter limit in one."""
    if declared is None or schema is None:
        return declared or schema
    return min(declared, schema)


@cache
def plan(cls: type[QBObject], path: str) -> tuple[tuple[Step, ...], tuple[tuple[str, str], ...]]:
    """The steps to write ``cls`` as the aggregate at ``path``, in schema order, and its attributes."""
    rows = SEQUENCES.get(path)
    if rows is None:
        raise KeyError(f"no element table for {path}")
    position = {name: (index, since, max_len) for index, (name, since, max_len) in enumerate(rows)}
    steps: list[tuple[int, Step]] = []
    attributes: list[tuple[str, str]] = []
    for fld in dataclasses.fields(cls):
        meta = fld.metadata
        if "attribute" in meta:
            attributes.append((fld.name, meta["attribute"]))
            continue
        if "element" not in meta:
            continue
        element = meta["element"]
        index, since, max_len = position.get(element, (len(rows), None, None))
        steps.append(
            (
                index,
                Step(
                    attr=fld.name,
                    element=element,
                    kind=meta["kind"],
                    since=version_tuple(since) if since else None,
                    max_len=_stricter(meta["max_len"], max_len),
                    ident=meta["ident"],
                    required=meta["required"],
                    drop_if_old=meta["drop_if_old"],
                    choices=meta["choices"],
                    sub_path=f"{path}/{element}",
                    known=element in position,
                    leaf_name=meta["leaf_name"],
                ),
            )
        )
    steps.sort(key=lambda pair: pair[0])
    return tuple(step for _, step in steps), tuple(attributes)


def _scalar(step: Step, value: Any, field: str, warnings: list[BuildWarning]) -> str:
    kind = step.kind
    element = step.element
    if kind == "text":
        if step.leaf_name and isinstance(value, str) and ":" in value:
            raise BuildError(
                field,
                f"{element} cannot contain ':' (QuickBooks' separator between a parent and its sub-entries); "
                "give the parent in ParentRef",
                value=value,
            )
        return f.text(value, field, element, step.max_len, step.ident, warnings)
    if kind == "enum":
        return f.enum(value, field, element, step.choices or ())
    warned = _WARNED_SCALARS.get(kind)
    if warned is not None:
        return warned(value, field, element, warnings)
    plain = _PLAIN_SCALARS.get(kind)
    if plain is None:
        raise AssertionError(f"unknown kind {kind}")
    return plain(value, field, element)


# The writer of each scalar kind but text and enum: those that may round a number and say so, and the
# rest, which either write the value as given or refuse it.
_WARNED_SCALARS: dict[str, Callable[[object, str, str, list[BuildWarning]], str]] = {
    "amount": f.amount,
    "price": f.decimal5,
}
_PLAIN_SCALARS: dict[str, Callable[[object, str, str], str]] = {
    "id": f.identifier,
    "bool": f.boolean,
    "date": f.date,
    "datetime": f.datetime,
    "int": f.integer,
    "guid": f.guid,
    "duration": f.duration,
}


def _ref_limit(path: str) -> int | None:
    return REF_FULLNAME_MAX.get(path) or _REF_DEFAULT_MAX.get(path.rpartition("/")[2])


def write_ref(ref: Any, path: str, field: str, warnings: list[BuildWarning], out: list[str]) -> None:
    if not isinstance(ref, Ref):
        raise BuildError(field, "must be a Ref(list_id=..., full_name=...)", value=ref)
    if ref.list_id is None and ref.full_name is None:
        raise BuildError(field, "a reference needs a ListID or a FullName")
    if ref.list_id is not None:
        out.append(f"<ListID>{f.identifier(ref.list_id, field + '.list_id', 'ListID')}</ListID>")
    if ref.full_name is not None:
        element = path.rpartition("/")[2]
        limit = _ref_limit(path)
        name = f.text(ref.full_name, field + ".full_name", f"{element} FullName", limit, True, warnings)
        out.append(f"<FullName>{name}</FullName>")


def _plain_text(value: object) -> TypeGuard[str]:
    """True when the text policy cannot change ``value``: printable ASCII (no control characters, which
    also rules out tab, LF and CR) is already NFC and ISO-8859-1, so only escaping remains."""
    return type(value) is str and value.isascii() and value.isprintable()


def _escaped(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        return f.escape(value)
    return value


# Operation codes of a compiled step: how the common case is written without the general path.
_TEXT, _REF, _INT5, _AGG, _AGGS, _OTHER, _SLOW = range(7)


class _Op(NamedTuple):
    code: int
    head: str  # "<Element>"
    tail: str  # "</Element>"
    step: Step
    ref_limit: int | None


class _Compiled(NamedTuple):
    values: Callable[[Any], tuple[Any, ...]]  # all the step values of an object in one call
    ops: tuple[_Op, ...]
    required: tuple[bool, ...]


@cache
def _compiled(cls: type[QBObject], path: str, version: tuple[int, int]) -> _Compiled:
    """The plan of ``cls`` at ``path`` with each step's fast path chosen once for this host version.

    Steps that are unknown here or newer than ``version`` always take the general path, which raises
    or warns exactly as before; so does any value the fast paths do not recognise.
    """
    # mypy checks a class given to a cached function against Hashable through its instances' __hash__
    # (which slotted dataclasses set to None); the class itself is hashable.
    steps, _ = plan(cls, path)  # type: ignore[arg-type]
    ops: list[_Op] = []
    for step in steps:
        if not step.known or (step.since is not None and step.since > version):
            code = _SLOW
        elif step.kind == "text":
            code = _TEXT
        elif step.kind == "ref":
            code = _REF
        elif step.kind == "price":
            code = _INT5
        elif step.kind == "agg":
            code = _AGG
        elif step.kind == "aggs":
            code = _AGGS
        else:
            code = _OTHER
        limit = _ref_limit(step.sub_path) if step.kind == "ref" else None
        ops.append(_Op(code, f"<{step.element}>", f"</{step.element}>", step, limit))
    names = [step.attr for step in steps]
    if not names:
        values: Callable[[Any], tuple[Any, ...]] = lambda obj: ()  # noqa: E731
    elif len(names) == 1:
        name = names[0]
        values = lambda obj: (getattr(obj, name),)  # noqa: E731
    else:
        values = attrgetter(*names)
    return _Compiled(values, tuple(ops), tuple(step.required for step in steps))


_INT5_LIMIT = 10**10  # decimal5's bound: at most 10 integer digits


def write_object(
    obj: QBObject,
    path: str,
    field: str,
    version: tuple[int, int],
    warnings: list[BuildWarning],
    out: list[str],
) -> None:
    """Append the children of ``obj`` (written as the aggregate at ``path``) to ``out``."""
    obj.check(field, version)
    append = out.append
    # mypy checks a class given to a cached function against Hashable through its instances' __hash__
    # (which slotted dataclasses set to None); the class itself is hashable.
    compiled = _compiled(type(obj), path, version)  # type: ignore[arg-type]
    for value, op, required in zip(compiled.values(obj), compiled.ops, compiled.required, strict=True):
        if value is None:
            if required:
                raise BuildError(f"{field}.{op.step.attr}", f"{op.step.element} is required")
            continue
        code, head, tail, step, ref_limit = op
        # Fast paths: each one only takes values whose written form is certain and needs no warning.
        if code == _TEXT:
            if (
                _plain_text(value)
                and (step.max_len is None or len(value) <= step.max_len)
                and (not step.ident or value.strip())
                and not (step.leaf_name and ":" in value)
            ):
                append(head + _escaped(value) + tail)
                continue
        elif code == _REF:
            if type(value) is Ref and value.list_id is None:
                name = value.full_name
                if (
                    _plain_text(name)
                    and name.strip()
                    and (ref_limit is None or len(name) <= ref_limit)
                ):
                    append(f"{head}<FullName>{_escaped(name)}</FullName>{tail}")
                    continue
        elif code == _INT5:
            if type(value) is int and -_INT5_LIMIT < value < _INT5_LIMIT:
                append(f"{head}{value}{tail}")
                continue
        elif code == _AGG:
            append(head)
            write_object(value, step.sub_path, f"{field}.{step.attr}", version, warnings, out)
            append(tail)
            continue
        elif code == _AGGS:
            if not value:
                if required:
                    raise BuildError(f"{field}.{step.attr}", f"{step.element} is required")
                continue
            where = f"{field}.{step.attr}"
            for index, item in enumerate(value):
                append(head)
                write_object(item, step.sub_path, f"{where}[{index}]", version, warnings, out)
                append(tail)
            continue
        _write_step(step, value, path, f"{field}.{step.attr}", version, warnings, out)


def _write_step(
    step: Step,
    value: Any,
    path: str,
    where: str,
    version: tuple[int, int],
    warnings: list[BuildWarning],
    out: list[str],
) -> None:
    """The general path for one set field: every rule, warning and error of the writer."""
    if step.kind in _LISTS and not value:
        if step.required:
            raise BuildError(where, f"{step.element} is required")
        return
    if not step.known:
        raise BuildError(where, f"{step.element} does not exist in {path}")
    if step.since is not None and step.since > version:
        needed = f"qbXML {step.since[0]}.{step.since[1]}"
        if step.drop_if_old:
            warnings.append(BuildWarning(where, f"{step.element} left out: it needs {needed}"))
            return
        raise BuildError(where, f"{step.element} needs a newer QuickBooks", limit=needed, value=value)
    element = step.element
    kind = step.kind
    if kind == "ref":
        out.append(f"<{element}>")
        write_ref(value, step.sub_path, where, warnings, out)
        out.append(f"</{element}>")
    elif kind == "agg":
        out.append(f"<{element}>")
        write_object(value, step.sub_path, where, version, warnings, out)
        out.append(f"</{element}>")
    elif kind == "aggs":
        for index, item in enumerate(value):
            out.append(f"<{element}>")
            write_object(item, step.sub_path, f"{where}[{index}]", version, warnings, out)
            out.append(f"</{element}>")
    elif kind in _LISTS:
        single = step._replace(kind=_LISTS[kind])
        for index, item in enumerate(value):
            out.append(f"<{element}>{_scalar(single, item, f'{where}[{index}]', warnings)}</{element}>")
    else:
        out.append(f"<{element}>{_scalar(step, value, where, warnings)}</{element}>")


_LISTS = {"texts": "text", "ids": "id", "guids": "guid", "enums": "enum", "aggs": "agg"}


def write_request(
    request: Request, request_id: str, version: tuple[int, int], warnings: list[BuildWarning], out: list[str]
) -> None:
    """Append ``<XxxRq requestID="…">…</XxxRq>`` for one request."""
    rq = request.RQ
    name = type(request).__name__
    since = REQUEST_SINCE.get(rq)
    if since is not None and version_tuple(since) > version:
        raise BuildError(name, f"{rq} needs a newer QuickBooks", limit=f"qbXML {since}", value=name)
    # mypy checks a class given to a cached function against Hashable through its instances' __hash__
    # (which slotted dataclasses set to None); the class itself is hashable.
    _, attributes = plan(type(request), rq)  # type: ignore[arg-type]
    head = [f'<{rq} requestID="{f.escape(request_id)}"']
    for attr_name, xml_name in attributes:
        value = getattr(request, attr_name)
        if value is not None:
            head.append(f' {xml_name}="{f.escape(str(value)).replace(chr(34), "&quot;")}"')
    out.append("".join(head) + ">")
    if request.BODY is not None:
        out.append(f"<{request.BODY}>")
        write_object(request, request.BODY, name, version, warnings, out)
        out.append(f"</{request.BODY}>")
    else:
        write_object(request, rq, name, version, warnings, out)
    out.append(f"</{rq}>")
