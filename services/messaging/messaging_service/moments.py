"""Instants as index keys: a sortable UTC string, so a Query bounded by "now" compares them as text."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_key(moment: datetime) -> str:
    """An instant as a sortable UTC string (index keys compare as text), to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
