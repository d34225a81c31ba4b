"""Pages of the scanning context: the offline scanner."""
