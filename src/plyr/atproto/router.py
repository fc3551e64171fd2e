"""Public AT Protocol documents: plyr's lexicons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from plyr.atproto.lexicon import Lexicons
from plyr.core.deps import SettingsDep
from plyr.core.errors import NotFound

router = APIRouter(tags=["atproto"])


@router.get("/lexicons/{nsid}")
async def get_lexicon(nsid: str, settings: SettingsDep) -> dict[str, Any]:
    """A lexicon document (the schema of one of plyr's record types)."""
    document = Lexicons(settings.atproto_namespace).document(nsid)
    if document is None:
        raise NotFound(f"no lexicon {nsid!r}")
    return document
