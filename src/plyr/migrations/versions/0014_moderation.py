"""moderation: the review queue, its event log, labels

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("reporter_did", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_moderation_items_track_id_tracks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_items")),
    )
    op.create_index(
        "ix_moderation_items_queue", "moderation_items", ["status", "created_at"], unique=False
    )
    op.create_index(
        op.f("ix_moderation_items_track_id"), "moderation_items", ["track_id"], unique=False
    )
    op.create_index(
        op.f("ix_moderation_items_reporter_did"), "moderation_items", ["reporter_did"], unique=False
    )
    op.create_table(
        "moderation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["moderation_items.id"],
            name=op.f("fk_moderation_events_item_id_moderation_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_events")),
    )
    op.create_index(
        op.f("ix_moderation_events_item_id"), "moderation_events", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_moderation_events_created_at"), "moderation_events", ["created_at"], unique=False
    )
    op.create_table(
        "labels",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("src", sa.String(length=255), nullable=False),
        sa.Column("uri", sa.String(length=1024), nullable=False),
        sa.Column("cid", sa.String(length=255), nullable=True),
        sa.Column("val", sa.String(length=128), nullable=False),
        sa.Column("neg", sa.Boolean(), nullable=False),
        sa.Column("cts", sa.String(length=64), nullable=False),
        sa.Column("exp", sa.String(length=64), nullable=True),
        sa.Column("sig", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_labels")),
    )
    op.create_index("ix_labels_uri_val", "labels", ["uri", "val"], unique=False)
    op.create_index("ix_labels_src_seq", "labels", ["src", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_labels_src_seq", table_name="labels")
    op.drop_index("ix_labels_uri_val", table_name="labels")
    op.drop_table("labels")
    op.drop_index(op.f("ix_moderation_events_created_at"), table_name="moderation_events")
    op.drop_index(op.f("ix_moderation_events_item_id"), table_name="moderation_events")
    op.drop_table("moderation_events")
    op.drop_index(op.f("ix_moderation_items_reporter_did"), table_name="moderation_items")
    op.drop_index(op.f("ix_moderation_items_track_id"), table_name="moderation_items")
    op.drop_index("ix_moderation_items_queue", table_name="moderation_items")
    op.drop_table("moderation_items")
