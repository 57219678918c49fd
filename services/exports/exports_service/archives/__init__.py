"""One's exports and their archives: listed, followed, downloaded (a redirect after the session check)."""
