"""Shapes of reports and review-desk actions in the API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

ReportTarget = Literal["track", "artist", "album", "playlist", "tag", "comment"]
ReportReason = Literal["copyright", "abuse", "spam", "explicit", "other"]
MAX_DESCRIPTION = 1000


class ReportIn(BaseModel):
    target_type: ReportTarget
    target_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
    ]
    reason: ReportReason
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION)] | None
    ) = None


class ReportOut(BaseModel):
    id: int


class ItemResolved(BaseModel):
    id: int
    status: str
    resolution: str
