"""Health codes: the cached colour, display, history, verify."""
