"""Issuing labels (signed with the labeler's key, stored, applied, announced) and answering
queryLabels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.runtime import Runtime
from plyr.models import Label
from plyr.moderation import effects
from plyr.moderation.labeler import identity, repository, wire
from plyr.moderation.labeler.bell import bell

VALUES = frozenset(
    {"copyright-violation", "!takedown", "sexual", "porn", "nudity", "graphic-media"}
)
PROCESS_KEY = "labeler.identity"


class UnknownValue(ValueError):
    pass


def labeler_of(runtime: Runtime) -> identity.Labeler | None:
    """The labeler set up in the data dir (read once per process), or None."""
    if PROCESS_KEY not in runtime.process_state:
        runtime.process_state[PROCESS_KEY] = identity.load(runtime.settings)
    found: identity.Labeler | None = runtime.process_state[PROCESS_KEY]
    return found


def source_did(runtime: Runtime) -> str:
    """The `src` of this instance's labels (its did:web until `plyr labeler setup` says)."""
    labeler = labeler_of(runtime)
    return labeler.did if labeler else identity.did_web_of(runtime.settings.public_url)


async def issue(
    db: AsyncSession,
    runtime: Runtime,
    *,
    uri: str,
    val: str,
    neg: bool = False,
    cid: str | None = None,
) -> Label:
    """Store a label (or its negation) from this labeler, signed when the labeler is set up,
    apply its effect, and wake the subscribeLabels sockets once the caller commits."""
    if val not in VALUES:
        raise UnknownValue(f"unknown label value {val!r}")
    await repository.serialize_issuing(db)
    labeler = labeler_of(runtime)
    label = Label(
        origin=repository.OWN,
        src=source_did(runtime),
        uri=uri,
        cid=cid,
        val=val,
        neg=neg,
        cts=wire.now_cts(),
        exp=None,
    )
    if labeler is not None:
        label.sig = labeler.sign(wire.signing_bytes(label))
    repository.add(db, label)
    await db.flush()
    await apply_effect(db, uri=uri, val=val, neg=neg, src=label.src)
    ring = bell(runtime).ring
    event.listen(db.sync_session, "after_commit", lambda _session: ring(), once=True)
    return label


async def apply_effect(db: AsyncSession, *, uri: str, val: str, neg: bool, src: str) -> None:
    await effects.apply_label(db, uri=uri, val=val, neg=neg, src=src)


async def query(
    db: AsyncSession,
    *,
    uri_patterns: Sequence[str],
    sources: Sequence[str],
    limit: int,
    cursor: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Labels (JSON form) matching the patterns, and the cursor of the next page."""
    prefixes = [p[:-1] for p in uri_patterns if p.endswith("*")]
    exact = [p for p in uri_patterns if not p.endswith("*")]
    found = await repository.query(
        db, exact=exact, prefixes=prefixes, sources=sources, after=cursor, limit=limit
    )
    more = len(found) == limit
    return [wire.json_form(label) for label in found], found[-1].seq if more else None
