"""qbwc package."""

# Before anything of this package imports Spyne: lets Spyne 2.14 import on Python 3.12+.
from qbwc import spyne_compat  # noqa: F401
