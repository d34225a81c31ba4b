"""Signed trust and revocation lists: the list key, versions, deltas (docs/keys.md).

Each list is a set of items in ``list_entries`` with the version that last changed
it (a removed item stays as a tombstone), so a delta since N is the items whose
version is above N; version 1 is the empty list. The trust list's items are derived
from the key rings and the federated regions: ``publish_trust_list`` compares them
with the stored items and records the difference as one new version (nothing when
nothing changed); it runs after every key change and before the list is served, so
no path that changes a key can leave the list behind. Revocations are recorded as
they are made (``revoke_token``). Every document is signed afresh when served
(``issued_at`` now).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from healthcode.config import Settings
from healthcode.crypto import Protector
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import KeyRing, NoSigningKey, RingKey, SigningKey, VerifyingKey
from healthcode.domain.tokens.federation import (
    MAX_REGION_KEYS,
    FederationError,
    Region,
    RegionKey,
    b64url,
    key_from_json,
    region_from_json,
)
from healthcode.domain.tokens.lists import (
    MAX_LIST_CHARS,
    ListKind,
    revocations_payload,
    sign_list,
    trust_payload,
)
from healthcode.domain.tokens.trustlist import to_jwks
from healthcode.services.shared.keys import load_ring, read_ring, write_ring
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

LIST_SEED_CONTEXT = "list-signing-key"
OUR_PREFIXES = ("CNHC1:", "CNHC2:")


@dataclass(frozen=True)
class SignedList:
    """A signed document ready to serve, and what it holds."""

    text: str
    version: int
    full: bool


# --- the list-signing key ring ------------------------------------------------------


def load_list_ring(uow: UnitOfWork, protector: Protector) -> KeyRing:
    return read_ring(uow.list_keys.all(), protector, context=LIST_SEED_CONTEXT)


def _save_list_ring(uow: UnitOfWork, protector: Protector, ring: KeyRing) -> None:
    write_ring(
        uow,
        protector,
        ring,
        find=uow.list_keys.by_kid,
        table=t.ListSigningKey,
        context=LIST_SEED_CONTEXT,
    )


def ensure_list_key(uow: UnitOfWork, protector: Protector, *, now: datetime) -> bool:
    """Create the first list-signing key of an installation; True if one was created."""
    if uow.list_keys.all():
        return False
    _save_list_ring(uow, protector, KeyRing.new(now))
    return True


def rotate_list_key(
    uow: UnitOfWork, protector: Protector, settings: Settings, *, now: datetime, ahead: timedelta
) -> RingKey:
    """A new list key, announced in the trust list's ``list_keys`` ``ahead`` before it
    signs: scanners that refresh meanwhile learn it from a list the old key signed."""
    ring = load_list_ring(uow, protector).rotate(now, publish_ahead=ahead)
    _save_list_ring(uow, protector, ring)
    publish_trust_list(uow, protector, settings, now=now)
    return ring.keys[-1]


def retire_list_key(
    uow: UnitOfWork, protector: Protector, settings: Settings, *, kid: bytes, now: datetime
) -> KeyRing:
    ring = load_list_ring(uow, protector).retire(kid, now)
    _save_list_ring(uow, protector, ring)
    publish_trust_list(uow, protector, settings, now=now)
    return ring


def list_keys(uow: UnitOfWork, protector: Protector, *, now: datetime) -> tuple[VerifyingKey, ...]:
    """The list-signing public keys to pin (and the next one announced)."""
    return load_list_ring(uow, protector).published(now)


# --- the trust list --------------------------------------------------------------------


def _trust_items(
    uow: UnitOfWork, protector: Protector, settings: Settings, now: datetime
) -> dict[str, dict[str, Any]]:
    """What the trust list should hold now, by item: list keys, regions, keys."""
    ours = {
        "code": settings.region_code,
        "name": settings.region_name,
        "prefixes": list(OUR_PREFIXES),
        "colour": None,
    }
    items: dict[str, dict[str, Any]] = {f"region:{ours['code']}": ours}
    for jwk in to_jwks(load_list_ring(uow, protector).published(now))["keys"]:
        items[f"list:{jwk['kid']}"] = jwk
    for jwk in to_jwks(load_ring(uow, protector).published(now))["keys"]:
        items[f"key:{jwk['kid']}"] = {**jwk, "region": settings.region_code}
    for row in uow.federated_regions.all():
        items[f"region:{row.code}"] = row.region
        for key in row.keys:
            items[f"key:{key_from_json(key).kid.hex()}:{row.code}"] = key
    return items


def publish_trust_list(
    uow: UnitOfWork, protector: Protector, settings: Settings, *, now: datetime
) -> int:
    """Record what changed in the trust list as one new version; the current version."""
    desired = _trust_items(uow, protector, settings, now)
    if not _differs(uow, ListKind.TRUST, desired):
        head = uow.signed_lists.head(ListKind.TRUST)
        return 1 if head is None else head.version  # 1: the empty list
    head = _locked_head(uow, ListKind.TRUST, now)
    current = _current(uow, ListKind.TRUST)  # again, under the lock
    changed = {k: v for k, v in desired.items() if current.get(k) != v}
    removed = [k for k in current if k not in desired]
    if changed or removed:
        head.version += 1
        head.changed_at = now
        for item, entry in [*changed.items(), *((k, None) for k in removed)]:
            _put(uow, ListKind.TRUST, item, entry, head.version)
        uow.flush()
    return head.version


def signed_trust_list(
    uow: UnitOfWork, protector: Protector, settings: Settings, *, now: datetime, since: int = 0
) -> SignedList:
    """The trust list signed now: a delta from ``since`` if it can be made, else full."""
    version = publish_trust_list(uow, protector, settings, now=now)
    delta = 0 < since <= version
    rows = uow.signed_lists.entries(ListKind.TRUST)
    live = {r.item: r.entry for r in rows if r.entry is not None}
    if delta:  # the keys changed after ``since``: replaced or added, and removed
        changed = [r for r in rows if r.version > since and r.item.startswith("key:")]
        keys = [r.entry for r in changed if r.entry is not None]
        removed = [_kid_of_item(r.item) for r in changed if r.entry is None]
    else:
        keys, removed = [e for i, e in live.items() if i.startswith("key:")], []
    payload = trust_payload(
        version=version,
        issued_at=int(now.timestamp()),
        list_keys=(),
        regions=[e for i, e in live.items() if i.startswith("region:")],
        keys=keys,
        since=since if delta else None,
        removed=removed,
    )
    payload["list_keys"] = [e for i, e in live.items() if i.startswith("list:")]  # as stored
    text = sign_list(ListKind.TRUST, payload, _list_signer(uow, protector, now))
    return SignedList(text, version, not delta)


def _kid_of_item(item: str) -> str:
    """``key:<kid>`` (ours) or ``key:<hex kid>:<region>`` (foreign) to the kid."""
    parts = item.split(":")
    return b64url(bytes.fromhex(parts[1])) if len(parts) == 3 else parts[1]


# --- federated regions -----------------------------------------------------------------


def federate_region(
    uow: UnitOfWork,
    protector: Protector,
    settings: Settings,
    *,
    document: Mapping[str, Any],
    now: datetime,
) -> int:
    """Import (or replace) a foreign region's entry and keys, then publish; the trust
    list's new version. ``FederationError`` names what is wrong in the document."""
    region = region_from_json(document.get("region"), "region")
    if region.code == settings.region_code:
        raise FederationError("region.code: that is our own region")
    keys = document.get("keys")
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_REGION_KEYS:
        raise FederationError(f"keys: must be a list of 1 to {MAX_REGION_KEYS} keys")
    parsed = [key_from_json(key, f"keys[{index}]") for index, key in enumerate(keys)]
    for index, key in enumerate(parsed):
        if key.region != region.code:
            raise FederationError(f"keys[{index}].region: must be {region.code}")
    _refuse_clashes(uow, region, parsed)
    row = uow.federated_regions.by_code(region.code)
    if row is None:
        uow.add(t.FederatedRegion(code=region.code, region={}, keys=[], imported_at=now))
        uow.flush()
        row = uow.federated_regions.by_code(region.code)
    assert row is not None
    row.region, row.keys, row.imported_at = dict(document["region"]), list(keys), now
    row.revision = uuid.uuid4()  # what every gate's cache reads anew
    uow.flush()
    signed = signed_trust_list(uow, protector, settings, now=now)  # publishes, then signs
    if len(signed.text) > MAX_LIST_CHARS:  # scanners would refuse it, and every one after
        raise FederationError(
            f"keys: the signed trust list would be {len(signed.text):,} characters, over "
            f"the {MAX_LIST_CHARS:,} a scanner takes; remove retired keys first"
        )
    return signed.version


