"""The feed: a child's (or a family's) photos and diary entries, newest first, cursor-paged."""
