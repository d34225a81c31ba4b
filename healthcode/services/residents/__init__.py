"""Residents: declaration, pledge, daily_report, messages."""
