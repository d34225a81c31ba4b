"""Department records by hand: `healthcode data import | rollback | batches | recolour`
and `healthcode data clients add | rotate | revoke | list`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcode.cli.refusals import RefusalFile
from healthcode.cli.shared import LanguageOption, context, fail, operator, said_error, speak
from healthcode.domain.clock import local
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.records import (
    BATCH_STATUS_NAMES,
    DEPARTMENT_NAMES,
    KIND_NAMES,
    Department,
    ImportKind,
    column_label,
)
from healthcode.i18n import translate
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from healthcode.services.records.imports import ImportReport

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
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            dir_okay=False,
            help="write every refused row here (CSV; JSON Lines if named .jsonl), "
            "not only the first 100 printed",
        ),
    ] = None,
    lang: LanguageOption = None,
) -> None:
    """Import a file as one batch (all of it or none), then recolour the residents it names."""
    speak(lang)
    units, env = context(None)
    with RefusalFile.at(report_file) as refusals:
        report = _import(units, env, file, source, kind, encoding, file_format, refusals)
    _print(report, report_file)
    _recolour(units, env, report.batch_id)


def _import(
    units: UnitOfWorkFactory,
    env: Env,
    file: Path,
    source: Department,
    kind: ImportKind,
    encoding: str | None,
    file_format: str | None,
    refusals: RefusalFile | None,
) -> ImportReport:
    """The import under a progress bar; a refused file is told in the user's words."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from healthcode.services.records.imports import Sender, import_records

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
                    sender=Sender(by=operator()),
                    department=source,
                    kind=kind,
                    stream=stream,
                    file_name=file.name,
                    file_format=file_format,
                    encoding=encoding,
                    progress=lambda done: bar.update(task, completed=done),
                    on_refused=refusals.write if refusals else None,
                )
        except DomainError as error:
            raise fail(error, in_words=True) from None
    return report


def _print(report: ImportReport, report_file: Path | None) -> None:
    """The counts, the first refusals, and how many were left out, in the user's words."""
    summary = N_(
        "batch {batch}: {rows} rows, {added} added, {amended} amended, {unchanged} "
        "unchanged, {refused} refused, {unmatched} unmatched"
    )
    counts = {
        "batch": report.batch_id,
        "rows": report.rows_read,
        "added": report.added,
        "amended": report.amended,
        "unchanged": report.unchanged,
        "refused": report.refused,
        "unmatched": report.unmatched,
    }
    typer.echo(translate(summary, counts))
    if report.unread_columns:
        columns = ", ".join(report.unread_columns)
        typer.echo("  " + translate(N_("columns not read: {columns}"), {"columns": columns}))
    if report.unread_sheets:
        sheets = ", ".join(report.unread_sheets)
        typer.echo("  " + translate(N_("sheets not read: {sheets}"), {"sheets": sheets}))
    for r in report.refusals:
        line = N_("line {line}: {column}: {why} [{code}]")
        why = translate(r.message, r.params)
        words = {"line": r.line, "column": column_label(r.field), "why": why, "code": r.code}
        typer.echo("  " + translate(line, words))
    left = report.refusals_total - len(report.refusals)
    if left > 0 and report_file is None:
        more = N_("{left} more refusals not shown: --report FILE writes every one")
        typer.echo("  " + translate(more, {"left": left}))
    elif left > 0:
        more = N_("{left} more refusals not shown; all {total} are in {file}")
        words = {"left": left, "total": report.refusals_total, "file": report_file}
        typer.echo("  " + translate(more, words))


@data_app.command("rollback")
def data_rollback(
    batch: Annotated[uuid.UUID, typer.Argument(help="the batch id")],
    lang: LanguageOption = None,
) -> None:
    """Withdraw every record of a batch, then recompute the colours it caused."""
    from healthcode.services.records.batches import roll_back_batch

    speak(lang)
    units, env = context(None)
    try:
        with units() as uow:
            summary = roll_back_batch(uow, env, None, batch_id=batch, by=operator())
    except DomainError as error:
        raise fail(error, in_words=True) from None
    rolled = N_("batch {batch} rolled back: {records} records withdrawn")
    typer.echo(translate(rolled, {"batch": summary.id, "records": summary.added}))
    _recolour(units, env, batch)


@data_app.command("recolour")
def data_recolour(lang: LanguageOption = None) -> None:
    """Finish the recolouring of every import or rollback that committed but whose
    residents were not all recoloured (a process killed, a database lost); the
    servers' scheduler does the same every minute. Safe to repeat."""
    from healthcode.jobs.recolouring import recolour_pending

    speak(lang)
    units, env = context(None)
    pending = recolour_pending(units, env, grace=timedelta(0))
    typer.echo(translate(N_("{count} batches recoloured"), {"count": len(pending.done)}))
    for batch_id in pending.done:
        typer.echo(f"  {batch_id}")
    if pending.held:
        held = N_(
            "{count} batches held by another run (a killed process's hold expires within "
            "two minutes; run this again then):"
        )
        typer.echo(translate(held, {"count": len(pending.held)}))
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
        failed = N_(
            "batch {batch} is committed, but recolouring its residents failed ({reason}); "
            "the servers' scheduler finishes it within minutes, or run "
            "`healthcode data recolour`"
        )
        words = {"batch": batch_id, "reason": reason}
        typer.echo(said_error(translate(failed, words)), err=True)
        raise typer.Exit(2) from None
    if recoloured is None:
        typer.echo(translate(N_("another process is recolouring this batch's residents")))
        return
    done = N_("recoloured {residents} residents, {changed} codes changed")
    typer.echo(translate(done, {"residents": recoloured.residents, "changed": recoloured.changed}))


