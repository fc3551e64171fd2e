"""jams: jams and jam_participants (listening together)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("host_did", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("clients", sa.JSON(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_did"],
            ["artists.did"],
            name=op.f("fk_jams_host_did_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jams")),
        sa.UniqueConstraint("code", name=op.f("uq_jams_code")),
    )
    op.create_index(op.f("ix_jams_host_did"), "jams", ["host_did"], unique=False)
    op.create_index(op.f("ix_jams_is_active"), "jams", ["is_active"], unique=False)
    op.create_index(op.f("ix_jams_created_at"), "jams", ["created_at"], unique=False)
    op.create_table(
        "jam_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jam_id", sa.Integer(), nullable=False),
        sa.Column("did", sa.String(length=255), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["jam_id"],
            ["jams.id"],
            name=op.f("fk_jam_participants_jam_id_jams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["did"],
            ["artists.did"],
            name=op.f("fk_jam_participants_did_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jam_participants")),
    )
    op.create_index(
        op.f("ix_jam_participants_jam_id"), "jam_participants", ["jam_id"], unique=False
    )
    op.create_index(op.f("ix_jam_participants_did"), "jam_participants", ["did"], unique=False)
    # a person is in at most one jam at a time
    op.create_index(
        "uq_jam_participants_active_did",
        "jam_participants",
        ["did"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL"),
        sqlite_where=sa.text("left_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_jam_participants_active_did", table_name="jam_participants")
    op.drop_index(op.f("ix_jam_participants_did"), table_name="jam_participants")
    op.drop_index(op.f("ix_jam_participants_jam_id"), table_name="jam_participants")
    op.drop_table("jam_participants")
    op.drop_index(op.f("ix_jams_created_at"), table_name="jams")
    op.drop_index(op.f("ix_jams_is_active"), table_name="jams")
    op.drop_index(op.f("ix_jams_host_did"), table_name="jams")
    op.drop_table("jams")
