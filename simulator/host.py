"""Facts about the simulated QuickBooks installation, and the strHCPResponse built from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator import qbxml_out
from simulator.company import Company
from simulator.versions import read_version

ALL_VERSIONS = [
    "1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0",
    "9.0", "10.0", "11.0", "12.0", "13.0", "14.0", "15.0", "16.0",
]  # fmt: skip
# Before one specification served every edition, QuickBooks outside the United States spoke versions of
# its own, and its HostRet lists them among the others (Canadian: CA2.0, CA3.0).
EDITION_VERSIONS = {"CA": ["CA2.0", "CA3.0"], "UK": ["UK2.0", "UK3.0"], "AU": ["OZ2.0", "AU3.0"]}
COUNTRIES = ("US", "CA", "UK", "AU")
EDITIONS = ("Pro", "Premier", "Enterprise")
# The QuickBooks release of each qbXML version (the SDK that came with it).
RELEASE_YEAR = {
    "1.0": 2002, "1.1": 2002, "2.0": 2003, "2.1": 2003, "3.0": 2004, "4.0": 2005, "4.1": 2005,
    "5.0": 2006, "6.0": 2007, "7.0": 2008, "8.0": 2009, "9.0": 2010, "10.0": 2011, "11.0": 2012,
    "12.0": 2013, "13.0": 2014, "14.0": 2018, "15.0": 2022, "16.0": 2023,
}  # fmt: skip


_EDITION_PREFIXES = ("CA", "UK", "OZ", "AU")


def version_key(version: str) -> tuple[int, int] | None:
    """``"13.0"`` -> ``(13, 0)``, ``"CA3.0"`` -> ``(3, 0)`` (an edition's own version); None otherwise."""
    text = version.strip()
    if text[:2].upper() in _EDITION_PREFIXES:
        text = text[2:]
    return read_version(text)


def versions_up_to(maximum: str, country: str = "US") -> list[str]:
    """What a host whose highest version is ``maximum`` lists. ``maximum`` may be an edition's own
    (``CA3.0``): a QuickBooks from before the editions shared one specification."""
    edition = EDITION_VERSIONS.get(country, [])
    limit = version_key(maximum)
    if limit is None:
        raise ValueError(f"not a qbXML version: {maximum!r}")
    if maximum not in ALL_VERSIONS:
        if maximum not in edition:
            raise ValueError(f"{maximum!r} is not a qbXML version of a {country} QuickBooks")
        return ["1.0", "1.1", *[v for v in edition if (version_key(v) or (0, 0)) <= limit]]
    plain = [v for v in ALL_VERSIONS if (read_version(v) or (0, 0)) <= limit]
    return sorted(
        plain + (edition if limit >= (3, 0) else []), key=lambda v: (version_key(v), v[0].isdigit())
    )


@dataclass
class HostFacts:
    edition: str = "Premier"
    country: str = "US"
    max_qbxml_version: str = "13.0"
    major_version: str | None = None  # QuickBooks' own version (24 for 2014): from the release year
    minor_version: str = "0"
    file_mode: str = "SingleUser"
    supported_versions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise ValueError(f"country must be one of {COUNTRIES}")
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}")
        if not self.supported_versions:
            self.supported_versions = versions_up_to(self.max_qbxml_version, self.country)
        if self.major_version is None:
            self.major_version = str(self.release_year - 1990)

    @property
    def release_year(self) -> int:
        highest = max(self.supported_versions, key=lambda v: version_key(v) or (0, 0))
        key = version_key(highest) or (13, 0)
        return RELEASE_YEAR.get(f"{key[0]}.{key[1]}", 2014)

    @property
    def product_name(self) -> str:
        year = self.release_year
        name = (
            f"QuickBooks Pro {year}" if self.edition == "Pro" else f"QuickBooks {self.edition} Edition {year}"
        )
        # Non-US builds name their country, as the Canadian/UK/Australian editions do.
        suffix = {"US": "", "CA": " (Canada)", "UK": " (UK)", "AU": " (Australia)"}[self.country]
        return name + suffix

    @property
    def qbxml_major_minor(self) -> tuple[int, int]:
        """What the Web Connector reports as ``qbXMLMajorVers``/``qbXMLMinorVers``: the host's highest
        version, as numbers (an edition's ``CA3.0`` reads 3, 0)."""
        return max((version_key(v) or (0, 0)) for v in self.supported_versions)

    def supports(self, version: str) -> bool:
        """Whether a message set may name this version: one the host lists, or a plain version no
        newer than the highest plain one it lists."""
        if version.strip() in self.supported_versions:
            return True
        wanted = read_version(version)
        plain = [key for v in self.supported_versions if (key := read_version(v)) is not None]
        return wanted is not None and bool(plain) and wanted <= max(plain)

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
