"""The code page, its live QR and its history."""
