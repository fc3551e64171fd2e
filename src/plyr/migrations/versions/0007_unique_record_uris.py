"""one row per AT Protocol record: a unique index on each table's record URI

Before the index, rows that break the rule are let go of their record (URI and CID set to
NULL; the rows themselves stay):
- a URI that names another account's repo than the row owner's (a record a hostile PDS
  listed as its own, or a row claimed ahead of its real owner);
- a second row holding the same URI: the row that claimed it first (lowest key) keeps it.
A later sync or firehose event of the owner's repo links the record again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (primary key, the column naming the owner, whose repo holds the record)
RECORD_TABLES = {
    "artists": ("did", "did"),
    "albums": ("id", "artist_did"),
    "tracks": ("id", "artist_did"),
    "playlists": ("id", "owner_did"),
    "likes": ("id", "did"),
    "comments": ("id", "did"),
}
CLEAR = "SET atproto_record_uri = NULL, atproto_record_cid = NULL"


def _release_foreign(table: str, owner: str) -> None:
    # substr, not LIKE: a DID may hold `%` (did:web percent-encoding), a LIKE wildcard
    prefix = f"'at://' || {owner} || '/'"
    op.execute(
        f"UPDATE {table} {CLEAR} WHERE atproto_record_uri IS NOT NULL "
        f"AND substr(atproto_record_uri, 1, length({prefix})) <> {prefix}"
    )


def _release_duplicates(table: str, key: str) -> None:
    op.execute(
        f"UPDATE {table} {CLEAR} WHERE atproto_record_uri IS NOT NULL AND EXISTS ("
        f"SELECT 1 FROM {table} earlier WHERE earlier.atproto_record_uri = "
        f"{table}.atproto_record_uri AND earlier.{key} < {table}.{key})"
    )


def upgrade() -> None:
    for table, (key, owner) in RECORD_TABLES.items():
        _release_foreign(table, owner)
        _release_duplicates(table, key)
        op.create_index(
            op.f(f"ix_{table}_atproto_record_uri"), table, ["atproto_record_uri"], unique=True
        )


def downgrade() -> None:
    for table in RECORD_TABLES:
        op.drop_index(op.f(f"ix_{table}_atproto_record_uri"), table_name=table)
