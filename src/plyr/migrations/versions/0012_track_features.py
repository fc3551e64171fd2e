"""discovery: track_features, a track's audio analysis and vectors

The portable source of truth on SQLite and PostgreSQL. pgvector's side table
(`vectors_track`, with HNSW indexes) is not made here: it is created and filled at start-up
when the `vector` extension can be created (`plyr.discovery.vectors`), so an instance that
gains pgvector later gets it then.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_features",
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("tags", sa.LargeBinary(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("clap", sa.LargeBinary(), nullable=True),
        sa.Column("bpm", sa.Float(), nullable=True),
        sa.Column("analyzed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_features_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", name=op.f("pk_track_features")),
    )
    op.create_index(
        op.f("ix_track_features_analyzed_at"), "track_features", ["analyzed_at"], unique=False
    )


def downgrade() -> None:
    # pgvector's side table references this one; it goes with it
    op.execute("DROP TABLE IF EXISTS vectors_track")
    op.drop_index(op.f("ix_track_features_analyzed_at"), table_name="track_features")
    op.drop_table("track_features")
