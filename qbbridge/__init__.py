"""qbbridge package."""
