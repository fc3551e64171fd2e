"""`DELETE /account`: leave plyr, taking everything along."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from plyr.accounts import service
from plyr.auth.dependencies import SESSION_COOKIE, BrowserUser
from plyr.core.deps import DbSession, RuntimeDep

router = APIRouter(tags=["account"])


class DeleteAccountIn(BaseModel):
    confirmation: str = Field(min_length=1, max_length=255, description="your handle")
    delete_atproto_records: bool = False


@router.delete("/account", status_code=204, responses={502: {"description": "PDS unreachable"}})
async def delete_account(
    body: DeleteAccountIn, user: BrowserUser, db: DbSession, runtime: RuntimeDep
) -> Response:
    """Delete my account: every row and file here, and my fm.plyr.* records if asked."""
    service.check_confirmation(user, body.confirmation)
    if body.delete_atproto_records:
        await service.delete_records(runtime, user.did)
    await service.delete_account(db, user.did)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response
