"""private audio moved out of the public media folder (local storage)

Local storage now keeps audio of tracks not playable by link (supporters, private) in
`$PLYR_DATA_DIR/private`, beside the media folder a web server may publish. Existing ones
get the pending write that moves them (housekeeping performs it; on S3 it finds them in
place already), unless the same move still waits from revision 0008.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.table(
    "pending_writes",
    *(sa.column(name) for name in ("kind", "did", "attempts", "done")),
    sa.column("payload", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
)
TRACKS = sa.table(
    "tracks",
    sa.column("artist_did", sa.String),
    sa.column("file_id", sa.String),
    sa.column("original_file_id", sa.String),
    sa.column("visibility", sa.String),
    sa.column("origin", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    waiting = {
        (did, tuple(payload.get("file_ids", [])))
        for did, payload in bind.execute(
            sa.select(PENDING.c.did, PENDING.c.payload).where(
                PENDING.c.kind == "storage_place", PENDING.c.done.is_(False)
            )
        )
    }
    query = sa.select(TRACKS.c.artist_did, TRACKS.c.file_id, TRACKS.c.original_file_id).where(
        TRACKS.c.visibility.not_in(("public", "unlisted")), TRACKS.c.origin == "upload"
    )
    now = datetime.now(UTC)
    rows = []
    for did, file_id, original in bind.execute(query):
        file_ids = [f for f in (file_id, original) if f]
        if (did, tuple(file_ids)) in waiting:
            continue
        rows.append(
            {
                "kind": "storage_place",
                "did": did,
                "payload": {"file_ids": file_ids},
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
                "done": False,
            }
        )
    if rows:
        op.bulk_insert(PENDING, rows)


def downgrade() -> None:
    """Nothing to undo in the schema (moving files back is not a migration's job)."""
