"""Data sharing out: the daily colour statistics and the colour look-up grants."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli.records import data_app
from healthcode.cli.shared import LanguageOption, context, fail, operator, speak
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.i18n import translate

lookups_app = typer.Typer(
    no_args_is_help=True, help="Which department clients may look up colours."
)
data_app.add_typer(lookups_app, name="lookups")


@data_app.command("export-stats")
def export_stats(
    day: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="the day (Asia/Shanghai) [default: yesterday]"),
    ] = None,
    directory: Annotated[
        Path | None, typer.Option(help="where to write [default: HEALTHCODE_STATS_DIR]")
    ] = None,
    lang: LanguageOption = None,
) -> None:
    """Write a day's colour counts per county (small counts suppressed) as CSV."""
    from healthcode.jobs.sharing import export_stats as run
    from healthcode.services.sharing.statistics import export_statistics

    speak(lang)
    units, env = context()
    try:
        if directory is None:
            path = run(units, env, day=day.date() if day else None)
        else:
            when: date = day.date() if day else run_day(env.clock.now())
            with units.reading() as uow:
                path = export_statistics(uow, env, day=when, directory=directory)
    except DomainError as error:
        raise fail(error, in_words=True) from None
    typer.echo(translate(N_("written: {path}"), {"path": path}))


def run_day(now: datetime) -> date:
    from datetime import timedelta

    from healthcode.domain.clock import day_of

    return day_of(now) - timedelta(days=1)


@lookups_app.command("grant")
def grant(
    client: Annotated[str, typer.Argument(help="the department client's name")],
    lang: LanguageOption = None,
) -> None:
    """Let a department client look up residents' colours by ID number."""
    from healthcode.services.sharing.lookups import grant_lookups

    speak(lang)
    units, env = context()
    try:
        with units() as uow:
            grant_lookups(uow, env, client_name=client, by=operator())
    except DomainError as error:
        raise fail(error, in_words=True) from None
    typer.echo(translate(N_("{client} may look up colours"), {"client": client}))


@lookups_app.command("revoke")
def revoke(
    client: Annotated[str, typer.Argument(help="the department client's name")],
    lang: LanguageOption = None,
) -> None:
    """Stop a department client looking up colours (its key still sends records)."""
    from healthcode.services.sharing.lookups import revoke_lookups

    speak(lang)
    units, env = context()
    try:
        with units() as uow:
            revoke_lookups(uow, env, client_name=client, by=operator())
    except DomainError as error:
        raise fail(error, in_words=True) from None
    typer.echo(translate(N_("{client} may no longer look up colours"), {"client": client}))
