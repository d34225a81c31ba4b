"""Notifications: the reminders and the outbox drain, by hand or from cron."""

from __future__ import annotations

import typer

from healthcode.cli.shared import context, jobs_app, led


@jobs_app.command("reminders")
def jobs_reminders() -> None:
    """Send the due reminders (pass about to lapse, report due); each goes once."""
    from healthcode.jobs.notices import remind_if_leader

    units, env = context(None)
    result = led(remind_if_leader(units, env), "reminders")
    typer.echo(f"reminders: {result.lapsing} pass lapsing, {result.report_due} report due")


@jobs_app.command("outbox")
def jobs_outbox() -> None:
    """Hand the outbox's due messages to the outbound channel."""
    from healthcode.jobs.notices import drain_if_leader

    units, env = context(None)
    result = led(drain_if_leader(units, env), "outbox")
    typer.echo(f"outbox: {result.sent} sent, {result.failed} failed")
