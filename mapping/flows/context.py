"""What a planner may know besides the entity and the settings: who, when, and what was sent before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mapping.item_types import KnownType
from mapping.plan import LinkInfo

LinkLookup = Callable[[str, str], LinkInfo | None]
# What QuickBooks said earlier about item types (case-folded full name -> type), read only when needed.
ItemTypesLookup = Callable[[], Mapping[str, KnownType]]


def _nothing_known() -> Mapping[str, KnownType]:
    return {}


@dataclass(frozen=True, slots=True)
class PlanContext:
    """``now`` is the synchronization date (UTC); ``link_lookup(entity type, code)`` returns what that
    Fusion Operations entity became in QuickBooks, or None when it was never sent;
    ``known_item_types()`` the item types QuickBooks reported to earlier sends."""

    tenant_id: str
    now: dt.datetime
    link_lookup: LinkLookup
    country: str = "US"
    known_item_types: ItemTypesLookup = _nothing_known

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            # A naive "now" is UTC by this module's contract; make it explicit for date conversions.
            object.__setattr__(self, "now", self.now.replace(tzinfo=dt.UTC))
