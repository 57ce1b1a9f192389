"""Facts about the simulated QuickBooks installation, and the strHCPResponse built from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator import qbxml_out
from simulator.company import Company

ALL_VERSIONS = [
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
]
COUNTRIES = ("US", "CA", "UK", "AU")
EDITIONS = ("Pro", "Premier", "Enterprise")


def versions_up_to(maximum: str) -> list[str]:
    limit = tuple(int(p) for p in maximum.split("."))
    return [v for v in ALL_VERSIONS if tuple(int(p) for p in v.split(".")) <= limit]


@dataclass
class HostFacts:
    edition: str = "Premier"
    country: str = "US"
    max_qbxml_version: str = "13.0"
    major_version: str = "24"
    minor_version: str = "0"
    file_mode: str = "SingleUser"
    supported_versions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise ValueError(f"country must be one of {COUNTRIES}")
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}")
        if not self.supported_versions:
            self.supported_versions = versions_up_to(self.max_qbxml_version)

    @property
    def product_name(self) -> str:
        name = "QuickBooks Pro 2014" if self.edition == "Pro" else f"QuickBooks {self.edition} Edition 2014"
        # Non-US builds name their country, as the Canadian/UK/Australian editions do.
        suffix = {"US": "", "CA": " (Canada)", "UK": " (UK)", "AU": " (Australia)"}[self.country]
        return name + suffix

    @property
    def qbxml_major_minor(self) -> tuple[int, int]:
        major, minor = self.supported_versions[-1].split(".")
        return int(major), int(minor)

    def supports(self, version: str) -> bool:
        try:
            wanted = tuple(int(p) for p in version.split("."))
        except ValueError:
            return False
        return any(tuple(int(p) for p in v.split(".")) == wanted for v in self.supported_versions) or (
            wanted <= tuple(int(p) for p in self.supported_versions[-1].split("."))
        )

    def host_ret(self) -> dict[str, object]:
        return {
            "ProductName": self.product_name,
            "MajorVersion": self.major_version,
            "MinorVersion": self.minor_version,
            "Country": self.country,
            "SupportedQBXMLVersion": list(self.supported_versions),
            "IsAutomaticLogin": "false",
            "QBFileMode": self.file_mode,
        }


def company_ret(company: Company, owner_ids: list[str] | None = None) -> dict[str, object]:
    ret: dict[str, object] = {
        "IsSampleCompany": "false",
        "CompanyName": company.company_name,
        "LegalCompanyName": company.company_name,
    }
    exts = [e for e in company.company_dataext if owner_ids is None or e.get("OwnerID") in owner_ids]
    if exts:
        ret["DataExtRet"] = exts
    return ret


def preferences_ret(host: HostFacts) -> dict[str, object]:
    return {
        "AccountingPreferences": {
            "IsUsingAccountNumbers": "false",
            "IsRequiringAccounts": "true",
            "IsUsingClassTracking": "false",
            "IsUsingAuditTrail": "true",
            "IsAssigningJournalEntryNumbers": "true",
        },
        "JobsAndEstimatesPreferences": {
            "IsUsingEstimates": "true",
            "IsUsingProgressInvoicing": "false",
            "IsPrintingItemsWithZeroAmounts": "false",
        },
        "MultiCurrencyPreferences": {"IsMultiCurrencyOn": "false"},
        "PurchasesAndVendorsPreferences": {
            "IsUsingInventory": "true",
            "DaysBillsAreDue": "10",
            "IsAutomaticallyUsingDiscounts": "false",
        },
        "TimeTrackingPreferences": {"FirstDayOfWeek": "Monday"},
        "CurrentAppAccessRights": {
            "IsAutomaticLoginAllowed": "false",
            "IsPersonalDataAccessAllowed": "false",
        },
    }


def host_response(host: HostFacts, company: Company) -> str:
    """The HostQueryRs + CompanyQueryRs + PreferencesQueryRs message set of the first sendRequestXML."""
    root, msgs = qbxml_out.response_envelope()
    rs = qbxml_out.rs_element(msgs, "HostQueryRs", "0", 0, "Status OK")
    qbxml_out.add(rs, "HostRet", host.host_ret())
    rs = qbxml_out.rs_element(msgs, "CompanyQueryRs", "1", 0, "Status OK")
    qbxml_out.add(rs, "CompanyRet", company_ret(company))
    rs = qbxml_out.rs_element(msgs, "PreferencesQueryRs", "2", 0, "Status OK")
    qbxml_out.add(rs, "PreferencesRet", preferences_ret(host))
    return qbxml_out.serialize(root)
