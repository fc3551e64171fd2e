"""The play queue a listener carries across devices."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

MAX_ITEMS = 1000


class QueueStateIn(BaseModel):
    track_ids: list[int] = Field(default_factory=list, max_length=MAX_ITEMS)
    current_index: int = Field(0, ge=0, le=MAX_ITEMS)
    progress_ms: int = Field(0, ge=0, le=86_400_000)
    shuffle: bool = False
    repeat: Literal["none", "one", "all"] = "none"

    @model_validator(mode="after")
    def _index_in_range(self) -> QueueStateIn:
        if self.track_ids and self.current_index >= len(self.track_ids):
            raise ValueError("current_index must point into track_ids")
        return self


class QueuePut(BaseModel):
    state: QueueStateIn


class QueueOut(BaseModel):
    state: QueueStateIn
    revision: int
