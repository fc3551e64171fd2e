"""`plyr admin`: the desk's queue and actions for scripts, on the same database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from plyr.core.config import Settings
from plyr.models import ModerationItem
from plyr.moderation import queue, repository
from tests.app import User
from tests.servers import plyr_env, run_plyr


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
    refused = await plyr("act", str(item.id), "original_artist")
    assert refused.returncode == 1 and "does not apply" in refused.stderr
    done = await plyr("act", str(item.id), "dismiss", "--reason", "not spam", "--actor", "ops")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{item.id}\tdismiss"
    assert (await plyr("queue")).stdout.strip() == ""
    restored = await plyr("restore", "artist", bob.did, "--reason", "fine")
    assert restored.returncode == 0, restored.stderr
    async with app.state.runtime.sessionmaker() as db:
        resolved = await db.get(ModerationItem, item.id)
        assert resolved is not None and resolved.resolution == "dismiss"
        events = await repository.events_about(db, "artist", bob.did)
    assert [(e.actor, e.action, e.reason) for e in events][1:] == [
        ("ops", "dismiss", "not spam"),
        (events[2].actor, "restore", "fine"),
    ]
    assert events[2].actor.startswith("cli:")
