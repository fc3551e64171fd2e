"""The outbox's table: one row per effect outside the database (`plyr.core.outbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plyr.core.orm import Base, utcnow


class PendingWrite(Base):
    """An outbox entry (`plyr.core.outbox`): an effect outside the database, retried until done."""

    __tablename__ = "pending_writes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    did: Mapped[str | None] = mapped_column(String(255), index=True)  # whose PDS, if any
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # a process performing the entry (its claim's token) holds it until then
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column()
