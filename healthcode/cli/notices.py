"""Notifications: the reminders and the outbox drain, by hand or from cron."""

from __future__ import annotations

import typer

from healthcode.cli.shared import context, jobs_app


@jobs_app.command("reminders")
def jobs_reminders() -> None:
    """Send the due reminders (pass about to lapse, report due); each goes once."""
    from healthcode.jobs.notices import remind_if_leader

    units, env = context(None)
    result = remind_if_leader(units, env)
    if result is None:
        typer.echo("reminders skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    typer.echo(f"reminders: {result.lapsing} pass lapsing, {result.report_due} report due")


@jobs_app.command("outbox")
def jobs_outbox() -> None:
    """Hand the outbox's due messages to the outbound channel."""
    from healthcode.jobs.notices import drain_if_leader

    units, env = context(None)
    result = drain_if_leader(units, env)
    if result is None:
        typer.echo("outbox skipped: another process holds the lease; try again later")
        raise typer.Exit(1)
    typer.echo(f"outbox: {result.sent} sent, {result.failed} failed")
