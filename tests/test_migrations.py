"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from plyr.core.db import create_engine
from plyr.models import Base
from plyr.search.ddl import include_name


def _diff(connection: Connection) -> list[object]:
    # the search engines' FTS tables and trigram indexes are not models (plyr.search.ddl)
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    await engine.dispose()
    assert diff == []
