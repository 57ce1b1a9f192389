"""qbXML throughput: build 10,000 sales order requests of 10 lines, then stream-parse a generated
SalesOrderQueryRs of 50,000 orders with 5 lines each. Prints documents/s, records/s, peak memory
growth, and the XML library's own floor on the same file in the same run (lxml ``iterparse`` asked for
the ``SalesOrderRet`` end events only, each cleared and dropped, nothing converted).

Run: .venv/bin/python bench/qbxml_throughput.py [--orders 50000] [--requests 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from bench import machine
from requests_builder import Address, Ref, SalesOrderAdd, SalesOrderLine, build_message_set
from responses_parser import parse_response


def _rss() -> int:
    return psutil.Process(os.getpid()).memory_info().rss


class PeakRss:
    """Samples the process RSS in a thread; a parse that held the whole document would show here."""

    def __init__(self) -> None:
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def sales_order(n: int) -> SalesOrderAdd:
    return SalesOrderAdd(
        customer=Ref(full_name=f"Customer {n % 500}:Job {n % 7}"),
        ref_number=f"SO-{n}",
        txn_date="2024-03-15",
        po_number=f"PO-{n}",
        bill_address=Address(addr1="1 Main St", city="Springfield", state="IL", postal_code="62701"),
        memo=f"Fusion Operations order {n}",
        lines=[
            SalesOrderLine(
                item=Ref(full_name=f"Parts:P-{j:04d}"),
                desc=f"Machined part {j}, rev B",
                quantity=j + 1,
                rate=Decimal("12.75"),
                amount=Decimal("12.75") * (j + 1),
                class_ref=Ref(full_name="Shop"),
            )
            for j in range(10)
        ],
    )


def bench_build(count: int) -> None:
    orders = [sales_order(n) for n in range(count)]
    gc.collect()
    start = time.perf_counter()
    size = 0
    for order in orders:
        size += len(build_message_set([order], version="13.0").xml)
    elapsed = time.perf_counter() - start
    print(f"build: {count} SalesOrderAdd requests x 10 lines in {elapsed:.2f} s")
    print(f"build: {count / elapsed:,.0f} documents/s ({size / count:,.0f} bytes each)")


def write_response(path: Path, orders: int, lines: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
                  '<SalesOrderQueryRs requestID="1" statusCode="0" '
                  f'statusSeverity="Info" statusMessage="Status OK" retCount="{orders}" '
                  'iteratorRemainingCount="0" '
                  'iteratorID="{eb05f701-e727-472f-8ade-6753c4f67a46}">\n')  # fmt: skip
        for i in range(orders):
            parts = [
                f"<SalesOrderRet>\n<TxnID>{i:X}-1415942229</TxnID>\n"
                "<TimeCreated>2024-03-15T10:00:00-05:00</TimeCreated>\n"
                "<TimeModified>2024-03-15T10:00:00-05:00</TimeModified>\n<EditSequence>1415942229</EditSequence>\n"
                f"<TxnNumber>{i}</TxnNumber>\n<CustomerRef>\n<ListID>80000009-1415929219</ListID>\n"
                f"<FullName>Customer {i % 500}</FullName>\n</CustomerRef>\n<TxnDate>2024-03-15</TxnDate>\n"
                f"<RefNumber>SO-{i}</RefNumber>\n<BillAddress>\n<Addr1>1 Main St</Addr1>\n"
                "<City>Springfield</City>\n"
                "<State>IL</State>\n<PostalCode>62701</PostalCode>\n</BillAddress>\n"
                f"<PONumber>PO-{i}</PONumber>\n<DueDate>2024-04-14</DueDate>\n<Subtotal>191.25</Subtotal>\n"
                "<TotalAmount>191.25</TotalAmount>\n<IsManuallyClosed>false</IsManuallyClosed>\n"
                "<IsFullyInvoiced>false</IsFullyInvoiced>\n<Memo>Fusion Operations order</Memo>\n"
            ]
            for j in range(lines):
                parts.append(
                    f"<SalesOrderLineRet>\n<TxnLineID>{i:X}-{j}</TxnLineID>\n"
                    "<ItemRef>\n<ListID>80000034-1415899267</ListID>\n"
                    f"<FullName>Parts:P-{j:04d}</FullName>\n</ItemRef>\n<Desc>Machined part {j}</Desc>\n"
                    f"<Quantity>{j + 1}</Quantity>\n<Rate>12.75</Rate>\n"
                    f"<Amount>{12.75 * (j + 1):.2f}</Amount>\n"
                    "<SalesTaxCodeRef>\n<FullName>Non</FullName>\n</SalesTaxCodeRef>\n<Invoiced>0</Invoiced>\n"
                    "<IsManuallyClosed>false</IsManuallyClosed>\n</SalesOrderLineRet>\n"
                )
            parts.append("</SalesOrderRet>\n")
            out.write("".join(parts))
        out.write("</SalesOrderQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n")


def bench_parse(orders: int, lines: int, repeat: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "SalesOrderQueryRs.xml"
        write_response(path, orders, lines)
        size = path.stat().st_size
        ratios: list[float] = []
        # On a shared machine, our parse and the floor are timed back to back, as pairs.
        for _ in range(repeat):
            elapsed = parse_once(path, orders, lines, size)
            floor = lxml_floor(path)
            ratios.append(elapsed / floor)
            print(
                f"floor: lxml iterparse alone {floor:.2f} s = {orders / floor:,.0f} orders/s; "
                f"our parse is {elapsed / floor:.2f}x that ({elapsed - floor:.2f} s over it)"
            )
        if repeat > 1:
            print(f"ratio to the floor over {repeat} runs: {', '.join(f'{r:.2f}' for r in ratios)}")


def parse_once(path: Path, orders: int, lines: int, size: int) -> float:
    """Stream-parse the file with the product's reader; print the figures and return the seconds."""
    gc.collect()
    baseline = _rss()
    count = line_count = 0
    with PeakRss() as peak, path.open("rb") as source:
        start = time.perf_counter()
        for result in parse_response(source):
            for record in result.records:
                count += 1
                line_count += len(record.lines)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - start
    assert count == orders and line_count == orders * lines
    print(f"parse: {orders} orders x {lines} lines ({size / 1e6:,.1f} MB) in {elapsed:.2f} s")
    print(f"parse: {count / elapsed:,.0f} orders/s, {(count + line_count) / elapsed:,.0f} records/s "
          f"(orders + lines), {size / 1e6 / elapsed:,.1f} MB/s")  # fmt: skip
    growth = (peak.peak - baseline) / 1e6
    print(f"parse: peak RSS growth {growth:,.1f} MB (baseline {baseline / 1e6:,.1f} MB)")
    return elapsed


def lxml_floor(path: Path) -> float:
    """Seconds for lxml to parse the document and hand each order to Python, doing nothing with it."""
    gc.collect()
    start = time.perf_counter()
    with path.open("rb") as source:
        for _event, elem in etree.iterparse(source, events=("end",), tag="SalesOrderRet", huge_tree=True):
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="time the parse and the floor this many times")
    args = parser.parse_args()
    bench_build(args.requests)
    bench_parse(args.orders, args.lines, args.repeat)


if __name__ == "__main__":
    machine.run_timed(main)
