"""The error catalogue: every code the product can meet has a category and an actionable text."""

from __future__ import annotations

import pytest

from responses_parser.catalogue import Category, SettingMention, explain_hresult, explain_status

ITEM_3140 = (
    'There is an invalid reference to QuickBooks Item "WIDGET-1" in the SalesOrder line.  QuickBooks error '
    "message: Invalid argument.  The specified record does not exist in the list."
)


def test_3140_item_names_the_item_and_both_ways_out():
    explanation = explain_status(3140, ITEM_3140, request_type="SalesOrderAdd")
    assert explanation.category is Category.NEEDS_USER_ACTION
    assert explanation.object_type == "Item" and explanation.object_name == "WIDGET-1"
    assert '"WIDGET-1"' in explanation.text and "sales order line" in explanation.text
    assert "Create the item in QuickBooks" in explanation.text
    # The catalogue names no setting of its own: only those its caller offers for the flow.
    assert "setting" not in explanation.text and explanation.settings == ()
    assert "or change the name in Fusion Operations" in explanation.text
    offered = SettingMention("createMissingItems.enabled", "Create missing items", turn_on=True)
    explanation = explain_status(3140, ITEM_3140, request_type="PurchaseOrderAdd", remedies={"Item": [offered]})
    assert explanation.settings == (offered,)
    assert (
        'or turn on "Create missing items" (setting createMissingItems.enabled) so qbbridge creates the item, '
        "then retry." in explanation.text
    )


def test_3140_other_object_types():
    text = explain_status(
        3140, 'There is an invalid reference to QuickBooks Terms "Net 45" in the Invoice.'
    ).text
    assert '"Net 45"' in text and "invoice" in text and "Fusion Operations" in text


@pytest.mark.parametrize(
    ("code", "message", "category", "quoted"),
    [
        (0, "Status OK", Category.SUCCESS, None),
        (1, "A query request did not find a matching object in QuickBooks", Category.NO_MATCH, None),
        (500, 'There was a required element ("bleech") that could not be found in QuickBooks.', Category.WARNING,
         '"bleech"'),
        (3100, 'The name "SPREE-T-SHIRT697877" of the list element is already in use.', Category.NEEDS_USER_ACTION,
         '"SPREE-T-SHIRT697877"'),
        (3120, 'Object "8000001B-1405768916" specified in the request cannot be found.', Category.NEEDS_USER_ACTION,
         '"8000001B-1405768916"'),
        (3180, 'There was an error when saving a Customer list, element "Newcastle". QuickBooks error message: '
         "This list has been modified by another user.", Category.RETRY_LATER, '"Newcastle"'),
        (3180, 'There was an error when saving a Invoice. QuickBooks error message: The period is closed.',
         Category.NEEDS_USER_ACTION, "The period is closed."),
        (3200, 'The provided edit sequence "1416315972" is out-of-date. ', Category.RETRY_LATER, '"1416315972"'),
        (3210, 'The "AppliedToTxnAdd payment amount" field has an invalid value "129.43".  QuickBooks error message: '
         "You cannot pay more than the amount due.", Category.NEEDS_USER_ACTION, '"129.43"'),
        (3231, "The request has not been processed.", Category.RETRY_LATER, None),
        (3250, "This feature is not enabled or not available in this version of QuickBooks.",
         Category.NEEDS_USER_ACTION, None),
        (3260, "Insufficient permission level to perform this action.", Category.NEEDS_USER_ACTION, None),
        (3020, "Invalid date", Category.OUR_BUG, None),
        (3150, "Missing required element", Category.OUR_BUG, None),
        (1000, "Internal error", Category.RETRY_LATER, None),
    ],
)  # fmt: skip
def test_known_codes(code, message, category, quoted):
    explanation = explain_status(code, message, severity="Error" if code >= 1000 else "Info")
    assert explanation.category is category
    assert explanation.code == str(code)
    if quoted:
        assert quoted in explanation.text


@pytest.mark.parametrize("code", [1, *range(500, 600), 1000, 1010, 1030, 1060, *range(3000, 3261)])
def test_every_code_in_the_catalogue_range_is_explained(code):
    severity = "Info" if code < 500 else "Warn" if code < 1000 else "Error"
    explanation = explain_status(code, 'Something about "X" happened.', severity=severity)
    assert isinstance(explanation.category, Category)
    assert explanation.text.strip()
    if code >= 1000:
        assert explanation.category not in (Category.SUCCESS, Category.NO_MATCH)


@pytest.mark.parametrize(
    ("hresult", "category"),
    [
        ("0x80040400", Category.OUR_BUG),
        ("0x80040401", Category.RETRY_LATER),
        ("0x80040408", Category.NEEDS_USER_ACTION),
        ("0x80040416", Category.NEEDS_USER_ACTION),
        ("0x80040420", Category.NEEDS_USER_ACTION),
        ("0X8004040D", Category.RETRY_LATER),
        ("-2147220480", Category.OUR_BUG),  # 0x80040400 as a signed decimal
        ("0x8004FFFF", Category.RETRY_LATER),
    ],
)
def test_hresults(hresult, category):
    explanation = explain_hresult(hresult, "message from the Web Connector")
    assert explanation.category is category
    assert "message from the Web Connector" in explanation.text
