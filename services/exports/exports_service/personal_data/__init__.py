"""Personal-data exports (the right of access): every service's part, packed into one ZIP."""
