"""Help and messages."""
