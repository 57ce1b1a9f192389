"""qbbridge: the QuickBooks Desktop Web Connector service for Autodesk Fusion Operations."""

__version__ = "0.1.0"
