"""Department records pages (the staff site): imports, their reports, rollback."""
