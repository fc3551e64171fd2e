"""How the page tests ask for a page (as a browser, as htmx, signed in by cookie) and read
the tracks a page carries."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

from tests.app import User

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
HTMX = {**BROWSER, "HX-Request": "true", "HX-Boosted": "true"}


def cookie(user: User) -> dict[str, str]:
    """Headers of a browser signed in as `user`."""
    return {**BROWSER, "Cookie": f"session_id={user.token}"}


def data_tracks(html: str) -> list[dict[str, Any]]:
    """The tracks a page lists, from their `data-track` attributes."""
    return [json.loads(html_lib.unescape(m)) for m in re.findall(r'data-track="([^"]+)"', html)]
