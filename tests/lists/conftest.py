"""Playlists' fixtures: a third person (`carol`)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.app import User, make_user


@pytest.fixture
async def carol(app: FastAPI) -> User:
    return await make_user(app, "carol.test")
