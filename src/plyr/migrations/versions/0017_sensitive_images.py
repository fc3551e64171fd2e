"""moderation: sensitive artwork (classifier scores, people's decisions)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sensitive_images",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("ext", sa.String(length=8), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_sensitive_images")),
    )
    op.create_index(
        op.f("ix_sensitive_images_sensitive"), "sensitive_images", ["sensitive"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sensitive_images_sensitive"), table_name="sensitive_images")
    op.drop_table("sensitive_images")
