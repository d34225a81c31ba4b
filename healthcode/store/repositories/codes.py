"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from healthcode.store import tables as t
from healthcode.store.federation import REVISIONS_TEXT, revision_set
from healthcode.store.repositories.base import _Repo, held


def _held_key(resident_id: uuid.UUID, policy_id: str) -> tuple[type, tuple[uuid.UUID, str]]:
    """A code's key among the rows its transaction holds (``held``): by resident and
    policy, as both ``of_resident`` and ``all_of_resident`` find it."""
    return (t.Code, (resident_id, policy_id))


class Codes(_Repo):
    def of_resident(
        self, resident_id: uuid.UUID, policy_id: str, *, lock: bool = False
    ) -> t.Code | None:
        """With ``lock``: locked, and a copy loaded earlier in this transaction (the
        rollover's) refreshed; once locked, the row in hand is the current one
        (``held``: a daily report's recolour does not read it again)."""
        key = _held_key(resident_id, policy_id)
        if lock and isinstance(code := held(self.session).get(key), t.Code):
            return code
        query = select(t.Code).where(
            t.Code.resident_id == resident_id, t.Code.policy_id == policy_id
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = self.session.scalars(query).first()
        if lock and found is not None:
            held(self.session)[key] = found
        return found

    def of_residents(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[t.Code]:
        """The codes of many residents (a staff board), in batches of 500."""
        found: list[t.Code] = []
        ids = list(resident_ids)
        for start in range(0, len(ids), 500):
            query = select(t.Code).where(t.Code.resident_id.in_(ids[start : start + 500]))
            found.extend(self.session.scalars(query))
        return found

    def all_of_resident(self, resident_id: uuid.UUID, *, lock: bool = False) -> Sequence[t.Code]:
        """With ``lock``: all locked in one statement, by policy, and held as
        ``of_resident`` holds one, so that recolouring each reads none again (a daily
        report recolours every code the resident holds)."""
        query = select(t.Code).where(t.Code.resident_id == resident_id)
        if not lock:
            return self.session.scalars(query).all()
        query = query.order_by(t.Code.policy_id).with_for_update()
        found = self.session.scalars(query.execution_options(populate_existing=True)).all()
        locked = held(self.session)
        for code in found:
            locked[_held_key(resident_id, code.policy_id)] = code
        return found

    def due_for_recheck(self, at: datetime, limit: int) -> Sequence[t.Code]:
        query = (
            select(t.Code)
            .where(t.Code.recheck_at.is_not(None), t.Code.recheck_at <= at)
            .order_by(t.Code.recheck_at, t.Code.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def lapsing(
        self,
        policy_ids: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: uuid.UUID | None = None,
    ) -> Sequence[t.Code]:
        """Green codes of these policies whose validity ends in [start, end) and with no
        new application waiting (it has been made), by id (pages of ``limit`` after the
        id ``after``)."""
        query = select(t.Code).where(
            t.Code.policy_id.in_(policy_ids),
            t.Code.colour == "green",
            t.Code.awaiting_id.is_(None),
            t.Code.valid_until.is_not(None),
            t.Code.valid_until >= start,
            t.Code.valid_until < end,
        )
        if after is not None:
            query = query.where(t.Code.id > after)
        return self.session.scalars(query.order_by(t.Code.id).limit(limit)).all()

    def without_report(
        self,
        signed_before: Mapping[str, datetime],
        now: datetime,
        day: tuple[date, datetime, datetime],
        *,
        limit: int,
        after: uuid.UUID | None = None,
    ) -> Sequence[t.Code]:
        """Valid green codes whose report is due on ``day`` (the date, its start and its
        end) and not in, as the engine counts it: a daily report under any code, or an
        application of this one, that day; and not on the signing day (a code of
        policy P counts when its ``valid_until`` is before ``signed_before[P]``)."""
        date_, start, end = day
        reported = exists().where(
            t.DailyReport.resident_id == t.Code.resident_id, t.DailyReport.day == date_
        )
        applied = exists().where(
            t.Declaration.resident_id == t.Code.resident_id,
            t.Declaration.policy_id == t.Code.policy_id,
            t.Declaration.confirmed_at >= start,
            t.Declaration.confirmed_at < end,
        )
        query = select(t.Code).where(
            or_(
                *(
                    and_(t.Code.policy_id == policy, t.Code.valid_until < bound)
                    for policy, bound in signed_before.items()
                )
            ),
            t.Code.colour == "green",
            t.Code.valid_until.is_not(None),
            t.Code.valid_until > now,
            ~reported,
            ~applied,
        )
        if after is not None:
            query = query.where(t.Code.id > after)
        return self.session.scalars(query.order_by(t.Code.id).limit(limit)).all()

    def history(self, code_id: uuid.UUID) -> Sequence[t.ColourChange]:
        query = (
            select(t.ColourChange)
            .where(t.ColourChange.code_id == code_id)
            .order_by(t.ColourChange.seq.desc())
        )
        return self.session.scalars(query).all()


class Signatures(_Repo):
    def for_declarations(self, ids: Sequence[uuid.UUID]) -> Sequence[t.Signature]:
        if not ids:
            return []
        query = (
            select(t.Signature)
            .where(t.Signature.declaration_id.in_(ids))
            .order_by(t.Signature.signed_at)
        )
        return self.session.scalars(query).all()

    def latest_signed(self, resident_id: uuid.UUID, policy_id: str) -> t.Declaration | None:
        """The resident's latest application of this code type an issuer signed."""
        query = (
            select(t.Declaration)
            .join(t.Signature, t.Signature.declaration_id == t.Declaration.id)
            .where(t.Declaration.resident_id == resident_id, t.Declaration.policy_id == policy_id)
            .order_by(t.Signature.signed_at.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()


class SigningKeys(_Repo):
    def all(self) -> Sequence[t.SigningKey]:
        return self.session.scalars(select(t.SigningKey).order_by(t.SigningKey.created_at)).all()

    def by_kid(self, kid: bytes) -> t.SigningKey | None:
        return self.session.get(t.SigningKey, kid)

    def window(self, kid: bytes) -> tuple[datetime, datetime | None, datetime | None] | None:
        """A key's (valid_from, valid_until, retired_at) as committed now: one primary-key
        lookup without the encrypted seed, cheap enough to make before every signature."""
        k = t.SigningKey
        query = select(k.valid_from, k.valid_until, k.retired_at).where(k.kid == kid)
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])


# built once: every online scan asks, and building a statement costs more than running it
_REVOKED = select(t.Revocation.token_id).where(t.Revocation.token_id == bindparam("token_id"))


class Revocations(_Repo):
    def is_revoked(self, token_id: bytes) -> bool:
        """One indexed look-up of the key, no row loaded (every online scan asks)."""
        return self.session.scalar(_REVOKED, {"token_id": token_id}) is not None

    def revoked_by(self, token_id: bytes, at: datetime) -> bool:
        """Revoked at or before ``at`` (an offline scan is judged by the list of its day)."""
        row = self.session.get(t.Revocation, token_id)
        return row is not None and row.revoked_at <= at

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(t.Revocation)) or 0)

    def since(self, at: datetime | None) -> Sequence[t.Revocation]:
        query = select(t.Revocation).order_by(t.Revocation.revoked_at)
        if at is not None:
            query = query.where(t.Revocation.revoked_at > at)
        return self.session.scalars(query).all()


class ListSigningKeys(_Repo):
    def all(self) -> Sequence[t.ListSigningKey]:
        query = select(t.ListSigningKey).order_by(t.ListSigningKey.created_at)
        return self.session.scalars(query).all()

    def by_kid(self, kid: bytes) -> t.ListSigningKey | None:
        return self.session.get(t.ListSigningKey, kid)


class SignedLists(_Repo):
    """The versions and items of the signed trust and revocation lists."""

    def head(self, name: str, *, lock: bool = False) -> t.ListHead | None:
        query = select(t.ListHead).where(t.ListHead.name == name)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def ensure_head(self, name: str, now: datetime) -> None:
        """Create the list's head unless it exists, at version 1: the empty list; two
        servers doing it at once both succeed (the second waits, inserts nothing)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        row = {"name": name, "version": 1, "changed_at": now}
        self.session.execute(insert(t.ListHead).values(**row).on_conflict_do_nothing())

    def entries(self, name: str, *, since: int = 0) -> Sequence[t.ListEntry]:
        """Items changed after version ``since`` (0: all, removed ones included), as
        committed now (read again after waiting for the head's lock)."""
        e = t.ListEntry
        query = select(e).where(e.name == name, e.version > since).order_by(e.version, e.item)
        return self.session.scalars(query.execution_options(populate_existing=True)).all()

    def entry(self, name: str, item: str) -> t.ListEntry | None:
        return self.session.get(t.ListEntry, (name, item))

    def count(self, name: str) -> int:
        query = select(func.count()).select_from(t.ListEntry).where(t.ListEntry.name == name)
        return int(self.session.scalar(query) or 0)


class FederatedRegions(_Repo):
    def all(self) -> Sequence[t.FederatedRegion]:
        query = select(t.FederatedRegion).order_by(t.FederatedRegion.code)
        return self.session.scalars(query).all()

    def by_code(self, code: str) -> t.FederatedRegion | None:
        return self.session.get(t.FederatedRegion, code)

    def revisions(self) -> frozenset[uuid.UUID]:
        """Every region's revision: drawn anew by each import, so the set changes with
        any region imported, re-imported or removed."""
        return revision_set(self.columns(select(REVISIONS_TEXT)).scalar())


class PaperPasses(_Repo):
    def by_id(self, paper_pass_id: uuid.UUID, *, lock: bool = False) -> t.PaperPass | None:
        query = select(t.PaperPass).where(t.PaperPass.id == paper_pass_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def of_application(self, application_id: uuid.UUID) -> Sequence[t.PaperPass]:
        query = (
            select(t.PaperPass)
            .where(t.PaperPass.application_id == application_id)
            .order_by(t.PaperPass.issued_at.desc())
        )
        return self.session.scalars(query).all()

    def standing(
        self, resident_id: uuid.UUID, policy_id: str, now: datetime
    ) -> Sequence[t.PaperPass]:
        """Paper passes of a resident's code that still count: not revoked, not ended;
        locked, so an issuer's revocation and an automatic one do not both record."""
        query = (
            select(t.PaperPass)
            .where(
                t.PaperPass.resident_id == resident_id,
                t.PaperPass.policy_id == policy_id,
                t.PaperPass.revoked_at.is_(None),
                t.PaperPass.valid_until > now,
            )
            .with_for_update()
        )
        return self.session.scalars(query).all()

    def standing_count(self, kid: bytes, now: datetime) -> int:
        """How many paper passes signed by ``kid`` still count (not revoked, not ended)."""
        p = t.PaperPass
        query = select(func.count()).where(
            p.kid == kid, p.revoked_at.is_(None), p.valid_until > now
        )
        return int(self.session.scalar(query) or 0)
