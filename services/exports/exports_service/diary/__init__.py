"""Diary exports: a guardian asks for a child's diary over a period; the timeline builds the archive."""
