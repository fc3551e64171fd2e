"""Static files: plyr's own (`web/static`) and third-party browser code installed from npm
into `frontend/node_modules` (htmx, Swagger UI for `/docs`), served from this origin:
nothing comes from a CDN."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from markupsafe import escape
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
FRONTEND = Path(__file__).resolve().parents[3] / "frontend" / "node_modules"
VENDOR = {"htmx.org/dist": "/static/vendor", "swagger-ui-dist": "/static/swagger"}


def mount_static(app: FastAPI, frontend: Path = FRONTEND) -> None:
    for package_dir, prefix in VENDOR.items():
        folder = frontend / package_dir
        if folder.is_dir():
            app.mount(prefix, _compressed(StaticFiles(directory=folder)), name=prefix)
        else:  # pages still work, as plain links and forms
            log.warning("%s is missing: run `npm ci` in frontend/ (./scripts/serve does)", folder)
    app.mount("/static", _compressed(StaticFiles(directory=STATIC)), name="static")


def mount_api_docs(app: FastAPI) -> None:
    """`/docs`: the OpenAPI document in Swagger UI, its code served from here (FastAPI's
    own `/docs` loads it from a CDN, so the app is made with `docs_url=None`)."""

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        # not FastAPI's get_swagger_ui_html: its inline script would need a CSP exception
        openapi = escape(app.openapi_url or "/openapi.json")
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(app.title)} API</title>"
            '<link rel="stylesheet" href="/static/swagger/swagger-ui.css">'
            '<link rel="icon" href="/static/icon.svg" type="image/svg+xml"></head>'
            f'<body data-openapi="{openapi}"><div id="swagger-ui"></div>'
            '<script src="/static/swagger/swagger-ui-bundle.js"></script>'
            '<script src="/static/js/api-docs.js"></script></body></html>'
        )


def _compressed(files: StaticFiles) -> GZipMiddleware:
    """CSS and JS gzipped (a first page load stays well under 150 KB on the wire)."""
    return GZipMiddleware(files, minimum_size=1024)
