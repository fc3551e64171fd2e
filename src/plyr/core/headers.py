"""Security headers on every response, added by the outermost ASGI layer (in front of the
public-audio fast path too, which skips the middleware stack).

- `X-Content-Type-Options: nosniff` and `Referrer-Policy` always; HSTS when the public URL
  is https.
- A page (`text/html`) gets a Content-Security-Policy whose scripts and styles come from this
  origin, or are inline with the nonce of this response (`scope["state"]["csp_nonce"]`, which
  templates read with `csp_nonce()`). Pages may not be framed; embeds (`/embed/...`) may be,
  by anyone.
- Anything else (JSON, audio, images, scripts) gets `default-src 'none'; sandbox`: were a
  file ever taken for a page, it could run nothing.

A response that sets its own Content-Security-Policy keeps it."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plyr.core.config import Settings

NONCE_PLACEHOLDER = "{nonce}"
HSTS = b"max-age=31536000"
EMBED_PREFIX = "/embed/"
NOT_A_PAGE = b"default-src 'none'; frame-ancestors 'none'; sandbox"


class SecurityHeaders:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        always = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if settings.public_url.startswith("https://"):
            always.append((b"strict-transport-security", HSTS))
        self.always = always
        self.page_policy = page_policy(settings, framable=False)
        self.embed_policy = page_policy(settings, framable=True)
        report = f"; report-uri {settings.csp_report_uri}" if settings.csp_report_uri else ""
        self.other_policy = NOT_A_PAGE + report.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope["state"] = {**scope.get("state", {}), "csp_nonce": nonce}
        template = self.embed_policy if scope["path"].startswith(EMBED_PREFIX) else self.page_policy

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # a 304's headers update the cached response's: a page keeps its own policy
                policy = None if message["status"] == 304 else template
                message["headers"] = self._headers(headers, policy, nonce)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(
        self, headers: list[tuple[bytes, bytes]], template: str | None, nonce: str
    ) -> list[tuple[bytes, bytes]]:
        names = {name.lower() for name, _ in headers}
        added = [h for h in self.always if h[0] not in names]
        if template is not None and b"content-security-policy" not in names:
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            if content_type.lower().startswith(b"text/html"):
                policy = template.replace(NONCE_PLACEHOLDER, nonce).encode()
            else:
                policy = self.other_policy
            added.append((b"content-security-policy", policy))
        return [*headers, *added]


def page_policy(settings: Settings, *, framable: bool) -> str:
    """The CSP of a page, with `{nonce}` where this response's nonce goes."""
    origins = media_origins(settings)
    # sign-in forms lead to the user's authorization server (a redirect form-action checks)
    form_action = "'self' https:" + (" http:" if settings.public_url.startswith("http:") else "")
    directives = [
        "default-src 'self'",
        "script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'nonce-{nonce}'",
        " ".join(["img-src 'self' data: blob:", *origins]),
        # audio from other clients' records may be a redirect to any https URL (`audioUrl`)
        " ".join(["media-src 'self' blob:", *origins, "https:"]),
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {form_action}",
        "frame-ancestors *" if framable else "frame-ancestors 'none'",
    ]
    if settings.csp_report_uri:
        directives.append(f"report-uri {settings.csp_report_uri}")
    return "; ".join(directives)


def media_origins(settings: Settings) -> list[str]:
    """Where artwork and audio may come from besides this origin: the CDN or published
    media folder's base URL, and S3 itself (presigned URLs)."""
    urls = [settings.public_media_base_url]
    if settings.storage_backend == "s3":
        urls.append(settings.s3_endpoint_url)
    origins = [_origin(u) for u in urls if u]
    if settings.storage_backend == "s3" and not settings.s3_endpoint_url:
        origins.append("https://*.amazonaws.com")  # presigned URLs name the bucket's host
    return sorted(set(origins))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
