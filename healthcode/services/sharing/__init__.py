"""Data sharing out (seed 003 §四.二): aggregated colour statistics for other
departments, and an authenticated, logged colour look-up by ID number."""
