"""The review desk `/admin` (admins only; anyone else gets 404): the open queue with each
item's context and actions (which POST `/moderation/items/{id}/actions`), counts per kind
in its header, and the latest entries of the log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plyr.core.deps import DbSession
from plyr.html.templating import render
from plyr.moderation.desk_view import open_desk
from plyr.moderation.router import AdminUser
from plyr.web.router import GET_HEAD

router = APIRouter(include_in_schema=False)


@router.api_route("/admin", methods=GET_HEAD, response_class=HTMLResponse)
async def admin_page(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """The open review queue, oldest first."""
    desk = await open_desk(db)
    return render(request, "pages/admin.html", admin, title="review", desk=desk)
