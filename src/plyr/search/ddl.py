"""Names of the search engines' own objects, which the models do not describe: SQLite FTS5
tables (and their shadow tables) `search_*`, PostgreSQL trigram indexes `ix_search_*`.
Schema comparisons (autogenerate, tests/test_migrations.py) leave them out."""

from __future__ import annotations

PREFIXES = ("search_", "ix_search_")


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """An Alembic `include_name` hook: False for the search engines' tables and indexes."""
    return not (type_ in ("table", "index") and (name or "").startswith(PREFIXES))
