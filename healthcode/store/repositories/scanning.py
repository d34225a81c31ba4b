"""Venues, their operators and scans."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    true,
)

from healthcode.domain.fraud import Status
from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.federation import REVISIONS_TEXT, revision_set
from healthcode.store.repositories.base import _Repo, insert_once
from healthcode.store.signed_in import ROLES_TEXT, SESSION_COLUMNS, SessionColumns, roles_from_text


def venue_in_scope(scope: Scope) -> ColumnElement[bool]:
    """A venue is within a scope: its organisation's, or its region's."""
    if scope.everywhere:
        return true()
    held: list[ColumnElement[bool]] = [
        t.Venue.region_code.startswith(p) for p in sorted(scope.regions)
    ]
    if scope.organisations:
        held.append(t.Venue.organisation_id.in_(scope.organisations))
    return or_(*held) if held else false()


class Nearby(NamedTuple):
    """A scan near in time, at this venue or another, as the flags read it: a few
    columns, no entities (every gate's scan asks, and most find none)."""

    scanned_at: datetime
    token_fingerprint: bytes | None
    resident_id: uuid.UUID | None
    venue_id: uuid.UUID
    venue_name: str
    region_code: str
    latitude: float | None
    longitude: float | None


class NearProbe(NamedTuple):
    """What a gate's scan looks for at every venue (its own too): scans of the code's resident (by
    reference; None: none of ours), or of its token if it is an on-screen one or
    another region's, within a window around the scan (at ``at``, at venue ``here``)."""

    resident_ref: str | None
    fingerprint: bytes | None
    since: datetime
    until: datetime
    here: uuid.UUID
    at: datetime


class Sighted(NamedTuple):
    """A probe's answer: the resident the reference names, and the scans found."""

    probe: NearProbe
    resident_id: uuid.UUID | None
    near: list[Nearby]


class GateVenue(NamedTuple):
    """What a scan reads of its venue: a few columns, not the entity (every gate's scan
    reads it; an ORM load cost more than the rest of the query's handling)."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    region_code: str
    latitude: float | None
    longitude: float | None
    gate_mode: bool
    kind: str  # an employer's gate also reads its staff's check-ins

    @classmethod
    def of(cls, venue: t.Venue) -> GateVenue:
        return cls(*(getattr(venue, name) for name in cls._fields))


_GATE_VENUE = tuple(getattr(t.Venue, name) for name in GateVenue._fields)


class GateRow(NamedTuple):
    """What a gate's scan asks of its venue in one round trip (``operated_revoked``)."""

    venue: GateVenue
    revoked: bool
    sighted: Sighted | None
    federation: frozenset[uuid.UUID] | None  # the regions' revisions; None: not asked
    organisation_status: str  # the venue's organisation's: a suspended one scans nothing


class SignedInGate(NamedTuple):
    """A session, its roles and, if its account operates the venue, the venue's
    ``GateRow`` (``signed_in_at``)."""

    session: SessionColumns
    roles: tuple[tuple[str, str], ...]
    gate: GateRow | None


def _gate_row(rows: Sequence[Any], at: int, probe: NearProbe | None, federation: bool) -> GateRow:
    """The ``GateRow`` of rows whose columns from ``at`` on are the venue, whether the
    token is revoked, its organisation's status and (``federation``) the revisions,
    then what ``probe`` found."""
    first, past = rows[0], at + len(_GATE_VENUE)
    sighted = None if probe is None else _sighted(probe, rows)
    revisions = revision_set(first[past + 2]) if federation else None
    venue = GateVenue(*first[at:past])
    return GateRow(venue, bool(first[past]), sighted, revisions, first[past + 1])


_SCANS, _VENUES = t.Scan.__table__, t.Venue.__table__


def _nearby_columns(venues: Any) -> tuple[ColumnElement[Any], ...]:
    return (
        _SCANS.c.scanned_at, _SCANS.c.token_fingerprint, _SCANS.c.resident_id, venues.c.id,
        venues.c.name, venues.c.region_code, venues.c.latitude, venues.c.longitude,
    )  # fmt: skip


_NEARBY_COLUMNS = _nearby_columns(_VENUES)


_NEAR_MOST = 20  # venues' scans a flag may name, at most (the query's bound)


def _near(same: list[ColumnElement[bool]], *, by_token: bool) -> Subquery:
    """Scans of the same token or resident in the window, at any venue (the scan's own
    too: ``same_token_here``): of each venue only its latest at or before the scan
    (else its earliest after it), and by token one of the same token and one not; at
    most ``_NEAR_MOST``, the scan's own venue first. A flag names one scan of a venue,
    the closest in time: bounded by scans instead, 25 at this venue hid the one at a
    distant venue before them. (Parameters: since, until, at, here, fingerprint.)"""
    venues, scanned_at = _VENUES.alias("near_venues"), _SCANS.c.scanned_at
    kinds: list[ColumnElement[Any]] = [_SCANS.c.venue_id]
    if by_token:
        kinds.append(_SCANS.c.token_fingerprint == bindparam("fingerprint"))
    before = scanned_at <= bindparam("at")
    nearest = func.row_number().over(
        partition_by=kinds,
        order_by=(before.desc(), case((before, scanned_at)).desc(), scanned_at),
    )
    ranked = (
        select(
            *_nearby_columns(venues),
            nearest.label("nearest"),
            (_SCANS.c.venue_id == bindparam("here")).label("here"),
        )
        .join_from(_SCANS, venues, venues.c.id == _SCANS.c.venue_id)
        .where(
            or_(*same),
            _SCANS.c.scanned_at >= bindparam("since"),
            _SCANS.c.scanned_at <= bindparam("until"),
        )
        .subquery("ranked")
    )
    return (
        select(*list(ranked.c)[: len(_NEARBY_COLUMNS)])
        .where(ranked.c.nearest == 1)
        .order_by(ranked.c.here.desc(), ranked.c.scanned_at.desc())
        .limit(_NEAR_MOST)
        .subquery("near")
    )


def _with_near(query: Select[*tuple[Any, ...]], *, by_token: bool) -> Select[Any]:
    """``query`` (one row at most) with the resident a reference names and the scans
    a ``NearProbe`` looks for, one row each (one row of nulls if none): built once per
    shape, as every gate's scan runs it."""
    residents = t.Resident.__table__
    resident = select(residents.c.id).where(residents.c.ref == bindparam("ref"))
    same: list[ColumnElement[bool]] = [_SCANS.c.resident_id == resident.scalar_subquery()]
    if by_token:
        same.append(_SCANS.c.token_fingerprint == bindparam("fingerprint"))
    near = _near(same, by_token=by_token)
    return (
        query.add_columns(residents.c.id, *near.c)
        .outerjoin(residents, residents.c.ref == bindparam("ref"))
        .outerjoin(near, true())
        .order_by(near.c.scanned_at.desc())
    )


def _sighted(probe: NearProbe, rows: Sequence[Any]) -> Sighted:
    """The probe's answer from rows ending in ``_with_near``'s columns: the resident's
    id, then a near scan's (all null when none was found)."""
    width = len(_NEARBY_COLUMNS)
    resident_id = rows[0][-width - 1] if rows else None
    near = [Nearby(*row[-width:]) for row in rows if row[-width] is not None]
    return Sighted(probe, resident_id, near)


def _probed(probe: NearProbe) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ref": probe.resident_ref, "since": probe.since, "until": probe.until,
        "here": probe.here, "at": probe.at,
    }  # fmt: skip
    if probe.fingerprint is not None:
        params["fingerprint"] = probe.fingerprint
    return params


