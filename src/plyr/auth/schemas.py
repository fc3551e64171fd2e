"""Auth shapes in the API."""

from __future__ import annotations

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


class MeOut(BaseModel):
    did: str
    handle: str
    display_name: str | None
    avatar_url: str | None
    linked_accounts: list[LinkedAccount]
    is_admin: bool


class SwitchAccountIn(BaseModel):
    did: str = Field(min_length=1, max_length=255)
