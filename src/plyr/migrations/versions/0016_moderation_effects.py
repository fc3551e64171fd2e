"""moderation effects: takedowns and sensitive audio

What labels do (`plyr.moderation.effects`): `takedown_reason` hides a track, album,
playlist, comment or artist from everyone but its owner and admins; `sensitive_audio`
(a labeler's sexual/porn/nudity label) and `self_sensitive_audio` (the creator's own
self-labels, backfilled here from `self_labels`) keep a track from listeners who did not
ask for it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:45:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODERATED = ("artists", "albums", "tracks", "playlists", "comments")
SENSITIVE = {"sexual", "porn", "nudity"}


def upgrade() -> None:
    for table in MODERATED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("takedown_reason", sa.String(length=256), nullable=True))
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sensitive_audio", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("self_sensitive_audio", sa.Boolean(), server_default="0", nullable=False)
        )
    _backfill_self_sensitive()


def _backfill_self_sensitive() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, self_labels FROM tracks WHERE self_labels IS NOT NULL"))
    sensitive = [track_id for track_id, labels in rows if SENSITIVE.intersection(_values(labels))]
    for track_id in sensitive:
        bind.execute(
            sa.text("UPDATE tracks SET self_sensitive_audio = :yes WHERE id = :id"),
            {"yes": True, "id": track_id},
        )


def _values(stored: object) -> list[str]:
    """A `self_labels` cell: JSON text on SQLite (a JSON `null` too), a list on PostgreSQL."""
    labels = json.loads(stored) if isinstance(stored, str) else stored
    return [v for v in labels if isinstance(v, str)] if isinstance(labels, list) else []


def downgrade() -> None:
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_column("self_sensitive_audio")
        batch_op.drop_column("sensitive_audio")
    for table in reversed(MODERATED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("takedown_reason")
