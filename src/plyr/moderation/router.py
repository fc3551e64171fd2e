"""Reports: any signed-in listener may flag a track, artist, album, playlist, tag or
comment for review (at most 10 an hour). The review desk's actions (admins only; the desk
page itself is `plyr.web.admin_router`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import JSONResponse, Response

from plyr.auth.dependencies import CurrentUser, OptionalUser
from plyr.auth.ratelimits import ReportLimit
from plyr.auth.service import AuthContext
from plyr.core import outbox
from plyr.core.deps import RuntimeDep, WriterDbSession
from plyr.core.errors import NotFound
from plyr.html.templating import TEMPLATES
from plyr.moderation import desk, reports
from plyr.moderation.schemas import MAX_DESCRIPTION, ItemResolved, ReportIn, ReportOut

router = APIRouter(prefix="/moderation", tags=["moderation"])


@router.post("/reports", status_code=201, dependencies=[ReportLimit])
async def report(
    body: ReportIn, user: CurrentUser, db: WriterDbSession, runtime: RuntimeDep
) -> ReportOut:
    """Report something for review; 404 when it does not exist (or you may not see it)."""
    item = await reports.file_report(db, user.did, body)
    await outbox.commit(runtime, db)  # the admins are told once it is in the queue
    return ReportOut(id=item.id)


async def admin_user(user: OptionalUser, runtime: RuntimeDep) -> AuthContext:
    """A signed-in admin (PLYR_ADMIN_DIDS); anyone else is told there is nothing here."""
    if user is None or user.did not in runtime.settings.admin_did_set:
        raise NotFound("not found")
    return user


AdminUser = Annotated[AuthContext, Depends(admin_user)]
ActionForm = Annotated[desk.Action, Form(description="what to do with the item")]
ReasonForm = Annotated[
    str | None, Form(max_length=MAX_DESCRIPTION, description="why (kept in the log)")
]


@router.post("/items/{item_id}/actions", responses={409: {"description": "already resolved"}})
async def act_on_item(
    request: Request,
    item_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: ActionForm,
    admin: AdminUser,
    db: WriterDbSession,
    runtime: RuntimeDep,
    reason: ReasonForm = None,
) -> Response:
    """Resolve an open review item (admins only; others 404). An htmx request gets the
    item's resolved card back, an API client JSON."""
    item = await desk.act(db, runtime, item_id, action, actor=admin.did, reason=reason or None)
    await outbox.commit(runtime, db)
    resolved = ItemResolved(id=item.id, status=item.status, resolution=item.resolution or "")
    if request.headers.get("hx-request") == "true":
        return TEMPLATES.TemplateResponse(
            request, "partials/admin_resolved.html", {"item": resolved, "reason": reason}
        )
    return JSONResponse(resolved.model_dump())
