"""Use cases: one function per use case, keyword-only arguments, domain results.

Services raise domain errors and never commit; the caller's unit of work does.
"""