_ONE_ROW = select(literal(1).label("one")).subquery()  # for one row at least
_NEAR_BY_REF = {
    by_token: _with_near(select().select_from(_ONE_ROW), by_token=by_token)
    for by_token in (False, True)
}
# the venue, if the account is assigned to it, with whether a token id is on the
# revocation list and its organisation's status (every scan asks all three), and with
# what a probe looks for
_REVOKED = select(t.Revocation.token_id).where(t.Revocation.token_id == bindparam("token_id"))
_OPERATED_REVOKED = (
    select(*_GATE_VENUE, _REVOKED.exists(), t.Organisation.status)
    .join(t.VenueOperator, t.VenueOperator.venue_id == t.Venue.id)
    .join(t.Organisation, t.Organisation.id == t.Venue.organisation_id)
    .where(t.Venue.id == bindparam("venue_id"), t.VenueOperator.account_id == bindparam("account"))
)
# the same, read with the caller's session and roles (``SESSION_COLUMNS``, ``ROLES_TEXT``):
# the session whatever the venue, the venue only if the session's account operates it
_SIGNED_IN_AT = (
    select(*SESSION_COLUMNS, ROLES_TEXT, *_GATE_VENUE, _REVOKED.exists(), t.Organisation.status)
    .select_from(t.AuthSession)
    .join(t.Account, t.Account.id == t.AuthSession.account_id)
    .outerjoin(
        t.VenueOperator,
        and_(
            t.VenueOperator.account_id == t.Account.id,
            t.VenueOperator.venue_id == bindparam("venue_id"),
        ),
    )
    .outerjoin(t.Venue, t.Venue.id == t.VenueOperator.venue_id)
    .outerjoin(t.Organisation, t.Organisation.id == t.Venue.organisation_id)
    .where(t.AuthSession.token_hash == bindparam("token_hash"))
)


