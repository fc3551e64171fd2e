"""`/preferences`: read with defaults filled in; POST merges what is sent."""

from __future__ import annotations

from fastapi import APIRouter, Response

from plyr.auth.dependencies import CurrentUser
from plyr.core.deps import DbSession
from plyr.preferences import service
from plyr.preferences.schemas import PreferencesIn, PreferencesOut

router = APIRouter(prefix="/preferences", tags=["preferences"])


@router.get("")
async def get_preferences(user: CurrentUser) -> PreferencesOut:
    """My preferences (defaults for what I never set)."""
    return service.read(user.artist)


@router.post("")
async def update_preferences(
    body: PreferencesIn, user: CurrentUser, db: DbSession
) -> PreferencesOut:
    """Change some preferences; the others stay."""
    return await service.merge(db, user.did, body)


@router.post("/terms", status_code=204)
async def accept_terms(user: CurrentUser, db: DbSession) -> Response:
    """Accept the terms (asked once, at the first sign-in)."""
    await service.accept_terms(db, user.did)
    return Response(status_code=204)
