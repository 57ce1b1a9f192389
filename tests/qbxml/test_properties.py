"""Property tests: arbitrary values, hostile strings included, give a schema-valid document or a BuildError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_builder import BuildError, CustomerAdd, Ref, SalesOrderAdd, SalesOrderLine, build_message_set
from tests.qbxml.conftest import schema_errors

HOSTILE = st.sampled_from(
    [
        "<![CDATA[x]]>",
        "]]>",
        "&amp;",
        "<a>",
        "\x00",
        "\ufffe",
        "\ud800",
        "😀",
        "“”",
        "\r\n",
        "'\"",
        "&#0;",
        ":",
    ]
)
TEXT = st.one_of(st.text(max_size=60), st.text(max_size=5000), HOSTILE, st.lists(HOSTILE).map("".join))
NUMBER = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True), st.integers(), st.floats(), st.text(max_size=12)
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(memo=TEXT, ref=TEXT, customer=TEXT, desc=TEXT, item=TEXT, quantity=NUMBER, amount=NUMBER)
def test_sales_order_any_values(schema13, memo, ref, customer, desc, item, quantity, amount):
    order = SalesOrderAdd(
        customer=Ref(full_name=customer),
        ref_number=ref,
        memo=memo,
        lines=[SalesOrderLine(item=Ref(full_name=item), desc=desc, quantity=quantity, amount=amount)],
    )
    try:
        result = build_message_set([order], version="13.0")
    except BuildError as error:
        assert error.field.startswith("SalesOrderAdd")
        return
    assert schema_errors(schema13, result.xml) == []


@SETTINGS
@given(name=TEXT, notes=TEXT, parent=st.one_of(st.none(), TEXT))
def test_customer_any_values(schema16, name, notes, parent):
    customer = CustomerAdd(
        name=name, notes=notes, parent=Ref(full_name=parent) if parent is not None else None
    )
    try:
        result = build_message_set([customer], version="16.0")
    except BuildError as error:
        assert "CustomerAdd" in str(error)
        return
    assert schema_errors(schema16, result.xml) == []
