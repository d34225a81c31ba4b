"""`healthcode staff`: staff accounts and their roles."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from healthcode.cli.shared import context, fail, roles_text, staff_app
from healthcode.domain.errors import DomainError
from healthcode.services.accounts.permissions import Role


@staff_app.command("add")
def staff_add(
    username: str,
    role: Annotated[list[Role], typer.Option(help="repeat for several roles")],
    scope: Annotated[
        str,
        typer.Option(
            help="org:<id>, region:<code>, dept:<name> or a venue; empty = everywhere "
            "(an issuer: org:<id> only)"
        ),
    ] = "",
    display_name: Annotated[str, typer.Option(help="the name others see")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for (hidden, twice)."""
    from healthcode.services.organisations.staff_accounts import create_staff_at_console

    password = _password("Password", from_stdin=password_stdin)
    units, env = context()
    try:
        with units() as uow:
            account = create_staff_at_console(
                uow,
                env,
                username=username,
                password=password,
                display_name=display_name or username,
                roles=[(r, scope) for r in role],
            )
    except DomainError as error:
        raise fail(error) from None
    typer.echo(f"created {account.username}: {roles_text(account.roles)}")


@staff_app.command("list")
def staff_list() -> None:
    """Every staff account with its roles; under it, a role that reaches nothing (an
    issuer given for a region before that was refused) and what to do."""
    from healthcode.services.accounts.sessions import summary
    from healthcode.services.organisations.staff_accounts import needs_organisation

    units, _ = context()
    with units() as uow:
        rows = [(a, summary(a, roles)) for a, roles in uow.accounts.staff()]
    for account, shown in rows:
        state = "disabled" if account.disabled_at else "active"
        name, roles = account.username or "", roles_text(shown.roles)
        typer.echo(f"{name:<20} {state:<8} {roles:<40} {shown.display_name}")
        for role, scope in sorted(shown.roles):
            if needs_organisation(role, scope):
                typer.echo(
                    f"  ! {roles_text(((role, scope),))} reaches no pass application: give "
                    "it for the organisation (--scope org:<id>), then take this one away"
                )


@staff_app.command("set-password")
def staff_set_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Set a new password for a staff account (forgotten, or known to someone it should
    not be): asked for (hidden, twice); every session of the account ends, and its
    owner must change the password at the next sign-in."""
    from healthcode.services.accounts.password_change import reset_at_console

    password = _password("New password", from_stdin=password_stdin)
    units, env = context()
    try:
        with units() as uow:
            reset_at_console(uow, env, username=username, password=password)
    except DomainError as error:
        raise fail(error) from None
    typer.echo(
        f"password set for {username}; its sessions have ended, and it must be changed "
        "at the next sign-in"
    )


def _password(prompt: str, *, from_stdin: bool) -> str:
    """One line from stdin (a script), else asked for twice with the input hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    text: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return text
