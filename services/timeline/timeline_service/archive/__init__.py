"""The diary archive of a child and period, built here into the exports service's archive bucket."""
