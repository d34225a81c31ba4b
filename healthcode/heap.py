"""The long-lived heap out of the collector's way.

A started process holds some 280,000 objects that live as long as it does (modules,
SQLAlchemy's and FastAPI's structures, the policies). A full collection walks them
all: 100–225 ms on this machine, a pause for every request in flight, and a batch
page or an import allocating its rows and documents triggers one every few pages.
``gc.freeze`` (Python's advice for long-running processes) moves what exists into a
permanent generation no collection walks: a full collection then takes microseconds.
What the process allocates later is collected as before. Freezing is O(1).
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Once the process is ready to work: what it holds now is never walked again."""
    gc.freeze()


def unsettle() -> None:
    """At an app's shutdown: a process that starts many apps (the tests) lets the
    collector reach the old ones again."""
    gc.unfreeze()
