"""Organisations and their issuers: applications, signing."""
