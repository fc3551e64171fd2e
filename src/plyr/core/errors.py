"""Errors users can act on: each becomes a 4xx with `{"detail": ...}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from plyr.core.db import is_lock_conflict


class AppError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None  # sent with the error (e.g. Retry-After)

    def __init__(self, detail: Any, *, status_code: int | None = None) -> None:
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class TooLarge(AppError):
    status_code = 413


class UnsupportedMedia(AppError):
    status_code = 415


class Invalid(AppError):
    status_code = 422


class ErrorOut(BaseModel):
    """Every error: `detail` says what was wrong and what is allowed."""

    detail: str | dict[str, Any]


ERROR_STATUSES = {
    400: "bad input",
    401: "no or invalid session",
    403: "not allowed",
    404: "not found",
    409: "conflict",
    413: "too large",
    415: "unsupported media type",
    422: "validation failed",
    429: "rate limited",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in ERROR_STATUSES.items()
}


def readable_validation_error(errors: Sequence[Any]) -> str:
    """`limit: Input should be less than or equal to 100` (the first problem, in words)."""
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def app_error_response(exc: AppError) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(OperationalError)
    async def _database_busy(_: Request, exc: OperationalError) -> JSONResponse:
        if not is_lock_conflict(exc):
            raise exc
        detail = "the database is busy: try again in a moment"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": readable_validation_error(exc.errors())}, status_code=422)

    def openapi() -> dict[str, Any]:
        """FastAPI documents 422 as a list of errors; plyr sends one readable string."""
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=app.description
            )
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ErrorOut.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
