"""The review desk for scripts (`plyr admin ...`): the same queue and the same actions as
`/admin`, each in its own unit of work, its effects performed once it commits."""

from __future__ import annotations

from plyr.core import outbox
from plyr.core.runtime import Runtime
from plyr.models import ModerationItem
from plyr.moderation import desk, repository


def line_of(item: ModerationItem) -> str:
    """One tab-separated line: id, kind, target, reason, score, reporter or match."""
    score = f"{item.score:.3f}" if item.score is not None else "-"
    extra = item.reporter_did or str((item.details or {}).get("matched_track_id") or "-")
    target = f"{item.target_type}:{item.target_id}"
    return "\t".join([str(item.id), item.kind, target, item.reason or "-", score, extra])


async def open_lines(runtime: Runtime) -> list[str]:
    async with runtime.sessionmaker() as db:
        return [line_of(item) for item in await repository.open_items(db, limit=10_000)]


async def act(
    runtime: Runtime, item_id: int, action: str, *, actor: str, reason: str | None
) -> str:
    async with runtime.writer() as db:
        item = await desk.act(db, runtime, item_id, action, actor=actor, reason=reason)
        await outbox.commit(runtime, db)
        return f"{item.id}\t{item.resolution}"


async def restore(
    runtime: Runtime, target_type: str, target_id: str, *, actor: str, reason: str | None
) -> None:
    async with runtime.writer() as db:
        await desk.restore(db, runtime, target_type, target_id, actor=actor, reason=reason)
        await outbox.commit(runtime, db)
