"""The federated regions' revisions as one column, for any query to carry.

A gate's scan of another region's code checks that the regions it verified with are
still the stored ones in the venue's query it makes anyway (docs/federation.md).
"""

from __future__ import annotations

import uuid

from sqlalchemy import String, cast, func, select

from healthcode.store import tables as t

# Every region's revision in one text (null: none); each import draws a new one, so the
# set changes with any region imported, re-imported or removed.
REVISIONS_TEXT = select(
    func.aggregate_strings(cast(t.FederatedRegion.revision, String), ",")
).scalar_subquery()


def revision_set(text: str | None) -> frozenset[uuid.UUID]:
    """``REVISIONS_TEXT`` read back (its order is the database's, so a set)."""
    return frozenset(uuid.UUID(part) for part in text.split(",")) if text else frozenset()
