"""Fraud cases and credit records (seed 003 §四.一): cases from gate reports, scan flags
and data contradictions; two officers decide; a confirmed case is a credit record."""
