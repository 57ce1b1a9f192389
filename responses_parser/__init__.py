"""responses_parser package."""
