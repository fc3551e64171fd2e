"""moderation: track fingerprints (Chromaprint) for finding re-uploads

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("artist_did", sa.String(length=255), nullable=False),
        sa.Column("items", sa.LargeBinary(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_fingerprints_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_fingerprints")),
        sa.UniqueConstraint("track_id", name=op.f("uq_track_fingerprints_track_id")),
    )
    op.create_index(
        op.f("ix_track_fingerprints_created_at"),
        "track_fingerprints",
        ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_track_fingerprints_created_at"), table_name="track_fingerprints")
    op.drop_table("track_fingerprints")
