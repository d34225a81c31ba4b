"""The one command-line entry point: `healthcode …` (or `python -m healthcode …`)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated

import typer

from healthcode.config import Settings
from healthcode.domain.clock import TZ, Clock, FixedClock, SystemClock
from healthcode.services.env import Env, make_env
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

app = typer.Typer(no_args_is_help=True, help="Health code platform (健康码 / 电子健康通行卡).")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
keys_app = typer.Typer(no_args_is_help=True, help="Code-signing keys and the trust list.")
jobs_app = typer.Typer(no_args_is_help=True, help="Scheduled jobs, run by hand.")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")


def _context(clock: Clock | None = None) -> tuple[UnitOfWorkFactory, Env]:
    settings = Settings()
    units = UnitOfWorkFactory(session_factory(make_engine(settings.database_url)))
    return units, make_env(settings, clock or SystemClock())


def _aware(at: datetime) -> datetime:
    """A time given without a zone is Asia/Shanghai time, as residents read it."""
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    proxy: Annotated[str, typer.Option(help="trusted proxy addresses for X-Forwarded-*")] = "",
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    uvicorn.run(
        "healthcode.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(proxy),
        forwarded_allow_ips=proxy or None,
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema, and the first signing key."""
    from healthcode.services.keys import ensure_signing_key

    settings = Settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    units, env = _context()
    with units() as uow:
        created = ensure_signing_key(uow, env.protector, now=env.clock.now())
    typer.echo(
        f"database at {engine.url.render_as_string(hide_password=True)} is up to date"
        + ("; created the first signing key" if created else "")
    )


@keys_app.command("rotate")
def keys_rotate(
    ahead_hours: Annotated[float, typer.Option(help="publish this long before signing")] = 0,
) -> None:
    """Add a new signing key; older keys keep verifying until retired."""
    from healthcode.services.keys import rotate_keys

    units, env = _context()
    with units() as uow:
        key = rotate_keys(
            uow,
            env.protector,
            env.keys,
            now=env.clock.now(),
            publish_ahead=timedelta(hours=ahead_hours),
        )
    typer.echo(f"new key {_kid_text(key.kid)} signs from {key.valid_from.isoformat()}")


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[str, typer.Argument(help="the kid as the trust list shows it")],
) -> None:
    """Withdraw a key now: it signs and verifies nothing from now on."""
    from healthcode.services.keys import retire_key

    units, env = _context()
    try:
        raw = base64.urlsafe_b64decode(kid + "=" * (-len(kid) % 4))
    except ValueError:
        raise typer.BadParameter(f"{kid!r} is not a key id from the trust list") from None
    with units() as uow:
        try:
            retire_key(uow, env.protector, env.keys, kid=raw, now=env.clock.now())
        except KeyError:
            raise typer.BadParameter(f"no key {kid} in the key ring") from None
    typer.echo(f"retired {kid}")


def _kid_text(kid: bytes) -> str:
    """Key ids are shown as in the trust list (base64url, no padding)."""
    return base64.urlsafe_b64encode(kid).rstrip(b"=").decode()


@keys_app.command("export")
def keys_export() -> None:
    """Print the trust list (a JWK Set) for offline scanners."""
    from healthcode.services.keys import trust_list

    units, env = _context()
    with units() as uow:
        jwks = trust_list(uow, env.protector, env.keys, env.clock.now())
    typer.echo(json.dumps(jwks, indent=2))


@app.command()
def verify(token: str) -> None:
    """Verify a code's text; prints the result as JSON, exits 0 only when valid."""
    from healthcode.services.codes import verify_code

    units, env = _context()
    with units() as uow:
        result = verify_code(uow, env, text=token.strip())
    claims = result.claims
    typer.echo(
        json.dumps(
            {
                "valid": result.ok,
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
    raise typer.Exit(0 if result.ok else 1)


@jobs_app.command("rollover")
def jobs_rollover(
    at: Annotated[datetime | None, typer.Option(help="run as of this time (Asia/Shanghai)")] = None,
) -> None:
    """Re-evaluate codes whose colour time may have changed; safe to repeat."""
    from healthcode.jobs.rollover import rollover

    clock = FixedClock(_aware(at)) if at else None
    units, env = _context(clock)
    result = rollover(units, env)
    typer.echo(
        f"rollover at {result.at.isoformat()}: {result.checked} checked, "
        f"{result.changed} changed colour"
    )


def main() -> None:
    app(prog_name="healthcode")
