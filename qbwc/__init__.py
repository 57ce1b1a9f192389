"""qbwc package."""
