"""The labeler's endpoints: `com.atproto.label.queryLabels`, `subscribeLabels` (WebSocket)
and, once `plyr labeler setup` has run, its did:web document at `/.well-known/did.json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import JSONResponse

from plyr.core.deps import DbSession, RuntimeDep
from plyr.core.runtime import Runtime
from plyr.moderation.labeler import service
from plyr.moderation.labeler.stream import LabelStream

router = APIRouter(tags=["labels"])


def _xrpc_error(message: str, status: int = 400, error: str = "InvalidRequest") -> JSONResponse:
    """An XRPC error (`error`, `message`), with plyr's `detail` for its own clients."""
    body = {"error": error, "message": message, "detail": message}
    return JSONResponse(body, status_code=status)


@router.get("/xrpc/com.atproto.label.queryLabels", response_model=None)
async def query_labels(
    db: DbSession,
    uri_patterns: Annotated[list[str], Query(alias="uriPatterns")],
    sources: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any] | JSONResponse:
    """This labeler's labels on the given URIs (a pattern ending in `*` is a prefix)."""
    if not cursor:
        after = 0
    elif cursor.isdigit():
        after = int(cursor)
    else:
        return _xrpc_error("cursor must be one returned by queryLabels")
    if len(uri_patterns) > 100 or any(len(p) > 1024 for p in uri_patterns):
        return _xrpc_error("at most 100 uriPatterns of up to 1024 characters")
    labels, next_cursor = await service.query(
        db, uri_patterns=uri_patterns, sources=sources or [], limit=limit, cursor=after
    )
    body: dict[str, Any] = {"labels": labels}
    if next_cursor is not None:
        body["cursor"] = str(next_cursor)
    return body


@router.websocket("/xrpc/com.atproto.label.subscribeLabels")
async def subscribe_labels(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    raw = websocket.query_params.get("cursor")
    await websocket.accept()
    if raw is not None and not raw.isdigit():
        await websocket.close(1008, "cursor must be an integer")
        return
    await LabelStream(websocket, runtime, int(raw) if raw is not None else None).run()


@router.get("/.well-known/did.json", response_model=None)
async def did_document(runtime: RuntimeDep) -> dict[str, Any] | JSONResponse:
    labeler = service.labeler_of(runtime)
    if labeler is None or not labeler.did.startswith("did:web:"):
        return JSONResponse({"detail": "no labeler is set up"}, status_code=404)
    return labeler.did_document()
