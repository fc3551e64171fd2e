"""The `plyr` command: serve, worker, db upgrade, and developer helpers."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from plyr.core.config import get_settings

T = TypeVar("T")

app = typer.Typer(help="plyr: AT-Protocol-native audio streaming.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
dev_app = typer.Typer(help="Developer helpers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
discovery_app = typer.Typer(help="Discovery (audio analysis) commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(dev_app, name="dev")
app.add_typer(discovery_app, name="discovery")
labeler_app = typer.Typer(help="The AT Protocol labeler.", no_args_is_help=True)
app.add_typer(labeler_app, name="labeler")
admin_app = typer.Typer(help="The review desk, for scripts (as /admin).", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def _migrate() -> None:
    from plyr.core.migrate import upgrade

    settings = get_settings()
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="server processes (needs REDIS_URL when > 1)")] = 1,
    migrate: Annotated[bool, typer.Option(help="apply migrations first")] = True,
    server: Annotated[str, typer.Option(help="uvicorn or granian")] = "uvicorn",
    access_log: Annotated[bool, typer.Option(help="log every request")] = True,
) -> None:
    """Serve the web app and API."""
    settings = get_settings()
    if workers > 1 and settings.redis_url is None:
        raise typer.BadParameter(
            "several workers share jobs and caches through Redis: set REDIS_URL"
        )
    if migrate:
        _migrate()
    if server == "granian":
        _serve_granian(host, port, workers, access_log)
        return
    import uvicorn

    uvicorn.run(
        "plyr.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="info",
        proxy_headers=True,
    )


def _serve_granian(host: str, port: int, workers: int, access_log: bool) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "plyr.app:create_app",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        workers_kill_timeout=10,
    ).serve()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="tasks run at once")] = 2,
) -> None:
    """Run background tasks from the Redis queue (scale-out mode)."""
    settings = get_settings()
    if settings.redis_url is None:
        raise typer.BadParameter(
            "`plyr worker` needs REDIS_URL; without it `plyr serve` runs tasks"
        )
    settings.worker_concurrency = concurrency
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_run_worker())


async def _run_worker() -> None:
    from plyr.wiring import start_runtime

    runtime = await start_runtime(get_settings(), with_worker=False)
    task = asyncio.create_task(runtime.run_worker())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await runtime.close()


@app.command()
def ingest(
    service: Annotated[str | None, typer.Option(help="subscribeRepos base URI (ws/wss)")] = None,
    cursor: Annotated[int | None, typer.Option(help="first run only: replay from here")] = None,
) -> None:
    """Follow a relay's (or a PDS's) firehose and index fm.plyr records from any account."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_run_ingest(service or settings.firehose_url, cursor))


async def _run_ingest(service: str, cursor: int | None) -> None:
    from plyr.ingest.firehose import ingest as follow
    from plyr.wiring import start_runtime

    runtime = await start_runtime(get_settings(), with_worker=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await follow(runtime, service, stop, first_cursor=cursor)
    finally:
        await runtime.close()


@labeler_app.command("setup")
def labeler_setup(
    did: Annotated[str, typer.Option(help="web (did:web of the public host) or plc")] = "web",
) -> None:
    """Create the labeler's key (kept if it exists) and DID; print the DID and its key."""
    from plyr.moderation.labeler import identity, plc

    if did not in ("web", "plc"):
        raise typer.BadParameter("--did is web or plc")
    labeler = (plc.setup if did == "plc" else identity.setup)(get_settings())
    typer.echo(f"labeler DID: {labeler.did}")
    typer.echo(f"#atproto_label key: {labeler.did_key}")
    if labeler.did.startswith("did:web:"):
        typer.echo(f"DID document: {labeler.endpoint}/.well-known/did.json")


@labeler_app.command("follow")
def labeler_follow() -> None:
    """Subscribe to the labelers in PLYR_LABELERS and keep their (verified) labels."""
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_run_labeler_follow())


