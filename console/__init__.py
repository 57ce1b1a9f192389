"""The operator console (``/console``), the support page (``/support``) and the API's offline docs."""
