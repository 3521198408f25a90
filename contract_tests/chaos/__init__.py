"""Fault suite (make chaos): private PostgreSQL/Redis outages and shutdown."""