async def _run_labeler_follow() -> None:
    from plyr.moderation.labeler.subscriber import follow_all
    from plyr.wiring import start_runtime

    runtime = await start_runtime(get_settings(), with_worker=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await follow_all(runtime, stop)
    finally:
        await runtime.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    _migrate()
    typer.echo("database is up to date")


@discovery_app.command("backfill")
def discovery_backfill(
    limit: Annotated[int | None, typer.Option(help="analyse at most this many tracks")] = None,
    concurrency: Annotated[int, typer.Option(help="tracks analysed at once")] = 1,
) -> None:
    """Analyse the published tracks without a current analysis (a progress line each)."""
    logging.basicConfig(level=logging.WARNING)
    outcomes = asyncio.run(_run_backfill(limit, concurrency))
    failed = outcomes.get("failed", 0)
    if sys.stdout.isatty():
        typer.echo()  # after the redrawn line
    typer.echo(f"done: {outcomes.get('analysed', 0)} analysed, {failed} failed")


async def _run_backfill(limit: int | None, concurrency: int) -> Counter[str]:
    from plyr.discovery.backfill import backfill
    from plyr.wiring import start_runtime

    runtime = await start_runtime(get_settings(), with_worker=False)
    try:
        return await backfill(
            runtime, limit=limit, concurrency=concurrency, report=_progress_printer()
        )
    finally:
        await runtime.close()


def _progress_printer() -> Callable[[str], None]:
    """On a terminal, one line redrawn; elsewhere (a log), a line each."""
    if sys.stdout.isatty():
        return lambda line: print(f"\r{line}", end="", flush=True)
    return lambda line: print(line, flush=True)


@dev_app.command("session")
def dev_session(
    handle: str = "alice.test",
    did: Annotated[
        str | None, typer.Option(help="defaults to a DID derived from the handle")
    ] = None,
    days: int = 30,
) -> None:
    """Create a user and a session token for local testing; prints the token."""
    import base64
    import hashlib

    _migrate()
    digest = base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()
    did = did or "did:plc:" + digest[:24]  # a well-formed did:plc, local to this instance
    token = asyncio.run(_create_session(did, handle, days))
    typer.echo(token)


async def _create_session(did: str, handle: str, days: int) -> str:
    from datetime import timedelta

    from plyr.auth.service import create_session
    from plyr.core.db import create_engine, create_sessionmaker

    engine = create_engine(get_settings().resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            token = await create_session(
                db, did=did, handle=handle, kind="developer", name="dev", ttl=timedelta(days=days)
            )
            await db.commit()
            return token
    finally:
        await engine.dispose()


def _admin_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


ActorOption = Annotated[str | None, typer.Option(help="who decides (default cli:<user>)")]
ReasonOption = Annotated[str | None, typer.Option(help="why (kept in the log)")]


@admin_app.command("queue")
def admin_queue() -> None:
    """The open review items: id, kind, target, reason, score, reporter or matched track."""
    from plyr.moderation.scripted import open_lines

    for line in _with_runtime(open_lines):
        typer.echo(line)


@admin_app.command("act")
def admin_act(
    item_id: int, action: str, reason: ReasonOption = None, actor: ActorOption = None
) -> None:
    """Resolve an open item: take_down, uphold_copyright, false_positive, original_artist,
    mark_sensitive, clear_sensitive or dismiss."""
    from plyr.core.errors import AppError
    from plyr.moderation.scripted import act

    who = actor or _admin_actor()
    try:
        typer.echo(_with_runtime(act, item_id, action, actor=who, reason=reason))
    except AppError as e:
        typer.echo(f"refused: {e}", err=True)
        raise typer.Exit(1) from e


@admin_app.command("restore")
def admin_restore(
    target_type: str, target_id: str, reason: ReasonOption = None, actor: ActorOption = None
) -> None:
    """Withdraw a take-down (negations of !takedown and copyright-violation)."""
    from plyr.moderation.scripted import restore

    _with_runtime(restore, target_type, target_id, actor=actor or _admin_actor(), reason=reason)
    typer.echo("restored")


def _with_runtime(work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    async def run() -> T:
        from plyr.wiring import start_runtime

        runtime = await start_runtime(get_settings(), with_worker=False)
        try:
            return await work(runtime, *args, **kwargs)
        finally:
            await runtime.close()

    return asyncio.run(run())


if __name__ == "__main__":
    app()
