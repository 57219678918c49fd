"""Retention purges, tracked to the end: every service confirms, a second round verifies, an audit remains."""
