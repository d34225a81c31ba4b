"""Scanning: venues and their operators, scan and release, the ID-card lane, fraud flags."""
