"""Pure domain logic: no I/O, no framework, no database.

Everything here is a function of its arguments; policies, keys and the clock are
passed in, never read from globals.
"""
