"""Scanning pages: venues, their operators, the scan and result screen."""