def _refuse_clashes(uow: UnitOfWork, region: Region, keys: list[RegionKey]) -> None:
    """A prefix or key id that is ours or another region's is refused: a scanner picks a
    code's keys by its prefix and holds keys by kid, so a region claiming ``CNHC1:`` or
    our key's kid would have its codes taken as ours, or ours refused. Ours means every
    key we ever had, retired code keys and list keys too: a paper pass of a retired key
    must read ``key_retired``, not ``unknown_key``, and a list key's kid names it in
    every list header."""
    others = [r for r in uow.federated_regions.all() if r.code != region.code]
    held_prefixes = dict.fromkeys(OUR_PREFIXES, "our region") | {
        p: f"region {r.code}" for r in others for p in r.region.get("prefixes", ())
    }
    if len(set(region.prefixes)) != len(region.prefixes):
        raise FederationError("region.prefixes: a prefix is given twice")
    for index, prefix in enumerate(region.prefixes):
        if prefix in held_prefixes:
            raise FederationError(
                f"region.prefixes[{index}]: {prefix} is the prefix of {held_prefixes[prefix]}"
            )
    ours = [k.kid for k in uow.signing_keys.all()] + [k.kid for k in uow.list_keys.all()]
    held_kids = dict.fromkeys(ours, "our region") | {
        key_from_json(k).kid: f"region {r.code}" for r in others for k in r.keys
    }
    seen: set[bytes] = set()
    for index, key in enumerate(keys):
        owner = held_kids.get(key.kid) or ("this file" if key.kid in seen else None)
        if owner is not None:
            raise FederationError(f"keys[{index}].kid: {b64url(key.kid)} is a key of {owner}")
        seen.add(key.kid)


