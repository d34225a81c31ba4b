"""Scanning pages: venues, their operators, the scan and result screen, the offline
scanner."""
