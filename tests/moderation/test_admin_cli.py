"""`plyr admin`: the desk's queue and actions for scripts, on the same database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from plyr.core.config import Settings
from plyr.core.errors import Conflict
from plyr.models import ModerationItem
from plyr.moderation import queue, repository, scripted
from tests.app import User
from tests.servers import plyr_env, run_plyr


@pytest.mark.timeout(300)
async def test_list_act_and_restore_from_the_command_line(
    app: FastAPI, settings: Settings, song: dict[str, Any], bob: User, tmp_path: Path
) -> None:
    async with app.state.runtime.writer() as db:
        item = await queue.open_item(
            db,
            kind="report",
            target_type="artist",
            target_id=bob.did,
            reporter_did=bob.did,
            reason="spam",
        )
        await db.commit()
    env = plyr_env(tmp_path / "cli-data", DATABASE_URL=settings.resolved_database_url)

    async def plyr(*args: str) -> Any:
        return await asyncio.to_thread(run_plyr, "admin", *args, env=env)

    listed = await plyr("queue")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\n")[0].split("\t")[:4] == [
        str(item.id),
        "report",
        f"artist:{bob.did}",
        "spam",
    ]
    done = await plyr("act", str(item.id), "dismiss", "--reason", "not spam", "--actor", "ops")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{item.id}\tdismiss"
    # the rest in this process (each command is a process start: slow on a busy machine)
    runtime = app.state.runtime
    assert await scripted.open_lines(runtime) == []
    with pytest.raises(Conflict):
        await scripted.act(runtime, item.id, "dismiss", actor="ops", reason=None)
    await scripted.restore(runtime, "artist", bob.did, actor="cli:someone", reason="fine")
    async with app.state.runtime.sessionmaker() as db:
        resolved = await db.get(ModerationItem, item.id)
        assert resolved is not None and resolved.resolution == "dismiss"
        events = await repository.events_about(db, "artist", bob.did)
    assert [(e.actor, e.action, e.reason) for e in events][1:] == [
        ("ops", "dismiss", "not spam"),
        (events[2].actor, "restore", "fine"),
    ]
    assert events[2].actor.startswith("cli:")
