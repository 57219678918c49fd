"""News and newsletters: writing, scheduling, reading lists and items."""
