"""Codes: signing keys and the trust list, verifying a code, the rollover and video jobs."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli.shared import aware, context, fail, jobs_app, keys_app, led
from healthcode.domain.clock import FixedClock, SystemClock, local


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
    list_key: Annotated[
        bool,
        typer.Option(
            "--list",
            help="rotate the list-signing key (signs the trust and revocation lists) instead",
        ),
    ] = False,
) -> None:
    """Add a new signing key, announced ahead (48 hours by default) so offline scanners
    hold it before the first code it signs; older keys keep verifying until retired.
    With --list, the same for the list-signing key (announced in the trust list)."""
    from healthcode.services.shared.keys import rotate_keys
    from healthcode.services.shared.lists import publish_trust_list, rotate_list_key

    units, env = context()
    hours = env.settings.key_publish_ahead_hours if ahead_hours is None else ahead_hours
    now, ahead = env.clock.now(), timedelta(hours=hours)
    with units() as uow:
        if list_key:
            key = rotate_list_key(uow, env.protector, env.settings, now=now, ahead=ahead)
        else:
            key = rotate_keys(uow, env.protector, env.keys, now=now, publish_ahead=ahead)
            publish_trust_list(uow, env.protector, env.settings, now=now)
    kind = "list key" if list_key else "key"
    typer.echo(f"new {kind} {_kid_text(key.kid)} signs from {key.valid_from.isoformat()}")


@keys_app.command("retire")
def keys_retire(
    kid: Annotated[str, typer.Argument(help="the kid as the trust list shows it")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="retire it even though standing paper passes were signed by it: every "
            "scanner then refuses those cards (key_retired)",
        ),
    ] = False,
) -> None:
    """Withdraw a key now: it leaves the trust list, and every server process stops
    signing with it at once and accepting its codes within 2 seconds. Refused while
    standing paper passes were signed by it (reprint them first), unless --force."""
    from healthcode.services.codes.paper_passes import PaperPassesStanding, retire_signing_key

    units, env = context()
    try:
        raw = base64.urlsafe_b64decode(kid + "=" * (-len(kid) % 4))
    except ValueError:
        raise typer.BadParameter(f"{kid!r} is not a key id from the trust list") from None
    try:
        with units() as uow:
            retired = retire_signing_key(uow, env, kid=raw, force=force)
    except KeyError:
        raise typer.BadParameter(f"no key {kid} in the key ring") from None
    except PaperPassesStanding as error:
        refused = fail(error)
        typer.echo("to retire it anyway, and void those cards: --force", err=True)
        raise refused from None
    typer.echo(f"retired {kid}")
    if retired.voided:
        typer.echo(
            f"warning: {retired.voided} standing paper passes signed by it no longer "
            "verify; reprint them",
            err=True,
        )
    now = env.clock.now()
    if not any(key.signs_at(now) for key in retired.ring.keys):
        typer.echo(
            "warning: no key signs now, so no code can be shown; "
            "`keys rotate --ahead-hours 0` adds one that signs at once",
            err=True,
        )


def _kid_text(kid: bytes) -> str:
    """Key ids are shown as in the trust list (base64url, no padding)."""
    return base64.urlsafe_b64encode(kid).rstrip(b"=").decode()


@keys_app.command("export")
def keys_export(
    form: Annotated[
        str,
        typer.Option(
            "--form",
            help="jwks: the plain trust list; signed: the signed trust list (a JWS); "
            "revocations: the signed revocation list; list-keys: the list keys to pin",
        ),
    ] = "jwks",
    since: Annotated[
        int, typer.Option(min=0, help="signed lists: a delta from this version (0: full)")
    ] = 0,
) -> None:
    """Print the trust list (a JWK Set) for offline scanners, or a signed list."""
    from healthcode.domain.tokens.trustlist import to_jwks
    from healthcode.services.shared import lists
    from healthcode.services.shared.keys import trust_list

    if form not in ("jwks", "signed", "revocations", "list-keys"):
        raise typer.BadParameter("--form: jwks, signed, revocations or list-keys")
    units, env = context()
    now = env.clock.now()
    with units() as uow:
        if form == "signed":
            signed = lists.signed_trust_list(uow, env.protector, env.settings, now=now, since=since)
            typer.echo(signed.text)
        elif form == "revocations":
            typer.echo(lists.signed_revocations(uow, env.protector, now=now, since=since).text)
        elif form == "list-keys":
            pinned = to_jwks(lists.list_keys(uow, env.protector, now=now))
            typer.echo(json.dumps(pinned, indent=2))
        else:
            jwks = trust_list(uow, env.protector, env.keys, now)
            typer.echo(json.dumps(jwks, indent=2))


@keys_app.command("federate")
def keys_federate(
    file: Annotated[Path, typer.Argument(help="the region's entry: {region, keys} (JSON)")],
) -> None:
    """Accept another region's codes: import its entry (GB/T 2260 code, token prefixes,
    colour rule) and keys (Ed25519 JWKs or X.509 certificates) into the signed trust
    list (docs/federation.md). Importing the same region again replaces it."""
    from healthcode.domain.tokens.federation import FederationError
    from healthcode.services.shared.lists import federate_region

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise typer.BadParameter(f"cannot read {file}: {error}") from None
    if not isinstance(document, dict):
        raise typer.BadParameter(f"{file}: must be a JSON object {{region, keys}}")
    units, env = context()
    try:
        with units() as uow:
            version = federate_region(
                uow, env.protector, env.settings, document=document, now=env.clock.now()
            )
    except FederationError as error:
        raise typer.BadParameter(f"{file}: {error}") from None
    typer.echo(f"region {document['region']['code']} federated; trust list version {version}")


WORKERS = typer.Option(
    min=1, max=64, help="processes sharing the codes (default HEALTHCODE_BATCH_WORKERS, 1)"
)


@jobs_app.command("rollover")
def jobs_rollover(
    at: Annotated[datetime | None, typer.Option(help="run as of this time (Asia/Shanghai)")] = None,
    workers: Annotated[int | None, WORKERS] = None,
) -> None:
    """Re-evaluate codes whose colour time may have changed; safe to repeat. Takes the
    same lease as the servers' scheduler, so two rollovers never run at once."""
    from healthcode.jobs.rollover import rollover_if_leader

    clock = FixedClock(_catching_up(aware(at))) if at else None
    units, env = context(clock)
    result = led(rollover_if_leader(units, env, workers=workers), "rollover")
    typer.echo(
        f"rollover at {result.at.isoformat()}: {result.checked} checked, "
        f"{result.changed} changed colour ({result.advanced} moved along their states ahead)"
    )


