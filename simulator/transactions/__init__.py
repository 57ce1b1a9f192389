"""The simulator's transaction requests, one module per family: documents with lines (sales orders,
estimates, invoices, purchase orders, bills: ``documents``, their lines ``lines`` and the links
QuickBooks keeps between them ``links``), time tracking, inventory adjustments (``stock``), and
TxnVoid/TxnDel (``void``). ``simulator/quickbooks.py`` maps each request to its handler."""
