"""The app under test, for fixtures and tests alike: its public URL, the app started for a
test (tables emptied afterwards), and a signed-in user."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import text

from plyr.app import create_app
from plyr.auth.service import create_session
from plyr.core.config import Settings
from plyr.core.db import create_engine
from plyr.models import Base

PUBLIC_URL = "http://plyr.test"


async def empty_tables(url: str) -> None:
    engine = create_engine(url)
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                await conn.execute(text(f"DELETE FROM {name}"))
    await engine.dispose()


@asynccontextmanager
async def running_app(settings: Settings, *, with_worker: bool = True) -> AsyncIterator[FastAPI]:
    """The app started (lifespan run) for a test; its tables are emptied afterwards."""
    application = create_app(settings, with_worker=with_worker)
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        await empty_tables(settings.resolved_database_url)


@dataclass
class User:
    did: str
    handle: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(app: FastAPI, handle: str) -> User:
    """A user with a session (no PDS behind it)."""
    did = "did:plc:" + base64.b32encode(uuid.uuid4().bytes).decode().lower()[:24]
    async with app.state.runtime.writer() as db:
        token = await create_session(db, did=did, handle=handle)
        await db.commit()
    return User(did=did, handle=handle, token=token)
