"""The diary: the staff's daily report per child and day, and parents' own entries."""
