"""keyword search: normalized search_text columns and their indexes

SQLite: FTS5 trigram indexes kept current by triggers (external content over the integer-keyed
tables; artists, keyed by DID, whose rowid VACUUM may renumber, keep their own copy).
PostgreSQL: pg_trgm GIN indexes. Existing rows are backfilled.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from plyr.core.text import normalize

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (key column, the column whose normal form search_text holds)
SEARCHABLE = {
    "tracks": ("id", "title"),
    "albums": ("id", "title"),
    "playlists": ("id", "name"),
    "tags": ("id", "name"),
    "artists": ("did", "display_name"),
}
INTEGER_KEYED = ("tracks", "albums", "playlists", "tags")
ARTIST_TEXT = "coalesce({row}.handle, '') || ' ' || coalesce({row}.search_text, '')"


def _backfill(table: str) -> None:
    key, source = SEARCHABLE[table]
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {key}, {source} FROM {table}")).all()
    values = [{"k": k, "s": normalize(text)} for k, text in rows]
    for start in range(0, len(values), 1000):
        bind.execute(
            sa.text(f"UPDATE {table} SET search_text = :s WHERE {key} = :k"),
            values[start : start + 1000],
        )


def _sqlite_index(table: str) -> list[str]:
    fts = f"search_{table}"
    if table == "artists":
        new, old = ARTIST_TEXT.format(row="new"), ARTIST_TEXT.format(row="artists")
        return [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(did UNINDEXED, text, tokenize='trigram')",
            f"INSERT INTO {fts}(did, text) SELECT did, {old} FROM artists",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON artists BEGIN "
            f"INSERT INTO {fts}(did, text) VALUES (new.did, {new}); END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF did, handle, search_text ON artists BEGIN "
            f"DELETE FROM {fts} WHERE did = old.did; "
            f"INSERT INTO {fts}(did, text) VALUES (new.did, {new}); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON artists BEGIN "
            f"DELETE FROM {fts} WHERE did = old.did; END",
        ]
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    )
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF id, search_text ON {table} "
        f"BEGIN {remove} {add} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {remove} END",
    ]


def _postgres_indexes() -> dict[str, tuple[str, str]]:
    names = {f"ix_search_{table}": (table, "search_text") for table in SEARCHABLE}
    names["ix_search_artists_handle"] = ("artists", "handle")
    return names


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("search_text", sa.Text(), server_default="", nullable=False)
            )
        _backfill(table)
    if dialect == "sqlite":
        for table in SEARCHABLE:
            for statement in _sqlite_index(table):
                op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in _postgres_indexes().items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SEARCHABLE:
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS search_{table}")
    elif dialect == "postgresql":
        for name in _postgres_indexes():
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for table in SEARCHABLE:
        # a plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of the table
        # would drop it, and with foreign keys on, cascade to the rows that reference it
        op.drop_column(table, "search_text")
