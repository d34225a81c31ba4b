"""The one command-line entry point: `healthcode …` (or `python -m healthcode …`).

One module per context; the groups (db, keys, jobs, staff) are made in cli/shared.py
and each module adds its commands to them. The top-level commands are registered
here, in the order `healthcode --help` shows them.
"""

from healthcode import heap
from healthcode.cli import (
    accounts,
    codes,
    demo,
    notices,
    partitions,
    policies,
    records,
    server,
    sharing,
    verify,
)
from healthcode.cli.shared import app
from healthcode.config import Settings
from healthcode.logs import configure_logging

__all__ = [
    "accounts",
    "app",
    "codes",
    "main",
    "notices",
    "partitions",
    "policies",
    "records",
    "sharing",
]

app.command()(server.serve)
app.command()(verify.verify)
app.command()(demo.demo)
app.add_typer(records.data_app, name="data")
app.add_typer(codes.codes_app, name="codes")
app.add_typer(policies.policies_app, name="policies")


def main() -> None:
    configure_logging(json=Settings().log_json)
    heap.settle()  # the commands' modules are loaded: a batch's pages never walk them
    app(prog_name="healthcode")
