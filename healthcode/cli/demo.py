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

if TYPE_CHECKING:
    from healthcode.demo.load import DemoSummary


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
