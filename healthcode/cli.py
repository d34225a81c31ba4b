"""The one command-line entry point: `healthcode …` (or `python -m healthcode …`)."""

from __future__ import annotations

import base64
import json
import sys
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from healthcode.config import Settings
from healthcode.domain.clock import TZ, Clock, FixedClock, SystemClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.logs import configure_logging, quiet_logs
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env, make_env
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from healthcode.demo.load import DemoSummary

app = typer.Typer(no_args_is_help=True, help="Health code platform (健康码 / 电子健康通行卡).")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
keys_app = typer.Typer(no_args_is_help=True, help="Code-signing keys and the trust list.")
jobs_app = typer.Typer(no_args_is_help=True, help="Scheduled jobs, run by hand.")
staff_app = typer.Typer(no_args_is_help=True, help="Staff accounts.")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(staff_app, name="staff")


def _context(clock: Clock | None = None) -> tuple[UnitOfWorkFactory, Env]:
    """The database and the environment, once the secret key is known to match."""
    settings = Settings()
    units = UnitOfWorkFactory(session_factory(make_engine(settings.database_url)))
    env = make_env(settings, clock or SystemClock())
    _check_key(units, env)
    return units, env


def _check_key(units: UnitOfWorkFactory, env: Env) -> None:
    """Stop with a clear message, not a stream of 500s, when the key is another one."""
    from healthcode.services.shared.keycheck import SecretKeyMismatch, check_secret_key

    try:
        with units() as uow:
            check_secret_key(uow, env.protector, now=env.clock.now())
    except SecretKeyMismatch as error:
        raise _fail(error) from None


def _fail(error: DomainError) -> typer.Exit:
    """Print a refusal (every rejected field, if there are several) and exit 1."""
    lines = (
        [f"{e.field}: {e.render()}" for e in error.errors]
        if isinstance(error, InvalidInput)
        else [str(error)]
    )
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(1)


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

    _context()  # refuses to start with a secret key the database was not written with

    uvicorn.run(
        "healthcode.app:create_app",
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
    from healthcode.services.shared.keys import ensure_signing_key

    settings = Settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    units, env = _context()  # the first upgrade writes the key check value
    with units() as uow:
        created = ensure_signing_key(uow, env.protector, now=env.clock.now())
    typer.echo(
        f"database at {engine.url.render_as_string(hide_password=True)} is up to date"
        + ("; created the first signing key" if created else "")
    )


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

    units, env = _context()
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

    units, env = _context()
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

    units, env = _context()
    with units() as uow:
        jwks = trust_list(uow, env.protector, env.keys, env.clock.now())
    typer.echo(json.dumps(jwks, indent=2))


@app.command()
def verify(token: str) -> None:
    """Verify a code's text as a QR reader prints it (surrounding whitespace is ignored)
    and print the result as JSON.

    Exit codes: 0 valid and the holder may pass (green); 1 valid but the holder may not
    pass (yellow, red or pending); 2 refused (the reason is printed).
    """
    from healthcode.services.codes.health_codes import verify_code

    units, env = _context()
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

    clock = FixedClock(_aware(at)) if at else None
    units, env = _context(clock)
    result = rollover_if_leader(units, env)
    if result is None:
        typer.echo("rollover skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    typer.echo(
        f"rollover at {result.at.isoformat()}: {result.checked} checked, "
        f"{result.changed} changed colour"
    )


@app.command()
def demo(
    residents: Annotated[int, typer.Option(help="how many residents (30 or more)")] = 300,
    seed: Annotated[int, typer.Option(help="the same seed loads the same people")] = 2020,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing if the database has residents")
    ] = False,
) -> None:
    """Load a demo region (Binzhou and Jinan) with residents in every colour."""
    from healthcode.demo.load import DemoNotEmpty, load_demo

    settings = Settings()
    units, _ = _context()
    started = time.perf_counter()
    try:
        with quiet_logs():
            summary = load_demo(
                units, lambda clock: make_env(settings, clock), residents=residents, seed=seed
            )
    except DemoNotEmpty as error:
        if if_empty:
            typer.echo(f"demo skipped: the database already has {error.params['count']} residents")
            return
        raise _fail(error) from None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--residents") from None
    _print_demo(summary, time.perf_counter() - started)


def _print_demo(summary: DemoSummary, seconds: float) -> None:
    say = typer.echo
    say(
        f"Loaded the demo region in {seconds:.1f} s: {summary.residents} residents, "
        f"their last three weeks up to {summary.today.isoformat()} (Asia/Shanghai).\n"
    )
    for policy, counts in summary.colours.items():
        shown = " · ".join(f"{c} {n}" for c, n in sorted(counts.items(), key=_severity))
        say(f"  {policy:<15} {shown}")
    say("\nStaff (demo passwords: for this demo only, never for real data):")
    for login in summary.staff:
        roles = _roles(login.roles)
        password = login.password or "(existed already; password unchanged)"
        say(f"  {login.username:<16} {password:<22} {roles}")
    say(
        "\nResidents to try: sign in with the phone number; the development SMS code "
        "is printed in the server log."
    )
    for policy, by_colour in summary.phones.items():
        say(f"  {policy}")
        for colour, phones in sorted(by_colour.items(), key=_severity):
            say(f"    {colour:<8} {'  '.join(phones)}")
    say("\nOne resident per story:")
    for story in summary.stories:
        say(f"  {story.phone}  {story.policy:<14} {story.label}")


def _severity(item: tuple[str, object]) -> int:
    return Colour(item[0]).severity


@staff_app.command("add")
def staff_add(
    username: str,
    role: Annotated[list[Role], typer.Option(help="repeat for several roles")],
    scope: Annotated[str, typer.Option(help="organisation or venue; empty = everywhere")] = "",
    display_name: Annotated[str, typer.Option(help="the name others see")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for (hidden, twice)."""
    from healthcode.services.accounts.login import create_staff

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    units, env = _context()
    try:
        with units() as uow:
            account = create_staff(
                uow,
                env,
                username=username,
                password=password,
                display_name=display_name or username,
                roles=[(r, scope) for r in role],
            )
    except DomainError as error:
        raise _fail(error) from None
    typer.echo(f"created {account.username}: {_roles(account.roles)}")


@staff_app.command("list")
def staff_list() -> None:
    """Every staff account with its roles."""
    from healthcode.services.accounts.sessions import summary

    units, _ = _context()
    with units() as uow:
        rows = [(a, summary(a, roles)) for a, roles in uow.accounts.staff()]
    for account, shown in rows:
        state = "disabled" if account.disabled_at else "active"
        name, roles = account.username or "", _roles(shown.roles)
        typer.echo(f"{name:<20} {state:<8} {roles:<40} {shown.display_name}")


def _roles(roles: frozenset[tuple[Role, str]] | tuple[tuple[Role, str], ...]) -> str:
    return ", ".join(sorted(f"{r.value}@{s}" if s else r.value for r, s in roles))


def main() -> None:
    configure_logging(json=Settings().log_json)
    app(prog_name="healthcode")
