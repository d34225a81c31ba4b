"""Scanning at a gate (issue 12 item 13).

``scans.online.<db>``: ``POST /api/v1/venues/{id}/scans`` per second through uvicorn
(one worker) on SQLite and on PostgreSQL, each one an operator's session checked, the
venue's scope checked, a display token verified (prefix, base45, zlib, COSE, Ed25519,
claims, expiry, revocation), its resident resolved, the anti-fraud flags looked up and
the scan recorded. The baseline is the bare ``GET /api/v1/health`` of the same app,
timed by the same clients in the same interleaved rounds (as ``bench_http``). Target:
at least 0.25.

``scans.foreign.<db>``: the same endpoint scanning another region's code (a federated
Hubei entry, ECDSA P-256 certificate: the region found by prefix among the imported
ones, its key parsed, the signature and validity checked, the claims kept as sent),
against the same baseline and target.

``scans.offline``: what an offline scanner does per code in Python: ``verify_any`` on
a display token (the prefix dispatch, then every layer), against raw Ed25519 over the
same Sig_structure and signature. Target: at least 0.8.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from bench import http_server as hs
from bench.bench_tokens import typical_claims
from bench.core import Benchmark, Result, Settings, rates
from bench.load import Health, Load, PostJson, split
from healthcode.domain.clock import SystemClock
from healthcode.domain.scope import region_scope
from healthcode.domain.tokens import KeyRing, Purpose, TrustStore, issue_token, verify_any
from healthcode.domain.tokens.codec import decode_text, parse_sign1
from healthcode.logs import quiet_logs
from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.codes.health_codes import display_code
from healthcode.services.organisations.registry import (
    OrganisationKind,
    OrganisationStatus,
    register,
)
from healthcode.services.scanning import venues
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.lists import ensure_list_key, federate_region
from healthcode.store import tables as t
from healthcode.store.db import make_engine, session_factory
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

CLIENTS = 4
RESIDENTS = 200  # whose on-screen codes are scanned in rotation
PER_BURST = {"health": 32, "scan": 8}
ONLINE_TARGET = 0.25
OFFLINE_TARGET = 0.8
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CREDIT_CODE = "593716020000000008"  # GB 32100: a community's (5, 9), in 371602


def run(settings: Settings) -> list[Result]:
    return _online(settings) + _offline(settings)


# --- online ---------------------------------------------------------------------------


def _online(settings: Settings) -> list[Result]:
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scan-")))
        load = stack.enter_context(Load(CLIENTS))
        bursts: dict[str, Callable[[], None]] = {}
        databases = [("sqlite", hs.sqlite_url(directory))]
        postgresql = stack.enter_context(hs.postgresql_url())
        if postgresql is not None:
            databases.append(("postgresql", postgresql))
        for backend, url in databases:
            hs.progress(f"{backend}: preparing {RESIDENTS} residents, a venue and its guard")
            hs.prepare(url, declared=RESIDENTS, fresh=0)
            guard, path, bodies, foreign = gate(url)
            server = stack.enter_context(hs.serve(backend, url, directory))
            if backend == "sqlite":
                bare = [Health(server.port)] * CLIENTS
                bursts["health"] = load.add("health", bare, PER_BURST["health"])
            jobs = [PostJson(server.port, path, guard, share) for share in split(bodies, CLIENTS)]
            bursts[backend] = load.add(f"scan.{backend}", jobs, PER_BURST["scan"])
            jobs = [PostJson(server.port, path, guard, share) for share in split(foreign, CLIENTS)]
            bursts[f"foreign.{backend}"] = load.add(f"foreign.{backend}", jobs, PER_BURST["scan"])
        hs.progress(f"timing {', '.join(bursts)}: {settings.rounds} rounds")
        measured = rates(bursts, settings)
    per_second = {
        name: value * CLIENTS * PER_BURST["health" if name == "health" else "scan"]
        for name, value in measured.items()
    }
    health = per_second.pop("health")
    return [Result("scans.health", health, "req/s")] + [
        Result(
            f"scans.{name}" if name.startswith("foreign.") else f"scans.online.{name}",
            value,
            "scans/s",
            baseline=health,
            target=ONLINE_TARGET,
        )
        for name, value in per_second.items()
    ]


def gate(url: str, guards: int = 1) -> tuple[str, str, tuple[bytes, ...], tuple[bytes, ...]]:
    """A community's checkpoint and its ``guards``, signed in; the residents' on-screen
    codes (made to live ten minutes, the longest a deployment may set, so none expires
    during the run) and as many Hubei codes (living an hour). (the guards' session
    tokens, space-separated; scan path; request bodies; foreign request bodies)"""
    settings = hs.bench_settings(url).model_copy(update={"display_token_seconds": 600})
    env = make_env(settings, SystemClock())
    engine = make_engine(url)
    units = UnitOfWorkFactory(session_factory(engine))
    try:
        with quiet_logs(), units() as uow:
            community = register(
                uow, env, kind=OrganisationKind.COMMUNITY, credit_code=CREDIT_CODE,
                name="黄河五路社区居民委员会", responsible_person="王秀兰", region_code=hs.REGION,
                address="黄河五路 1 号", parent_id=None, status=OrganisationStatus.ACTIVE,
            )  # fmt: skip
            admin = login.create_staff(
                uow, env, username="bench.admin", password="bench-admin-password-1",
                display_name="区管理员", roles=[(Role.ADMIN, region_scope(hs.REGION))],
            )  # fmt: skip
            who = principal_of(uow, account_id=admin.id)
            gate = venues.register_venue(
                uow, env, who, organisation_id=community.id, kind=venues.VenueKind.CHECKPOINT,
                name="黄河五路卡口",
            )  # fmt: skip
            for n in range(guards):
                venues.create_operator(
                    uow, env, who, venue_id=gate.id, username=f"bench.guard{n or ''}",
                    password="bench-guard-password-1", display_name="门岗",
                )  # fmt: skip
            foreign = _federated_codes(uow, env, RESIDENTS)
            residents = list(uow.session.scalars(select(t.Resident.id).limit(RESIDENTS)))
            tokens = [
                display_code(uow, env, resident_id=r, policy_id=hs.POLICY).token for r in residents
            ]
        with quiet_logs(), units() as uow:
            guard = " ".join(
                login.staff_login(
                    uow, env, username=f"bench.guard{n or ''}", password="bench-guard-password-1",
                    client="bench", user_agent="bench",
                ).token
                for n in range(guards)
            )  # fmt: skip
    finally:
        engine.dispose()
    bodies = tuple(json.dumps({"token": token}).encode() for token in tokens)
    others = tuple(json.dumps({"token": token}).encode() for token in foreign)
    return guard, f"/api/v1/venues/{gate.id}/scans", bodies, others


def _federated_codes(uow: UnitOfWork, env: Env, count: int) -> list[str]:
    """Hubei federated (a P-256 document-signer certificate) and ``count`` of its
    codes, each another holder's, signed now and living an hour."""
    from tests.domain.tokens import foreign_factory as ff

    now = env.clock.now()
    hubei = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
    ensure_list_key(uow, env.protector, now=now)
    document = {"region": ff.HUBEI, "keys": [hubei.entry]}
    federate_region(uow, env.protector, env.settings, document=document, now=now)
    codes = []
    for number in range(count):
        claims = ff.foreign_claims(now, colour=0)
        claims[7] = number.to_bytes(16, "big")  # its own token id
        codes.append(hubei.sign(claims))
    return codes


# --- offline --------------------------------------------------------------------------


def _offline(settings: Settings) -> list[Result]:
    ring = KeyRing.new(NOW)
    key = ring.signer(NOW)
    trust = TrustStore(ring.trusted(NOW))
    text = issue_token(typical_claims(), key)
    sign1 = parse_sign1(decode_text(text))
    signed, signature = sign1.to_be_signed(), sign1.signature
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    purposes = (Purpose.DISPLAY, Purpose.PAPER, Purpose.DEVICE)
    at = NOW + timedelta(seconds=10)
    if not verify_any(text, trust=trust, now=at, purposes=purposes).ok:
        raise RuntimeError("the benchmark token does not verify")
    measured = rates(
        {
            "verify_any": lambda: verify_any(text, trust=trust, now=at, purposes=purposes),
            "raw": lambda: public.verify(signature, signed),
        },
        settings,
    )
    return [
        Result(
            "scans.offline",
            measured["verify_any"],
            "codes/s",
            baseline=measured["raw"],
            target=OFFLINE_TARGET,
        )
    ]


BENCHMARK = Benchmark(
    "scans",
    "online scans (verify + record; ours and another region's) on SQLite and PostgreSQL vs "
    "GET /health; offline verify_any",
    run,
)
