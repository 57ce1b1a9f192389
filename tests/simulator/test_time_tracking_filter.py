"""TimeTrackingEntityFilter selects by who worked (EntityRef), not by the customer the time is for."""

from __future__ import annotations

from simulator.quickbooks import QuickBooks
from tests.simulator.conftest import message_set, rs_list


def test_time_tracking_entity_filter_uses_the_worker(qb: QuickBooks) -> None:
    added = qb.process(
        message_set(
            "<TimeTrackingAddRq><TimeTrackingAdd><TxnDate>2026-11-23</TxnDate><EntityRef><FullName>Dana Smith</FullName></EntityRef>"
            "<CustomerRef><FullName>Acme Manufacturing:Plant 2</FullName></CustomerRef><Duration>PT1H0M0S</Duration>"
            "</TimeTrackingAdd></TimeTrackingAddRq>"
        )
    )
    assert rs_list(added)[0].get("statusCode") == "0", added

    def query(name: str) -> list:
        answer = qb.process(
            message_set(
                f"<TimeTrackingQueryRq><TimeTrackingEntityFilter><FullName>{name}</FullName></TimeTrackingEntityFilter></TimeTrackingQueryRq>"
            )
        )
        return rs_list(answer)[0].findall("TimeTrackingRet")

    assert len(query("Dana Smith")) == 1
    assert query("Acme Manufacturing:Plant 2") == []
