"""Department records by hand: `healthcode data import | rollback | batches | clients add`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from healthcode.cli.shared import context, fail
from healthcode.domain.errors import DomainError
from healthcode.domain.records import Department, ImportKind
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory

data_app = typer.Typer(no_args_is_help=True, help="Department records: imports and clients.")
clients_app = typer.Typer(no_args_is_help=True, help="Department systems sending records.")
data_app.add_typer(clients_app, name="clients")


@data_app.command("import")
def data_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    source: Annotated[Department, typer.Option(help="the department that sent the file")],
    kind: Annotated[ImportKind, typer.Option(help="what the file holds")],
    encoding: Annotated[
        str | None, typer.Option(help="CSV text encoding (default: detected)")
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or jsonl (default: by name)")
    ] = None,
) -> None:
    """Import a file as one batch (all of it or none), then recolour the residents it names."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from healthcode.services.records.imports import Sender, import_records

    units, env = context(None)
    size = file.stat().st_size
    with (
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar,
        file.open("rb") as stream,
    ):
        task = bar.add_task(file.name, total=size)
        try:
            with units() as uow:
                report = import_records(
                    uow,
                    env,
                    sender=Sender(),
                    department=source,
                    kind=kind,
                    stream=stream,
                    file_name=file.name,
                    file_format=file_format,
                    encoding=encoding,
                    progress=lambda done: bar.update(task, completed=done),
                )
        except DomainError as error:
            raise fail(error) from None
    typer.echo(
        f"batch {report.batch_id}: {report.rows_read} rows, {report.added} added, "
        f"{report.amended} amended, "
        f"{report.unchanged} unchanged, {report.refused} refused, {report.unmatched} unmatched"
    )
    if report.unread_columns:
        typer.echo(f"  columns not read: {', '.join(report.unread_columns)}")
    for r in report.refusals:
        typer.echo(f"  line {r.line}: {r.field}: {r.message.format(**r.params)} [{r.code}]")
    _recolour(units, env, report.batch_id)


@data_app.command("rollback")
def data_rollback(batch: Annotated[uuid.UUID, typer.Argument(help="the batch id")]) -> None:
    """Withdraw every record of a batch, then recompute the colours it caused."""
    from healthcode.services.records.batches import roll_back_batch

    units, env = context(None)
    try:
        with units() as uow:
            summary = roll_back_batch(uow, env, None, batch_id=batch)
    except DomainError as error:
        raise fail(error) from None
    typer.echo(f"batch {summary.id} rolled back: {summary.added} records withdrawn")
    _recolour(units, env, batch)


@data_app.command("recolour")
def data_recolour() -> None:
    """Finish the recolouring of every import or rollback that committed but whose
    residents were not all recoloured (a process killed, a database lost); the
    servers' scheduler does the same every minute. Safe to repeat."""
    from healthcode.jobs.recolouring import recolour_pending

    units, env = context(None)
    pending = recolour_pending(units, env, grace=timedelta(0))
    typer.echo(f"{len(pending.done)} batches recoloured")
    for batch_id in pending.done:
        typer.echo(f"  {batch_id}")
    if pending.held:
        typer.echo(
            f"{len(pending.held)} batches held by another run (a killed process's hold "
            "expires within two minutes; run this again then):"
        )
        for batch_id in pending.held:
            typer.echo(f"  {batch_id}")


def _recolour(units: UnitOfWorkFactory, env: Env, batch_id: uuid.UUID) -> None:
    """After the batch committed: a failure here loses nothing (the batch stays owed),
    so say so and how it gets finished, rather than a traceback."""
    from healthcode.jobs.recolouring import recolour_led
    from healthcode.store.outage import DATABASE_ERRORS, outage_reason

    try:
        recoloured = recolour_led(units, env, batch_id=batch_id)
    except DATABASE_ERRORS as error:
        reason = outage_reason(error) or type(error).__name__
        typer.echo(
            f"error: batch {batch_id} is committed, but recolouring its residents failed "
            f"({reason}); the servers' scheduler finishes it within minutes, or run "
            "`healthcode data recolour`",
            err=True,
        )
        raise typer.Exit(2) from None
    if recoloured is None:
        typer.echo("another process is recolouring this batch's residents")
        return
    typer.echo(f"recoloured {recoloured.residents} residents, {recoloured.changed} codes changed")


@data_app.command("batches")
def data_batches(limit: int = 20) -> None:
    """The latest imports; those whose residents are not all recoloured yet say so
    (`healthcode data recolour` finishes them)."""
    from healthcode.services.records.batches import list_batches

    units, _env = context(None)
    with units() as uow:
        for b in list_batches(uow, None, limit=limit):
            owed = "  RECOLOURING OWED" if b.recolour_pending else ""
            typer.echo(
                f"{b.id}  {b.started_at:%Y-%m-%d %H:%M}  {b.department}/{b.kind}  {b.status}  "
                f"{b.added} added, {b.amended} amended, {b.refused} refused  {b.file_name}{owed}"
            )


@clients_app.command("add")
def clients_add(
    name: Annotated[str, typer.Argument(help="the client's name, e.g. binzhou-cdc")],
    source: Annotated[Department, typer.Option(help="its department")],
    kind: Annotated[
        list[ImportKind] | None, typer.Option(help="a kind it may send (repeat; default: all)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="region code its imports are listed under")
    ] = None,
) -> None:
    """Make a department client and print its key (shown once, stored hashed)."""
    from healthcode.services.records.clients import add_client

    units, env = context(None)
    try:
        with units() as uow:
            made = add_client(
                uow, env, name=name, department=source, kinds=tuple(kind or ()), region=region
            )
    except DomainError as error:
        raise fail(error) from None
    typer.echo(f"client {made.name} ({made.department.value}): {', '.join(made.kinds)}")
    typer.echo(f"key (shown once): {made.key}")


@clients_app.command("revoke")
def clients_revoke(name: Annotated[str, typer.Argument(help="the client's name")]) -> None:
    """Refuse a client's key from now on (a leaked key, a retired system)."""
    from healthcode.services.records.clients import revoke_client

    units, env = context(None)
    try:
        with units() as uow:
            revoked = revoke_client(uow, env, name=name)
    except DomainError as error:
        raise fail(error) from None
    typer.echo(f"client {name}: key revoked" if revoked else f"client {name} was revoked already")
