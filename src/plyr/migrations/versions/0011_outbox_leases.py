"""outbox: entries are claimed with a lease; track kinds name their subject

An outbox entry (`pending_writes`) is claimed by the process performing it (`claimed_by`, a
token) until `claimed_until`, so two processes never perform one at once. The track kinds
are renamed as every other kind (`record_sync` -> `track_sync`, `record_delete` ->
`track_delete`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {"record_sync": "track_sync", "record_delete": "track_delete"}


def upgrade() -> None:
    with op.batch_alter_table("pending_writes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
    with op.batch_alter_table("pending_writes", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")


def _rename(names: dict[str, str]) -> None:
    writes = sa.table("pending_writes", sa.column("kind", sa.String))
    for old, new in names.items():
        op.execute(writes.update().where(writes.c.kind == old).values(kind=new))
