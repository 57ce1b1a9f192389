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
    # QuickBooks shows a modal dialog, so it cannot be opened for the application (0x80040414).
    dialog: bool = False
    # QuickBooks has this company file open, not the one authenticate names (the Web Connector
    # cannot open another while one is open: 0x80040408).
    other_company_file: str | None = None
    # The application was allowed read-only access (Integrated Applications): writes answer 3260.
    read_only: bool = False

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
            elif name == "dialog":
                faults.dialog = True
            elif name == "read-only":
                faults.read_only = True
            elif name == "other-company-file":
                if not value.strip():
                    raise ValueError("--fault other-company-file=PATH needs the open company file's path")
                faults.other_company_file = value.strip()
            elif name in ("drop-response", "busy", "parse-error", "lose-iterators"):
                if not value.isdigit() or int(value) < 1:
                    raise ValueError(f"--fault {name}=N needs a positive request number, got {value!r}")
                setattr(faults, name.replace("-", "_"), int(value))
            else:
                raise ValueError(f"unknown fault {spec!r}")
        return faults