def _shapes(base: Select[*tuple[Any, ...]]) -> dict[tuple[bool | None, bool], Select[Any]]:
    """``base`` as every scan asks it: with, for another region's code, the federated
    regions' revisions (``REVISIONS_TEXT``); with what a probe looks for (by the
    resident's reference, or by the token too: True) or without a probe (None)."""
    asked = {
        federation: base.add_columns(REVISIONS_TEXT) if federation else base
        for federation in (False, True)
    }
    shapes: dict[tuple[bool | None, bool], Select[Any]] = {(None, f): q for f, q in asked.items()}
    for by_token in (False, True):
        for federation, query in asked.items():
            shapes[by_token, federation] = _with_near(query, by_token=by_token)
    return shapes


_OPERATED, _AT_GATE = _shapes(_OPERATED_REVOKED), _shapes(_SIGNED_IN_AT)


_INSERT_SCAN = insert(t.Scan)
_SCAN_COLUMNS = tuple(
    (attribute.key, attribute.columns[0].key) for attribute in inspect(t.Scan).column_attrs
)


class Venues(_Repo):
    def by_id(self, venue_id: uuid.UUID) -> t.Venue | None:
        return self.session.get(t.Venue, venue_id)

    def by_code(self, code: str) -> t.Venue | None:
        return self.session.scalars(select(t.Venue).where(t.Venue.code == code)).first()

    def within(self, scope: Scope, *, limit: int = 500, offset: int = 0) -> Sequence[t.Venue]:
        query = (
            select(t.Venue)
            .where(venue_in_scope(scope))
            .order_by(t.Venue.name, t.Venue.id)
            .limit(limit)
            .offset(offset)
        )
        return self.session.scalars(query).all()

    def operated_by(self, account_id: uuid.UUID) -> Sequence[t.Venue]:
        query = (
            select(t.Venue)
            .join(t.VenueOperator, t.VenueOperator.venue_id == t.Venue.id)
            .where(t.VenueOperator.account_id == account_id)
            .order_by(t.Venue.name, t.Venue.id)
        )
        return self.session.scalars(query).all()

    def operated_revoked(
        self,
        account_id: uuid.UUID,
        venue_id: uuid.UUID,
        token_id: bytes | None,
        probe: NearProbe | None = None,
        *,
        federation: bool = False,
    ) -> GateRow | None:
        """The venue, if the account is assigned to it; whether ``token_id`` (None:
        none) is revoked; what ``probe`` looks for; and with
        ``federation`` the federated regions' revisions: in one round trip (every
        scan asks the first three, another region's code all four)."""
        params = {"venue_id": venue_id, "account": account_id, "token_id": token_id}
        rows = self._gate_rows(_OPERATED, params, probe, federation)
        return _gate_row(rows, 0, probe, federation) if rows else None

    def signed_in_at(
        self,
        token_hash: bytes,
        venue_id: uuid.UUID,
        token_id: bytes | None,
        probe: NearProbe | None = None,
        *,
        federation: bool = False,
    ) -> SignedInGate | None:
        """``operated_revoked`` for the account of a session, read with the session and
        its roles in the same round trip (a gate's scan checks its caller there); None
        if no session has ``token_hash``."""
        params = {"token_hash": token_hash, "venue_id": venue_id, "token_id": token_id}
        rows = self._gate_rows(_AT_GATE, params, probe, federation)
        if not rows:
            return None
        first, at = rows[0], len(SESSION_COLUMNS)
        gate = None if first[at + 1] is None else _gate_row(rows, at + 1, probe, federation)
        return SignedInGate(tuple(first[:at]), roles_from_text(first[at]), gate)

    def _gate_rows(
        self,
        shapes: dict[tuple[bool | None, bool], Select[Any]],
        params: dict[str, Any],
        probe: NearProbe | None,
        federation: bool,
    ) -> Sequence[Any]:
        if probe is None:
            query = shapes[None, federation]
        else:
            params.update(_probed(probe))
            query = shapes[probe.fingerprint is not None, federation]
        return self.columns(query, params).all()

    def operates(self, account_id: uuid.UUID, venue_id: uuid.UUID) -> bool:
        query = select(t.VenueOperator.id).where(
            t.VenueOperator.account_id == account_id, t.VenueOperator.venue_id == venue_id
        )
        return self.session.scalars(query).first() is not None

    def add_operator(self, row: t.VenueOperator) -> bool:
        """Assign; False if the account operates the venue already."""
        return insert_once(self.session, row)

    def remove_operator(self, venue_id: uuid.UUID, account_id: uuid.UUID) -> bool:
        query = select(t.VenueOperator).where(
            t.VenueOperator.account_id == account_id, t.VenueOperator.venue_id == venue_id
        )
        row = self.session.scalars(query).first()
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def operators(self, venue_id: uuid.UUID) -> Sequence[tuple[t.VenueOperator, t.Account]]:
        query = (
            select(t.VenueOperator, t.Account)
            .join(t.Account, t.Account.id == t.VenueOperator.account_id)
            .where(t.VenueOperator.venue_id == venue_id)
            .order_by(t.Account.username)
        )
        return [(o, a) for o, a in self.session.execute(query)]

    def operates_in_organisation(self, account_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
        """The account still operates some venue of the organisation."""
        query = (
            select(t.VenueOperator.id)
            .join(t.Venue, t.Venue.id == t.VenueOperator.venue_id)
            .where(
                t.VenueOperator.account_id == account_id,
                t.Venue.organisation_id == organisation_id,
            )
        )
        return self.session.scalars(query.limit(1)).first() is not None


class Scans(_Repo):
    def by_id(self, scan_id: uuid.UUID, *, lock: bool = False) -> t.Scan | None:
        return self.session.get(t.Scan, scan_id, with_for_update=lock, populate_existing=lock)

    def by_client_id(self, venue_id: uuid.UUID, client_id: str) -> t.Scan | None:
        query = select(t.Scan).where(t.Scan.venue_id == venue_id, t.Scan.client_id == client_id)
        return self.session.scalars(query).first()

    def record(self, row: t.Scan) -> None:
        """Insert the scan now, in one statement on the connection: not through the
        ORM's unit of work, whose flush costs more than the insert (every gate's scan).
        ``row`` stays as built, outside the session; the columns it leaves unset take
        their defaults."""
        values = {column: row.__dict__[key] for key, column in _SCAN_COLUMNS if key in row.__dict__}
        self.session.connection().execute(_INSERT_SCAN, values)

    def record_once(self, row: t.Scan) -> bool:
        """Insert the scan; False if its venue has a scan with its ``client_id`` already
        (an offline upload sent twice, or two uploads racing).

        The unique key holds ``scanned_at`` too (on PostgreSQL the table is
        partitioned by it), so the venue's ``client_id`` is looked for first; two
        racing requests with one ``client_id`` and two times are serialised by a lock
        on the pair until the first commits (SQLite serialises its writers itself)."""
        assert row.client_id is not None
        if self.session.get_bind().dialect.name == "postgresql":
            pair = f"{row.venue_id}:{row.client_id}".encode()
            key = int.from_bytes(hashlib.blake2b(pair, digest_size=8).digest(), signed=True)
            self.session.execute(select(func.pg_advisory_xact_lock(key)))
        if self.by_client_id(row.venue_id, row.client_id) is not None:
            return False
        return insert_once(self.session, row)

    def of_venue(self, venue_id: uuid.UUID, *, limit: int = 50) -> Sequence[t.Scan]:
        query = (
            select(t.Scan)
            .where(t.Scan.venue_id == venue_id)
            .order_by(t.Scan.scanned_at.desc(), t.Scan.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def near_in_time(
        self,
        *,
        fingerprint: bytes | None,
        resident_id: uuid.UUID | None,
        since: datetime,
        until: datetime,
        here: uuid.UUID,
        at: datetime,
    ) -> list[Nearby]:
        """Scans at any venue between ``since`` and ``until`` of the same token or of
        the same resident, for a scan at ``at`` at venue ``here``: what the duplicate,
        distance and same-venue flags look at (``_near``)."""
        same: list[ColumnElement[bool]] = []
        params: dict[str, Any] = {"since": since, "until": until, "here": here, "at": at}
        if fingerprint is not None:
            same.append(_SCANS.c.token_fingerprint == bindparam("fingerprint"))
            params["fingerprint"] = fingerprint
        if resident_id is not None:
            same.append(_SCANS.c.resident_id == bindparam("resident"))
            params["resident"] = resident_id
        if not same:
            return []
        near = _near(same, by_token=fingerprint is not None)
        query = select(*near.c).order_by(near.c.scanned_at.desc())
        return [Nearby(*row) for row in self._columns(query, params)]

    def near_in_time_by_ref(self, probe: NearProbe) -> Sighted:
        """``near_in_time`` for a code whose resident is known by its reference only
        (or not ours), and that resident's id, in one round trip (a gate asks both)."""
        rows = self._columns(_NEAR_BY_REF[probe.fingerprint is not None], _probed(probe))
        return _sighted(probe, rows)

    def _columns(self, query: Select[Any], params: dict[str, Any]) -> Sequence[Any]:
        """Rows through the connection, after a flush as a query would make."""
        self.session.flush()
        return self.session.connection().execute(query, params).all()

    def of_resident_between(
        self, resident_id: uuid.UUID, since: datetime, until: datetime
    ) -> Sequence[tuple[t.Scan, t.Venue]]:
        """A resident's readable scans and check-ins (tracing): oldest first."""
        query = (
            select(t.Scan, t.Venue)
            .join(t.Venue, t.Venue.id == t.Scan.venue_id)
            .where(
                t.Scan.resident_id == resident_id,
                t.Scan.scanned_at >= since,
                t.Scan.scanned_at <= until,
            )
            .order_by(t.Scan.scanned_at, t.Scan.id)
        )
        return [(s, v) for s, v in self.session.execute(query)]

    def others_at(
        self, venue_id: uuid.UUID, since: datetime, until: datetime, *, not_resident: uuid.UUID
    ) -> Sequence[tuple[t.Scan, t.Resident]]:
        """Residents scanned at a venue between two instants, but one (tracing)."""
        query = (
            select(t.Scan, t.Resident)
            .join(t.Resident, t.Resident.id == t.Scan.resident_id)
            .where(
                t.Scan.venue_id == venue_id,
                t.Scan.resident_id != not_resident,
                t.Scan.scanned_at >= since,
                t.Scan.scanned_at <= until,
            )
            .order_by(t.Scan.scanned_at, t.Scan.id)
        )
        return [(s, r) for s, r in self.session.execute(query)]

    def reported_not_the_holder(self, scan_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these scans a guard reported "not the holder" (tracing leaves them
        out: the person scanned was not the code's holder). The gate report's fraud
        case names its scan; one the officers dismissed (the holder was there after
        all) no longer leaves it out."""
        found: set[uuid.UUID] = set()
        ids = list(dict.fromkeys(scan_ids))
        for at in range(0, len(ids), 1000):  # bounded lists of bound parameters
            query = select(t.FraudCase.scan_id).where(
                t.FraudCase.scan_id.in_(ids[at : at + 1000]),
                t.FraudCase.status != Status.DISMISSED.value,
            )
            found.update(i for i in self.session.scalars(query) if i is not None)
        return found
