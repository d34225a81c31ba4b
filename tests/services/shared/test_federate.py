"""Importing another region's entry (docs/federation.md): a prefix or key id that is
ours or another region's is refused, as is a list scanners could not take. Before,
a region claiming ``CNHC1:`` had codes signed with its key taken as ours offline, and
a foreign key with our kid replaced ours in every offline scanner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from healthcode.domain.tokens.federation import MAX_REGION_KEYS, FederationError, b64url
from healthcode.services.shared import lists
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import load_ring, retire_key, rotate_keys
from healthcode.services.shared.lists import ensure_list_key, federate_region, signed_trust_list
from healthcode.store.uow import UnitOfWork
from tests.domain.tokens import foreign_factory as ff

pytestmark = pytest.mark.usefixtures("signing_key")


def region(code: str, *prefixes: str) -> dict[str, Any]:
    return {"code": code, "name": f"地区{code}", "prefixes": list(prefixes), "colour": None}


def key(code: str, now: datetime, kid: bytes | None = None) -> dict[str, Any]:
    entry = ff.ed25519_issuer(code, "", now - timedelta(days=1)).entry
    return entry | {"kid": b64url(kid or code.encode())}


def federate(uow: UnitOfWork, env: Env, document: dict[str, Any]) -> int:
    now = env.clock.now()
    ensure_list_key(uow, env.protector, now=now)
    return federate_region(uow, env.protector, env.settings, document=document, now=now)


@pytest.fixture
def hubei(uow: UnitOfWork, env: Env) -> dict[str, Any]:
    document = {"region": region("420000", "CNHB1:"), "keys": [key("420000", env.clock.now())]}
    federate(uow, env, document)
    return document


@pytest.mark.parametrize(
    ("prefixes", "named"),
    [
        (("CNGX1:", "CNHC1:"), "region.prefixes[1]: CNHC1: is the prefix of our region"),
        (("CNHC2:",), "region.prefixes[0]: CNHC2: is the prefix of our region"),
        (("CNHB1:",), "region.prefixes[0]: CNHB1: is the prefix of region 420000"),
        (("CNGX1:", "CNGX1:"), "region.prefixes: a prefix is given twice"),
    ],
)
def test_a_prefix_held_elsewhere_is_refused(
    uow: UnitOfWork, env: Env, hubei: dict[str, Any], prefixes: tuple[str, ...], named: str
) -> None:
    document = {"region": region("450000", *prefixes), "keys": [key("450000", env.clock.now())]}
    with pytest.raises(FederationError) as refused:
        federate(uow, env, document)
    assert str(refused.value) == named


def test_a_key_id_held_elsewhere_is_refused(
    uow: UnitOfWork, env: Env, hubei: dict[str, Any]
) -> None:
    now = env.clock.now()
    [ours] = load_ring(uow, env.protector).published(now)
    cases = [
        ([key("460000", now, ours.kid)], "is a key of our region"),
        ([key("460000", now, b"420000")], "is a key of region 420000"),
        ([key("460000", now, b"k"), key("460000", now, b"k")], "is a key of this file"),
    ]
    for keys, named in cases:
        with pytest.raises(FederationError, match=named):
            federate(uow, env, {"region": region("460000", "CNHI1:"), "keys": keys})


def test_every_key_id_we_ever_had_is_refused(uow: UnitOfWork, env: Env) -> None:
    """Until stop 44 only the published code keys were: a foreign key could take our
    list key's kid, or a retired code key's, whose paper passes then read unknown_key."""
    now = env.clock.now()
    ensure_list_key(uow, env.protector, now=now)
    [retired] = load_ring(uow, env.protector).published(now)
    rotate_keys(uow, env.protector, env.keys, now=now, publish_ahead=timedelta(0))
    retire_key(uow, env.protector, env.keys, kid=retired.kid, now=now)
    [list_key] = lists.list_keys(uow, env.protector, now=now)
    for kid in (retired.kid, list_key.kid):
        document = {"region": region("460000", "CNHI1:"), "keys": [key("460000", now, kid)]}
        with pytest.raises(FederationError, match=f"{b64url(kid)} is a key of our region"):
            federate(uow, env, document)


def test_a_region_imported_again_keeps_its_own_prefixes_and_keys(
    uow: UnitOfWork, env: Env, hubei: dict[str, Any]
) -> None:
    before = signed_trust_list(uow, env.protector, env.settings, now=env.clock.now()).version
    hubei["region"]["name"] = "湖北"
    assert federate(uow, env, hubei) == before + 1


def test_more_keys_than_a_region_may_publish(uow: UnitOfWork, env: Env) -> None:
    now = env.clock.now()
    keys = [key("450000", now, f"k{i}".encode()) for i in range(MAX_REGION_KEYS + 1)]
    with pytest.raises(FederationError, match=f"1 to {MAX_REGION_KEYS} keys"):
        federate(uow, env, {"region": region("450000", "CNGX1:"), "keys": keys})


def test_a_list_scanners_would_refuse_is_not_published(
    uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lists, "MAX_LIST_CHARS", 2_000)
    keys = [key("450000", env.clock.now(), f"k{i}".encode()) for i in range(10)]
    with pytest.raises(FederationError, match="over the 2,000 a scanner takes"):
        federate(uow, env, {"region": region("450000", "CNGX1:"), "keys": keys})
