"""Names of the search engines' own objects, which the models do not describe: SQLite FTS5
tables (and their shadow tables) `search_*`, PostgreSQL trigram indexes `ix_search_*`, and
discovery's pgvector side table `vectors_track` with its HNSW indexes `ix_vectors_*`
(`plyr.discovery.vectors`, made at start-up when the extension exists). Schema comparisons
(autogenerate, tests/test_migrations.py) leave them out."""

from __future__ import annotations

PREFIXES = ("search_", "ix_search_", "vectors_", "ix_vectors_")


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """An Alembic `include_name` hook: False for the search engines' tables and indexes (and
    the vector side table's)."""
    return not (type_ in ("table", "index") and (name or "").startswith(PREFIXES))