@jobs_app.command("top-up")
def jobs_top_up(workers: Annotated[int | None, WORKERS] = None) -> None:
    """Evaluate now the codes the coming night's rollover would give the engine (their
    states ahead used up), so that it moves them in SQL; safe to repeat. Takes the same
    lease as the servers' daily run (15:30)."""
    from healthcode.jobs.rollover import top_up_if_leader

    units, env = context(None)
    result = led(top_up_if_leader(units, env, workers=workers), "top-up")
    typer.echo(f"top-up: {result.checked} codes given states ahead for the coming night")


def _catching_up(at: datetime) -> datetime:
    """``--at`` replays a rollover missed in the past (after an outage). A future time
    recoloured valid passes as lapsed now, with nothing to recheck them after."""
    if at > SystemClock().now():
        raise typer.BadParameter("must not be later than now", param_hint="--at")
    if local(at).year < EARLIEST_YEAR:
        raise typer.BadParameter(f"must be in {EARLIEST_YEAR} or later", param_hint="--at")
    return at


EARLIEST_YEAR = 2020  # the seeds' year: no code existed before


codes_app = typer.Typer(no_args_is_help=True, help="Residents' codes as a whole.")


@codes_app.command("recolour")
def codes_recolour(
    policy: Annotated[str, typer.Option(help="the policy (code type) whose codes to recolour")],
    everyone: Annotated[
        bool,
        typer.Option(
            "--all", help="every code of the policy, not only those of another policy version"
        ),
    ] = False,
    workers: Annotated[int | None, WORKERS] = None,
) -> None:
    """Apply a policy change: recolour every code of the policy evaluated under another
    version than the one in force, set-wise, each change recorded as a rule change.
    Safe to repeat; one run at a time (a lease per policy). Codes of an older version
    whose recorded text says what the one in force says (a new version for a title, the
    form or the checkpoint's words) take its name without a new evaluation."""
    from healthcode.jobs.lease import if_leader
    from healthcode.jobs.policy_change import policy_change
    from healthcode.services.codes.batches import Recoloured

    units, env = context()
    if policy not in env.policies:
        raise typer.BadParameter(f"no policy {policy!r}; known: {', '.join(env.policies)}")

    def work() -> Recoloured:
        return policy_change(
            units,
            env,
            policy_id=policy,
            everyone=everyone,
            workers=workers or env.settings.batch_workers,
        )

    result = led(if_leader(units, f"recolour:{policy}", work), "recolour")
    ref = env.policies[policy].ref
    typer.echo(f"{ref}: {result.checked} codes recoloured, {result.changed} changed colour")
    if result.relabelled:
        typer.echo(
            f"{ref}: {result.relabelled} codes of an older version with the same rules and "
            "words took its name without a new evaluation"
        )


@jobs_app.command("videos")
def jobs_videos() -> None:
    """Delete temperature videos past their retention and blobs no row refers to; safe
    to repeat. Takes the same lease as the servers' hourly run."""
    from healthcode.jobs.videos import run_if_leader

    units, env = context(None)
    result = led(run_if_leader(units, env), "videos")
    typer.echo(f"videos: {result.expired} expired, {result.swept} orphan blobs swept")
