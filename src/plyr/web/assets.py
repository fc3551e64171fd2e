"""Static files: plyr's own (`web/static`) and third-party browser code installed from npm
into `frontend/node_modules` (htmx, Swagger UI for `/docs`), served from this origin:
nothing comes from a CDN."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
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
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )


def _compressed(files: StaticFiles) -> GZipMiddleware:
    """CSS and JS gzipped (a first page load stays well under 150 KB on the wire)."""
    return GZipMiddleware(files, minimum_size=1024)
