"""The streaming reader's fast paths: the records it builds equal those built field by field through each
class's ``__init__`` (``reference_reader``), whatever the chunking, encoding or prolog of the document."""

from __future__ import annotations

import dataclasses
import io
import pickle
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from bench.qbxml_throughput import write_response
from responses_parser import (
    GenericRecord,
    HostileXMLError,
    Item,
    RefValue,
    ResponseFormatError,
    SalesOrder,
    TxnLine,
    parse_response,
    record_reader,
)
from responses_parser import stream as stream_module
from tests.qbxml.conftest import response_samples
from tests.qbxml.reference_reader import reference_record
from tests.qbxml.test_txn_queries import ADJUSTMENT_RET, BILL_RET, TIME_RET

_REF = "<ListID>80000001-1415929219</ListID><FullName>{}</FullName>"

# Every kind of value and element the reader meets, including what it must tolerate: elements it does
# not model (at every level), comments and processing instructions inside records, whitespace-only and
# empty values, values that are not what the schema says, repeated and merged aggregates.
KITCHEN_SINK = (
    "<SalesOrderRet>"
    "<TxnID>1-1</TxnID><TimeCreated>2024-03-11T09:00:00-05:00</TimeCreated>"
    "<TimeModified>yesterday</TimeModified><EditSequence>  </EditSequence><TxnNumber>x7</TxnNumber>"
    "<CustomerRef><ListID>80000009-1</ListID><FullName>Acme &amp; Sons:Job “1”</FullName>"
    "<FutureRefPart><Inner>a</Inner><Inner>b</Inner></FutureRefPart></CustomerRef>"
    "<ClassRef><FullName>Shop</FullName></ClassRef><TemplateRef><ListID>T-1</ListID></TemplateRef>"
    "<TermsRef/><TxnDate>2024-02-30</TxnDate><RefNumber></RefNumber>"
    "<BillAddress><Addr1>1 Main St</Addr1><!-- a comment --><City>Springfield</City>"
    "<Planet>Earth</Planet></BillAddress>"
    "<PONumber>\n</PONumber><DueDate>2024-04-14</DueDate><Subtotal>1e3</Subtotal>"
    "<TotalAmount>12,50</TotalAmount><AmountDue>-Infinity</AmountDue><IsManuallyClosed>TRUE</IsManuallyClosed>"
    "<IsFullyInvoiced>maybe</IsFullyInvoiced><IsToBePrinted> 1 </IsToBePrinted><IsPending>0</IsPending>"
    "<?qbbridge-reader?><Memo>x<!-- between -->y</Memo><Memo>second memo wins</Memo>"
    "<FutureField><Deep><Deeper>1</Deeper></Deep><Deep>2</Deep></FutureField><FutureEmpty/>"
    "<LinkedTxn><TxnID>L-1</TxnID><TxnType>Invoice</TxnType><TxnDate>2024-03-01</TxnDate>"
    "<Amount>-5.00</Amount><LinkWeight>3</LinkWeight></LinkedTxn>"
    "<LinkedTxn><TxnID>L-2</TxnID></LinkedTxn>"
    "<SalesOrderLineRet><TxnLineID>2-1</TxnLineID><ItemRef>" + _REF.format("Parts:P-1") + "</ItemRef>"
    "<Desc>Part &lt;1&gt;</Desc><Quantity>2</Quantity><Rate>12.75</Rate><Amount>25.50</Amount>"
    "<SalesTaxCodeRef><FullName>Non</FullName></SalesTaxCodeRef><Invoiced>0</Invoiced>"
    "<IsManuallyClosed>false</IsManuallyClosed><ServiceDate>2024-03-15</ServiceDate>"
    "<LineFuture>z</LineFuture>"
    "<DataExtRet><OwnerID>0</OwnerID><DataExtName>Color</DataExtName><DataExtType>STR255TYPE</DataExtType>"
    "<DataExtValue>Red</DataExtValue><DataExtNew>n</DataExtNew></DataExtRet></SalesOrderLineRet>"
    "<SalesOrderLineGroupRet><TxnLineID>3-1</TxnLineID><ItemGroupRef>"
    + _REF.format("Kit")
    + "</ItemGroupRef>"
    "<Quantity>1</Quantity><TotalAmount>45.00</TotalAmount>"
    "<SalesOrderLineRet><TxnLineID>3-2</TxnLineID><Quantity>abc</Quantity></SalesOrderLineRet>"
    "<SalesOrderLineRet><TxnLineID>3-3</TxnLineID></SalesOrderLineRet></SalesOrderLineGroupRet>"
    "<SalesOrderLineRet/>"
    "<DataExtRet><OwnerID>{6B063959-81B0-4B68-A3C4-3E4A4BE2E1D4}</OwnerID><DataExtName>Fusion Code</DataExtName>"
    "<DataExtType>STR255TYPE</DataExtType><DataExtValue>SO-1</DataExtValue></DataExtRet>"
    "</SalesOrderRet>"
    "<ItemInventoryRet><ListID>I-1</ListID><Name>Widget</Name><FullName>Parts:Widget</FullName>"
    "<IsActive>true</IsActive><ParentRef>" + _REF.format("Parts") + "</ParentRef><Sublevel>1</Sublevel>"
    "<SalesOrPurchase><Desc>Widget</Desc><Price>9.99</Price><AccountRef>"
    + _REF.format("Sales")
    + "</AccountRef>"
    "<SalesOrPurchaseFuture>q</SalesOrPurchaseFuture></SalesOrPurchase>"
    "<SalesAndPurchase><SalesDesc>Sell</SalesDesc><PurchaseCost>4.5</PurchaseCost></SalesAndPurchase>"
    "<QuantityOnHand>12</QuantityOnHand><Max>100</Max></ItemInventoryRet>"
    "<ItemServiceRet><ListID>I-2</ListID><Name>Labor</Name></ItemServiceRet>"
    "<CustomerRet><ListID>C-1</ListID><Name>A</Name><JobStatus>Dormant</JobStatus>"
    "<ShipAddress><Addr1>Dock 4</Addr1></ShipAddress><Balance>-0.00</Balance>"
    "<JobStartDate>2024-01-01</JobStartDate><CreditLimit></CreditLimit></CustomerRet>"
    "<DataExtDefRet><OwnerID>0</OwnerID><DataExtName>Color</DataExtName><DataExtType>STR255TYPE</DataExtType>"
    "<AssignToObject>Customer</AssignToObject><AssignToObject>Item</AssignToObject>"
    "<DataExtListRequire>false</DataExtListRequire></DataExtDefRet>"
    "<HostRet><ProductName>QuickBooks Enterprise</ProductName><MajorVersion>24</MajorVersion>"
    "<MinorVersion>0</MinorVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>"
    "<SupportedQBXMLVersion>16.0</SupportedQBXMLVersion></HostRet>"
    "<PreferencesRet><AccountingPreferences><IsUsingClassTracking>true</IsUsingClassTracking>"
    "</AccountingPreferences><!-- c --><Other>1</Other></PreferencesRet>"
    "<FutureThingRet><A>1</A><A>2</A><B/></FutureThingRet>"
)


