"""Repositories, one module per context."""
