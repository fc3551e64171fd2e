"""Reading and replacing a listener's queue with optimistic concurrency (ETag/If-Match)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.errors import BadRequest, Conflict
from plyr.queue import repository
from plyr.queue.schemas import QueueOut, QueueStateIn


async def read(db: AsyncSession, did: str) -> QueueOut:
    row = await repository.get(db, did)
    if row is None:
        return QueueOut(state=QueueStateIn(), revision=0)
    return QueueOut(state=QueueStateIn.model_validate(row.state), revision=row.revision)


def parse_if_match(header: str | None) -> int | None:
    """`"3"` (or `W/"3"`, or 3) -> 3; absent -> None; `*` -> None (any revision)."""
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise BadRequest('If-Match must be a revision ETag such as "3"')
    return int(value)


async def replace(
    db: AsyncSession, did: str, state: QueueStateIn, if_match: int | None
) -> QueueOut:
    revision = await repository.replace(db, did, state.model_dump(), if_match)
    if revision is None:
        raise Conflict("conflict: the queue changed on another device; fetch it and retry")
    return QueueOut(state=state, revision=revision)
