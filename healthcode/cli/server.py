"""`healthcode serve` and `healthcode db`: run the application, migrate the database."""

from __future__ import annotations

from typing import Annotated

import typer

from healthcode.cli.shared import context, db_app
from healthcode.config import Settings
from healthcode.store.db import make_engine
from healthcode.store.migrate import upgrade


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    proxy: Annotated[str, typer.Option(help="trusted proxy addresses for X-Forwarded-*")] = "",
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    context()  # refuses another secret key, or a policy file edited under its version
    uvicorn.run(
        "healthcode.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(proxy),
        forwarded_allow_ips=proxy or None,
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema, and the first signing key."""
    from healthcode.services.shared.keys import ensure_signing_key
    from healthcode.services.shared.lists import ensure_list_key

    settings = Settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    units, env = context()  # the first upgrade writes the key check value
    with units() as uow:
        created = ensure_signing_key(uow, env.protector, now=env.clock.now())
        ensure_list_key(uow, env.protector, now=env.clock.now())
    typer.echo(
        f"database at {engine.url.render_as_string(hide_password=True)} is up to date"
        + ("; created the first signing key" if created else "")
    )
