"""URLs that come from a visitor and are sent back to a browser."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_RETURN_TO = 2048


def safe_return_to(value: str | None) -> str:
    """`value` if it is a path on this site, else `/`: the only places a `return_to` (or
    `next`) may send a browser after sign-in. Browsers read `//host`, `/\\host` and
    `\\\\host` as other hosts and drop tabs and newlines from URLs, so all of those, any
    scheme and any control character are refused."""
    if not value or len(value) > MAX_RETURN_TO or not value.startswith("/"):
        return "/"
    if value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return "/"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc:
        return "/"
    return value
