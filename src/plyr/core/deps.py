"""FastAPI dependencies shared by every domain: the runtime and the request's DB session.
(Plain lookups are `async def` so FastAPI does not send them to the thread pool.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from plyr.core.cache import Cache
from plyr.core.config import Settings
from plyr.core.runtime import Runtime
from plyr.core.storage import Storage


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings_dep(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_storage(runtime: RuntimeDep) -> Storage:
    return runtime.storage


async def get_cache(runtime: RuntimeDep) -> Cache:
    return runtime.cache


async def get_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, before the response."""
    async with runtime.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StorageDep = Annotated[Storage, Depends(get_storage)]
CacheDep = Annotated[Cache, Depends(get_cache)]
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
