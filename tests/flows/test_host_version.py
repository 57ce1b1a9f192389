"""Which qbXML version qbbridge speaks to a QuickBooks, from what the Web Connector reports and what the
host lists, and the plain refusal of one too old (mapping/host.py)."""

from __future__ import annotations

import pytest

from mapping.host import (
    DEFAULT_QBXML_VERSION,
    MAX_QBXML_VERSION,
    MIN_QBXML_VERSION,
    host_version,
    version_for_sends,
)
from mapping.plan import Reconcile
from requests_builder import SUPPORTED_VERSIONS, BuildError, SalesOrderQuery, pick_version
from requests_builder.versions import read_host_version

US_2014 = [
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
]


def test_the_supported_range_is_6_0_to_16_0() -> None:
    assert (MIN_QBXML_VERSION, MAX_QBXML_VERSION) == ("6.0", "16.0")
    assert {MIN_QBXML_VERSION, MAX_QBXML_VERSION, DEFAULT_QBXML_VERSION} <= set(SUPPORTED_VERSIONS)


@pytest.mark.parametrize(
    ("reported", "listed", "spoken"),
    [
        ("13.0", US_2014, "13.0"),
        ("13.0", US_2014[:11], "8.0"),  # the host lists less than the Web Connector says
        ("8.0", US_2014, "8.0"),  # the Web Connector says less than the host lists
        ("6.0", US_2014[:9], "6.0"),
        ("17.0", [*US_2014, "14.0", "15.0", "16.0", "17.0"], "16.0"),
        ("17.0", [], "16.0"),
        ("13.5", [], "13.0"),
        ("13.0", ["1.0", "1.1", "CA2.0", "2.0", "CA3.0", "3.0", *US_2014[5:]], "13.0"),
        (None, [], DEFAULT_QBXML_VERSION),
    ],
)
def test_the_version_spoken(reported: str | None, listed: list[str], spoken: str) -> None:
    decided = host_version(reported=reported, listed=listed)
    assert decided.version == spoken and decided.refusal is None


@pytest.mark.parametrize(
    ("reported", "listed", "product", "found"),
    [
        ("5.0", US_2014[:8], "QuickBooks Pro 2006", "qbXML 5.0"),
        ("4.1", [], None, "qbXML 4.1"),
        (
            "3.0",
            ["1.0", "1.1", "CA2.0", "CA3.0"],
            "QuickBooks Premier 2004 (Canada)",
            "qbXML CA3.0 (the Canadian edition's own",
        ),
        ("3.0", ["1.0", "1.1", "UK2.0", "UK3.0"], None, "qbXML UK3.0 (the UK edition's own"),
        ("13.0", US_2014[:8], None, "qbXML 5.0"),
    ],
)
def test_a_quickbooks_too_old_is_refused_naming_what_was_found(
    reported: str, listed: list[str], product: str | None, found: str
) -> None:
    decided = host_version(reported=reported, listed=listed, product=product)
    assert decided.version is None and decided.refusal is not None
    assert found in decided.refusal
    assert (product or "The QuickBooks on this computer") in decided.refusal
    assert "qbXML 6.0 or newer (QuickBooks 2007 or later)" in decided.refusal
    assert "Update QuickBooks" in decided.refusal and "stays queued" in decided.refusal


def test_sends_are_checked_at_the_version_they_will_be_written_for() -> None:
    assert version_for_sends(None) == (DEFAULT_QBXML_VERSION, None)
    assert version_for_sends("8.0") == ("8.0", None)
    assert version_for_sends("17.0") == ("16.0", None)
    checked, warning = version_for_sends("4.0")
    assert checked == "6.0" and warning is not None and "waits until QuickBooks is updated" in warning


def test_host_version_strings_are_read_with_their_edition() -> None:
    assert read_host_version("13.0") == (None, (13, 0))
    assert read_host_version("CA3.0") == ("CA", (3, 0))
    assert read_host_version("OZ2.0") == ("OZ", (2, 0))
    assert read_host_version("beta") is None


def test_pick_version_skips_edition_versions_and_stays_under_what_is_reported() -> None:
    assert pick_version(["CA3.0", "8.0"]) == "8.0"
    assert pick_version(US_2014, at_most="8.0") == "8.0"
    with pytest.raises(BuildError) as refused:
        pick_version(["1.0", "1.1", "CA2.0", "CA3.0"])
    assert "CA3.0" in str(refused.value)


def test_a_reconciliation_stored_before_versions_were_kept_reads_as_one_way() -> None:
    query = SalesOrderQuery(include_ret_elements=["TxnID"]).to_dict()
    by_guid = Reconcile.from_dict({"query": query, "match": {"external_guid": "{X}"}})
    [lookup] = by_guid.lookups
    assert (lookup.name, lookup.needs, lookup.match) == ("externalGuid", "9.0", {"external_guid": "{X}"})
    assert by_guid.lookup_for(None) is lookup and by_guid.lookup_for("8.0") is None
    by_number = Reconcile.from_dict({"query": query, "match": {"ref_number": "SO-1"}})
    assert by_number.lookup_for("6.0") is by_number.lookups[0] and by_number.lookups[0].needs is None
    assert Reconcile.from_dict(by_guid.to_dict()) == by_guid