@data_app.command("batches")
def data_batches(limit: int = 20, lang: LanguageOption = None) -> None:
    """The latest imports; those whose residents are not all recoloured yet say so
    (`healthcode data recolour` finishes them)."""
    from healthcode.services.records.batches import list_batches

    speak(lang)
    units, _env = context(None)
    line = N_("{added} added, {amended} amended, {refused} refused")
    with units() as uow:
        for b in list_batches(uow, None, limit=limit):
            owed = "  " + translate(N_("RECOLOURING OWED")) if b.recolour_pending else ""
            counts = translate(line, {"added": b.added, "amended": b.amended, "refused": b.refused})
            started = local(b.started_at)  # Beijing time, as every page shows it
            typer.echo(
                f"{b.id}  {started:%Y-%m-%d %H:%M}  {_named(b.department, b.kind)}  "
                f"{translate(BATCH_STATUS_NAMES.get(b.status, b.status))}  "
                f"{counts}  {b.file_name}{owed}"
            )


def _named(department: str, *kinds: str) -> str:
    """A department and kinds of records in the words the pages use (they were printed
    as the codes "health/close_contact": an outside probe)."""
    named = ", ".join(translate(KIND_NAMES.get(kind, kind)) for kind in kinds)
    return f"{translate(DEPARTMENT_NAMES.get(department, department))}/{named}"


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
    lang: LanguageOption = None,
) -> None:
    """Make a department client and print its key (shown once, stored hashed); a
    revoked client's name may be given again."""
    from healthcode.services.records.clients import add_client

    speak(lang)
    units, env = context(None)
    try:
        with units() as uow:
            made = add_client(
                uow,
                env,
                name=name,
                department=source,
                kinds=tuple(kind or ()),
                region=region,
                by=operator(),
            )
    except DomainError as error:
        raise fail(error, in_words=True) from None
    words = {"name": made.name, "named": _named(made.department.value, *made.kinds)}
    typer.echo(translate(N_("client {name}: {named}"), words))
    typer.echo(translate(N_("key (shown once): {key}"), {"key": made.key}))


@clients_app.command("rotate")
def clients_rotate(
    name: Annotated[str, typer.Argument(help="the client's name")],
    lang: LanguageOption = None,
) -> None:
    """Give a client a new key (printed once) and refuse its old one from now on; it
    keeps its kinds, region, look-up grant and batches."""
    from healthcode.services.records.clients import rotate_client

    speak(lang)
    units, env = context(None)
    try:
        with units() as uow:
            made = rotate_client(uow, env, name=name, by=operator())
    except DomainError as error:
        raise fail(error, in_words=True) from None
    typer.echo(translate(N_("client {name}: its old key is refused from now on"), {"name": name}))
    typer.echo(translate(N_("key (shown once): {key}"), {"key": made.key}))


@clients_app.command("revoke")
def clients_revoke(
    name: Annotated[str, typer.Argument(help="the client's name")],
    lang: LanguageOption = None,
) -> None:
    """Refuse a client's key from now on (a leaked key, a retired system)."""
    from healthcode.services.records.clients import revoke_client

    speak(lang)
    units, env = context(None)
    try:
        with units() as uow:
            revoked = revoke_client(uow, env, name=name, by=operator())
    except DomainError as error:
        raise fail(error, in_words=True) from None
    said = N_("client {name}: key revoked") if revoked else N_("client {name} was revoked already")
    typer.echo(translate(said, {"name": name}))


@clients_app.command("list")
def clients_list(lang: LanguageOption = None) -> None:
    """Every department client, revoked ones too (never a key)."""
    from healthcode.services.records.clients import list_clients

    speak(lang)
    units, _env = context(None)
    with units() as uow:
        found = list_clients(uow)
    if not found:
        typer.echo(translate(N_("no department clients")))
    line = N_("{name}  {named}  region: {region}  {status}  {lookups}  created {created}")
    for c in found:
        status = (
            translate(N_("key revoked {at}"), {"at": f"{local(c.revoked_at):%Y-%m-%d %H:%M}"})
            if c.revoked_at is not None
            else translate(N_("key in use"))
        )
        lookups = N_("may look up colours") if c.lookups else N_("may not look up colours")
        words = {
            "name": c.name,
            "named": _named(c.department, *c.kinds),
            "region": c.region or "-",
            "status": status,
            "lookups": translate(lookups),
            "created": f"{local(c.created_at):%Y-%m-%d %H:%M}",
        }
        typer.echo(translate(line, words))
