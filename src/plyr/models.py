"""The ORM tables, in one place (but the outbox's, which core owns: `plyr.core.outbox.models`).
A user is an artist row keyed by DID."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import (
    InstrumentedAttribute,
    Mapped,
    mapped_column,
    relationship,
)

from plyr.core.orm import Base as Base
from plyr.core.orm import utcnow as utcnow
from plyr.core.outbox.models import PendingWrite as PendingWrite  # core's; named with the rest
from plyr.core.text import normalize
from plyr.moderation_tables import Label as Label  # moderation's tables, named with the rest
from plyr.moderation_tables import ModerationEvent as ModerationEvent
from plyr.moderation_tables import ModerationItem as ModerationItem
from plyr.moderation_tables import SensitiveImage as SensitiveImage
from plyr.moderation_tables import TrackFingerprint as TrackFingerprint


def _normal_of(source: str) -> Callable[[Any], str]:
    """A column default: the search normal form of the row's `source` column (this also
    fills Core inserts; ORM objects get it when `source` is set, see `_keep_search_text`)."""

    def default(context: Any) -> str:
        return normalize(context.get_current_parameters().get(source))

    return default


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Moderated:
    """Set while a moderator's decision (a `!takedown` or upheld `copyright-violation`
    label, or a takedown of an item without a record) hides the row from everyone but its
    owner and admins, who see this reason (`plyr.moderation.effects`)."""

    takedown_reason: Mapped[str | None] = mapped_column(String(256), default=None)


# atproto label values that mark audio as sensitive (`show_sensitive_audio` to hear it)
SENSITIVE_AUDIO_VALUES = frozenset({"sexual", "porn", "nudity"})


class RecordRef:
    """The AT Protocol record that mirrors a row, once written. One row per record: a URI
    names a record in the row owner's own repo (`plyr.atproto.uris`)."""

    atproto_record_uri: Mapped[str | None] = mapped_column(String(512), unique=True, index=True)
    atproto_record_cid: Mapped[str | None] = mapped_column(String(128))


