"""The location page: contact details, opening hours, team, and versioned policies."""
