"""Auth shapes in the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class AppPasswordIn(BaseModel):
    identifier: str = Field(min_length=1, max_length=2048, description="handle or DID")
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    token: str
    did: str
    handle: str


class LinkedAccount(BaseModel):
    did: str
    handle: str
    avatar_url: str | None


class PdsProblem(BaseModel):
    """Writes to the user's PDS wait on them signing in again (`/auth/start?handle=<did>`)."""

    reason: Literal["scope_upgrade_required", "session_expired"]
    message: str
    scope: str | None = Field(None, description="the permission to grant, when known")


class MeOut(BaseModel):
    did: str
    handle: str
    display_name: str | None
    avatar_url: str | None
    linked_accounts: list[LinkedAccount]
    is_admin: bool
    pds_problem: PdsProblem | None = None


class SwitchAccountIn(BaseModel):
    did: str = Field(min_length=1, max_length=255)
