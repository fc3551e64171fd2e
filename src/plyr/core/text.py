"""Text helpers: slugs and tag names."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 100
# Latin letters that are not a base letter plus an accent, so NFKD leaves them whole.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "\u0131": "i",  # dotless i
    }
)


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """`Café MÜNCHËN` -> `cafe-munchen`: lowercase ASCII with accents folded, each run of
    other characters one `-`, underscores dropped, at most 100 chars cut at a word
    boundary. Empty when nothing of the text is Latin letters or digits."""
    ascii_text = fold_accents(text).encode("ascii", "ignore").decode().lower().replace("_", "")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) <= SLUG_MAX:
        return slug
    cut = slug[: SLUG_MAX + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_MAX]).strip("-")


def normalize_tag(tag: str) -> str:
    return " ".join(tag.strip().lower().split())
