"""job heartbeats; private audio moved out of the public store

Jobs: a claimed job has a heartbeat, a queued one is never swept as stale. Jobs a worker was
running when this revision applies ("processing") get their last update as their heartbeat,
so a dead one is still found.

Storage: with S3, audio of tracks not playable by link (supporters, private) now lives in
S3_PRIVATE_BUCKET. Existing ones get the pending write that moves them (housekeeping
performs it; with local storage it does nothing).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE jobs SET heartbeat_at = updated_at WHERE status = 'processing'")
    _queue_private_audio_moves()


def _queue_private_audio_moves() -> None:
    tracks = sa.table(
        "tracks",
        sa.column("artist_did", sa.String),
        sa.column("file_id", sa.String),
        sa.column("original_file_id", sa.String),
        sa.column("visibility", sa.String),
        sa.column("origin", sa.String),
    )
    query = sa.select(tracks.c.artist_did, tracks.c.file_id, tracks.c.original_file_id).where(
        tracks.c.visibility.not_in(("public", "unlisted")), tracks.c.origin == "upload"
    )
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "storage_place",
            "did": did,
            "payload": {"file_ids": [f for f in (file_id, original) if f]},
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "done": False,
        }
        for did, file_id, original in op.get_bind().execute(query)
    ]
    if rows:
        pending = sa.table(
            "pending_writes",
            *(sa.column(name) for name in ("kind", "did", "attempts", "done")),
            sa.column("payload", sa.JSON),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("next_attempt_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(pending, rows)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