def federated_region_for(
    uow: UnitOfWork, text: str, regions: Federation | None = None
) -> tuple[Region, dict[bytes, RegionKey]] | None:
    """The federated region whose prefix ``text`` carries (the longest), with its keys
    by kid, as imported (checked then: ``federate_region``); None for ours or none.
    Among ``regions`` if given (``cached_federation``), else the regions as stored."""
    text = text.strip()
    if is_ours(text):
        return None
    parsed = _federated(uow) if regions is None else regions
    found = [
        (len(prefix), entry)
        for entry in parsed.values()
        for prefix in entry[0].prefixes
        if text.startswith(prefix)
    ]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def is_ours(text: str) -> bool:
    return text.strip().startswith(OUR_PREFIXES)


def cached_federation() -> Federation:
    """The federated regions as last parsed, without a query: a gate's scan verifies
    with them and learns in its venue's query whether they are still current
    (``federation_changed``)."""
    return _PARSED_REGIONS


def federation_changed(
    uow: UnitOfWork, regions: Federation, revisions: frozenset[uuid.UUID] | None
) -> bool:
    """Whether ``regions`` differ from the stored ones, whose ``revisions`` a query
    brought (None: ask now)."""
    stored = uow.federated_regions.revisions() if revisions is None else revisions
    return stored != {revision for _, revision in regions}


def _federated(uow: UnitOfWork) -> Federation:
    """Every federated region as parsed; their revisions are read each time, so a
    re-import (a new key, a retired one) is seen at once, and only it is parsed."""
    global _PARSED_REGIONS
    parsed = _PARSED_REGIONS  # this request's snapshot: another may replace the cache
    if not federation_changed(uow, parsed, None):
        return parsed
    fresh: Federation = {}
    for row in uow.federated_regions.all():  # as stored now, if an import came in between
        stamp = (row.code, row.revision)
        found = parsed.get(stamp)
        if found is None:
            keys = (key_from_json(key) for key in row.keys)
            found = region_from_json(row.region), {k.kid: k for k in keys}
        fresh[stamp] = found
    _PARSED_REGIONS = fresh  # the regions as stored now, nothing retired kept
    return fresh


