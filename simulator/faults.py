"""Fault injection for the simulated Web Connector session (`--fault`, `--slow`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    drop_response: int | None = None  # Nth request: QuickBooks saves it, then the connector dies.
    connection_error: bool = False  # the company file cannot be opened (0x80040408)
    deny_access: bool = False  # the QuickBooks user denies the application (0x80040420)
    busy: int | None = None  # Nth request: every request in it answers 3180
    parse_error: int | None = None  # Nth request: QuickBooks rejects the message set (0x80040400)
    # Nth request: QuickBooks has forgotten its open iterators (as after a restart), so an iterator's
    # Continue in it answers 3120.
    lose_iterators: int | None = None

    @classmethod
    def parse(cls, specs: list[str] | None) -> Faults:
        faults = cls()
        for spec in specs or []:
            name, _, value = spec.partition("=")
            name = name.strip().replace("_", "-")
            if name == "connection-error":
                faults.connection_error = True
            elif name == "deny-access":
                faults.deny_access = True
            elif name in ("drop-response", "busy", "parse-error", "lose-iterators"):
                if not value.isdigit() or int(value) < 1:
                    raise ValueError(f"--fault {name}=N needs a positive request number, got {value!r}")
                setattr(faults, name.replace("-", "_"), int(value))
            else:
                raise ValueError(f"unknown fault {spec!r}")
        return faults
