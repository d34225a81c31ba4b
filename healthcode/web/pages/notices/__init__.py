"""The notification centre, for residents and staff alike."""
