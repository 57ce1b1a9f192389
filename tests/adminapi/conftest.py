"""Fixtures of the admin API tests: a tenant wired to a simulated QuickBooks (from tests/sends)."""

from __future__ import annotations

from tests.sends.conftest import customer

__all__ = ["customer"]
