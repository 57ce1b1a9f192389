"""The host description QuickBooks sends on the first ``sendRequestXML`` of a session (``strHCPResponse``):
``HostQueryRs``, ``CompanyQueryRs`` and ``PreferencesQueryRs`` in one response message set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from responses_parser.records import Company, DataExtValue, Host, Preferences, Record
from responses_parser.stream import parse_response


@dataclass(frozen=True, slots=True)
class HostInfo(Record):
    product_name: str | None = None
    major_version: int | None = None
    minor_version: int | None = None
    supported_versions: tuple[str, ...] = ()
    country: str | None = None
    qb_file_mode: str | None = None
    company_name: str | None = None
    file_id: str | None = None  # our FileID custom field on the company, when set
    company_data_ext: tuple[DataExtValue, ...] = ()
    preferences: dict[str, Any] = field(default_factory=dict)  # sections of interest, as plain data

    @property
    def uses_inventory(self) -> bool | None:
        return _flag(self.preferences, "PurchasesAndVendorsPreferences", "IsUsingInventory")

    @property
    def uses_class_tracking(self) -> bool | None:
        return _flag(self.preferences, "AccountingPreferences", "IsUsingClassTracking")

    @property
    def multicurrency(self) -> bool | None:
        return _flag(self.preferences, "MultiCurrencyPreferences", "IsMultiCurrencyOn")


def _flag(preferences: dict[str, Any], section: str, name: str) -> bool | None:
    value = preferences.get(section, {})
    value = value.get(name) if isinstance(value, dict) else None
    return None if value is None else str(value).strip().lower() in ("true", "1")


_PREFERENCE_SECTIONS = (
    "AccountingPreferences",
    "PurchasesAndVendorsPreferences",
    "SalesAndCustomersPreferences",
    "MultiCurrencyPreferences",
    "TimeTrackingPreferences",
    "ItemsAndInventoryPreferences",
    "SalesTaxPreferences",
)


def parse_host_response(text: str | bytes, *, file_id_name: str = "FileID") -> HostInfo:
    """Read ``strHCPResponse``. Missing parts (an empty string on later calls) give empty fields."""
    if not text or not text.strip():
        return HostInfo()
    values: dict[str, Any] = {}
    for result in parse_response(text):
        for record in result.records:
            if isinstance(record, Host):
                values.update(
                    product_name=record.product_name,
                    major_version=record.major_version if isinstance(record.major_version, int) else None,
                    minor_version=record.minor_version if isinstance(record.minor_version, int) else None,
                    supported_versions=record.supported_versions,
                    country=record.country,
                    qb_file_mode=record.qb_file_mode,
                )
            elif isinstance(record, Company):
                values["company_name"] = record.company_name
                values["company_data_ext"] = record.data_ext
                for ext in record.data_ext:
                    if ext.name == file_id_name:
                        values["file_id"] = ext.value
            elif isinstance(record, Preferences):
                values["preferences"] = {
                    name: record.section(name) for name in _PREFERENCE_SECTIONS if record.section(name)
                }
    return HostInfo(**values)
