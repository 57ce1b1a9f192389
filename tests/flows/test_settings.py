"""Tenant settings: defaults, merging partial documents, and combinations refused with their path."""

from __future__ import annotations

import pytest

from mapping.settings import Settings, SettingsError, default_settings_document, merge_settings


def test_defaults_are_the_articles():
    doc = default_settings_document()
    assert doc["sends"]["salesOrder"] == {"enabled": True, "automatic": False}
    assert doc["sends"]["inventory"] == {"enabled": True}
    assert doc["documentNumber"] == "quickbooks"
    assert doc["customerName"] == "customerCode"
    assert doc["documentDate"] == "default"
    assert doc["shipDate"] == "empty"
    assert doc["lineDescription"] == "productName"
    assert doc["createMissingItems"] == {
        "enabled": False,
        "incomeAccountId": None,
        "incomeAccountFullName": None,
    }
    assert doc["entityCodeCustomField"] is None
    assert doc["customFieldsToQuickbooks"] == []
    assert doc["timesheets"] == {
        "customerJob": "orderCode",
        "serviceItem": "operationName",
        "payrollItem": "sectionName",
        "createMissingEmployee": False,
        "createMissingCustomerJob": False,
        "billable": False,
    }
    assert doc["inventory"] == {
        "adjustmentAccount": None,
        "adjustmentMemo": "",
        "onlyTaggedProducts": False,
        "tag": "Quickbooks",
        "itemMatchCustomField": None,
    }
    assert doc["retrievals"]["invoice"] == {"enabled": False, "automatic": False}
    assert doc["timezone"] == "America/New_York"
    assert doc["syncWindow"] == {"start": "19:00", "end": "07:00"}
    assert doc["retrievalIntervalMinutes"] == 30
    assert doc["customFieldFromQuickbooks"] is None
    assert doc["ignoreCategoryNames"] is False


def test_the_stored_document_reads_back_to_the_same_settings():
    assert Settings.model_validate(default_settings_document()) == Settings()


def test_a_partial_document_merges_deeply():
    current = merge_settings(None, {"sends": {"salesOrder": {"automatic": True}}}).model_dump(by_alias=True)
    merged = merge_settings(current, {"sends": {"salesOrder": {"enabled": False}}, "shipDate": "dueDate"})
    assert merged.sends.sales_order.enabled is False
    assert merged.sends.sales_order.automatic is True
    assert merged.sends.purchase_order.enabled is True
    assert merged.ship_date == "dueDate"


def test_lists_replace_and_null_clears():
    current = merge_settings(
        None,
        {
            "entityCodeCustomField": "FO Code",
            "customFieldsToQuickbooks": [{"quickbooks": "A", "fusion": "a"}],
        },
    ).model_dump(by_alias=True)
    merged = merge_settings(current, {"customFieldsToQuickbooks": [{"quickbooks": "B", "fusion": "b"}]})
    assert [p.quickbooks for p in merged.custom_fields_to_quickbooks] == ["B"]
    assert merge_settings(current, {"syncWindow": None}).sync_window is None


@pytest.mark.parametrize(
    ("patch", "value"),
    [
        ({"documentNumber": "orderCode"}, "orderCode"),
        ({"customerName": "marketplaceName"}, "marketplaceName"),
        ({"customerName": "marketplaceQuickbooksCustomer"}, "marketplaceQuickbooksCustomer"),
        ({"documentDate": "documentDate"}, "documentDate"),
        ({"documentDate": "synchronizationDate"}, "synchronizationDate"),
        ({"lineDescription": "movementObservations"}, "movementObservations"),
        ({"timezone": "Europe/Lisbon"}, "Europe/Lisbon"),
    ],
    ids=str,
)
def test_each_choice_is_accepted(patch, value):
    assert value in merge_settings(None, patch).model_dump(by_alias=True).values()


INVALID = [
    (
        "pairs without entity code field",
        {"customFieldsToQuickbooks": [{"quickbooks": "Cust PO", "fusion": "Customer PO"}]},
        "customFieldsToQuickbooks",
        "entityCodeCustomField",
    ),
    (
        "four pairs",
        {
            "entityCodeCustomField": "FO Code",
            "customFieldsToQuickbooks": [{"quickbooks": f"Q{i}", "fusion": f"F{i}"} for i in range(4)],
        },
        "customFieldsToQuickbooks",
        "at most 3",
    ),
    (
        "QuickBooks name over 31",
        {
            "entityCodeCustomField": "FO",
            "customFieldsToQuickbooks": [{"quickbooks": "Q" * 32, "fusion": "f"}],
        },
        "customFieldsToQuickbooks.0.quickbooks",
        "31",
    ),
    ("entity code field over 31", {"entityCodeCustomField": "E" * 32}, "entityCodeCustomField", "31"),
    (
        "missing items without account",
        {"createMissingItems": {"enabled": True}},
        "createMissingItems",
        "incomeAccountId or incomeAccountFullName",
    ),
    (
        "tagged products without tag",
        {"inventory": {"onlyTaggedProducts": True, "tag": " "}},
        "inventory.tag",
        "tag",
    ),
    ("unknown choice", {"documentNumber": "prefix"}, "documentNumber", "quickbooks"),
    ("unknown option", {"shipDates": "dueDate"}, "shipDates", "not a setting"),
    (
        "automatic inventory",
        {"sends": {"inventory": {"automatic": True}}},
        "sends.inventory.automatic",
        "not a setting",
    ),
    ("bad time zone", {"timezone": "Mars/Olympus"}, "timezone", "IANA"),
    ("bad clock", {"syncWindow": {"start": "7pm"}}, "syncWindow.start", "HH:MM"),
    ("empty window", {"syncWindow": {"start": "07:00", "end": "07:00"}}, "syncWindow", "same time"),
    ("interval zero", {"retrievalIntervalMinutes": 0}, "retrievalIntervalMinutes", "1"),
    (
        "timesheet source",
        {"timesheets": {"serviceItem": "workerName"}},
        "timesheets.serviceItem",
        "orderCode",
    ),
    (
        "retrieval field over 31",
        {"customFieldFromQuickbooks": {"quickbooks": "Q" * 40, "fusion": "x"}},
        "customFieldFromQuickbooks.quickbooks",
        "31",
    ),
]


@pytest.mark.parametrize(("patch", "path", "words"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_settings_are_refused_naming_the_path(patch, path, words):
    with pytest.raises(SettingsError) as info:
        merge_settings(None, patch)
    paths = dict(info.value.problems)
    assert path in paths, info.value.problems
    assert words in paths[path]
    assert path in str(info.value)


def test_pairs_are_accepted_with_the_entity_code_field():
    merged = merge_settings(
        None,
        {
            "entityCodeCustomField": "FO Code",
            "customFieldsToQuickbooks": [{"quickbooks": f"Q{i}", "fusion": f"F{i}"} for i in range(3)],
        },
    )
    assert len(merged.custom_fields_to_quickbooks) == 3


def test_inventory_account_may_be_empty_in_settings():
    assert merge_settings(None, {"inventory": {"adjustmentMemo": "FO"}}).inventory.adjustment_account is None


def test_patch_must_be_an_object():
    with pytest.raises(SettingsError):
        merge_settings(None, ["documentNumber"])  # type: ignore[arg-type]
