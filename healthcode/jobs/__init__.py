"""Scheduled work: the rollover that lets time change colours (expiry, missed
reports, completed streaks) even for residents who do not open their code."""
