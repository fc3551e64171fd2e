"""SQL for labels: this labeler's own (by seq, for subscribeLabels), queries by URI pattern,
and the labels kept from creators and other labelers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from plyr.models import IngestCursor, Label

OWN = "plyr"
ISSUING_LOCK = 0x6C6162656C  # "label": any constant no other advisory lock uses


def add(db: AsyncSession, label: Label) -> None:
    db.add(label)


async def own_after(db: AsyncSession, seq: int, limit: int) -> Sequence[Label]:
    """This labeler's labels with a seq above `seq`, oldest first."""
    found = await db.execute(
        select(Label).where(Label.origin == OWN, Label.seq > seq).order_by(Label.seq).limit(limit)
    )
    return found.scalars().all()


async def last_own_seq(db: AsyncSession) -> int:
    found = await db.execute(select(func.max(Label.seq)).where(Label.origin == OWN))
    return int(found.scalar_one_or_none() or 0)


async def query(
    db: AsyncSession,
    *,
    exact: Sequence[str],
    prefixes: Sequence[str],
    sources: Sequence[str],
    after: int,
    limit: int,
) -> Sequence[Label]:
    """This labeler's labels on any of the URIs (or under any prefix), by seq after `after`."""
    matches: list[ColumnElement[bool]] = []
    if exact:
        matches.append(Label.uri.in_(exact))
    # substr rather than LIKE: a URI may hold `%` or `_` (a did:web port, a record key)
    matches += [func.substr(Label.uri, 1, len(p)) == p for p in prefixes if p]
    if "" in prefixes:  # a bare `*`: everything
        matches = [Label.uri.is_not(None)]
    statement = select(Label).where(Label.origin == OWN, Label.seq > after, or_(*matches))
    if sources:
        statement = statement.where(Label.src.in_(sources))
    found = await db.execute(statement.order_by(Label.seq).limit(limit))
    return found.scalars().all()


async def serialize_issuing(db: AsyncSession) -> None:
    """Hold, until this transaction ends, the right to add this labeler's labels: a label's
    seq must become visible in seq order, or a subscriber reading "seq > last" could step
    over one committed late. SQLite serializes writers already."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(select(func.pg_advisory_xact_lock(ISSUING_LOCK)))


async def saved_cursor(db: AsyncSession, key: str) -> int | None:
    saved = await db.get(IngestCursor, key)
    return saved.cursor if saved else None


async def save_cursor(db: AsyncSession, key: str, seq: int) -> None:
    saved = await db.get(IngestCursor, key)
    if saved is None:
        db.add(IngestCursor(service=key, cursor=seq))
    else:
        saved.cursor = seq
    await db.flush()


async def active_values(db: AsyncSession, *, uri: str, src: str, origin: str) -> set[str]:
    """The values `src` has labelled `uri` with and not negated since (the latest wins)."""
    found = await db.execute(
        select(Label.val, Label.neg)
        .where(Label.uri == uri, Label.src == src, Label.origin == origin)
        .order_by(Label.seq)
    )
    latest = {val: neg for val, neg in found.all()}
    return {val for val, neg in latest.items() if not neg}