# A federated region's entry and keys as parsed, by its code and revision: parsing its
# X.509 certificates cost most of a foreign code's scan, and reading and comparing its
# stored JSON most of the rest. Replaced whole, never changed in place: a scan in
# another thread keeps reading the one it took.
Federation = dict[tuple[str, uuid.UUID], tuple[Region, dict[bytes, RegionKey]]]
_PARSED_REGIONS: Federation = {}


# --- the revocation list ---------------------------------------------------------------


def revoke_token(
    uow: UnitOfWork, *, token_id: bytes, reason: str, now: datetime, resident_id: Any = None
) -> int:
    """Revoke a token id (a paper pass) and record it in the revocation list; the
    list's new version. Revoking one already revoked changes nothing."""
    if uow.revocations.is_revoked(token_id):
        head = uow.signed_lists.head(ListKind.REVOCATIONS)
        return 1 if head is None else head.version
    uow.add(t.Revocation(token_id=token_id, revoked_at=now, reason=reason, resident_id=resident_id))
    head = _locked_head(uow, ListKind.REVOCATIONS, now)
    head.version += 1
    head.changed_at = now
    _put(uow, ListKind.REVOCATIONS, token_id.hex(), _revocation(token_id, now), head.version)
    uow.flush()
    return head.version


def _sync_revocations(uow: UnitOfWork, now: datetime) -> None:
    """Revocations written without ``revoke_token`` join the list as one version."""
    if uow.signed_lists.count(ListKind.REVOCATIONS) >= uow.revocations.count():
        return
    head = _locked_head(uow, ListKind.REVOCATIONS, now)
    listed = {r.item for r in uow.signed_lists.entries(ListKind.REVOCATIONS)}
    missing = [r for r in uow.revocations.since(None) if r.token_id.hex() not in listed]
    if missing:
        head.version += 1
        head.changed_at = now
        for row in missing:
            entry = _revocation(row.token_id, row.revoked_at)
            _put(uow, ListKind.REVOCATIONS, row.token_id.hex(), entry, head.version)
        uow.flush()


def signed_revocations(
    uow: UnitOfWork, protector: Protector, *, now: datetime, since: int = 0
) -> SignedList:
    _sync_revocations(uow, now)
    head = uow.signed_lists.head(ListKind.REVOCATIONS)
    version = 1 if head is None else head.version  # 1: the empty list
    delta = 0 < since <= version
    rows = uow.signed_lists.entries(ListKind.REVOCATIONS, since=since if delta else 0)
    payload = revocations_payload(
        version=version,
        issued_at=int(now.timestamp()),
        revoked=[r.entry for r in rows if r.entry is not None],
        since=since if delta else None,
        removed=[r.item for r in rows if r.entry is None],
    )
    text = sign_list(ListKind.REVOCATIONS, payload, _list_signer(uow, protector, now))
    return SignedList(text, version, not delta)


def _revocation(token_id: bytes, at: datetime) -> dict[str, Any]:
    return {"cti": token_id.hex(), "at": int(at.timestamp())}


# --- shared ----------------------------------------------------------------------------


def _list_signer(uow: UnitOfWork, protector: Protector, now: datetime) -> SigningKey:
    ring = load_list_ring(uow, protector)
    if not ring.keys:
        raise NoSigningKey(N_("No list-signing key has been created yet"))
    return ring.signer(now)


def _current(uow: UnitOfWork, name: str) -> dict[str, dict[str, Any]]:
    return {r.item: r.entry for r in uow.signed_lists.entries(name) if r.entry is not None}


def _differs(uow: UnitOfWork, name: str, desired: Mapping[str, dict[str, Any]]) -> bool:
    return _canonical(_current(uow, name)) != _canonical(desired)


def _canonical(items: Mapping[str, Any]) -> str:
    return json.dumps(items, sort_keys=True, ensure_ascii=False)


def _locked_head(uow: UnitOfWork, name: str, now: datetime) -> t.ListHead:
    head = uow.signed_lists.head(name, lock=True)
    if head is None:
        uow.signed_lists.ensure_head(name, now)
        head = uow.signed_lists.head(name, lock=True)
    assert head is not None
    return head


def _put(uow: UnitOfWork, name: str, item: str, entry: dict[str, Any] | None, version: int) -> None:
    row = uow.signed_lists.entry(name, item)
    if row is None:
        uow.add(t.ListEntry(name=name, item=item, version=version, entry=entry))
    else:
        row.version, row.entry = version, entry
