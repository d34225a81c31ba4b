"""Accounts: sign-in codes, staff passwords, sessions, roles."""
