"""Outbound delivery: imports pushed to Fusion Operations' API (``deliver``), through its client
(``client``); the lease queue they are claimed from is ``db/deliveries.py``."""
