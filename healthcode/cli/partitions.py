"""`healthcode jobs partitions|retention`: the scans' and daily reports' monthly
partitions made ahead, and those past retention dropped (docs/deployment.md)."""

from __future__ import annotations

import typer

from healthcode.cli.shared import context, jobs_app, led


@jobs_app.command("partitions")
def jobs_partitions() -> None:
    """Make the monthly partitions of scans and daily reports up to
    HEALTHCODE_PARTITION_MONTHS_AHEAD months ahead (PostgreSQL; nothing on SQLite)."""
    from healthcode.jobs.partitions import make_partitions_if_leader

    units, env = context(None)
    made = led(make_partitions_if_leader(units, env), "partitions")
    typer.echo(f"partitions: {len(made)} made" + (f" ({', '.join(made)})" if made else ""))


@jobs_app.command("retention")
def jobs_retention() -> None:
    """Drop the scans and daily reports of every month that ended more than
    HEALTHCODE_RETENTION_DAYS ago (whole partitions on PostgreSQL)."""
    from healthcode.jobs.partitions import retire_if_leader

    units, env = context(None)
    retired = led(retire_if_leader(units, env), "retention")
    typer.echo(
        f"retention: before {retired.before.isoformat()}, {len(retired.dropped)} partitions "
        f"dropped, {retired.deleted} rows deleted"
    )
