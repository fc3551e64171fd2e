"""Rendering pages: the whole shell for a first load, only `<title>` + `<main>` for an htmx
navigation (the shell, and the player in it, stay)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from plyr.core.orm import utcnow
from plyr.media import sensitive

if TYPE_CHECKING:  # types only: the domains render with this, it imports none of them
    from plyr.auth.service import AuthContext
    from plyr.tracks.schemas import TrackOut

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
DEFAULT_ACCENT = "#6a9fff"
_URL = re.compile(r"https?://[^\s<>\"']+")


def duration(seconds: float | int | None) -> str:
    """183 -> '3:03'; an hour or more -> '1:02:03'."""
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def ago(moment: datetime) -> str:
    seconds = max(0, int((utcnow() - moment).total_seconds()))
    for unit, size in (("y", 31_536_000), ("mo", 2_592_000), ("d", 86_400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds // 60}m ago" if seconds >= 60 else "just now"


def linkify(text: str | None) -> Markup:
    """Plain text with its URLs as links (everything escaped first)."""
    if not text:
        return Markup("")
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}" rel="nofollow noopener" target="_blank">{url}</a>'))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def counted(n: int | None, noun: str) -> str:
    """ "1 play", "2 plays", "0 plays"."""
    n = n or 0
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@pass_context
def track_data(context: Context, track: TrackOut) -> str:
    """What the player needs of a track (the `data-track` attribute)."""
    image_url = track.thumbnail_url or track.image_url
    return json.dumps(
        {
            "id": track.id,
            "title": track.title,
            "artist": track.artist.display_name or track.artist.handle,
            "artist_url": f"/u/{track.artist.handle}",
            "url": f"/track/{track.id}",
            "audio_url": track.audio_url,
            "image_url": image_url,
            "artwork_url": track.image_url,
            "sensitive_art": sensitive_art(context, image_url),
            "duration": track.duration,
            "loudness_lufs": track.loudness_lufs,
        },
        separators=(",", ":"),
    )


@pass_context
def csp_nonce(context: Context) -> str:
    """This response's Content-Security-Policy nonce (`plyr.core.headers`), for the
    `nonce` attribute of an inline `<script>` or `<style>`."""
    state: dict[str, Any] = context["request"].scope.get("state", {})
    return str(state.get("csp_nonce", ""))


@pass_context
def sensitive_art(context: Context, url: str | None) -> bool:
    """Whether the artwork at `url` is marked sensitive: the page blurs it (click to reveal)
    unless the listener asked to see such artwork (`show_sensitive_artwork`)."""
    request: Request | None = context.get("request")  # None: a macro imported without context
    runtime = getattr(request.app.state, "runtime", None) if request is not None else None
    return runtime is not None and sensitive.is_sensitive(runtime, url)


TEMPLATES.env.filters.update(
    duration=duration, ago=ago, linkify=linkify, track_data=track_data, counted=counted
)
TEMPLATES.env.globals.update(csp_nonce=csp_nonce, sensitive_art=sensitive_art)


def render(
    request: Request,
    template: str,
    user: AuthContext | None,
    *,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page. An htmx navigation gets the fragment only (`HX-Request` without a history
    restore); a first load gets the shell around it."""
    boosted = request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )
    prefs = user.artist.preferences if user else {}
    page = {
        "request": request,
        "user": user,
        "title": f"{title} • plyr" if title else "plyr",
        "fragment": boosted,
        "theme": prefs.get("theme", "dark"),
        "accent": prefs.get("accent_color") or DEFAULT_ACCENT,
        "default_accent": DEFAULT_ACCENT,
        "auto_advance": prefs.get("auto_advance", True),
        "normalize": prefs.get("normalize_volume", True),
        "show_sensitive_artwork": prefs.get("show_sensitive_artwork", False),
        "show_sensitive_audio": prefs.get("show_sensitive_audio", False),
        "needs_terms": bool(user) and not prefs.get("terms_accepted_at"),
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
