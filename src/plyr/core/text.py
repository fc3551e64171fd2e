"""Text helpers: slugs and tag names."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 100


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """`Café MÜNCHËN` -> `cafe-munchen`: ASCII, lowercase, one `-` between words, <= 100 chars."""
    ascii_text = fold_accents(text).encode("ascii", "ignore").decode().lower().replace("_", "")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) <= SLUG_MAX:
        return slug
    cut = slug[: SLUG_MAX + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_MAX]).strip("-")


def normalize_tag(tag: str) -> str:
    return " ".join(tag.strip().lower().split())
