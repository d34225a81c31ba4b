"""Pages no context owns: regions, offline API docs."""
