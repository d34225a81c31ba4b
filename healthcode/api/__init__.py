"""The HTTP JSON API (versioned under /api/v1) and the application factory."""
