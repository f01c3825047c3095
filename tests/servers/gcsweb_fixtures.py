"""Fixtures that start the gcsweb-format test server."""