class Artist(Timestamped, RecordRef, Moderated, Base):
    __tablename__ = "artists"

    did: Mapped[str] = mapped_column(String(255), primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), index=True)
    display_name: Mapped[str | None] = mapped_column(String(256))
    bio: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(String(1024))
    pds_url: Mapped[str | None] = mapped_column(String(1024))
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when a write to their PDS waits on them signing in again (a scope to grant, an
    # ended session): {"reason", "message", "scope"}; cleared when they sign in.
    pds_problem: Mapped[dict[str, Any] | None] = mapped_column()
    # plyr.search: normal form of display_name (the handle is matched as it is)
    search_text: Mapped[str] = mapped_column(
        Text, default=_normal_of("display_name"), server_default=""
    )


class Session(Base):
    """A signed-in browser, developer token or app-password session (token stored hashed)."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"), index=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="browser")
    name: Mapped[str | None] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(8), index=True)
    oauth_data: Mapped[str | None] = mapped_column(Text)  # encrypted token set
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class AudioFile(Base):
    """One stored audio rendition, addressed by the first 16 hex of its SHA-256."""

    __tablename__ = "audio_files"

    file_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    ext: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    codec: Mapped[str | None] = mapped_column(String(32))
    duration: Mapped[float | None] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    peaks: Mapped[list[Any] | None] = mapped_column(deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Audio that lives elsewhere (tracks published by other clients): a blob on the
    # artist's PDS (proxied, never linked), or a URL (redirected to).
    blob_did: Mapped[str | None] = mapped_column(String(255))
    blob_cid: Mapped[str | None] = mapped_column(String(128))
    remote_url: Mapped[str | None] = mapped_column(String(2048))

    @property
    def is_remote(self) -> bool:
        return self.blob_cid is not None or self.remote_url is not None

    @property
    def key(self) -> str:
        return f"audio/{self.file_id}.{self.ext}"


class Album(Timestamped, RecordRef, Moderated, Base):
    __tablename__ = "albums"
    __table_args__ = (UniqueConstraint("artist_did", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(256))
    search_text: Mapped[str] = mapped_column(Text, default=_normal_of("title"), server_default="")
    description: Mapped[str | None] = mapped_column(Text)
    image_id: Mapped[str | None] = mapped_column(String(16))
    image_type: Mapped[str | None] = mapped_column(String(8))

    artist: Mapped[Artist] = relationship(lazy="raise")


class Track(Timestamped, RecordRef, Moderated, Base):
    __tablename__ = "tracks"
    __table_args__ = (
        # Duplicate detection: the same bytes by the same artist is one track.
        UniqueConstraint("artist_did", "upload_file_id"),
        Index("ix_tracks_feed", "visibility", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_did: Mapped[str] = mapped_column(
        ForeignKey("artists.did", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(256))
    search_text: Mapped[str] = mapped_column(Text, default=_normal_of("title"), server_default="")
    description: Mapped[str | None] = mapped_column(Text)
    upload_file_id: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(ForeignKey("audio_files.file_id"), index=True)
    file_type: Mapped[str] = mapped_column(String(8))
    original_file_id: Mapped[str | None] = mapped_column(
        ForeignKey("audio_files.file_id"), index=True
    )
    original_file_type: Mapped[str | None] = mapped_column(String(8))
    duration: Mapped[int | None] = mapped_column(Integer)
    album_id: Mapped[int | None] = mapped_column(
        ForeignKey("albums.id", ondelete="SET NULL"), index=True
    )
    album_position: Mapped[int | None] = mapped_column(Integer)
    image_id: Mapped[str | None] = mapped_column(String(16))
    image_type: Mapped[str | None] = mapped_column(String(8))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    # "pending" until every phase (including the PDS record) is done; only "published" shows.
    status: Mapped[str] = mapped_column(String(16), default="published")
    # "upload" (through this instance) or "atproto" (indexed from a record another client wrote)
    origin: Mapped[str] = mapped_column(String(16), default="upload", server_default="upload")
    # the artist asked for the audio itself to live in their repo (as the record's audioBlob)
    audio_on_pds: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    features: Mapped[list[Any]] = mapped_column(default=list)
    # the creator's content warnings (atproto self-label values: "sexual", "porn", ...)
    self_labels: Mapped[list[Any] | None] = mapped_column(default=None)
    # a record's `supportGate.type` ("any"): the audio is for the artist's supporters
    support_gate: Mapped[str | None] = mapped_column(String(64))
    # sexual/porn/nudity audio, by a label from a labeler this instance honours, or by the
    # creator's own self-labels (kept apart: withdrawing one must not clear the other)
    sensitive_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    self_sensitive_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    play_count: Mapped[int] = mapped_column(Integer, default=0)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)

    artist: Mapped[Artist] = relationship(lazy="raise")
    album: Mapped[Album | None] = relationship(lazy="raise")
    audio: Mapped[AudioFile] = relationship(foreign_keys=[file_id], lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary="track_tags", lazy="raise")


class Playlist(Timestamped, RecordRef, Moderated, Base):
    """A listener's ordered list of tracks (an `fm.plyr.list` with `listType: playlist`;
    private ones never reach the PDS)."""

    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_did: Mapped[str] = mapped_column(
        ForeignKey("artists.did", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(256))
    search_text: Mapped[str] = mapped_column(Text, default=_normal_of("name"), server_default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    image_id: Mapped[str | None] = mapped_column(String(16))
    image_type: Mapped[str | None] = mapped_column(String(8))

    owner: Mapped[Artist] = relationship(lazy="raise")


class PlaylistItem(Base):
    __tablename__ = "playlist_items"
    __table_args__ = (UniqueConstraint("playlist_id", "track_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playlist_id: Mapped[int] = mapped_column(
        ForeignKey("playlists.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    search_text: Mapped[str] = mapped_column(Text, default=_normal_of("name"), server_default="")


class TrackTag(Base):
    __tablename__ = "track_tags"

    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Job(Timestamped, Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_did: Mapped[str] = mapped_column(
        ForeignKey("artists.did", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    phase: Mapped[str] = mapped_column(String(16), default="upload")
    progress_pct: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(Text)
    track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a worker claims the job and on each of its progress writes; a queued job has
    # none, so a backlog is never mistaken for a dead worker.
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class PlayEvent(Base):
    __tablename__ = "play_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    listener: Mapped[str] = mapped_column(String(255))
    ref_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Like(RecordRef, Base):
    __tablename__ = "likes"
    __table_args__ = (UniqueConstraint("track_id", "did"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Comment(Timestamped, RecordRef, Moderated, Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    timestamp_ms: Mapped[int] = mapped_column(Integer, default=0)


class ShareLink(Base):
    """A `?ref=` code someone made to share a track; visits and plays are attributed to it."""

    __tablename__ = "share_links"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    creator_did: Mapped[str] = mapped_column(
        ForeignKey("artists.did", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShareEvent(Base):
    """A visit ("click") or a counted play ("play") through a share link."""

    __tablename__ = "share_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(
        ForeignKey("share_links.code", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    visitor: Mapped[str] = mapped_column(String(255))  # a DID, or "anon:<cookie id>"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueState(Base):
    """A listener's play queue, synced across their devices with a revision (ETag)."""

    __tablename__ = "queue_states"

    did: Mapped[str] = mapped_column(
        ForeignKey("artists.did", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IngestCursor(Base):
    """How far the firehose of a relay or PDS has been read."""

    __tablename__ = "ingest_cursors"

    service: Mapped[str] = mapped_column(String(512), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TrackFeatures(Base):
    """A track's audio analysis (`plyr.discovery`), the source of truth for its vectors on
    every database (pgvector's side table is derived from it). Vectors are little-endian
    float32 bytes: `tags` musicnn's 100 probabilities (MagnaTagATune 50, then Million Song
    Dataset 50), `embedding` the 400-d audio-similarity vector (L2(MSD penultimate) and
    L2(MTT penultimate) concatenated, then L2-normalised), `clap` an operator's CLAP model's
    512-d audio vector when one is configured."""

    __tablename__ = "track_features"

    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(String(128))
    tags: Mapped[bytes] = mapped_column(LargeBinary)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    clap: Mapped[bytes | None] = mapped_column(LargeBinary)
    bpm: Mapped[float | None] = mapped_column(Float)
    # the vector stores' in-process copies catch up on rows analysed after what they hold
    analyzed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Jam(Timestamped, Base):
    """A shared queue several people control at once (`plyr.jams`). `state` is the
    server-authoritative playback state; `revision` rises by exactly 1 on every change.
    `clients` lists the connected clients as [client_id, did] pairs, oldest first (who may
    be the output device; not part of the state)."""

    __tablename__ = "jams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    host_did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(256))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    clients: Mapped[list[Any]] = mapped_column(default=list)
    ended_at: Mapped[datetime | None] = mapped_column()


class JamParticipant(Base):
    """Someone in a jam from `joined_at` until `left_at` (active while it is NULL). A
    person is in at most one jam at a time (the partial unique index)."""

    __tablename__ = "jam_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jam_id: Mapped[int] = mapped_column(ForeignKey("jams.id", ondelete="CASCADE"), index=True)
    did: Mapped[str] = mapped_column(ForeignKey("artists.did", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column()


Index(
    "uq_jam_participants_active_did",
    JamParticipant.did,
    unique=True,
    postgresql_where=JamParticipant.left_at.is_(None),
    sqlite_where=JamParticipant.left_at.is_(None),
)


def _keep_search_text(attribute: InstrumentedAttribute[Any]) -> None:
    """Whenever the searchable attribute is set (constructor, edit), refresh `search_text`."""

    @event.listens_for(attribute, "set")
    def _refresh(target: Any, value: str | None, _old: object, _initiator: object) -> None:
        target.search_text = normalize(value)


for _attribute in (Artist.display_name, Album.title, Track.title, Playlist.name, Tag.name):
    _keep_search_text(_attribute)


@event.listens_for(Track.self_labels, "set")
def _keep_self_sensitive(target: Track, value: list[Any] | None, *_: object) -> None:
    """Whenever the creator's self-labels are set (upload, edit, indexing), refresh
    whether they call the audio sensitive (a column, so listings filter on it in SQL)."""
    target.self_sensitive_audio = bool(SENSITIVE_AUDIO_VALUES.intersection(value or ()))
