"""Conversations about a child with the staff of a group: who takes part, sending, reading, the inbox."""
