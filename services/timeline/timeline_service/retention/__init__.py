"""Retention and the right of access: the purge of a child, and the timeline's part of a personal-data export."""
