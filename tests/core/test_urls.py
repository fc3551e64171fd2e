"""`safe_return_to`: only a path on this site comes back out; anything a browser could read
as another host, a scheme or a header turns into `/`."""

from __future__ import annotations

import pytest

from plyr.core.urls import safe_return_to

SAFE = [
    "/",
    "/library?tab=likes#top",
    "/track/12",
    "/u/alice.test",
    "/search?q=%2F%2Fnot-a-host",
    "/a/b/../c",
    "/tag/lo-fi%20beats",
]

HOSTILE = [
    None,
    "",
    "library",
    " /x",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "//evil.example/x",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/path\\x",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/\x00",
    "/\x7f",
    "/\x85evil",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "mailto:a@evil.example",
    "http:evil.example",
    "evil.example",
    "@evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("value", SAFE)
def test_local_paths_come_back(value: str) -> None:
    assert safe_return_to(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_anything_else_is_home(value: str | None) -> None:
    assert safe_return_to(value) == "/"