def _document(
    records: str, rs: str = "SalesOrderQueryRs", declaration: str = '<?xml version="1.0" ?>'
) -> str:
    return (
        f"{declaration}<QBXML><QBXMLMsgsRs>"
        f'<{rs} requestID="7" statusCode="0" statusSeverity="Info" statusMessage="Status OK" retCount="9">'
        f"{records}</{rs}></QBXMLMsgsRs></QBXML>"
    )


def _read(source) -> list[tuple[str | None, list]]:
    return [(rs.request_id, list(rs.records)) for rs in parse_response(source)]


def _reference(data: bytes) -> list:
    """The records of every ``*Rs`` of ``data``, read with an ordinary parser and the reference reader."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    message_sets = [root] if root.tag == "QBXMLMsgsRs" else root.iter("QBXMLMsgsRs")
    return [
        reference_record(record)
        for msgs in message_sets
        for rs in msgs
        if isinstance(rs.tag, str)
        for record in rs
        if isinstance(record.tag, str)
    ]


def _records(source) -> list:
    return [record for _, records in _read(source) for record in records]


def _same(got: list, want: list) -> None:
    assert got == want
    # Equal and with the same text everywhere: same classes, same Decimal digits, same nesting.
    assert repr(got) == repr(want)
    assert [type(g) for g in got] == [type(w) for w in want]


def test_kitchen_sink_equals_the_reference():
    data = _document(KITCHEN_SINK).encode()
    records = _records(data)
    _same(records, _reference(data))
    order, item, service, customer, *_ = records
    assert order.memo == "second memo wins" and order.edit_sequence == "  " and order.po_number == "\n"
    assert order.time_modified == "yesterday" and order.txn_number == "x7" and order.txn_date == "2024-02-30"
    assert order.total_amount == "12,50" and order.is_manually_closed is True
    assert order.is_fully_invoiced == "maybe" and order.is_to_be_printed is True
    assert order.customer.full_name == "Acme & Sons:Job “1”"
    assert order.customer.extra == (("FutureRefPart", {"Inner": ["a", "b"]}),)
    assert order.terms == RefValue() and order.class_ref == RefValue(full_name="Shop")
    assert order.bill_address.extra == (("Planet", "Earth"),)
    assert ("FutureField", {"Deep": [{"Deeper": "1"}, "2"]}) in order.extra and (
        "FutureEmpty",
        "",
    ) in order.extra
    assert [line.kind for line in order.lines] == [
        "SalesOrderLineRet",
        "SalesOrderLineGroupRet",
        "SalesOrderLineRet",
    ]
    assert order.lines[0].extra == (("LineFuture", "z"),) and order.lines[0].data_ext[0].extra == (
        ("DataExtNew", "n"),
    )
    assert [line.quantity for line in order.lines[1].lines] == ["abc", None]
    assert order.linked_txns[0].extra == (("LinkWeight", "3"),) and len(order.data_ext) == 1
    assert type(item) is Item and item.item_type == "ItemInventoryRet" and item.price == Decimal("9.99")
    assert item.sales_desc == "Sell" and item.extra == (("SalesOrPurchaseFuture", "q"),)
    assert item.sales_or_purchase is None and service.item_type == "ItemServiceRet"
    assert customer.credit_limit == "" and customer.job_status == "Dormant"
    assert isinstance(records[-1], GenericRecord) and records[-1].data == {"A": ["1", "2"], "B": ""}


@pytest.mark.parametrize("ret", [BILL_RET, TIME_RET, ADJUSTMENT_RET], ids=["bill", "time", "adjustment"])
def test_schema_complete_records_equal_the_reference(ret):
    data = _document(ret).encode()
    _same(_records(data), _reference(data))


def test_every_sample_response_equals_the_reference(samples_dir):
    compared = 0
    for _, data in response_samples(samples_dir):
        want = _reference(data)
        _same(_records(data), want)
        compared += len(want)
    assert compared > 20


def test_benchmark_layout_equals_the_reference(tmp_path: Path):
    path = tmp_path / "orders.xml"
    write_response(path, 40, 5)
    data = path.read_bytes()
    with path.open("rb") as source:
        got = _records(source)
    _same(got, _reference(data))
    assert len(got) == 40 and all(len(order.lines) == 5 for order in got)


@pytest.mark.parametrize(
    ("peek", "chunk"),
    [(64, 1), (64, 2), (64, 7), (100, 13), (64, 1000), (1, 1), (7, 7)],
    ids=["1", "2", "7", "13", "1000", "tiny-head-1", "tiny-head-7"],
)
def test_any_chunking_gives_the_same_records(monkeypatch, peek, chunk):
    # A head too short to hold the XML declaration is read with start events instead of the anchor.
    data = _document(KITCHEN_SINK * 3).encode()
    want = _read(data)
    monkeypatch.setattr(stream_module, "_CHUNK", chunk)
    monkeypatch.setattr(stream_module, "_PEEK", peek)
    assert _read(io.BytesIO(data)) == want
    assert _read(data) == want


@pytest.mark.parametrize("chunk", range(1, 12))
def test_whitespace_only_values_survive_chunk_boundaries(monkeypatch, chunk):
    records = "".join(
        f"<CustomerRet><Name>{' ' * n}</Name><Notes>\t\n</Notes><Phone>\r\n</Phone></CustomerRet>"
        for n in range(1, 9)
    )
    monkeypatch.setattr(stream_module, "_PEEK", 40)
    monkeypatch.setattr(stream_module, "_CHUNK", chunk)
    got = _records(io.BytesIO(_document(records, "CustomerQueryRs").encode()))
    assert [(c.name, c.notes, c.phone) for c in got] == [(" " * n, "\t\n", "\n") for n in range(1, 9)]


@pytest.mark.parametrize(
    "declaration",
    [
        "",
        '<?xml version="1.0"?>',
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
        '\ufeff<?xml version="1.0" encoding="UTF-8"?>',
        "\ufeff",
        "\n\n",
        '<?xml version="1.0"?><!-- QuickBooks --><?other pi?>',
        '<?xml version="1.0"?><?qbbridge-reader spoofed?>',
    ],
    ids=["none", "plain", "single-quoted", "bom-declared", "bom-only", "blank", "prolog", "spoof"],
)
def test_any_prolog_gives_the_same_records(declaration):
    data = _document(KITCHEN_SINK, declaration=declaration).encode()
    _same(_records(data), _reference(data.removeprefix(b"\xef\xbb\xbf")))
    _same(_records(io.BytesIO(data)), _records(data))


def test_eight_bit_and_utf16_documents():
    latin = _document("<CustomerRet><Name>Café Müller</Name></CustomerRet>", "CustomerQueryRs",
                      '<?xml version="1.0" encoding="ISO-8859-1"?>')  # fmt: skip
    (customer,) = _records(latin.encode("latin-1"))
    assert customer.name == "Café Müller"
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        text = _document(KITCHEN_SINK, declaration=f'<?xml version="1.0" encoding="{encoding.upper()}"?>')
        data = text.encode(encoding)
        _same(_records(data), _reference(data))
        _same(_records(io.BytesIO(data)), _records(data))


def test_text_input_and_several_message_sets():
    second = '<QBXMLMsgsRs><HostQueryRs requestID="9" statusCode="0" statusSeverity="Info"/></QBXMLMsgsRs>'
    text = _document(KITCHEN_SINK).replace("</QBXML>", second + "</QBXML>")
    assert [request_id for request_id, _ in _read(text)] == ["7", "9"]
    assert _read(io.StringIO(text)) == _read(text)
    root_only = (
        '<QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><Name>A</Name>'
    )
    root_only += "</CustomerRet></CustomerQueryRs></QBXMLMsgsRs>"
    ((_, (customer,)),) = _read(root_only)
    assert customer.name == "A"


def test_a_doctype_after_a_long_prolog_is_refused(monkeypatch):
    monkeypatch.setattr(stream_module, "_PEEK", 64)
    prolog = '<?xml version="1.0"?>' + "<!-- padding -->" * 10
    bomb = prolog + '<!DOCTYPE l [<!ENTITY a "aaaa">]><QBXML><QBXMLMsgsRs/></QBXML>'
    with pytest.raises(HostileXMLError):
        _read(io.BytesIO(bomb.encode()))
    with pytest.raises(HostileXMLError):
        _read(io.BytesIO(bomb.replace("?>", ' encoding="UTF-16"?>', 1).encode("utf-16")))


def test_malformed_prologs_are_format_errors():
    for data in (b"", b"   ", b"<?xml version", b"<?xmlfoo?><QBXML/>", b"hello", b"<QBXML><QBXMLMsgsRs>"):
        with pytest.raises(ResponseFormatError):
            _read(data)


def test_records_are_the_frozen_classes_themselves():
    order = _records(_document(KITCHEN_SINK).encode())[0]
    assert type(order) is SalesOrder and type(order.lines[0]) is TxnLine and type(order.customer) is RefValue
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.memo = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del order.customer.full_name  # type: ignore[misc]
    rebuilt = SalesOrder(**{f.name: getattr(order, f.name) for f in dataclasses.fields(order)})
    assert rebuilt == order and repr(rebuilt) == repr(order)
    line = order.lines[0]
    assert hash(TxnLine(**{f.name: getattr(line, f.name) for f in dataclasses.fields(line)})) == hash(line)
    assert pickle.loads(pickle.dumps(order)) == order
    assert dataclasses.replace(order, memo="m").memo == "m" and order.to_dict()["record_type"] == "SalesOrder"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_message_sets_are_found_at_any_depth(encoding):
    inner = _document(KITCHEN_SINK, declaration="")
    text = f'<?xml version="1.0" encoding="{encoding}"?><Envelope><Body>{inner}</Body></Envelope>'
    data = text.encode(encoding)
    _same(_records(data), _reference(_document(KITCHEN_SINK).encode()))


def test_content_outside_message_sets_is_looked_at_once(monkeypatch):
    # Whatever follows the message sets stays in the tree; looking for message sets must not walk it
    # again after every chunk.
    junk = "<Junk>" + "<Item>x</Item>" * 2000 + "</Junk>"
    data = _document("<CustomerRet><Name>A</Name></CustomerRet>", "CustomerQueryRs")
    data = data.replace("</QBXML>", junk + "</QBXML>").encode()
    looked = 0
    original = stream_module._next_in_document

    def counting(node):
        nonlocal looked
        looked += 1
        return original(node)

    monkeypatch.setattr(stream_module, "_next_in_document", counting)
    monkeypatch.setattr(stream_module, "_PEEK", 64)
    monkeypatch.setattr(stream_module, "_CHUNK", 64)
    ((_, (customer,)),) = _read(io.BytesIO(data))
    assert customer.name == "A"
    assert looked < 2 * 2000 + 1000


@pytest.fixture
def no_compiled_layouts(monkeypatch):
    """Every plan starts without converters compiled for record layouts."""
    for plan in record_reader._PLANS.values():
        monkeypatch.setattr(plan, "shapes", {})
        monkeypatch.setattr(plan, "last", (None, None))


def test_the_walk_gives_the_same_records_as_compiled_layouts(monkeypatch, no_compiled_layouts):
    data = _document(KITCHEN_SINK + BILL_RET + TIME_RET + ADJUSTMENT_RET).encode()
    compiled = _records(data)
    monkeypatch.setattr(record_reader, "_SHAPE_LIMIT", 0)
    for plan in record_reader._PLANS.values():
        plan.shapes.clear()
        plan.last = (None, None)
    walked = _records(data)
    _same(walked, compiled)
    _same(walked, _reference(data))
    assert not any(plan.shapes for plan in record_reader._PLANS.values())


def test_many_layouts_of_one_record_class(no_compiled_layouts):
    # Each customer has a different set of optional elements, in a different order, with unknown ones.
    optional = ["<Phone>1</Phone>", "<Balance>2.5</Balance>", "<IsActive>true</IsActive>",
                "<ParentRef><FullName>P</FullName></ParentRef>", "<odd.name-1>x</odd.name-1>",
                "<JobStartDate>2024-01-01</JobStartDate>", "<Sublevel>1</Sublevel>"]  # fmt: skip
    customers = []
    for n in range(150):
        present = [part for bit, part in enumerate(optional) if n >> bit & 1]
        if n % 3 == 0:
            present.reverse()
        customers.append(f"<CustomerRet><ListID>{n}</ListID>{''.join(present)}</CustomerRet>")
    data = _document("".join(customers), "CustomerQueryRs").encode()
    _same(_records(data), _reference(data))
    plan = record_reader._RET_PLANS["CustomerRet"]
    assert len(plan.shapes) == record_reader._SHAPE_LIMIT
