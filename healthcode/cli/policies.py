"""`healthcode policies versions|show`: the policy versions ever put in force, as
recorded the first time each was (``services/shared/policy_versions.py``), beside
this installation's files. Both work while a start is refused for a policy edited
in place: they are how an administrator learns what the record says."""

from __future__ import annotations

from typing import Annotated

import typer

from healthcode.cli.shared import context
from healthcode.domain.clock import local

HEADER = f"{'policy@version':<30} {'first in force (Asia/Shanghai)':<31} fingerprint   status"
policies_app = typer.Typer(no_args_is_help=True, help="Policy versions put in force.")


@policies_app.command("versions")
def policies_versions() -> None:
    """List every policy version put in force: when first, its fingerprint, and how
    this installation's policy file stands to it."""
    from healthcode.services.shared.policy_versions import recorded_versions

    units, env = context(policies=False)
    with units() as uow:
        found = recorded_versions(uow, env.policies)
    typer.echo(HEADER)
    for v in found:
        since = local(v.first_seen_at).strftime("%Y-%m-%d %H:%M:%S") if v.first_seen_at else "-"
        typer.echo(f"{v.ref:<30} {since:<31} {v.fingerprint[:12]}  {v.standing.value}")


@policies_app.command("show")
def policies_show(
    ref: Annotated[str, typer.Argument(help="policy@version, as 'policies versions' lists it")],
) -> None:
    """Print the text recorded for a policy version: what its states depend on, as
    canonical JSON (compare it with the file before choosing to bump or restore)."""
    from healthcode.services.shared.policy_versions import recorded_text

    units, _ = context(policies=False)
    with units() as uow:
        text = recorded_text(uow, ref)
    if text is None:
        typer.echo(f"error: no version {ref!r} was put in force here", err=True)
        raise typer.Exit(1)
    typer.echo(text)
