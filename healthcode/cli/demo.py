"""`healthcode demo`: load a demo region with residents in every colour."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from healthcode.cli.shared import context, fail, roles_text
from healthcode.config import Settings
from healthcode.domain.colour import Colour
from healthcode.logs import quiet_logs
from healthcode.services.shared.env import make_env

STORY_LIMIT = 5000  # beyond this, living every story through the services takes too long

if TYPE_CHECKING:
    from healthcode.demo.load import DemoSummary


def demo(
    residents: Annotated[int, typer.Option(help="how many residents (30 or more)")] = 300,
    seed: Annotated[int, typer.Option(help="the same seed loads the same people")] = 2020,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing if the database has residents")
    ] = False,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--stories",
            help="generate the residents with COPY (default above "
            f"{STORY_LIMIT}) or live their stories through the services",
        ),
    ] = None,
) -> None:
    """Load a demo region (Binzhou and Jinan) with residents in every colour."""
    from healthcode.demo.load import DemoNotEmpty, load_demo

    if bulk or (bulk is None and residents > STORY_LIMIT):
        _generate(residents, seed, if_empty=if_empty)
        return
    settings = Settings()
    units, _ = context()
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
        raise fail(error) from None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--residents") from None
    _print_demo(summary, time.perf_counter() - started)


def _generate(residents: int, seed: int, *, if_empty: bool) -> None:
    """A large population written with COPY (healthcode/demo/population.py)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from healthcode.demo.load import DemoNotEmpty
    from healthcode.demo.population import generate_population, refuse_if_not_empty

    units, env = context()
    started = time.perf_counter()
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True) as bar, units() as uow:
            refuse_if_not_empty(uow)
            task = bar.add_task("residents", total=residents)
            summary = generate_population(
                uow,
                env,
                residents=residents,
                seed=seed,
                progress=lambda done: bar.update(task, completed=done),
            )
    except DemoNotEmpty as error:
        if if_empty:
            typer.echo(f"demo skipped: the database already has {error.params['count']} residents")
            return
        raise fail(error) from None
    seconds = time.perf_counter() - started
    typer.echo(
        f"Generated {summary.residents} residents in {seconds:.1f} s "
        f"({summary.residents / seconds:,.0f}/s), {sum(summary.rows.values()):,} rows:"
    )
    for table, count in summary.rows.items():
        typer.echo(f"  {table:<15} {count:>12,}")
    shown = " · ".join(f"{c} {n:,}" for c, n in sorted(summary.colours.items(), key=_severity))
    typer.echo(f"  binzhou-code    {shown}")


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
        roles = roles_text(login.roles)
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
