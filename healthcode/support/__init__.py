"""Help for residents."""
