"""Helpers for the moderation tests: an admin, the queue as the desk sees it."""

from __future__ import annotations

from fastapi import FastAPI

from tests.app import User, make_user


async def make_admin(app: FastAPI, handle: str = "admin.test") -> User:
    """A signed-in user whose DID is in PLYR_ADMIN_DIDS."""
    admin = await make_user(app, handle)
    settings = app.state.runtime.settings
    settings.admin_dids = ",".join(filter(None, [settings.admin_dids, admin.did]))
    return admin
