"""The QuickBooks side, driven through qbXML alone: list Adds, names, references, statuses."""

from __future__ import annotations

import pytest

from simulator.company import Company
from simulator.qbxml_in import QBXMLParseError
from simulator.quickbooks import QuickBooks
from tests.simulator.conftest import Send, message_set, rs_list, status_of


def test_customer_and_job_get_colon_full_names_and_sublevels(send: Send) -> None:
    rs = send(
        '<CustomerAddRq requestID="a"><CustomerAdd><Name>Job A</Name>'
        "<ParentRef><FullName>Acme Manufacturing:Plant 2</FullName></ParentRef></CustomerAdd></CustomerAddRq>"
    )
    assert rs[0].get("requestID") == "a" and rs[0].get("statusCode") == "0"
    ret = rs[0].find("CustomerRet")
    assert ret.findtext("FullName") == "Acme Manufacturing:Plant 2:Job A"
    assert ret.findtext("Sublevel") == "2"
    assert ret.findtext("ParentRef/FullName") == "Acme Manufacturing:Plant 2"


def test_hierarchy_stops_at_five_levels(empty_qb: QuickBooks) -> None:
    parent = None
    codes = []
    for level in range(6):
        ref = f"<ParentRef><FullName>{parent}</FullName></ParentRef>" if parent else ""
        rs = rs_list(
            empty_qb.process(
                message_set(
                    f"<CustomerAddRq><CustomerAdd><Name>L{level}</Name>{ref}</CustomerAdd></CustomerAddRq>"
                )
            )
        )
        codes.append(rs[0].get("statusCode"))
        parent = f"{parent}:L{level}" if parent else f"L{level}"
    assert codes == ["0", "0", "0", "0", "0", "3180"]


def test_duplicate_name_is_3100_in_quickbooks_words(send: Send) -> None:
    assert status_of(send, "<VendorAddRq><VendorAdd><Name>Globex</Name></VendorAdd></VendorAddRq>") == (
        "3100",
        "Error",
        'The name "Globex" of the list element is already in use.',
    )


def test_invalid_reference_names_the_object_3140(send: Send) -> None:
    for_nobody = (
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Nobody</FullName></CustomerRef>"
        "<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef></SalesOrderLineAdd>"
        "</SalesOrderAdd></SalesOrderAddRq>"
    )
    assert status_of(send, for_nobody) == (
        "3140",
        "Error",
        'There is an invalid reference to QuickBooks Customer "Nobody" in the SalesOrder.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list.",
    )


def test_item_adds_of_each_type_and_item_queries(send: Send) -> None:
    rs = send(
        "<ItemServiceAddRq><ItemServiceAdd><Name>INSTALL</Name><SalesOrPurchase><Price>90.00</Price>"
        "<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>",
        "<ItemQueryRq><FullName>INSTALL</FullName><FullName>WIDGET-1</FullName><FullName>PAINT</FullName></ItemQueryRq>",
        "<ItemInventoryQueryRq><FullName>WIDGET-1</FullName></ItemInventoryQueryRq>",
    )
    assert [r.get("statusCode") for r in rs] == ["0", "0", "0"]
    assert [c.tag for c in rs[1]] == ["ItemServiceRet", "ItemInventoryRet", "ItemNonInventoryRet"]
    assert rs[2].find("ItemInventoryRet/QuantityOnHand").text == "100"


def test_employee_wage_item_and_account_adds_are_queryable(send: Send) -> None:
    rs = send(
        "<AccountAddRq><AccountAdd><Name>Freight</Name><AccountType>Expense</AccountType></AccountAdd></AccountAddRq>",
        "<EmployeeAddRq><EmployeeAdd><Name>Lee Chan</Name></EmployeeAdd></EmployeeAddRq>",
        "<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Overtime</Name><WageType>HourlyOvertime</WageType>"
        "<ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd>"
        "</PayrollItemWageAddRq>",
        "<AccountQueryRq><FullName>Freight</FullName></AccountQueryRq>",
        "<EmployeeQueryRq/>",
        "<PayrollItemWageQueryRq/>",
    )
    assert [r.get("statusCode") for r in rs] == ["0"] * 6
    assert rs[3].findtext("AccountRet/AccountType") == "Expense"
    assert sorted(e.findtext("Name") for e in rs[4]) == ["Dana Smith", "Lee Chan"]
    assert sorted(e.findtext("Name") for e in rs[5]) == ["Hourly Regular", "Overtime"]


