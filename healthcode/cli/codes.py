"""Codes: signing keys and the trust list, verifying a code, the rollover and video jobs."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated

import typer

from healthcode.cli.shared import aware, context, jobs_app, keys_app
from healthcode.domain.clock import FixedClock


@keys_app.command("rotate")
def keys_rotate(
    ahead_hours: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="list the new key in the trust list this many hours before it signs "
            "[default: HEALTHCODE_KEY_PUBLISH_AHEAD_HOURS, 48]; 0 signs with it at once",
        ),
    ] = None,
) -> None:
    """Add a new signing key, announced ahead (48 hours by default) so offline scanners
    hold it before the first code it signs; older keys keep verifying until retired."""
    from healthcode.services.shared.keys import rotate_keys

    units, env = context()
    hours = env.settings.key_publish_ahead_hours if ahead_hours is None else ahead_hours
    with units() as uow:
        key = rotate_keys(
            uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=timedelta(hours=hours)
        )
    typer.echo(f"new key {_kid_text(key.kid)} signs from {key.valid_from.isoformat()}")


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[str, typer.Argument(help="the kid as the trust list shows it")],
) -> None:
    """Withdraw a key now: it leaves the trust list, and every server process stops
    signing with it at once and accepting its codes within 2 seconds."""
    from healthcode.services.shared.keys import retire_key

    units, env = context()
    try:
        raw = base64.urlsafe_b64decode(kid + "=" * (-len(kid) % 4))
    except ValueError:
        raise typer.BadParameter(f"{kid!r} is not a key id from the trust list") from None
    now = env.clock.now()
    with units() as uow:
        try:
            ring = retire_key(uow, env.protector, env.keys, kid=raw, now=now)
        except KeyError:
            raise typer.BadParameter(f"no key {kid} in the key ring") from None
    typer.echo(f"retired {kid}")
    if not any(key.signs_at(now) for key in ring.keys):
        typer.echo(
            "warning: no key signs now, so no code can be shown; "
            "`keys rotate --ahead-hours 0` adds one that signs at once",
            err=True,
        )


def _kid_text(kid: bytes) -> str:
    """Key ids are shown as in the trust list (base64url, no padding)."""
    return base64.urlsafe_b64encode(kid).rstrip(b"=").decode()


@keys_app.command("export")
def keys_export() -> None:
    """Print the trust list (a JWK Set) for offline scanners."""
    from healthcode.services.shared.keys import trust_list

    units, env = context()
    with units() as uow:
        jwks = trust_list(uow, env.protector, env.keys, env.clock.now())
    typer.echo(json.dumps(jwks, indent=2))


def verify(token: str) -> None:
    """Verify a code's text as a QR reader prints it (surrounding whitespace is ignored)
    and print the result as JSON.

    Exit codes: 0 valid and the holder may pass (green); 1 valid but the holder may not
    pass (yellow, red or pending); 2 refused (the reason is printed).
    """
    from healthcode.services.codes.health_codes import verify_code

    units, env = context()
    with units() as uow:
        result = verify_code(uow, env, text=token)
    claims = result.claims
    typer.echo(
        json.dumps(
            {
                "valid": result.ok,
                "may_pass": result.may_pass,
                "reason": result.reason.value if result.reason else None,
                "message": result.message,
                "claims": None
                if claims is None
                else {
                    "colour": claims.colour.value,
                    "policy": claims.policy,
                    "masked_name": claims.masked_name,
                    "masked_id": claims.masked_id,
                    "purpose": claims.purpose.value,
                    "issued_at": claims.issued_at.isoformat(),
                    "expires_at": claims.expires_at.isoformat(),
                    "pass_valid_until": claims.pass_valid_until.isoformat()
                    if claims.pass_valid_until
                    else None,
                },
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    raise typer.Exit(0 if result.may_pass else 1 if result.ok else 2)


@jobs_app.command("rollover")
def jobs_rollover(
    at: Annotated[datetime | None, typer.Option(help="run as of this time (Asia/Shanghai)")] = None,
) -> None:
    """Re-evaluate codes whose colour time may have changed; safe to repeat. Takes the
    same lease as the servers' scheduler, so two rollovers never run at once."""
    from healthcode.jobs.rollover import rollover_if_leader

    clock = FixedClock(aware(at)) if at else None
    units, env = context(clock)
    result = rollover_if_leader(units, env)
    if result is None:
        typer.echo("rollover skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    typer.echo(
        f"rollover at {result.at.isoformat()}: {result.checked} checked, "
        f"{result.changed} changed colour"
    )


@jobs_app.command("videos")
def jobs_videos() -> None:
    """Delete temperature videos past their retention and blobs no row refers to; safe
    to repeat. Takes the same lease as the servers' hourly run."""
    from healthcode.jobs.videos import run_if_leader

    units, env = context(None)
    result = run_if_leader(units, env)
    if result is None:
        typer.echo("videos skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    typer.echo(f"videos: {result.expired} expired, {result.swept} orphan blobs swept")
