"""The root `healthcode` command, its groups, and what every command shares."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from enum import StrEnum
from typing import Annotated, TypeVar

import typer

from healthcode.config import Settings
from healthcode.domain.clock import TZ, Clock, SystemClock
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.i18n import set_language, translate
from healthcode.jobs.processes import units_of
from healthcode.services.accounts.permissions import Role
from healthcode.services.codes import colour_cache
from healthcode.services.shared.env import Env, make_env
from healthcode.store.uow import UnitOfWorkFactory

app = typer.Typer(no_args_is_help=True, help="Health code platform (健康码 / 电子健康通行卡).")
db_app = typer.Typer(no_args_is_help=True, help="The database.")
keys_app = typer.Typer(no_args_is_help=True, help="Code-signing keys and the trust list.")
jobs_app = typer.Typer(no_args_is_help=True, help="Scheduled jobs, run by hand.")
staff_app = typer.Typer(no_args_is_help=True, help="Staff accounts.")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.add_typer(staff_app, name="staff")


def context(clock: Clock | None = None, *, policies: bool = True) -> tuple[UnitOfWorkFactory, Env]:
    """The database and the environment, once the secret key is known to match and
    (unless ``policies`` is False) the policy files to say what their versions said."""
    settings = Settings()
    units = units_of(settings)
    env = make_env(settings, clock or SystemClock())
    _check_start(units, env, policies)
    env.announce = colour_cache.tell_servers(units)  # the servers' caches are elsewhere
    return units, env


def _check_start(units: UnitOfWorkFactory, env: Env, policies: bool) -> None:
    """Stop with a clear message, not a stream of 500s or codes left under rules
    that changed, when the key is another one or a policy file was edited in place."""
    from healthcode.services.shared.startup import Refused, check_start

    try:
        with units() as uow:
            check_start(uow, env, policies=policies)
    except Refused as error:
        raise fail(error) from None


class Language(StrEnum):
    zh = "zh"
    en = "en"


LanguageOption = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        envvar="HEALTHCODE_LANG",
        help="zh or en (default: HEALTHCODE_LANG, else the locale's LC_ALL/LANG, else zh)",
    ),
]


def speak(lang: Language | None) -> None:
    """Say what follows in ``lang``, else the locale's language if it is English or
    Chinese (LC_ALL, LC_MESSAGES, LANG, as gettext reads them), else Chinese: the
    pages' default."""
    if lang is None:
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            if value := os.environ.get(name, ""):
                lang = next((g for g in Language if value.lower().startswith(g.value)), None)
                break
    set_language((lang or Language.zh).value)


def fail(error: DomainError, *, in_words: bool = False) -> typer.Exit:
    """Print a refusal (every rejected field, if there are several) and exit 1;
    ``in_words``: in the language ``speak`` chose."""
    if in_words:
        lines = (
            [f"{e.field}: {translate(e.message, e.params)}" for e in error.errors]
            if isinstance(error, InvalidInput)
            else [translate(error.message, error.params)]
        )
    else:
        lines = (
            [f"{e.field}: {e.render()}" for e in error.errors]
            if isinstance(error, InvalidInput)
            else [str(error)]
        )
    for line in lines:
        typer.echo(said_error(line) if in_words else f"error: {line}", err=True)
    return typer.Exit(1)


def said_error(line: str) -> str:
    """A refusal's line with its prefix in the language ``speak`` chose (错误：…)."""
    return translate(N_("error: {message}"), {"message": line})


def aware(at: datetime) -> datetime:
    """A time given without a zone is Asia/Shanghai time, as residents read it."""
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at


def roles_text(roles: frozenset[tuple[Role, str]] | tuple[tuple[Role, str], ...]) -> str:
    return ", ".join(sorted(f"{r.value}@{s}" if s else r.value for r, s in roles))


T = TypeVar("T")


def led(result: T | None, job: str) -> T:
    """What a job run under its lease gave; None (another process holds the lease,
    the servers' scheduler or another command): said, and exit status 1."""
    if result is None:
        typer.echo(f"{job} skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    return result


def operator() -> str:
    """Who ran the command, for the audit log: the OS user, else "cli" (a container's
    user id without a name, where ``getpass.getuser`` raises)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
