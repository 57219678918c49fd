"""Retention: a child's purge, a removed guardian's data, and messaging's part of a personal-data export."""
