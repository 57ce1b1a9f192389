"""requests_builder package."""
