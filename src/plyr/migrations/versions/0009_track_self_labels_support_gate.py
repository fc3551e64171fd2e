"""track self-labels and support gate

What plyr.fm's `fm.plyr.track` records carry and plyr used to drop: the creator's
content warnings (`labels`, self-labels such as `sexual`) and the `supportGate` that keeps
the audio for supporters. Existing tracks have neither.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_labels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("support_gate", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_column("support_gate")
        batch_op.drop_column("self_labels")
