"""The moderation tables (`plyr.moderation`): the review queue, its append-only event log,
and the labels this instance issues or honours. Re-exported by `plyr.models`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plyr.core.orm import Base, utcnow


class ModerationItem(Base):
    """One entry in the review queue: a scan flag (`kind="scan"`: a likely or possible copy
    of `details["matched_track_id"]`, `score` = bit error rate), a report (`kind="report"`,
    from `reporter_did`), or an image flag (`kind="image"`, `score` = NSFW probability).
    Open until a person resolves it (`resolution` names the action taken)."""

    __tablename__ = "moderation_items"
    __table_args__ = (Index("ix_moderation_items_queue", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # scan | report | image
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    # track | artist | album | playlist | tag | comment | image
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(255))  # a row id, a DID, a tag or image id
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracks.id", ondelete="SET NULL"), index=True
    )
    reporter_did: Mapped[str | None] = mapped_column(String(255), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolution: Mapped[str | None] = mapped_column(String(32))


class ModerationEvent(Base):
    """An append-only log of what was done: who (`actor` is a DID, or "system" for scans
    and classifiers), when, what (`action`), to what, and why. Never updated or deleted."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_items.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Label(Base):
    """An AT Protocol label (com.atproto.label.defs#label): issued by this instance's
    labeler (`origin="plyr"`, signed: `sig`), a creator's self-label on their record
    (`origin="self"`), or received from a labeler the operator trusts (`origin="external"`,
    kept as it came, `sig` included). `seq` orders this instance's own labels for
    `subscribeLabels`. `cts`/`exp` are kept as the exact strings that were signed."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_uri_val", "uri", "val"),
        Index("ix_labels_src_seq", "src", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # plyr | self | external
    src: Mapped[str] = mapped_column(String(255))  # the DID of the labeler or creator
    uri: Mapped[str] = mapped_column(String(1024))  # at:// URI or a DID
    cid: Mapped[str | None] = mapped_column(String(255))
    val: Mapped[str] = mapped_column(String(128))
    neg: Mapped[bool] = mapped_column(Boolean, default=False)
    cts: Mapped[str] = mapped_column(String(64))
    exp: Mapped[str | None] = mapped_column(String(64))
    sig: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SensitiveImage(Base):
    """What moderation knows of one stored artwork image (`image_id`, content-addressed as
    in `plyr.media.images`): the NSFW classifier's `score` and whether the image is
    `sensitive` (blurred for those who did not ask to see such artwork). A row exists once
    the image was scored or a person decided; `decided_by` is that person (None while only
    the classifier has spoken): a later score never overrides a person's decision."""

    __tablename__ = "sensitive_images"

    image_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ext: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TrackFingerprint(Base):
    """A track's Chromaprint fingerprint (`fpcalc -raw`: 32-bit items, ~8 a second, stored
    little-endian in `items`), kept to find later re-uploads of it by other artists. One per
    track; replaced when its audio is fingerprinted again."""

    __tablename__ = "track_fingerprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), unique=True)
    artist_did: Mapped[str] = mapped_column(String(255))
    items: Mapped[bytes] = mapped_column(LargeBinary)
    duration: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