def test_query_statuses_1_500_and_3120(send: Send) -> None:
    rs = send(
        "<CustomerQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>zzz</Name></NameFilter>"
        "</CustomerQueryRq>",
        "<CustomerQueryRq><FullName>Globex</FullName><FullName>bleech</FullName></CustomerQueryRq>",
        "<CustomerQueryRq><ListID>8000FFFF-1</ListID></CustomerQueryRq>",
        on_error="continueOnError",
    )
    assert (rs[0].get("statusCode"), rs[0].get("statusMessage")) == (
        "1",
        "A query request did not find a matching object in QuickBooks",
    )
    assert rs[1].get("statusCode") == "500" and rs[1].get("statusSeverity") == "Warn"
    assert '("bleech")' in rs[1].get("statusMessage")
    assert [c.findtext("Name") for c in rs[1]] == ["Globex"]
    assert rs[2].get("statusCode") == "3120"
    assert (
        rs[2].get("statusMessage").startswith('Object "8000FFFF-1" specified in the request cannot be found.')
    )


def test_stop_on_error_answers_the_rest_with_3231(send: Send) -> None:
    rs = send(
        '<VendorAddRq requestID="1"><VendorAdd><Name>Globex</Name></VendorAdd></VendorAddRq>',
        '<VendorAddRq requestID="2"><VendorAdd><Name>Initech</Name></VendorAdd></VendorAddRq>',
    )
    assert [(r.get("requestID"), r.get("statusCode")) for r in rs] == [("1", "3100"), ("2", "3231")]


def test_continue_on_error_processes_the_rest(qb: QuickBooks) -> None:
    rs = rs_list(
        qb.process(
            message_set(
                "<VendorAddRq><VendorAdd><Name>Globex</Name></VendorAdd></VendorAddRq>",
                "<VendorAddRq><VendorAdd><Name>Initech</Name></VendorAdd></VendorAddRq>",
                on_error="continueOnError",
            )
        )
    )
    assert [r.get("statusCode") for r in rs] == ["3100", "0"]
    assert qb.company.find_list(qb.company.vendors, name="Initech") is not None


def test_rollback_on_error_undoes_earlier_requests(qb: QuickBooks) -> None:
    qb.process(
        message_set(
            "<VendorAddRq><VendorAdd><Name>Initech</Name></VendorAdd></VendorAddRq>",
            "<VendorAddRq><VendorAdd><Name>Globex</Name></VendorAdd></VendorAddRq>",
            on_error="rollbackOnError",
        )
    )
    assert qb.company.find_list(qb.company.vendors, name="Initech") is None


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            "<CustomerAddRq><CustomerAdd><CompanyName>X</CompanyName><Name>X</Name></CustomerAdd></CustomerAddRq>",
            "order",
        ),
        (
            "<CustomerAddRq><CustomerAdd><CompanyName>X</CompanyName></CustomerAdd></CustomerAddRq>",
            "required",
        ),
        (f"<CustomerAddRq><CustomerAdd><Name>{'x' * 42}</Name></CustomerAdd></CustomerAddRq>", "length"),
        ("<CustomerAddRq><CustomerAdd><Name>X</Name><Bogus/></CustomerAdd></CustomerAddRq>", "unknown"),
        ("<SalesOrderQueryRq><IncludeLineItems>yes</IncludeLineItems></SalesOrderQueryRq>", "boolean"),
    ],
)
def test_invalid_message_sets_raise_0x80040400_without_the_schema(body: str, why: str) -> None:
    qb = QuickBooks(Company.new(), use_default_schema=False)
    with pytest.raises(QBXMLParseError) as info:
        qb.process(message_set(body))
    assert info.value.hresult == "0x80040400"
    assert info.value.message == "QuickBooks found an error when parsing the provided XML text stream."
    assert qb.company.customers == []


def test_doctype_missing_pi_and_bad_on_error_are_rejected() -> None:
    qb = QuickBooks(Company.new(), use_default_schema=False)
    bad = [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><?qbxml version="13.0"?><QBXML/>',
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>',
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="x"/></QBXML>',
        message_set("<HostQueryRq/>", version="16.0"),
    ]
    for text in bad:
        with pytest.raises(QBXMLParseError):
            qb.process(text)


def test_host_query_reports_configured_facts() -> None:
    from simulator.host import HostFacts

    qb = QuickBooks(
        Company.new(), host=HostFacts(country="CA", max_qbxml_version="12.0"), use_default_schema=False
    )
    ret = rs_list(qb.process(message_set("<HostQueryRq/>", version="12.0")))[0].find("HostRet")
    assert ret.findtext("Country") == "CA"
    assert [v.text for v in ret.findall("SupportedQBXMLVersion")][-1] == "12.0"
    assert "(Canada)" in ret.findtext("ProductName")


def test_pro_edition_cannot_add_sales_orders() -> None:
    from simulator.demo import seed_demo
    from simulator.host import HostFacts

    qb = QuickBooks(seed_demo(), host=HostFacts(edition="Pro"), use_default_schema=False)
    rs = rs_list(
        qb.process(
            message_set(
                "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Globex</FullName></CustomerRef>"
                "<SalesOrderLineAdd><ItemRef><FullName>PAINT</FullName></ItemRef></SalesOrderLineAdd>"
                "</SalesOrderAdd></SalesOrderAddRq>"
            )
        )
    )
    assert rs[0].get("statusCode") == "3250"
