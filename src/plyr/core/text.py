"""Text helpers: slugs, tag names, and the one normal form of searchable text (stored in
`search_text` columns by plyr.models and applied to search queries)."""

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


# typographic quotes and apostrophes -> plain (before NFKD: it turns an acute into a space)
_QUOTES = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u02bc": "'",  # modifier letter apostrophe
        "\u2032": "'",  # prime
        "`": "'",
        "\u00b4": "'",  # acute accent
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
    }
)
_SPACES = re.compile(r"\s+")


def normalize(text: str | None) -> str:
    """Lowercase, accents folded, quotes made plain, apostrophes dropped (so `don\u2019t`,
    `don't` and `dont` are one), control characters and runs of whitespace one space."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.translate(_QUOTES).casefold())
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in folded
        if not unicodedata.combining(c)
    )
    return _SPACES.sub(" ", kept.replace("'", "")).strip()
