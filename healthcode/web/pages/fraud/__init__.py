"""The fraud case pages (staff)."""
