"""Sample data: a made-up region whose stories use the real services."""
